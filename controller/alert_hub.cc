#include "controller/alert_hub.h"

namespace vigil::controller {

uint64_t AlertHub::AddListener(Listener listener) {
  absl::MutexLock lock(&mu_);
  const uint64_t id = next_id_++;
  listeners_.emplace(id, std::move(listener));
  return id;
}

void AlertHub::RemoveListener(uint64_t id) {
  absl::MutexLock lock(&mu_);
  listeners_.erase(id);
}

void AlertHub::Notify() {
  // Called under the lock, so RemoveListener cannot return while a call is running.
  absl::MutexLock lock(&mu_);
  for (auto& [id, listener] : listeners_) listener();
}

size_t AlertHub::listeners() const {
  absl::MutexLock lock(&mu_);
  return listeners_.size();
}

}  // namespace vigil::controller

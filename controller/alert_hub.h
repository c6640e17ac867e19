// AlertHub: tells live subscriptions that new alerts were stored.
#ifndef VIGIL_CONTROLLER_ALERT_HUB_H_
#define VIGIL_CONTROLLER_ALERT_HUB_H_

#include <cstdint>
#include <functional>
#include <map>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace vigil::controller {

// Listeners are called (from the storing thread) after each stored batch; they only
// schedule work, never block. RemoveListener returns after any call in progress ends,
// so a listener's owner may be destroyed right after it.
class AlertHub {
 public:
  using Listener = std::function<void()>;

  uint64_t AddListener(Listener listener);
  void RemoveListener(uint64_t id);
  void Notify();
  size_t listeners() const;

 private:
  mutable absl::Mutex mu_;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<uint64_t, Listener> listeners_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vigil::controller

#endif  // VIGIL_CONTROLLER_ALERT_HUB_H_

#include "sensor/event_view.h"

namespace vigil::sensor {

const ProcessInfo* SensorEventView::process() const {
  if (!process_known_) {
    process_ = table_->Lookup(event_.task.pid);
    process_known_ = true;
  }
  return process_;
}

const ProcessInfo* SensorEventView::ancestor(int n) const {
  if (n < 1 || n > 16) return nullptr;
  uint32_t pid = event_.task.pid;
  const ProcessInfo* current = process();
  // The event knows the parent even when the table does not know the process.
  uint32_t ppid = current != nullptr ? current->ppid : event_.task.ppid;
  for (int depth = 1; depth <= n; ++depth) {
    if (ppid == 0 || ppid == pid) return nullptr;
    current = table_->Lookup(ppid);
    if (current == nullptr) return nullptr;
    pid = ppid;
    ppid = current->ppid;
  }
  return current;
}

absl::string_view SensorEventView::user_name(uint32_t uid) const {
  return users_ != nullptr ? users_->Lookup(uid) : absl::string_view();
}

}  // namespace vigil::sensor

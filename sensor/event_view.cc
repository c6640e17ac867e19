#include "sensor/event_view.h"

namespace vigil::sensor {

const event::ProcessInfo* SensorEventView::process() const {
  if (!process_known_) {
    process_ = table_->Lookup(event_.task.pid);
    process_known_ = true;
  }
  return process_;
}

const event::ProcessInfo* SensorEventView::ancestor(int n) const {
  if (n < 1 || n > 16) return nullptr;
  uint32_t pid = event_.task.pid;
  const event::ProcessInfo* current = process();
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

const enrich::CgroupIdentity* SensorEventView::container() const {
  if (!container_known_ && enricher_ != nullptr) {
    container_ = enricher_->Container(event_.task);
    if (container_ != nullptr) runtime_ = enricher_->RuntimeOf(*container_);
    container_known_ = true;
  }
  return container_.get();
}

const enrich::PodInfo* SensorEventView::pod() const {
  if (!pod_known_ && enricher_ != nullptr) {
    if (const enrich::CgroupIdentity* c = container()) pod_ = enricher_->Pod(*c);
    pod_known_ = true;
  }
  return pod_.get();
}

absl::string_view SensorEventView::container_id() const {
  const enrich::CgroupIdentity* c = container();
  if (c == nullptr) return {};
  return c->is_container() ? absl::string_view(c->container_id) : absl::string_view("host");
}

absl::string_view SensorEventView::container_runtime() const {
  return container() != nullptr ? enrich::RuntimeName(runtime_) : absl::string_view();
}

absl::string_view SensorEventView::pod_name() const {
  const enrich::PodInfo* p = pod();
  return p != nullptr ? absl::string_view(p->name) : absl::string_view();
}

absl::string_view SensorEventView::pod_namespace() const {
  const enrich::PodInfo* p = pod();
  return p != nullptr ? absl::string_view(p->namespace_name) : absl::string_view();
}

absl::string_view SensorEventView::pod_uid() const {
  const enrich::PodInfo* p = pod();
  if (p != nullptr && !p->uid.empty()) return p->uid;
  // The cgroup path names the pod even when the runtime cannot be asked.
  const enrich::CgroupIdentity* c = container();
  return c != nullptr ? absl::string_view(c->pod_uid) : absl::string_view();
}

absl::string_view SensorEventView::pod_labels() const {
  const enrich::PodInfo* p = pod();
  return p != nullptr ? absl::string_view(p->labels_text) : absl::string_view();
}

absl::string_view SensorEventView::pod_label(absl::string_view key) const {
  const enrich::PodInfo* p = pod();
  const std::string* value = p != nullptr ? p->Label(key) : nullptr;
  return value != nullptr ? absl::string_view(*value) : absl::string_view();
}

}  // namespace vigil::sensor

// Typed kernel events: what the sensor's decoder makes of one ring-buffer record. The
// common part (type and task) is here; each probe module adds its payloads
// (event/modules/<name>.h), which Event gathers from the registry (event/modules.h). Event
// types take their values from the modules' ABI headers, so the two cannot disagree; the
// wire format (proto/vigil/v1/event.proto) is checked against them at compile time where
// events are converted to it.
#ifndef VIGIL_EVENT_EVENT_H_
#define VIGIL_EVENT_EVENT_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "event/bundle_event.h"
#include "event/event_type.h"
#include "event/modules.h"

namespace vigil::event {

// The task an event happened in.
struct TaskContext {
  uint64_t time_boot_ns = 0;
  uint32_t pid = 0;  // process id (tgid)
  uint32_t tid = 0;  // thread id
  uint32_t ppid = 0;
  uint32_t uid = 0;
  uint32_t euid = 0;
  uint32_t gid = 0;
  uint32_t loginuid = 0;
  uint32_t mntns = 0;
  uint32_t pidns = 0;
  uint64_t cgroup_id = 0;
  absl::string_view comm;
};

// What every event has, whatever its module.
struct EventCore {
  EventType type{};
  TaskContext task;
};

#define VIGIL_EVENT_PAYLOAD_BASE(module) , module::Payload

// One decoded event: the core and every module's payload members (event.exec,
// event.open, ...) and the bundle payload (event.bundle, for kBundle), of which only the
// one matching `type` is meaningful. Strings point
// into the record it was decoded from, so an Event is valid only as long as that record
// (decoding allocates nothing).
struct Event : EventCore VIGIL_PROBE_MODULES(VIGIL_EVENT_PAYLOAD_BASE), BundlePayload {};

#undef VIGIL_EVENT_PAYLOAD_BASE

// Stable lower-case name of an event type ("fork", "exec", "open", ...) as its module
// registers it; "unknown" for a type no module registers.
absl::string_view EventTypeName(EventType type);

}  // namespace vigil::event

#endif  // VIGIL_EVENT_EVENT_H_

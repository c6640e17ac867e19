// The schema of the event model: what each registered probe module says about its events
// (names, rule vocabulary, fields). Rules, the controller and the sensor read event types
// and fields only through here, so a module added to the registry (event/modules.h) is
// known everywhere at once.
#ifndef VIGIL_EVENT_SCHEMA_H_
#define VIGIL_EVENT_SCHEMA_H_

#include <cstdint>
#include <vector>

#include "absl/strings/string_view.h"
#include "event/event.h"

namespace vigil::event {

struct FieldInfo;

// One event type as its module describes it.
struct EventTypeInfo {
  EventType type;
  // Stable lower-case name: JSON "type", metrics labels, --events, health counters.
  absl::string_view name;
  // The value of evt.type in rules (Falco's vocabulary), e.g. "execve" for exec; for types
  // whose evt.type depends on the event (an open's syscall), the function gives it.
  absl::string_view evt_type;
  absl::string_view (*evt_type_of)(const Event& event) = nullptr;
  // Every evt.type value that stands for this type ("open", "openat", ... for open).
  std::vector<absl::string_view> evt_type_names;
  // For types that report a result (a syscall's return value, a connection's outcome):
  // 0 or more on success, -errno on failure. Read by evt.rawres, evt.res and evt.failed.
  int64_t (*result_of)(const Event& event) = nullptr;
};

// A probe module's contribution to the event model.
struct ModuleSchema {
  absl::string_view name;     // "process", "file"
  absl::string_view summary;  // one line, for docs and `--check`
  std::vector<EventTypeInfo> event_types;
  // The fields only this module's events define, in documentation order.
  std::vector<FieldInfo> fields;
  // Started when the sensor starts; otherwise only when the controller enables it.
  bool enabled_by_default = true;
};

// Every registered module's schema, in registry order.
const std::vector<const ModuleSchema*>& ModuleSchemas();

// Every registered event type, modules in registry order, then the type of probe-module
// bundle records (kBundle): what lists event types (metrics labels, health counters,
// --events, the sensor_stop record) iterates.
const std::vector<const EventTypeInfo*>& EventTypes();

// The schema of event type `type`, or null when no module registers it.
const EventTypeInfo* FindEventType(EventType type);
// The event type called `name` (EventTypeInfo::name), or null.
const EventTypeInfo* FindEventTypeByName(absl::string_view name);
// The event type an evt.type value stands for; *whole is false when the value names only
// some events of the type (evt.type = openat names opens made with openat). False when
// no module knows the value.
bool EventTypeOfEvtName(absl::string_view evt_type, EventType* type, bool* whole);

// The value of evt.type for an event: "execve", "clone", "procexit", "openat", ...
absl::string_view EvtTypeName(const Event& event);

// Sets *result to the event's result (EventTypeInfo::result_of); false for events of a
// type without one.
bool EventResult(const Event& event, int64_t* result);

// The mask of every registered event type.
uint32_t RegisteredEventMask();

}  // namespace vigil::event

#endif  // VIGIL_EVENT_SCHEMA_H_

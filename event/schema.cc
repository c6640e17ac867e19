#include "event/schema.h"

#include <array>

#include "event/bundle_schema.h"
#include "event/fields.h"

// Each registered module defines vigil::event::<name>::Schema() in event/modules/<name>.cc.
#define VIGIL_DECLARE_SCHEMA(module) \
  namespace vigil::event::module {   \
  const ModuleSchema& Schema();      \
  }
VIGIL_PROBE_MODULES(VIGIL_DECLARE_SCHEMA)
#undef VIGIL_DECLARE_SCHEMA

namespace vigil::event {
namespace {

// Event types by number, from every module's schema.
struct TypeIndex {
  std::array<const EventTypeInfo*, kEventTypeLimit> by_type{};
  uint32_t mask = 0;
};

const TypeIndex& Index() {
  static const TypeIndex* index = [] {
    auto* out = new TypeIndex;
    for (const EventTypeInfo* info : EventTypes()) {
      const int t = static_cast<int>(info->type);
      // Checked by the registry test too; a clash here would misname events.
      if (t <= 0 || t >= kEventTypeLimit || out->by_type[t] != nullptr) continue;
      out->by_type[t] = info;
      out->mask |= EventBit(info->type);
    }
    return out;
  }();
  return *index;
}

}  // namespace

const std::vector<const ModuleSchema*>& ModuleSchemas() {
#define VIGIL_SCHEMA_ENTRY(module) &module::Schema(),
  static const auto* schemas =
      new std::vector<const ModuleSchema*>{VIGIL_PROBE_MODULES(VIGIL_SCHEMA_ENTRY)};
#undef VIGIL_SCHEMA_ENTRY
  return *schemas;
}

const std::vector<const EventTypeInfo*>& EventTypes() {
  static const auto* types = [] {
    auto* all = new std::vector<const EventTypeInfo*>;
    for (const ModuleSchema* module : ModuleSchemas()) {
      for (const EventTypeInfo& info : module->event_types) all->push_back(&info);
    }
    all->push_back(&BundleEventTypeInfo());
    return all;
  }();
  return *types;
}

const EventTypeInfo* FindEventType(EventType type) {
  const int t = static_cast<int>(type);
  return t > 0 && t < kEventTypeLimit ? Index().by_type[t] : nullptr;
}

const EventTypeInfo* FindEventTypeByName(absl::string_view name) {
  for (const EventTypeInfo* info : EventTypes()) {
    if (info->name == name) return info;
  }
  return nullptr;
}

bool EventTypeOfEvtName(absl::string_view evt_type, EventType* type, bool* whole) {
  for (const EventTypeInfo* info : EventTypes()) {
    for (absl::string_view name : info->evt_type_names) {
      if (name != evt_type) continue;
      *type = info->type;
      *whole = info->evt_type_names.size() == 1;
      return true;
    }
  }
  return false;
}

absl::string_view EventTypeName(EventType type) {
  const EventTypeInfo* info = FindEventType(type);
  return info != nullptr ? info->name : "unknown";
}

absl::string_view EvtTypeName(const Event& event) {
  const EventTypeInfo* info = FindEventType(event.type);
  if (info == nullptr) return "unknown";
  return info->evt_type_of != nullptr ? info->evt_type_of(event) : info->evt_type;
}

bool EventResult(const Event& event, int64_t* result) {
  const EventTypeInfo* info = FindEventType(event.type);
  if (info == nullptr || info->result_of == nullptr) return false;
  *result = info->result_of(event);
  return true;
}

uint32_t RegisteredEventMask() { return Index().mask; }

}  // namespace vigil::event

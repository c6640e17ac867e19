// Event types: numbers the probe modules assign in their ABI headers (bpf/abi/<module>.h),
// and the bit masks rules and the kernel filter select them with. The set is open: each
// module names its own types (event/modules/<module>.h), the registry (event/modules.h)
// lists the modules, and event/schema.h tells every type's name.
#ifndef VIGIL_EVENT_EVENT_TYPE_H_
#define VIGIL_EVENT_EVENT_TYPE_H_

#include <cstdint>

#include "bpf/abi/vigil_event.h"

namespace vigil::event {

// A kind of kernel event: the record type of the ABI header (VIGIL_EVENT_*). Values are
// 1..kEventTypeLimit-1; modules define named constants (event::kExec, event::kOpen, ...).
enum class EventType : uint16_t {};
static_assert(sizeof(EventType) == sizeof(vigil_event_header{}.type),
              "EventType must hold the ABI header's type field");

// One past the largest event type: the kernel filter's type mask has a bit per type.
inline constexpr int kEventTypeLimit = VIGIL_EVENT_TYPE_LIMIT;
static_assert(kEventTypeLimit <= 32, "event type masks are 32 bits");

// The bit of `type` in an event-type mask (rules' event masks, the kernel's type_mask).
inline constexpr uint32_t EventBit(EventType type) { return 1u << static_cast<int>(type); }
// A mask that selects every event type, present and future.
inline constexpr uint32_t kAllEvents = ~0u;
// In a field table only: "every type whose module gives it a result"
// (EventTypeInfo::result_of), resolved to those types' mask when the table is built. Bit
// 0, which no event type uses.
inline constexpr uint32_t kEventsWithResult = 1u;

}  // namespace vigil::event

#endif  // VIGIL_EVENT_EVENT_TYPE_H_

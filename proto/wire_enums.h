// The wire format's enums (proto/vigil/v1) tied at compile time to the event model and to
// the probes' ABI, and the one table between priority levels and wire priorities. Every
// conversion between them goes through here, so a value added on one side and not the
// other fails the build instead of a test.
#ifndef VIGIL_PROTO_WIRE_ENUMS_H_
#define VIGIL_PROTO_WIRE_ENUMS_H_

#include <array>
#include <cstddef>

#include "common/priority.h"
#include "event/event.h"
#include "vigil/v1/alert.pb.h"
#include "vigil/v1/event.pb.h"

namespace vigil::wire {

static_assert(static_cast<int>(v1::EVENT_TYPE_FORK) == static_cast<int>(event::kFork));
static_assert(static_cast<int>(v1::EVENT_TYPE_EXEC) == static_cast<int>(event::kExec));
static_assert(static_cast<int>(v1::EVENT_TYPE_EXIT) == static_cast<int>(event::kExit));
static_assert(static_cast<int>(v1::EVENT_TYPE_OPEN) == static_cast<int>(event::kOpen));
// The wire's EventType lists the event types that have a typed message in Event; each of
// them is tied to its module's ABI value above. A module whose events travel typed adds
// its value and message there, and its assertion here.

static_assert(static_cast<int>(v1::OPEN_SYSCALL_OPEN) ==
              static_cast<int>(event::OpenSyscall::kOpen));
static_assert(static_cast<int>(v1::OPEN_SYSCALL_OPENAT) ==
              static_cast<int>(event::OpenSyscall::kOpenAt));
static_assert(static_cast<int>(v1::OPEN_SYSCALL_OPENAT2) ==
              static_cast<int>(event::OpenSyscall::kOpenAt2));
static_assert(static_cast<int>(v1::OPEN_SYSCALL_CREAT) ==
              static_cast<int>(event::OpenSyscall::kCreat));
static_assert(static_cast<int>(v1::OPEN_SYSCALL_OPEN_BY_HANDLE_AT) ==
              static_cast<int>(event::OpenSyscall::kOpenByHandleAt));
static_assert(static_cast<int>(v1::OpenSyscall_MAX) == VIGIL_SYS_OPEN_BY_HANDLE_AT,
              "the wire's OpenSyscall and the ABI's vigil_open_syscall differ in size");

// Priority levels are syslog's: 0 emergency .. 7 debug, the order of the rule language's
// priorities and of the controller's store, named by common/priority.h. The wire starts at 1
// (0 is unspecified).
inline constexpr size_t kPriorityLevels = 8;
static_assert(static_cast<int>(kPriorityLevels) == kPriorityLevelCount,
              "the wire and common/priority.h name different levels");
inline constexpr std::array<v1::Priority, kPriorityLevels> kWirePriorities = {
    v1::PRIORITY_EMERGENCY, v1::PRIORITY_ALERT,  v1::PRIORITY_CRITICAL,      v1::PRIORITY_ERROR,
    v1::PRIORITY_WARNING,   v1::PRIORITY_NOTICE, v1::PRIORITY_INFORMATIONAL, v1::PRIORITY_DEBUG};
static_assert(static_cast<size_t>(v1::Priority_MAX) == kPriorityLevels,
              "a wire priority has no level");

// True when kWirePriorities lists the wire values in order (level + 1).
constexpr bool WirePrioritiesInOrder() {
  for (size_t level = 0; level < kPriorityLevels; ++level) {
    if (static_cast<size_t>(kWirePriorities[level]) != level + 1) return false;
  }
  return true;
}
static_assert(WirePrioritiesInOrder(), "kWirePriorities must follow the levels");

// The wire priority of level `level` (0..7); unspecified outside that range.
constexpr v1::Priority WirePriority(int level) {
  return level >= 0 && static_cast<size_t>(level) < kPriorityLevels ? kWirePriorities[level]
                                                                    : v1::PRIORITY_UNSPECIFIED;
}

// The level of wire priority `priority`; an unspecified or unknown one is debug (7), the
// least severe, so a sender that leaves it out cannot raise an alert's severity.
constexpr int PriorityLevel(v1::Priority priority) {
  for (size_t level = 0; level < kPriorityLevels; ++level) {
    if (kWirePriorities[level] == priority) return static_cast<int>(level);
  }
  return static_cast<int>(kPriorityLevels) - 1;
}

}  // namespace vigil::wire

#endif  // VIGIL_PROTO_WIRE_ENUMS_H_

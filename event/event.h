// Typed kernel events: what the decoder makes of one ring-buffer record. The enums take
// their values from the probes' ABI header, so the two cannot disagree; the wire format
// (proto/vigil/v1/event.proto) is checked against them at compile time where events are
// converted to it.
#ifndef VIGIL_EVENT_EVENT_H_
#define VIGIL_EVENT_EVENT_H_

#include <array>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "bpf/abi/vigil_event.h"

namespace vigil::event {

// Kinds of kernel events (enum vigil_event_type).
enum class EventType : uint16_t {
  kFork = VIGIL_EVENT_FORK,
  kExec = VIGIL_EVENT_EXEC,
  kExit = VIGIL_EVENT_EXIT,
  kOpen = VIGIL_EVENT_OPEN,
};

// Every event type, in ABI order: one per ABI value below VIGIL_EVENT_TYPE_MAX.
inline constexpr std::array<EventType, 4> kEventTypes = {EventType::kFork, EventType::kExec,
                                                         EventType::kExit, EventType::kOpen};
static_assert(kEventTypes.size() == VIGIL_EVENT_TYPE_MAX - 1,
              "an ABI event type has no EventType: add it here and to kEventTypes");
static_assert(sizeof(EventType) == sizeof(vigil_event_header{}.type),
              "EventType must hold the ABI header's type field");

// Open-family syscalls (enum vigil_open_syscall).
enum class OpenSyscall : uint32_t {
  kOpen = VIGIL_SYS_OPEN,
  kOpenAt = VIGIL_SYS_OPENAT,
  kOpenAt2 = VIGIL_SYS_OPENAT2,
  kCreat = VIGIL_SYS_CREAT,
  kOpenByHandleAt = VIGIL_SYS_OPEN_BY_HANDLE_AT,
};
static_assert(sizeof(OpenSyscall) == sizeof(vigil_open_event{}.syscall),
              "OpenSyscall must hold the ABI record's syscall field");

// Stable lower-case name of an event type ("fork", "exec", ...).
absl::string_view EventTypeName(EventType type);
// Stable name of an open-family syscall ("openat", ...).
absl::string_view OpenSyscallName(OpenSyscall syscall);

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

struct ForkData {
  uint32_t child_pid = 0;
  uint32_t child_tid = 0;
  bool is_thread = false;
};

struct ExecData {
  absl::string_view exe;
  // Arguments as exec laid them out: each argument followed by a NUL (the last one may
  // lack it when args_truncated). Iterate with ArgvIterator.
  absl::string_view argv;
  bool exe_truncated = false;
  bool args_truncated = false;
  uint32_t old_tid = 0;
  bool creds_before_known = false;
  uint32_t uid_before = 0;
  uint32_t euid_before = 0;
  uint32_t gid_before = 0;
  uint32_t egid_before = 0;
  uint32_t egid = 0;
  uint32_t file_mode = 0;
  uint32_t file_uid = 0;
  uint32_t file_gid = 0;
};

struct ExitData {
  int32_t raw_status = 0;  // (code << 8) | signal, as wait(2) reports it
  bool group_dead = false;

  int exit_status() const { return (raw_status >> 8) & 0xff; }
  int signal() const { return raw_status & 0x7f; }
};

struct OpenData {
  OpenSyscall syscall = OpenSyscall::kOpen;
  absl::string_view path;
  int64_t result = 0;
  uint32_t flags = 0;
  uint32_t mode = 0;
  uint32_t file_mode = 0;
  bool path_truncated = false;
  bool hidden = false;
  bool unresolved = false;
  bool compat = false;
};

// One decoded event. Strings point into the record it was decoded from, so an Event
// is valid only as long as that record (decoding allocates nothing). Only the member
// matching `type` is meaningful.
struct Event {
  EventType type = EventType::kFork;
  TaskContext task;
  ForkData fork;
  ExecData exec;
  ExitData exit;
  OpenData open;
};

// True when a component of `path` starts with '.' but is not "." or "..": what the
// kernel flags as hidden for resolved paths, applied to unresolved argument strings.
bool HasHiddenComponent(absl::string_view path);

// Walks the NUL-separated argument block of an exec event without allocating.
class ArgvIterator {
 public:
  explicit ArgvIterator(absl::string_view argv) : rest_(argv) {}
  // Stores the next argument in *arg; false when there are no more.
  bool Next(absl::string_view* arg);

 private:
  absl::string_view rest_;
};

}  // namespace vigil::event

#endif  // VIGIL_EVENT_EVENT_H_

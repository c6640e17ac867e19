// The process module's events (bpf/process.bpf.c, ABI bpf/abi/process.h): fork, exec and
// exit. These drive the process table, so every other module's events can name the
// process, its executable and its ancestors.
#ifndef VIGIL_EVENT_MODULES_PROCESS_H_
#define VIGIL_EVENT_MODULES_PROCESS_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "bpf/abi/process.h"
#include "event/event_type.h"

namespace vigil::event {

inline constexpr EventType kFork{VIGIL_EVENT_FORK};
inline constexpr EventType kExec{VIGIL_EVENT_EXEC};
inline constexpr EventType kExit{VIGIL_EVENT_EXIT};

// A new task (the event's task is the parent).
struct ForkData {
  uint32_t child_pid = 0;
  uint32_t child_tid = 0;
  bool is_thread = false;
};

// A successful execve/execveat (the event's task is after exec).
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
  // The executed file was a memfd (memfd_create(2)): code that never had a path on disk.
  bool file_is_memfd = false;
  // The executed file had no links at exec (deleted, O_TMPFILE, or a memfd).
  bool file_unlinked = false;
  // The *_before capability sets are the kernel's (VIGIL_EXEC_CREDS_BEFORE). Unlike
  // creds_before_known, never set from the process table, which does not know them.
  bool caps_before_known = false;
  // Capability sets after exec (bit n is capability n, capabilities(7)), and before exec
  // (valid with caps_before_known).
  uint64_t cap_permitted = 0;
  uint64_t cap_effective = 0;
  uint64_t cap_permitted_before = 0;
  uint64_t cap_effective_before = 0;
  // Which of descriptors 0, 1, 2 were IPv4/IPv6 sockets at exec (bit n: descriptor n), and
  // the remote endpoint of the first of them (16-byte address, event/ip.h).
  uint8_t stdio_sockets = 0;
  absl::string_view stdio_raddr;
  uint16_t stdio_rport = 0;
  uint8_t stdio_protocol = 0;

  // The executed file was unlinked and not a memfd: a file that had a name in a
  // filesystem (or was opened O_TMPFILE) and has none now. proc.is_exe_deleted.
  bool file_deleted() const { return file_unlinked && !file_is_memfd; }
  // Capabilities permitted after exec that were not permitted before (caps_before_known).
  uint64_t cap_gained() const { return cap_permitted & ~cap_permitted_before; }
};

// A task ended.
struct ExitData {
  int32_t raw_status = 0;  // (code << 8) | signal, as wait(2) reports it
  bool group_dead = false;

  int exit_status() const { return (raw_status >> 8) & 0xff; }
  int signal() const { return raw_status & 0x7f; }
};

// Walks the NUL-separated argument block of an exec event without allocating.
class ArgvIterator {
 public:
  explicit ArgvIterator(absl::string_view argv) : rest_(argv) {}
  // Stores the next argument in *arg; false when there are no more.
  bool Next(absl::string_view* arg);

 private:
  absl::string_view rest_;
};

namespace process {

// The module's part of event::Event: one member per event type.
struct Payload {
  ForkData fork;
  ExecData exec;
  ExitData exit;
};

}  // namespace process
}  // namespace vigil::event

#endif  // VIGIL_EVENT_MODULES_PROCESS_H_

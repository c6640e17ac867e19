// The file module's events (bpf/file.bpf.c, ABI bpf/abi/file.h): the open family of
// syscalls, with the path resolved by the kernel, and the other file operations
// (file_ops.h).
#ifndef VIGIL_EVENT_MODULES_FILE_H_
#define VIGIL_EVENT_MODULES_FILE_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "bpf/abi/file.h"
#include "event/event_type.h"
#include "event/file_id.h"
#include "event/modules/file_ops.h"

namespace vigil::event {

inline constexpr EventType kOpen{VIGIL_EVENT_OPEN};

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

// Stable name of an open-family syscall ("openat", ...): also its evt.type in rules.
absl::string_view OpenSyscallName(OpenSyscall syscall);

// An open-family syscall returned.
struct OpenData {
  OpenSyscall syscall = OpenSyscall::kOpen;
  absl::string_view path;
  int64_t result = 0;
  uint32_t flags = 0;
  uint32_t mode = 0;
  uint32_t file_mode = 0;
  // The opened file's identity (st_dev as stat(2) reports it, and st_ino) and link count;
  // all 0 when the open failed.
  FileId file;
  uint32_t nlink = 0;
  bool path_truncated = false;
  bool hidden = false;
  bool unresolved = false;
  bool compat = false;
  bool io_uring = false;  // IORING_OP_OPENAT/OPENAT2 rather than a syscall
};

// True when a component of `path` starts with '.' but is not "." or "..": what the
// kernel flags as hidden for resolved paths, applied to unresolved argument strings.
bool HasHiddenComponent(absl::string_view path);

namespace file {

// The module's part of event::Event.
struct Payload {
  OpenData open;
  FileOpData file_op;  // every file-operation type (file_ops.h)
};

}  // namespace file
}  // namespace vigil::event

#endif  // VIGIL_EVENT_MODULES_FILE_H_

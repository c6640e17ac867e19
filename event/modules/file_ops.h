// The file module's operation events (bpf/file_ops.bpf.h, ABI bpf/abi/file_ops.h): removals,
// renames, new directories and links, permission and owner changes, truncation, memfd
// creation and mounts. Part of the file module (file.h), whose schema lists them.
#ifndef VIGIL_EVENT_MODULES_FILE_OPS_H_
#define VIGIL_EVENT_MODULES_FILE_OPS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "bpf/abi/file_ops.h"
#include "event/event_type.h"

namespace vigil::event {

struct EventTypeInfo;
struct FieldInfo;

inline constexpr EventType kUnlink{VIGIL_EVENT_UNLINK};
inline constexpr EventType kRename{VIGIL_EVENT_RENAME};
inline constexpr EventType kMkdir{VIGIL_EVENT_MKDIR};
inline constexpr EventType kLink{VIGIL_EVENT_LINK};
inline constexpr EventType kSymlink{VIGIL_EVENT_SYMLINK};
inline constexpr EventType kChmod{VIGIL_EVENT_CHMOD};
inline constexpr EventType kChown{VIGIL_EVENT_CHOWN};
inline constexpr EventType kTruncate{VIGIL_EVENT_TRUNCATE};
inline constexpr EventType kMemfd{VIGIL_EVENT_MEMFD};
inline constexpr EventType kMount{VIGIL_EVENT_MOUNT};

// Every file-operation event type, as a mask of EventBit()s.
inline constexpr uint32_t kFileOpEvents = EventBit(kUnlink) | EventBit(kRename) | EventBit(kMkdir) |
                                          EventBit(kLink) | EventBit(kSymlink) | EventBit(kChmod) |
                                          EventBit(kChown) | EventBit(kTruncate) |
                                          EventBit(kMemfd) | EventBit(kMount);

// The syscall behind a file-operation event (enum vigil_file_op_syscall).
enum class FileOpSyscall : uint32_t {
  kUnlink = VIGIL_SYS_UNLINK,
  kUnlinkAt = VIGIL_SYS_UNLINKAT,
  kRmdir = VIGIL_SYS_RMDIR,
  kRename = VIGIL_SYS_RENAME,
  kRenameAt = VIGIL_SYS_RENAMEAT,
  kRenameAt2 = VIGIL_SYS_RENAMEAT2,
  kMkdir = VIGIL_SYS_MKDIR,
  kMkdirAt = VIGIL_SYS_MKDIRAT,
  kLink = VIGIL_SYS_LINK,
  kLinkAt = VIGIL_SYS_LINKAT,
  kSymlink = VIGIL_SYS_SYMLINK,
  kSymlinkAt = VIGIL_SYS_SYMLINKAT,
  kChmod = VIGIL_SYS_CHMOD,
  kFchmod = VIGIL_SYS_FCHMOD,
  kFchmodAt = VIGIL_SYS_FCHMODAT,
  kFchmodAt2 = VIGIL_SYS_FCHMODAT2,
  kChown = VIGIL_SYS_CHOWN,
  kFchown = VIGIL_SYS_FCHOWN,
  kLchown = VIGIL_SYS_LCHOWN,
  kFchownAt = VIGIL_SYS_FCHOWNAT,
  kTruncate = VIGIL_SYS_TRUNCATE,
  kFtruncate = VIGIL_SYS_FTRUNCATE,
  kMemfdCreate = VIGIL_SYS_MEMFD_CREATE,
  kMount = VIGIL_SYS_MOUNT,
  kOpenTree = VIGIL_SYS_OPEN_TREE,
  kMoveMount = VIGIL_SYS_MOVE_MOUNT,
};

// Stable name of a file-operation syscall ("unlinkat", ...): also its evt.type in rules.
absl::string_view FileOpSyscallName(FileOpSyscall syscall);
// The event type a file-operation syscall's events have.
EventType FileOpEventType(FileOpSyscall syscall);

// `path` in canonical form, computed without the file system: empty, "." and ".."
// components removed (".." takes the previous component away; at the root it stays at the
// root). Returns `path` itself when it already is canonical, else the result written into
// *storage. Used for the caller's part of a path (FileOpData::from_arg), where a ".."
// after a symlink could make it differ from the kernel's answer (docs/events.md).
absl::string_view LexicallyNormal(absl::string_view path, std::string* storage);

// A file operation finished. `path` is what the operation acts on and `path2` its second
// name, as in struct vigil_file_op_event; FileOpTarget() and FileOpSource() name them by
// role.
struct FileOpData {
  FileOpSyscall syscall = FileOpSyscall::kUnlink;
  int64_t result = 0;
  absl::string_view path;
  absl::string_view path2;
  uint64_t op_flags = 0;
  uint64_t dev = 0;
  uint64_t ino = 0;
  int64_t length = 0;
  uint32_t nlink = 0;
  uint32_t file_mode = 0;
  uint32_t mode = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t old_mode = 0;
  uint32_t old_uid = 0;
  uint32_t old_gid = 0;
  bool path_truncated = false;
  bool path2_truncated = false;
  bool hidden = false;
  bool hidden2 = false;
  bool from_arg = false;   // the last part of `path` is the caller's name
  bool from_arg2 = false;  // ... of `path2`
  bool compat = false;
  bool has_identity = false;   // dev, ino, nlink and file_mode are valid
  bool has_old_attrs = false;  // old_mode, old_uid and old_gid are valid
  bool io_uring = false;
};

namespace file {

// The file-operation event types of the file module's schema.
std::vector<EventTypeInfo> FileOpEventTypes();
// The fields only file-operation events define (fs.*).
std::vector<FieldInfo> FileOpFields();

}  // namespace file
}  // namespace vigil::event

#endif  // VIGIL_EVENT_MODULES_FILE_OPS_H_

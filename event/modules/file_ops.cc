#include "event/modules/file_ops.h"

#include "event/fields.h"

namespace vigil::event {

absl::string_view FileOpSyscallName(FileOpSyscall syscall) {
  switch (syscall) {
    case FileOpSyscall::kUnlink: return "unlink";
    case FileOpSyscall::kUnlinkAt: return "unlinkat";
    case FileOpSyscall::kRmdir: return "rmdir";
    case FileOpSyscall::kRename: return "rename";
    case FileOpSyscall::kRenameAt: return "renameat";
    case FileOpSyscall::kRenameAt2: return "renameat2";
    case FileOpSyscall::kMkdir: return "mkdir";
    case FileOpSyscall::kMkdirAt: return "mkdirat";
    case FileOpSyscall::kLink: return "link";
    case FileOpSyscall::kLinkAt: return "linkat";
    case FileOpSyscall::kSymlink: return "symlink";
    case FileOpSyscall::kSymlinkAt: return "symlinkat";
    case FileOpSyscall::kChmod: return "chmod";
    case FileOpSyscall::kFchmod: return "fchmod";
    case FileOpSyscall::kFchmodAt: return "fchmodat";
    case FileOpSyscall::kFchmodAt2: return "fchmodat2";
    case FileOpSyscall::kChown: return "chown";
    case FileOpSyscall::kFchown: return "fchown";
    case FileOpSyscall::kLchown: return "lchown";
    case FileOpSyscall::kFchownAt: return "fchownat";
    case FileOpSyscall::kTruncate: return "truncate";
    case FileOpSyscall::kFtruncate: return "ftruncate";
    case FileOpSyscall::kMemfdCreate: return "memfd_create";
    case FileOpSyscall::kMount: return "mount";
    case FileOpSyscall::kOpenTree: return "open_tree";
    case FileOpSyscall::kMoveMount: return "move_mount";
  }
  return "unknown";
}

absl::string_view LexicallyNormal(absl::string_view path, std::string* storage) {
  if (path.empty() || path[0] != '/') return path;
  bool canonical = path.size() == 1 || path.back() != '/';
  for (size_t i = 0; canonical && i < path.size(); ++i) {
    if (path[i] != '/') continue;
    absl::string_view rest = path.substr(i + 1);
    canonical = !(rest.empty() && i > 0) && rest.substr(0, 1) != "/" && rest != "." &&
                rest != ".." && rest.substr(0, 2) != "./" && rest.substr(0, 3) != "../";
  }
  if (canonical) return path;
  storage->clear();
  size_t pos = 0;
  while (pos < path.size()) {
    size_t end = path.find('/', pos);
    if (end == absl::string_view::npos) end = path.size();
    absl::string_view part = path.substr(pos, end - pos);
    pos = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      const size_t slash = storage->rfind('/');
      storage->resize(slash == std::string::npos ? 0 : slash);
      continue;
    }
    storage->push_back('/');
    storage->append(part.data(), part.size());
  }
  if (storage->empty()) storage->push_back('/');
  return *storage;
}

EventType FileOpEventType(FileOpSyscall syscall) {
  const auto sys = static_cast<uint32_t>(syscall);
  if (sys <= VIGIL_SYS_RMDIR) return kUnlink;
  if (sys <= VIGIL_SYS_RENAMEAT2) return kRename;
  if (sys <= VIGIL_SYS_MKDIRAT) return kMkdir;
  if (sys <= VIGIL_SYS_LINKAT) return kLink;
  if (sys <= VIGIL_SYS_SYMLINKAT) return kSymlink;
  if (sys <= VIGIL_SYS_FCHMODAT2) return kChmod;
  if (sys <= VIGIL_SYS_FCHOWNAT) return kChown;
  if (sys <= VIGIL_SYS_FTRUNCATE) return kTruncate;
  if (sys == VIGIL_SYS_MEMFD_CREATE) return kMemfd;
  return kMount;
}

namespace file {
namespace {

// Operations whose record carries two names: the source in `path`, the new name in `path2`.
constexpr uint32_t kTwoPathEvents =
    EventBit(kRename) | EventBit(kLink) | EventBit(kSymlink) | EventBit(kMount);

bool HasTwoPaths(const Event& e) { return (EventBit(e.type) & kTwoPathEvents) != 0; }

// The name the operation acts on or creates (fs.path.name).
absl::string_view NamePath(const Event& e) {
  return HasTwoPaths(e) ? e.file_op.path2 : e.file_op.path;
}

absl::string_view FileOpName(const Event& e) { return FileOpSyscallName(e.file_op.syscall); }

}  // namespace

std::vector<EventTypeInfo> FileOpEventTypes() {
  return {
      {kUnlink, "unlink", "", FileOpName, {"unlink", "unlinkat", "rmdir"}},
      {kRename, "rename", "", FileOpName, {"rename", "renameat", "renameat2"}},
      {kMkdir, "mkdir", "", FileOpName, {"mkdir", "mkdirat"}},
      {kLink, "link", "", FileOpName, {"link", "linkat"}},
      {kSymlink, "symlink", "", FileOpName, {"symlink", "symlinkat"}},
      {kChmod, "chmod", "", FileOpName, {"chmod", "fchmod", "fchmodat", "fchmodat2"}},
      {kChown, "chown", "", FileOpName, {"chown", "fchown", "lchown", "fchownat"}},
      {kTruncate, "truncate", "", FileOpName, {"truncate", "ftruncate"}},
      {kMemfd, "memfd", "memfd_create", nullptr, {"memfd_create"}},
      {kMount, "mount", "", FileOpName, {"mount", "open_tree", "move_mount"}},
  };
}

std::vector<FieldInfo> FileOpFields() {
  return {
      {"fs.path.name", FieldType::kPath, kFileOpEvents, false,
       "The path a file operation acts on or creates: the removed, created or changed file, "
       "the memfd's name, the new name of a rename, link or symlink, the mount point.",
       VIGIL_FIELD(return StrValue(NamePath(v.event()));)},
      {"fs.path.filename", FieldType::kString, kFileOpEvents, false,
       "Last component of fs.path.name.",
       VIGIL_FIELD(absl::string_view p = NamePath(v.event()); size_t slash = p.rfind('/');
                   return StrValue(slash == absl::string_view::npos ? p : p.substr(slash + 1));)},
      {"fs.path.source", FieldType::kPath, kTwoPathEvents, false,
       "The old name of a rename, the existing file a hard link names, the literal target of a "
       "symlink, the source of a mount.",
       VIGIL_FIELD(return StrValue(v.event().file_op.path);)},
      {"fs.path.target", FieldType::kPath, kTwoPathEvents, false,
       "The new name of a rename, link or symlink, or the mount point (same as fs.path.name).",
       VIGIL_FIELD(return StrValue(v.event().file_op.path2);)},
      {"fs.path.hidden", FieldType::kBool, kFileOpEvents, false,
       "A component of fs.path.name starts with '.' (Vigil).",
       VIGIL_FIELD(const Event& e = v.event();
                   return NumValue(HasTwoPaths(e) ? e.file_op.hidden2 : e.file_op.hidden);)},
      {"fs.path.is_from_arg", FieldType::kBool, kFileOpEvents, false,
       "The last part of fs.path.name is the caller's name appended to the directory the "
       "kernel resolved, not walked from the file itself (Vigil; see docs/events.md).",
       VIGIL_FIELD(const Event& e = v.event();
                   return NumValue(HasTwoPaths(e) ? e.file_op.from_arg2 : e.file_op.from_arg);)},
      {"fs.mode", FieldType::kFlags, EventBit(kChmod) | EventBit(kMkdir), false,
       "The mode a chmod sets, or the mode a mkdir was given (permission bits, setuid 04000, "
       "setgid 02000, sticky 01000).",
       VIGIL_FIELD(return NumValue(v.event().file_op.mode);)},
      {"fs.mode.is_world_writable", FieldType::kBool, EventBit(kChmod), false,
       "The mode a chmod sets lets everyone write (o+w) and is not sticky (01000): a file or "
       "directory anyone can change.",
       VIGIL_FIELD(const uint32_t m = v.event().file_op.mode;
                   return NumValue((m & 02) != 0 && (m & 01000) == 0);)},
      {"fs.mode.is_setuid", FieldType::kBool, EventBit(kChmod), false,
       "The mode a chmod sets has the set-user-id bit (04000).",
       VIGIL_FIELD(return NumValue((v.event().file_op.mode & 04000) != 0);)},
      {"fs.mode.is_setgid", FieldType::kBool, EventBit(kChmod), false,
       "The mode a chmod sets has the set-group-id bit (02000).",
       VIGIL_FIELD(return NumValue((v.event().file_op.mode & 02000) != 0);)},
      {"fs.old_mode", FieldType::kFlags, EventBit(kChmod) | EventBit(kChown), false,
       "st_mode before a chmod or chown, where the kernel showed it (not present otherwise).",
       VIGIL_FIELD(const FileOpData& f = v.event().file_op;
                   return f.has_old_attrs ? NumValue(f.old_mode) : AbsentValue();)},
      {"fs.uid", FieldType::kUid, EventBit(kChown), false,
       "The owner a chown sets (4294967295: left unchanged).",
       VIGIL_FIELD(return NumValue(v.event().file_op.uid);)},
      {"fs.gid", FieldType::kInt, EventBit(kChown), false,
       "The group a chown sets (4294967295: left unchanged).",
       VIGIL_FIELD(return NumValue(v.event().file_op.gid);)},
      {"fs.length", FieldType::kInt, EventBit(kTruncate), false, "The length a truncate sets.",
       VIGIL_FIELD(return NumValue(v.event().file_op.length);)},
      {"fs.flags", FieldType::kFlags, kFileOpEvents, false,
       "The operation's flags argument: AT_* (unlinkat, linkat, fchmodat2, fchownat), "
       "RENAME_* (renameat2), MFD_* (memfd_create), MS_* (mount), OPEN_TREE_* (open_tree), "
       "MOVE_MOUNT_* (move_mount); 0 when it has none.",
       VIGIL_FIELD(return NumValue(static_cast<int64_t>(v.event().file_op.op_flags));)},
      {"fs.is_bind_mount", FieldType::kBool, EventBit(kMount), false,
       "The mount is a bind mount: mount with MS_BIND, or open_tree with OPEN_TREE_CLONE (a "
       "copy of the tree that move_mount can attach anywhere).",
       VIGIL_FIELD(const FileOpData& f = v.event().file_op; return NumValue(
                       f.syscall == FileOpSyscall::kOpenTree
                           ? (f.op_flags & 0x1) != 0
                           : f.syscall == FileOpSyscall::kMount && (f.op_flags & 0x1000) != 0);)},
      {"evt.is_io_uring", FieldType::kBool, EventBit(kOpen) | kFileOpEvents, false,
       "The open or file operation was submitted through io_uring (IORING_OP_OPENAT, "
       "UNLINKAT, ...) rather than a syscall (Vigil).",
       VIGIL_FIELD(const Event& e = v.event();
                   return NumValue(e.type == kOpen ? e.open.io_uring : e.file_op.io_uring);)},
  };
}

}  // namespace file
}  // namespace vigil::event

#include "event/modules/file.h"

#include <fcntl.h>

#include "event/fields.h"

namespace vigil::event {

absl::string_view OpenSyscallName(OpenSyscall syscall) {
  switch (syscall) {
    case OpenSyscall::kOpen: return "open";
    case OpenSyscall::kOpenAt: return "openat";
    case OpenSyscall::kOpenAt2: return "openat2";
    case OpenSyscall::kCreat: return "creat";
    case OpenSyscall::kOpenByHandleAt: return "open_by_handle_at";
  }
  return "unknown";
}

bool HasHiddenComponent(absl::string_view path) {
  size_t pos = 0;
  while (pos < path.size()) {
    size_t end = path.find('/', pos);
    if (end == absl::string_view::npos) end = path.size();
    absl::string_view part = path.substr(pos, end - pos);
    if (!part.empty() && part[0] == '.' && part != "." && part != "..") return true;
    pos = end + 1;
  }
  return false;
}

namespace file {
namespace {

// True when the open succeeded, so the event carries the opened file's identity.
bool Opened(const Event& e) { return e.open.result >= 0; }

// True when the event says which file it is: a successful open, or a file operation the
// kernel saw on the file itself (FileOpData::has_identity).
bool HasIdentity(const Event& e) { return e.type == kOpen ? Opened(e) : e.file_op.has_identity; }

// The identity and link count of the file (valid with HasIdentity).
FileId IdentityOf(const Event& e) {
  return e.type == kOpen ? e.open.file : FileId{e.file_op.dev, e.file_op.ino};
}
uint32_t NlinkOf(const Event& e) { return e.type == kOpen ? e.open.nlink : e.file_op.nlink; }

// Opens and file operations: the events with a file identity.
constexpr uint32_t kFileEvents = EventBit(kOpen) | kFileOpEvents;

// st_mode of the file an open opened or an exec executed.
uint32_t FileMode(const Event& e) { return e.type == kExec ? e.exec.file_mode : e.open.file_mode; }

// The syscall's return value: an open's or a file operation's.
int64_t Result(const Event& e) { return e.type == kOpen ? e.open.result : e.file_op.result; }

// The module's schema: opens, then the file operations of file_ops.cc.
ModuleSchema* MakeSchema() {
  auto* schema = new ModuleSchema{
      "file",
      "Opens of files (open, openat, openat2, creat, open_by_handle_at) and the other file "
      "operations (unlink, rename, mkdir, link, symlink, chmod, chown, truncate, memfd_create, "
      "mount), paths resolved in the kernel and filtered by the interest set.",
      {
          {kOpen,
           "open",
           "",
           [](const Event& e) { return OpenSyscallName(e.open.syscall); },
           {"open", "openat", "openat2", "creat", "open_by_handle_at"}},
      },
      {
          {"evt.is_open_read", FieldType::kBool, EventBit(kOpen), false,
           "The file was opened for reading (O_RDONLY or O_RDWR).",
           VIGIL_FIELD(return NumValue((v.event().open.flags & O_ACCMODE) != O_WRONLY);)},
          {"evt.is_open_write", FieldType::kBool, EventBit(kOpen), false,
           "The file was opened for writing (O_WRONLY or O_RDWR, or created).",
           VIGIL_FIELD(const uint32_t f = v.event().open.flags; return NumValue(
                           (f & O_ACCMODE) != O_RDONLY || (f & (O_CREAT | O_TRUNC)) != 0);)},
          {"fd.name", FieldType::kPath, EventBit(kOpen), false,
           "Absolute path of the opened file, resolved by the kernel (for failed opens: the "
           "path as the caller gave it).",
           VIGIL_FIELD(return StrValue(v.event().open.path);)},
          {"fd.directory", FieldType::kPath, EventBit(kOpen), false, "Directory part of fd.name.",
           VIGIL_FIELD(absl::string_view p = v.event().open.path; size_t slash = p.rfind('/');
                       if (slash == absl::string_view::npos) return StrValue(absl::string_view());
                       return StrValue(slash == 0 ? p.substr(0, 1) : p.substr(0, slash));)},
          {"fd.filename", FieldType::kString, EventBit(kOpen), false, "File-name part of fd.name.",
           VIGIL_FIELD(
               absl::string_view p = v.event().open.path; size_t slash = p.rfind('/');
               return StrValue(slash == absl::string_view::npos ? p : p.substr(slash + 1));)},
          {"fd.dev", FieldType::kInt, kFileEvents, false,
           "Device of the opened file (or of the file a file operation acted on, where the "
           "kernel showed it), as stat(2) reports st_dev (makedev(major, minor)); absent when "
           "the open failed or the file is not known.",
           VIGIL_FIELD(if (!HasIdentity(v.event())) return AbsentValue();
                       return NumValue(static_cast<int64_t>(IdentityOf(v.event()).dev));)},
          {"fd.ino", FieldType::kInt, kFileEvents, false,
           "Inode number of the file (as fd.dev); absent when not known.",
           VIGIL_FIELD(if (!HasIdentity(v.event())) return AbsentValue();
                       return NumValue(static_cast<int64_t>(IdentityOf(v.event()).ino));)},
          {"fd.nlink", FieldType::kInt, kFileEvents, false,
           "Hard links to the file (st_nlink; as fd.dev); absent when not known.",
           VIGIL_FIELD(if (!HasIdentity(v.event())) return AbsentValue();
                       return NumValue(NlinkOf(v.event()));)},
          {"fd.file", FieldType::kFile, kFileEvents, false,
           "Identity of the file (fd.dev, fd.ino), whatever path reached it. Only "
           "`fd.file in (PATHS)`: true when it is the file a listed path names now.",
           VIGIL_FIELD(if (!HasIdentity(v.event())) return AbsentValue();
                       return FileValue(IdentityOf(v.event()));)},
          {"fd.hidden", FieldType::kBool, EventBit(kOpen), false,
           "A component of fd.name starts with '.' (Vigil; computed in the kernel).",
           VIGIL_FIELD(return NumValue(v.event().open.hidden);)},
          {"file.mode", FieldType::kFlags, EventBit(kOpen) | EventBit(kExec), false,
           "st_mode of the opened or executed file (type and permission bits).",
           VIGIL_FIELD(return NumValue(FileMode(v.event()));)},
          {"file.uid", FieldType::kUid, EventBit(kExec), false, "Owner of the executed file.",
           VIGIL_FIELD(return NumValue(v.event().exec.file_uid);)},
          {"file.is_setuid", FieldType::kBool, EventBit(kOpen) | EventBit(kExec), false,
           "The file has the set-user-id bit.",
           VIGIL_FIELD(return NumValue((FileMode(v.event()) & 04000) != 0);)},
          {"file.is_setgid", FieldType::kBool, EventBit(kOpen) | EventBit(kExec), false,
           "The file has the set-group-id bit.",
           VIGIL_FIELD(return NumValue((FileMode(v.event()) & 02000) != 0);)},
      },
  };
  for (EventTypeInfo& info : FileOpEventTypes()) schema->event_types.push_back(std::move(info));
  for (EventTypeInfo& info : schema->event_types) info.result_of = Result;
  for (FieldInfo& field : FileOpFields()) schema->fields.push_back(std::move(field));
  return schema;
}

}  // namespace

const ModuleSchema& Schema() {
  static const ModuleSchema* schema = MakeSchema();
  return *schema;
}

}  // namespace file
}  // namespace vigil::event

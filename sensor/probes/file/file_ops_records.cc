// The file module's operation records (bpf/abi/file_ops.h): decoded into
// event::FileOpData and written as JSON (docs/events.md).
#include "sensor/probes/file/file_ops_records.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "bpf/abi/file_ops.h"
#include "event/modules/file.h"
#include "sensor/output/json_writer.h"

namespace vigil::sensor::probes::file {
namespace {

constexpr uint64_t kMsBind = 0x1000;
constexpr uint64_t kMsMove = 0x2000;

// Where canonical forms of a record's paths are kept: valid until the next file-operation
// record is decoded on this thread, which outlives the event (one record at a time).
std::string* NormalPaths() {
  thread_local std::string paths[2];
  return paths;
}

DecodeResult DecodeFileOp(const Record& record, event::Event* event) {
  const auto e = record.Load<vigil_file_op_event>();
  if (e.path_len > VIGIL_FILE_OP_PATH_MAX || e.path2_len > VIGIL_FILE_OP_PATH_MAX) {
    return DecodeFailure{DecodeError::kBadLength,
                         absl::StrCat("path_len ", e.path_len, ", path2_len ", e.path2_len)};
  }
  if (e.syscall < VIGIL_SYS_UNLINK || e.syscall > VIGIL_SYS_FILE_OP_LAST) {
    return DecodeFailure{DecodeError::kUnknownType, absl::StrCat("file syscall ", e.syscall)};
  }
  const auto syscall = static_cast<event::FileOpSyscall>(e.syscall);
  if (event::FileOpEventType(syscall) != event->type) {
    return DecodeFailure{DecodeError::kUnknownType,
                         absl::StrCat("syscall ", event::FileOpSyscallName(syscall),
                                      " in a record of type ", e.hdr.type)};
  }
  if (DecodeResult bad =
          CheckTail(record, sizeof(vigil_file_op_event), size_t{e.path_len} + e.path2_len)) {
    return bad;
  }
  event::FileOpData& f = event->file_op;
  f.syscall = syscall;
  f.result = e.result;
  f.path = record.Text(sizeof(vigil_file_op_event), e.path_len);
  f.path2 = record.Text(sizeof(vigil_file_op_event) + e.path_len, e.path2_len);
  f.from_arg = e.flags & VIGIL_FILE_OP_PATH_FROM_ARG;
  f.from_arg2 = e.flags & VIGIL_FILE_OP_PATH2_FROM_ARG;
  // A caller's name in the path may hold "." and ".." ("/tmp/../etc/shadow"): rules see
  // the canonical form. A symlink's target and a mount's device are names, not paths.
  const bool path_is_name =
      event->type == event::kSymlink ||
      (syscall == event::FileOpSyscall::kMount && (e.op_flags & (kMsBind | kMsMove)) == 0);
  if (f.from_arg && !path_is_name) f.path = event::LexicallyNormal(f.path, &NormalPaths()[0]);
  if (f.from_arg2) f.path2 = event::LexicallyNormal(f.path2, &NormalPaths()[1]);
  f.op_flags = e.op_flags;
  f.has_identity = e.flags & VIGIL_FILE_OP_IDENTITY;
  f.dev = f.has_identity ? e.dev : 0;
  f.ino = f.has_identity ? e.ino : 0;
  f.nlink = f.has_identity ? e.nlink : 0;
  f.file_mode = f.has_identity ? e.file_mode : 0;
  f.length = e.length;
  f.mode = e.mode;
  f.uid = e.uid;
  f.gid = e.gid;
  f.has_old_attrs = e.flags & VIGIL_FILE_OP_OLD_ATTRS;
  f.old_mode = f.has_old_attrs ? e.old_mode : 0;
  f.old_uid = f.has_old_attrs ? e.old_uid : 0;
  f.old_gid = f.has_old_attrs ? e.old_gid : 0;
  f.path_truncated = e.flags & VIGIL_FILE_OP_PATH_TRUNCATED;
  f.path2_truncated = e.flags & VIGIL_FILE_OP_PATH2_TRUNCATED;
  f.compat = e.flags & VIGIL_FILE_OP_COMPAT;
  f.io_uring = e.flags & VIGIL_FILE_OP_IO_URING;
  // The kernel scans only the end of a caller's name; the whole string is decided here.
  f.hidden =
      f.from_arg ? event::HasHiddenComponent(f.path) : (e.flags & VIGIL_FILE_OP_PATH_HIDDEN) != 0;
  f.hidden2 = f.from_arg2 ? event::HasHiddenComponent(f.path2)
                          : (e.flags & VIGIL_FILE_OP_PATH2_HIDDEN) != 0;
  return std::nullopt;
}

void FileOpJson(const event::Event& event, JsonWriter* w) {
  const event::FileOpData& f = event.file_op;
  w->String("syscall", event::FileOpSyscallName(f.syscall));
  w->String("path", f.path);
  w->String("path2", f.path2);
  w->Int("result", f.result);
  w->Uint("op_flags", f.op_flags);
  w->Uint("mode", f.mode);
  w->Uint("owner_uid", f.uid);
  w->Uint("owner_gid", f.gid);
  w->Int("length", f.length);
  w->Bool("has_identity", f.has_identity);
  if (f.has_identity) {
    w->Uint("dev", f.dev);
    w->Uint("ino", f.ino);
    w->Uint("nlink", f.nlink);
    w->Uint("file_mode", f.file_mode);
  }
  w->Bool("has_old_attrs", f.has_old_attrs);
  if (f.has_old_attrs) {
    w->Uint("old_mode", f.old_mode);
    w->Uint("old_uid", f.old_uid);
    w->Uint("old_gid", f.old_gid);
  }
  w->Bool("path_truncated", f.path_truncated);
  w->Bool("path2_truncated", f.path2_truncated);
  w->Bool("hidden", f.hidden);
  w->Bool("hidden2", f.hidden2);
  w->Bool("from_arg", f.from_arg);
  w->Bool("from_arg2", f.from_arg2);
  w->Bool("compat", f.compat);
  w->Bool("io_uring", f.io_uring);
}

}  // namespace

std::vector<RecordType> FileOpRecords() {
  std::vector<RecordType> records;
  for (event::EventType type :
       {event::kUnlink, event::kRename, event::kMkdir, event::kLink, event::kSymlink, event::kChmod,
        event::kChown, event::kTruncate, event::kMemfd, event::kMount}) {
    records.push_back({type, sizeof(vigil_file_op_event), DecodeFileOp, FileOpJson});
  }
  return records;
}

}  // namespace vigil::sensor::probes::file

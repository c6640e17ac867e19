// The file module's records (bpf/abi/file.h): decoded into event::OpenData and written
// as JSON (docs/events.md).
#include "absl/strings/str_cat.h"
#include "bpf/abi/file.h"
#include "event/file_id.h"
#include "sensor/output/json_writer.h"
#include "sensor/probes/file/file_ops_records.h"
#include "sensor/probes/record_registry.h"

namespace vigil::sensor::probes::file {
namespace {

DecodeResult DecodeOpen(const Record& record, event::Event* event) {
  const auto e = record.Load<vigil_open_event>();
  if (e.path_len > VIGIL_PATH_MAX) {
    return DecodeFailure{DecodeError::kBadLength, absl::StrCat("path_len ", e.path_len)};
  }
  if (e.syscall < VIGIL_SYS_OPEN || e.syscall > VIGIL_SYS_OPEN_BY_HANDLE_AT) {
    return DecodeFailure{DecodeError::kUnknownType, absl::StrCat("open syscall ", e.syscall)};
  }
  if (DecodeResult bad = CheckTail(record, sizeof(vigil_open_event), e.path_len)) return bad;
  event::OpenData& o = event->open;
  o.syscall = static_cast<event::OpenSyscall>(e.syscall);
  o.path = record.Text(sizeof(vigil_open_event), e.path_len);
  o.result = e.result;
  o.flags = e.open_flags;
  o.mode = e.mode;
  o.file_mode = e.file_mode;
  o.file = event::FileId{e.dev == 0 && e.ino == 0 ? 0 : event::KernelDevToUser(e.dev), e.ino};
  o.nlink = e.nlink;
  o.path_truncated = e.flags & VIGIL_OPEN_PATH_TRUNCATED;
  o.hidden = e.flags & VIGIL_OPEN_PATH_HIDDEN;
  o.unresolved = e.flags & VIGIL_OPEN_PATH_UNRESOLVED;
  o.compat = e.flags & VIGIL_OPEN_COMPAT;
  o.io_uring = e.flags & VIGIL_OPEN_IO_URING;
  if (o.unresolved) o.hidden = event::HasHiddenComponent(o.path);
  return std::nullopt;
}

void OpenJson(const event::Event& event, JsonWriter* w) {
  const event::OpenData& o = event.open;
  w->String("syscall", event::OpenSyscallName(o.syscall));
  w->String("path", o.path);
  w->Int("result", o.result);
  w->Uint("flags", o.flags);
  w->Uint("mode", o.mode);
  w->Uint("file_mode", o.file_mode);
  w->Uint("dev", o.file.dev);
  w->Uint("ino", o.file.ino);
  w->Uint("nlink", o.nlink);
  w->Bool("path_truncated", o.path_truncated);
  w->Bool("hidden", o.hidden);
  w->Bool("unresolved", o.unresolved);
  w->Bool("compat", o.compat);
  w->Bool("io_uring", o.io_uring);
}

}  // namespace

const std::vector<RecordType>& Records() {
  static const auto* records = [] {
    auto* all = new std::vector<RecordType>{
        {event::kOpen, sizeof(vigil_open_event), DecodeOpen, OpenJson},
    };
    for (const RecordType& type : FileOpRecords()) all->push_back(type);
    return all;
  }();
  return *records;
}

}  // namespace vigil::sensor::probes::file

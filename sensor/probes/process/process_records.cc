// The process module's records (bpf/abi/process.h): decoded into event::ForkData,
// ExecData and ExitData, and written as JSON (docs/events.md).
#include <cstddef>

#include "absl/strings/str_cat.h"
#include "bpf/abi/process.h"
#include "event/ip.h"
#include "sensor/output/json_writer.h"
#include "sensor/probes/record_registry.h"

namespace vigil::sensor::probes::process {
namespace {

DecodeResult DecodeFork(const Record& record, event::Event* event) {
  if (DecodeResult bad = CheckTail(record, sizeof(vigil_fork_event), 0)) return bad;
  const auto e = record.Load<vigil_fork_event>();
  event->fork.child_pid = e.child_tgid;
  event->fork.child_tid = e.child_pid;
  event->fork.is_thread = e.flags & VIGIL_FORK_THREAD;
  return std::nullopt;
}

DecodeResult DecodeExec(const Record& record, event::Event* event) {
  const auto e = record.Load<vigil_exec_event>();
  if (e.path_len > VIGIL_PATH_MAX || e.argv_len > VIGIL_ARGV_MAX) {
    return DecodeFailure{DecodeError::kBadLength,
                         absl::StrCat("path_len ", e.path_len, ", argv_len ", e.argv_len)};
  }
  if (DecodeResult bad =
          CheckTail(record, sizeof(vigil_exec_event), size_t{e.path_len} + e.argv_len)) {
    return bad;
  }
  event::ExecData& x = event->exec;
  x.exe = record.Text(sizeof(vigil_exec_event), e.path_len);
  x.argv = record.Text(sizeof(vigil_exec_event) + e.path_len, e.argv_len);
  x.exe_truncated = e.flags & VIGIL_EXEC_PATH_TRUNCATED;
  x.args_truncated = e.flags & VIGIL_EXEC_ARGV_TRUNCATED;
  x.old_tid = e.old_pid;
  x.creds_before_known = e.flags & VIGIL_EXEC_CREDS_BEFORE;
  x.uid_before = e.uid_before;
  x.euid_before = e.euid_before;
  x.gid_before = e.gid_before;
  x.egid_before = e.egid_before;
  x.egid = e.egid;
  x.file_mode = e.file_mode;
  x.file_uid = e.file_uid;
  x.file_gid = e.file_gid;
  x.file_is_memfd = e.flags & VIGIL_EXEC_FILE_MEMFD;
  x.file_unlinked = e.flags & VIGIL_EXEC_FILE_UNLINKED;
  x.caps_before_known = e.flags & VIGIL_EXEC_CREDS_BEFORE;
  x.cap_permitted = e.cap_permitted;
  x.cap_effective = e.cap_effective;
  x.cap_permitted_before = e.cap_permitted_before;
  x.cap_effective_before = e.cap_effective_before;
  x.stdio_sockets = e.stdio_sockets & 7;
  x.stdio_raddr = record.Text(offsetof(vigil_exec_event, stdio_raddr), sizeof(e.stdio_raddr));
  x.stdio_rport = e.stdio_rport;
  x.stdio_protocol = e.stdio_protocol;
  return std::nullopt;
}

DecodeResult DecodeExit(const Record& record, event::Event* event) {
  if (DecodeResult bad = CheckTail(record, sizeof(vigil_exit_event), 0)) return bad;
  const auto e = record.Load<vigil_exit_event>();
  event->exit.raw_status = e.exit_code;
  event->exit.group_dead = e.flags & VIGIL_EXIT_GROUP_DEAD;
  return std::nullopt;
}

void ForkJson(const event::Event& event, JsonWriter* w) {
  w->Uint("child_pid", event.fork.child_pid);
  w->Uint("child_tid", event.fork.child_tid);
  w->Bool("is_thread", event.fork.is_thread);
}

void ExecJson(const event::Event& event, JsonWriter* w) {
  const event::ExecData& x = event.exec;
  w->String("exe", x.exe);
  w->BeginArray("args");
  event::ArgvIterator it(x.argv);
  absl::string_view arg;
  while (it.Next(&arg)) w->ArrayString(arg);
  w->EndArray();
  w->Bool("exe_truncated", x.exe_truncated);
  w->Bool("args_truncated", x.args_truncated);
  w->Uint("old_tid", x.old_tid);
  w->Uint("egid", x.egid);
  w->Uint("file_mode", x.file_mode);
  w->Uint("file_uid", x.file_uid);
  w->Uint("file_gid", x.file_gid);
  w->Bool("setuid", x.file_mode & 04000);
  w->Bool("setgid", x.file_mode & 02000);
  w->Bool("exe_memfd", x.file_is_memfd);
  w->Bool("exe_unlinked", x.file_unlinked);
  w->Uint("cap_permitted", x.cap_permitted);
  w->Uint("cap_effective", x.cap_effective);
  if (x.stdio_sockets != 0) {
    w->Uint("stdio_sockets", x.stdio_sockets);
    w->String("stdio_rip", event::FormatIp(x.stdio_raddr));
    w->Uint("stdio_rport", x.stdio_rport);
    w->String("stdio_l4proto", event::L4ProtoName(x.stdio_protocol));
  }
  w->Bool("creds_before_known", x.creds_before_known);
  if (x.creds_before_known) {
    w->Uint("uid_before", x.uid_before);
    w->Uint("euid_before", x.euid_before);
    w->Uint("gid_before", x.gid_before);
    w->Uint("egid_before", x.egid_before);
  }
  if (x.caps_before_known) {
    w->Uint("cap_permitted_before", x.cap_permitted_before);
    w->Uint("cap_effective_before", x.cap_effective_before);
  }
}

void ExitJson(const event::Event& event, JsonWriter* w) {
  w->Int("exit_status", event.exit.exit_status());
  w->Int("signal", event.exit.signal());
  w->Bool("group_dead", event.exit.group_dead);
}

}  // namespace

const std::vector<RecordType>& Records() {
  static const auto* records = new std::vector<RecordType>{
      {event::kFork, sizeof(vigil_fork_event), DecodeFork, ForkJson},
      {event::kExec, sizeof(vigil_exec_event), DecodeExec, ExecJson},
      {event::kExit, sizeof(vigil_exit_event), DecodeExit, ExitJson},
  };
  return *records;
}

}  // namespace vigil::sensor::probes::process

#include "sensor/event_json.h"

#include "sensor/json_writer.h"

namespace vigil::sensor {

void AppendEventJson(const event::Event& event, const event::ProcessInfo* parent,
                     std::string* out) {
  JsonWriter w(out);
  const event::TaskContext& t = event.task;
  w.BeginObject();
  w.String("type", event::EventTypeName(event.type));
  w.Uint("time_boot_ns", t.time_boot_ns);
  w.Uint("pid", t.pid);
  w.Uint("tid", t.tid);
  w.Uint("ppid", t.ppid);
  w.Uint("uid", t.uid);
  w.Uint("euid", t.euid);
  w.Uint("gid", t.gid);
  w.Uint("loginuid", t.loginuid);
  w.Uint("cgroup_id", t.cgroup_id);
  w.Uint("mntns", t.mntns);
  w.Uint("pidns", t.pidns);
  w.String("comm", t.comm);
  if (parent != nullptr) {
    w.String("pcomm", parent->comm);
    w.String("pexe", parent->exe);
  }
  switch (event.type) {
    case event::EventType::kFork:
      w.Uint("child_pid", event.fork.child_pid);
      w.Uint("child_tid", event.fork.child_tid);
      w.Bool("is_thread", event.fork.is_thread);
      break;
    case event::EventType::kExec: {
      const event::ExecData& x = event.exec;
      w.String("exe", x.exe);
      w.BeginArray("args");
      event::ArgvIterator it(x.argv);
      absl::string_view arg;
      while (it.Next(&arg)) w.ArrayString(arg);
      w.EndArray();
      w.Bool("exe_truncated", x.exe_truncated);
      w.Bool("args_truncated", x.args_truncated);
      w.Uint("old_tid", x.old_tid);
      w.Uint("egid", x.egid);
      w.Uint("file_mode", x.file_mode);
      w.Uint("file_uid", x.file_uid);
      w.Uint("file_gid", x.file_gid);
      w.Bool("setuid", x.file_mode & 04000);
      w.Bool("setgid", x.file_mode & 02000);
      w.Bool("creds_before_known", x.creds_before_known);
      if (x.creds_before_known) {
        w.Uint("uid_before", x.uid_before);
        w.Uint("euid_before", x.euid_before);
        w.Uint("gid_before", x.gid_before);
        w.Uint("egid_before", x.egid_before);
      }
      break;
    }
    case event::EventType::kExit:
      w.Int("exit_status", event.exit.exit_status());
      w.Int("signal", event.exit.signal());
      w.Bool("group_dead", event.exit.group_dead);
      break;
    case event::EventType::kOpen: {
      const event::OpenData& o = event.open;
      w.String("syscall", event::OpenSyscallName(o.syscall));
      w.String("path", o.path);
      w.Int("result", o.result);
      w.Uint("flags", o.flags);
      w.Uint("mode", o.mode);
      w.Uint("file_mode", o.file_mode);
      w.Bool("path_truncated", o.path_truncated);
      w.Bool("hidden", o.hidden);
      w.Bool("unresolved", o.unresolved);
      w.Bool("compat", o.compat);
      break;
    }
  }
  w.EndObject();
  out->push_back('\n');
}

}  // namespace vigil::sensor

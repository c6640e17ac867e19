#include "event/modules/process.h"

#include "event/fields.h"

namespace vigil::event {

bool ArgvIterator::Next(absl::string_view* arg) {
  if (rest_.empty()) return false;
  size_t end = rest_.find('\0');
  if (end == absl::string_view::npos) {
    *arg = rest_;
    rest_ = {};
  } else {
    *arg = rest_.substr(0, end);
    rest_.remove_prefix(end + 1);
  }
  return true;
}

namespace process {
namespace {

// A capability mask of an exec as a field value: present only when the kernel reported
// the credentials before exec.
FieldValue CapsBeforeKnown(const ExecData& x, uint64_t mask) {
  return x.caps_before_known ? NumValue(static_cast<int64_t>(mask)) : AbsentValue();
}

}  // namespace

const ModuleSchema& Schema() {
  static const auto* schema = new ModuleSchema{
      "process",
      "Process lifecycle: fork/clone, exec with the credential transition, exit.",
      {
          {kFork, "fork", "clone", nullptr, {"clone"}},
          {kExec, "exec", "execve", nullptr, {"execve"}},
          {kExit, "exit", "procexit", nullptr, {"procexit"}},
      },
      {
          {"user.uid_before", FieldType::kUid, EventBit(kExec), false,
           "Real user id just before exec (Vigil).",
           VIGIL_FIELD(const auto& x = v.event().exec;
                       return x.creds_before_known ? NumValue(x.uid_before) : AbsentValue();)},
          {"user.euid_before", FieldType::kUid, EventBit(kExec), false,
           "Effective user id just before exec (Vigil): with user.euid it shows a setuid "
           "transition.",
           VIGIL_FIELD(const auto& x = v.event().exec;
                       return x.creds_before_known ? NumValue(x.euid_before) : AbsentValue();)},
          {"group.egid", FieldType::kUid, EventBit(kExec), false, "Effective group id after exec.",
           VIGIL_FIELD(return NumValue(v.event().exec.egid);)},
          {"group.egid_before", FieldType::kUid, EventBit(kExec), false,
           "Effective group id just before exec (Vigil): with group.egid it shows a setgid "
           "transition.",
           VIGIL_FIELD(const auto& x = v.event().exec;
                       return x.creds_before_known ? NumValue(x.egid_before) : AbsentValue();)},
          {"proc.is_exe_deleted", FieldType::kBool, EventBit(kExec), false,
           "The executed file had no links at exec: deleted, or created with O_TMPFILE and "
           "never linked (Vigil). A memfd is not counted here (proc.is_exe_from_memfd).",
           VIGIL_FIELD(return NumValue(v.event().exec.file_deleted());)},
          {"proc.cap_permitted", FieldType::kInt, EventBit(kExec), false,
           "Permitted capability set after exec, a 64-bit mask: bit n is capability n of "
           "capabilities(7) (CAP_NET_RAW, 13, is 8192). Falco's field of this name is a list "
           "of names; Vigil's is the number.",
           VIGIL_FIELD(return NumValue(static_cast<int64_t>(v.event().exec.cap_permitted));)},
          {"proc.cap_effective", FieldType::kInt, EventBit(kExec), false,
           "Effective capability set after exec, a mask like proc.cap_permitted.",
           VIGIL_FIELD(return NumValue(static_cast<int64_t>(v.event().exec.cap_effective));)},
          {"proc.cap_permitted_before", FieldType::kInt, EventBit(kExec), false,
           "Permitted capability set just before exec (Vigil).",
           VIGIL_FIELD(const auto& x = v.event().exec;
                       return CapsBeforeKnown(x, x.cap_permitted_before);)},
          {"proc.cap_effective_before", FieldType::kInt, EventBit(kExec), false,
           "Effective capability set just before exec (Vigil).",
           VIGIL_FIELD(const auto& x = v.event().exec;
                       return CapsBeforeKnown(x, x.cap_effective_before);)},
          {"proc.cap_gained", FieldType::kInt, EventBit(kExec), false,
           "Capabilities permitted after exec that were not permitted before: what the exec "
           "granted, through file capabilities or a setuid-root file; 0 when nothing "
           "(Vigil).",
           VIGIL_FIELD(const auto& x = v.event().exec; return CapsBeforeKnown(x, x.cap_gained());)},
          {"proc.is_stdin_socket", FieldType::kBool, EventBit(kExec), false,
           "At exec, standard input was an IPv4 or IPv6 socket (a program reading commands "
           "from a network connection: a reverse or bind shell) (Vigil).",
           VIGIL_FIELD(return NumValue((v.event().exec.stdio_sockets & 1) != 0);)},
          {"proc.is_stdout_socket", FieldType::kBool, EventBit(kExec), false,
           "At exec, standard output or standard error was an IPv4 or IPv6 socket (Vigil).",
           VIGIL_FIELD(return NumValue((v.event().exec.stdio_sockets & 6) != 0);)},
          {"proc.stdio_rip", FieldType::kIp, EventBit(kExec), false,
           "Remote address of the first of standard input, output and error that was a "
           "network socket at exec; absent when none was (Vigil).",
           VIGIL_FIELD(const auto& x = v.event().exec;
                       if (x.stdio_sockets == 0) return AbsentValue();
                       return StrValue(x.stdio_raddr);)},
          {"proc.stdio_rport", FieldType::kInt, EventBit(kExec), false,
           "Remote port of that socket (as proc.stdio_rip) (Vigil).",
           VIGIL_FIELD(const auto& x = v.event().exec;
                       if (x.stdio_sockets == 0) return AbsentValue();
                       return NumValue(x.stdio_rport);)},
      },
  };
  return *schema;
}

}  // namespace process
}  // namespace vigil::event

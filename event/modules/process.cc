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
      },
  };
  return *schema;
}

}  // namespace process
}  // namespace vigil::event

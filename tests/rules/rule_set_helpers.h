// Helpers of the RuleSet tests (rule_set_test.cc, rule_set_compile_test.cc and
// rule_set_index_test.cc): the event-type masks, exec and open events seen through
// FakeEventView, and compiling rule files given as text.
//
// In vigil::rules (not a nested namespace) so that the tests name them unqualified.
#ifndef VIGIL_TESTS_RULES_RULE_SET_HELPERS_H_
#define VIGIL_TESTS_RULES_RULE_SET_HELPERS_H_

#include <fcntl.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "event/event.h"
#include "rules/rule_file.h"
#include "rules/rule_set.h"
#include "tests/rules/fake_event_view.h"

namespace vigil::rules {

// Event-type masks (EventBit) of the four event types.
inline constexpr uint32_t kFork = EventBit(event::kFork);
inline constexpr uint32_t kExec = EventBit(event::kExec);
inline constexpr uint32_t kExit = EventBit(event::kExit);
inline constexpr uint32_t kOpen = EventBit(event::kOpen);
inline constexpr uint32_t kUnlink = EventBit(event::kUnlink);
inline constexpr uint32_t kRename = EventBit(event::kRename);
inline constexpr uint32_t kLink = EventBit(event::kLink);
inline constexpr uint32_t kSymlink = EventBit(event::kSymlink);
inline constexpr uint32_t kMount = EventBit(event::kMount);
inline constexpr uint32_t kFileOps = event::kFileOpEvents;
inline constexpr uint32_t kNet = event::kNetEvents;

using FakeView = FakeEventView;

// The argv block of ExecView's event.
inline constexpr char kArgv[] = "bash\0-c\0ls\0";

// An event of `type` by pid 42 (comm bash, uid 1000, euid 0).
inline event::Event TaskEvent(event::EventType type) {
  event::Event e;
  e.type = type;
  e.task.pid = 42;
  e.task.tid = 42;
  e.task.ppid = 7;
  e.task.uid = 1000;
  e.task.euid = 0;
  e.task.gid = 100;
  e.task.loginuid = 4294967295u;
  e.task.comm = "bash";
  return e;
}

// bash -c ls exec'd by pid 42 from a setuid file, its parent sshd and grandparent systemd.
inline FakeView ExecView() {
  event::Event e = TaskEvent(event::kExec);
  e.exec.exe = "/usr/bin/bash";
  e.exec.argv = absl::string_view(kArgv, sizeof(kArgv) - 1);
  e.exec.file_mode = 0104755;
  e.exec.creds_before_known = true;
  e.exec.uid_before = 1000;
  e.exec.euid_before = 1000;
  FakeView view(e);
  view.process_.pid = 42;
  view.process_.comm = "bash";
  view.process_.exe = "/usr/bin/bash";
  view.process_.cmdline = "bash -c ls";
  event::ProcessInfo parent;
  parent.comm = "sshd";
  parent.exe = "/usr/sbin/sshd";
  parent.cmdline = "sshd: alice";
  event::ProcessInfo grandparent;
  grandparent.comm = "systemd";
  view.ancestors_ = {parent, grandparent};
  return view;
}

// ExecView's process opening `path` read-only (successfully).
inline FakeView OpenView(absl::string_view path) {
  FakeView view = ExecView();
  event::Event e = TaskEvent(event::kOpen);
  e.open.syscall = event::OpenSyscall::kOpenAt;
  e.open.path = path;
  e.open.flags = O_RDONLY;
  e.open.result = 3;
  view.event_ = e;
  return view;
}

// A one-rule file; the condition starts at t.yaml:3:14.
inline std::string OneRule(absl::string_view condition) {
  return absl::StrCat("- rule: r\n  desc: d\n  condition: ", condition,
                      "\n  output: o\n  priority: WARNING\n");
}

// Compiles `files` (name, text), in order, as one rule set.
inline absl::StatusOr<std::unique_ptr<RuleSet>> CompileFiles(
    const std::vector<std::pair<std::string, std::string>>& files) {
  RuleFileSet set;
  for (const auto& [name, text] : files) {
    absl::Status loaded = set.AddText(text, name);
    if (!loaded.ok()) return loaded;
  }
  return RuleSet::Compile(set);
}

// The compile error of `files`, or "compiled".
inline std::string CompileError(const std::vector<std::pair<std::string, std::string>>& files) {
  auto compiled = CompileFiles(files);
  return compiled.ok() ? "compiled" : std::string(compiled.status().message());
}

// The names of the rules that fire for an event.
inline std::vector<std::string> Fired(const RuleSet& set, const EventView& view) {
  std::vector<std::string> names;
  set.Evaluate(view, [&](const CompiledRule& rule) { names.push_back(rule.name); });
  return names;
}

}  // namespace vigil::rules

#endif  // VIGIL_TESTS_RULES_RULE_SET_HELPERS_H_

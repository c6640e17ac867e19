// Unit tests for rules/rule_set.h: compiling rule files (resolution, type checks, error
// locations), evaluating conditions on events, the event-type index, the kernel filter,
// and that evaluation allocates nothing.
#include "rules/rule_set.h"

#include <fcntl.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/rules/fake_event_view.h"

// Counts heap allocations while g_count_allocations is set (for the no-allocation test).
namespace {
std::atomic<bool> g_count_allocations{false};
std::atomic<long> g_allocations{0};

void* CountedAlloc(std::size_t size) {
  if (g_count_allocations.load(std::memory_order_relaxed)) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
  }
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
}  // namespace

void* operator new(std::size_t size) { return CountedAlloc(size); }
void* operator new[](std::size_t size) { return CountedAlloc(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace vigil::rules {
namespace {

using event::Event;
using event::EventType;
using event::ProcessInfo;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr uint32_t kFork = EventBit(event::kFork);
constexpr uint32_t kExec = EventBit(event::kExec);
constexpr uint32_t kExit = EventBit(event::kExit);
constexpr uint32_t kOpen = EventBit(event::kOpen);

using FakeView = FakeEventView;

constexpr char kArgv[] = "bash\0-c\0ls\0";

event::Event TaskEvent(event::EventType type) {
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

FakeView ExecView() {
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

FakeView OpenView(absl::string_view path) {
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
std::string OneRule(absl::string_view condition) {
  return absl::StrCat("- rule: r\n  desc: d\n  condition: ", condition,
                      "\n  output: o\n  priority: WARNING\n");
}

absl::StatusOr<std::unique_ptr<RuleSet>> CompileFiles(
    const std::vector<std::pair<std::string, std::string>>& files) {
  RuleFileSet set;
  for (const auto& [name, text] : files) {
    absl::Status loaded = set.AddText(text, name);
    if (!loaded.ok()) return loaded;
  }
  return RuleSet::Compile(set);
}

std::string CompileError(const std::vector<std::pair<std::string, std::string>>& files) {
  auto compiled = CompileFiles(files);
  return compiled.ok() ? "compiled" : std::string(compiled.status().message());
}

// The names of the rules that fire for an event.
std::vector<std::string> Fired(const RuleSet& set, const EventView& view) {
  std::vector<std::string> names;
  set.Evaluate(view, [&](const CompiledRule& rule) { names.push_back(rule.name); });
  return names;
}

struct EvalCase {
  const char* condition;
  bool on_open;  // evaluate on OpenView("/etc/shadow") instead of ExecView()
  bool match;
};

TEST(RuleSetEvalTest, EveryOperatorOnEveryType) {
  const EvalCase cases[] = {
      // string
      {"proc.name = bash", false, true},
      {"proc.name = 'Bash'", false, false},
      {"proc.name != bash", false, false},
      {"proc.name != sh", false, true},
      {"proc.name in (sh, bash)", false, true},
      {"proc.name in (sh, zsh)", false, false},
      {"proc.name = (sh, bash)", false, true},
      {"proc.name in ()", false, false},
      {"proc.name contains as", false, true},
      {"proc.name contains sa", false, false},
      {"proc.name icontains ASH", false, true},
      {"proc.name icontains xx", false, false},
      {"proc.name startswith ba", false, true},
      {"proc.name startswith sh", false, false},
      {"proc.name endswith sh", false, true},
      {"proc.name endswith ba", false, false},
      {"proc.name glob 'b*h'", false, true},
      {"proc.name glob 'b?sh'", false, true},
      {"proc.name glob 'z*'", false, false},
      {"proc.cmdline = 'bash -c ls'", false, true},
      {"proc.args = '-c ls'", false, true},
      {"proc.exe = bash", false, true},
      {"user.name = alice", false, true},
      {"proc.pname = sshd", false, true},
      {"proc.aname[1] = sshd", false, true},
      {"proc.aname[2] = systemd", false, true},
      // path
      {"proc.exepath = /usr/bin/bash", false, true},
      {"proc.exepath pmatch (/usr/bin)", false, true},
      {"proc.exepath pmatch (/usr/bin/)", false, true},
      {"proc.exepath pmatch (/usr/b)", false, false},
      {"proc.exepath pmatch (/)", false, true},
      {"proc.exepath pmatch (/usr/bin/bash)", false, true},
      {"proc.exepath pmatch (/opt, /usr)", false, true},
      {"proc.exepath glob '/usr/*/bash'", false, true},
      {"proc.exepath glob '/usr/[a-c]in/*'", false, true},
      {"proc.exepath glob '/usr/[!b]in/*'", false, false},
      {"proc.pexepath startswith /usr/sbin/", false, true},
      // int
      {"proc.pid = 42", false, true},
      {"proc.pid != 42", false, false},
      {"proc.pid < 43", false, true},
      {"proc.pid < 42", false, false},
      {"proc.pid <= 42", false, true},
      {"proc.pid > 42", false, false},
      {"proc.pid > 41", false, true},
      {"proc.pid >= 42", false, true},
      {"proc.pid >= 43", false, false},
      {"proc.pid in (1, 42)", false, true},
      {"proc.pid in (1, 2)", false, false},
      {"proc.ppid = 7", false, true},
      // uid (-1 is the unset id)
      {"user.uid = 1000", false, true},
      {"user.euid = 0", false, true},
      {"user.loginuid = -1", false, true},
      {"user.loginuid = 4294967295", false, true},
      {"user.uid in (0, 1000)", false, true},
      // flags (octal literal)
      {"file.mode = 0104755", false, true},
      {"file.mode > 0", false, true},
      {"file.mode < 0100000", false, false},
      // bool
      {"file.is_setuid = true", false, true},
      {"file.is_setuid = false", false, false},
      {"file.is_setuid != true", false, false},
      {"file.is_setgid = false", false, true},
      {"proc.is_thread = false", false, true},
      // evt.type
      {"evt.type = execve", false, true},
      {"evt.type != execve", false, false},
      {"evt.type in (clone, execve)", false, true},
      {"evt.type = openat", true, true},
      {"evt.type = open", true, false},
      {"evt.type in (open, openat)", true, true},
      // open fields
      {"fd.name = /etc/shadow", true, true},
      {"fd.directory = /etc", true, true},
      {"fd.filename = shadow", true, true},
      {"fd.name pmatch (/etc)", true, true},
      {"fd.name glob '/etc/*'", true, true},
      {"evt.failed = false", true, true},
      {"evt.is_open_read = true", true, true},
      {"evt.is_open_write = true", true, false},
      {"evt.rawres = 3", true, true},
      // absent fields: every comparison false, not of it true
      {"fd.name = /etc/shadow", false, false},
      {"fd.name != /etc/shadow", false, false},
      {"not fd.name = /etc/shadow", false, true},
      {"not fd.name != /etc/shadow", false, true},
      {"fd.name exists", false, false},
      {"not fd.name exists", false, true},
      {"evt.failed = false", false, false},
      {"evt.failed != true", false, false},
      {"proc.aname[3] = systemd", false, false},
      {"proc.aname[3] != systemd", false, false},
      {"proc.aname[3] exists", false, false},
      {"proc.aname[2] exists", false, true},
      {"user.uid_before = 1000", false, true},
      {"user.uid_before = 1000", true, false},
      {"file.uid exists", true, false},
      // boolean logic
      {"proc.name = bash and user.uid = 1000", false, true},
      {"proc.name = bash and user.uid = 0", false, false},
      {"proc.name = sh or user.uid = 1000", false, true},
      {"proc.name = sh or user.uid = 0", false, false},
      {"not proc.name = bash", false, false},
      {"not not proc.name = bash", false, true},
      {"not (proc.name = sh or proc.pid = 1)", false, true},
  };
  for (const EvalCase& c : cases) {
    std::string yaml = absl::StrCat("- rule: r\n  desc: d\n  condition: |\n    ", c.condition,
                                    "\n  output: o\n  priority: WARNING\n");
    auto set = CompileFiles({{"t.yaml", yaml}});
    ASSERT_TRUE(set.ok()) << c.condition << ": " << set.status();
    const FakeView view = c.on_open ? OpenView("/etc/shadow") : ExecView();
    const bool matched = !Fired(**set, view).empty();
    EXPECT_EQ(matched, c.match) << c.condition << (c.on_open ? " (open)" : " (exec)");
    EXPECT_EQ((*set)->Matches((*set)->rules()[0], view), c.match) << c.condition;
  }
}

TEST(RuleSetEvalTest, MacrosNestThreeDeep) {
  constexpr char kYaml[] = R"(- list: shells
  items: [bash, sh]
- rule: Shell by user
  desc: d
  condition: shell_by_user and user.name = alice
  output: o
  priority: WARNING
- macro: shell_by_user
  condition: shell_spawned and not user.uid = 0
- macro: shell_spawned
  condition: spawned_process and proc.name in (shells)
- macro: spawned_process
  condition: evt.type = execve
)";
  auto set = CompileFiles({{"m.yaml", kYaml}});
  ASSERT_TRUE(set.ok()) << set.status();
  FakeView view = ExecView();
  EXPECT_THAT(Fired(**set, view), ElementsAre("Shell by user"));
  view.event_.task.comm = "python";
  EXPECT_THAT(Fired(**set, view), IsEmpty());
  view.event_.task.comm = "sh";
  view.event_.task.uid = 0;
  EXPECT_THAT(Fired(**set, view), IsEmpty());  // root: excluded by the middle macro
  EXPECT_THAT(Fired(**set, OpenView("/bin/sh")), IsEmpty());
  EXPECT_EQ((*set)->rules()[0].event_mask, kExec);
}

TEST(RuleSetEvalTest, ListsOfLists) {
  constexpr char kYaml[] = R"(- list: all_shells
  items: [more_shells, fish]
- list: more_shells
  items: [shells, zsh]
- list: shells
  items: [bash, sh]
- list: admin_dirs
  items: [/root, /etc/sudoers.d]
- rule: Shell
  desc: d
  condition: proc.name in (all_shells, tcsh)
  output: o
  priority: WARNING
- rule: Admin file
  desc: d
  condition: fd.name pmatch (admin_dirs)
  output: o
  priority: WARNING
)";
  auto set = CompileFiles({{"l.yaml", kYaml}});
  ASSERT_TRUE(set.ok()) << set.status();
  FakeView view = ExecView();
  for (const char* name : {"bash", "sh", "zsh", "fish", "tcsh"}) {
    view.event_.task.comm = name;
    EXPECT_THAT(Fired(**set, view), ElementsAre("Shell")) << name;
  }
  for (const char* name : {"python", "all_shells", "shells"}) {
    view.event_.task.comm = name;
    EXPECT_THAT(Fired(**set, view), IsEmpty()) << name;
  }
  for (const char* path : {"/root/.bashrc", "/etc/sudoers.d", "/etc/sudoers"}) {
    FakeView open = OpenView(path);
    open.event_.task.comm = "cat";
    EXPECT_THAT(Fired(**set, open), path == absl::string_view("/etc/sudoers")
                                        ? std::vector<std::string>{}
                                        : std::vector<std::string>{"Admin file"})
        << path;
  }
}

TEST(RuleSetEvalTest, ExceptionsExemptEvents) {
  constexpr char kYaml[] = R"(- list: login_parents
  items: [sshd, login]
- rule: Shell
  desc: d
  condition: evt.type = execve and proc.name = bash
  output: o
  priority: WARNING
  exceptions:
    - name: admin_shells
      fields: [proc.pname, user.name]
      comps: [=, =]
      values:
        - [cron, alice]
        - [sshd, root]
    - name: from_login
      fields: ['proc.aname[2]']
      comps: [in]
      values:
        - [login_parents]
)";
  auto set = CompileFiles({{"e.yaml", kYaml}});
  ASSERT_TRUE(set.ok()) << set.status();
  FakeView view = ExecView();  // parent sshd, user alice, grandparent systemd
  EXPECT_THAT(Fired(**set, view), ElementsAre("Shell"));
  view.event_.task.uid = 0;  // (sshd, root) tuple
  EXPECT_THAT(Fired(**set, view), IsEmpty());
  view.event_.task.uid = 1000;
  view.ancestors_[0].comm = "cron";  // (cron, alice)
  EXPECT_THAT(Fired(**set, view), IsEmpty());
  view.ancestors_[0].comm = "tmux";
  EXPECT_THAT(Fired(**set, view), ElementsAre("Shell"));
  view.ancestors_[1].comm = "login";  // second exception, list item
  EXPECT_THAT(Fired(**set, view), IsEmpty());
  // Exceptions do not widen the event types.
  EXPECT_EQ((*set)->rules()[0].event_mask, kExec);
}

TEST(RuleSetEvalTest, DisabledRulesNeverMatch) {
  constexpr char kYaml[] = R"(- rule: Off
  desc: d
  condition: proc.name = bash
  output: o
  priority: WARNING
  enabled: false
- rule: On
  desc: d
  condition: proc.name = bash
  output: o
  priority: WARNING
)";
  auto set = CompileFiles({{"d.yaml", kYaml}});
  ASSERT_TRUE(set.ok()) << set.status();
  const FakeView view = ExecView();
  EXPECT_THAT(Fired(**set, view), ElementsAre("On"));
  ASSERT_NE((*set)->FindRule("Off"), nullptr);
  EXPECT_FALSE((*set)->FindRule("Off")->enabled);
  // The condition itself is true: only the plan leaves the rule out.
  EXPECT_TRUE((*set)->Matches(*(*set)->FindRule("Off"), view));
  // Switched off by a later file.
  auto set2 = CompileFiles({{"d.yaml", kYaml}, {"off.yaml", "- rule: On\n  enabled: false\n"}});
  ASSERT_TRUE(set2.ok()) << set2.status();
  EXPECT_THAT(Fired(**set2, view), IsEmpty());
  EXPECT_EQ((*set2)->kernel_filter().event_mask, 0u);
}

TEST(RuleSetEvalTest, RuleMetadataIsKept) {
  constexpr char kYaml[] = R"(- rule: Shell
  desc: a shell
  condition: proc.name = bash
  output: "shell %proc.name"
  priority: CRITICAL
  tags: [a, b]
)";
  auto set = CompileFiles({{"x.yaml", kYaml}});
  ASSERT_TRUE(set.ok()) << set.status();
  const CompiledRule& rule = (*set)->rules()[0];
  EXPECT_EQ(rule.name, "Shell");
  EXPECT_EQ(rule.desc, "a shell");
  EXPECT_EQ(rule.priority, Priority::kCritical);
  EXPECT_THAT(rule.tags, ElementsAre("a", "b"));
  EXPECT_EQ(rule.output.text, "shell %proc.name");
  EXPECT_EQ(rule.output.where.ToString(), "x.yaml:4:12");
  EXPECT_TRUE(rule.enabled);
}

constexpr char kBase[] = R"(- rule: r
  desc: d
  condition: |
    evt.type = execve
      and proc.name = bash
  output: o
  priority: WARNING
)";

TEST(RuleSetOverrideTest, AppendedPartsCompile) {
  constexpr char kOver[] = R"(- rule: r
  condition: and not user.uid = 0
  override:
    condition: append
)";
  auto set = CompileFiles({{"base.yaml", kBase}, {"over.yaml", kOver}});
  ASSERT_TRUE(set.ok()) << set.status();
  FakeView view = ExecView();
  EXPECT_THAT(Fired(**set, view), ElementsAre("r"));
  view.event_.task.uid = 0;
  EXPECT_THAT(Fired(**set, view), IsEmpty());
}

TEST(RuleSetOverrideTest, ErrorsPointIntoTheRightPart) {
  // Type error in the appended part (line 2, text at column 14).
  EXPECT_EQ(CompileError({{"base.yaml", kBase},
                          {"over.yaml",
                           "- rule: r\n  condition: and not user.uid = rooot\n"
                           "  override:\n    condition: append\n"}}),
            "over.yaml:2:33: type mismatch: user.uid is a uid, 'rooot' is not a number");
  // Syntax error in the appended part.
  EXPECT_EQ(CompileError({{"base.yaml", kBase},
                          {"over.yaml",
                           "- rule: r\n  condition: and and\n"
                           "  override:\n    condition: append\n"}}),
            "over.yaml:2:18: expected a field, macro name, 'not' or '(' after 'and', found 'and'");
  // Error in the base part's second line, with a part appended after it.
  constexpr char kBadBase[] = R"(- rule: r
  desc: d
  condition: |
    evt.type = execve
      and proc.nme = bash
  output: o
  priority: WARNING
)";
  EXPECT_EQ(CompileError({{"base.yaml", kBadBase},
                          {"over.yaml",
                           "- rule: r\n  condition: and user.uid = 0\n"
                           "  override:\n    condition: append\n"}}),
            "base.yaml:5:11: unknown field 'proc.nme'");
  // Two appends: an error in the third part.
  EXPECT_EQ(CompileError({{"base.yaml", kBase},
                          {"o1.yaml",
                           "- rule: r\n  condition: and user.uid = 1000\n"
                           "  override:\n    condition: append\n"},
                          {"o2.yaml",
                           "# comment\n- rule: r\n  condition: or evt.type = exceve\n"
                           "  override:\n    condition: append\n"}}),
            "o2.yaml:3:28: unknown event type 'exceve'");
}

struct ErrorCase {
  const char* condition;
  const char* error;
};

TEST(RuleSetCompileTest, ConditionErrorsNameFileLineColumn) {
  const ErrorCase cases[] = {
      {"proc.nme = bash", "t.yaml:3:14: unknown field 'proc.nme'"},
      {"proc.name = a and fd.nam exists", "t.yaml:3:32: unknown field 'fd.nam'"},
      {"proc.aname = bash", "t.yaml:3:14: proc.aname needs an argument [1..16]"},
      {"proc.aname[0] = bash", "t.yaml:3:14: proc.aname needs an argument [1..16]"},
      {"proc.aname[17] = bash", "t.yaml:3:14: proc.aname needs an argument [1..16]"},
      {"proc.aname[x] = bash", "t.yaml:3:14: proc.aname needs an argument [1..16]"},
      {"proc.name[2] = bash", "t.yaml:3:14: field 'proc.name' takes no argument"},
      {"user.uid = root", "t.yaml:3:25: type mismatch: user.uid is a uid, 'root' is not a number"},
      {"proc.pid = '42'", "t.yaml:3:25: type mismatch: proc.pid is an int, '42' is not a number"},
      {"user.uid in (0, root)",
       "t.yaml:3:30: type mismatch: user.uid is a uid, 'root' is not a number"},
      {"user.uid startswith 1",
       "t.yaml:3:14: operator 'startswith' does not apply to uid field user.uid"},
      {"proc.name pmatch (/bin)",
       "t.yaml:3:14: operator 'pmatch' does not apply to string field proc.name"},
      {"proc.name < 3", "t.yaml:3:14: operator '<' does not apply to string field proc.name"},
      {"evt.failed contains x",
       "t.yaml:3:14: operator 'contains' does not apply to bool field evt.failed"},
      {"evt.failed = yes",
       "t.yaml:3:27: type mismatch: evt.failed is a bool, 'yes' is not true or false"},
      {"evt.type = exceve", "t.yaml:3:25: unknown event type 'exceve'"},
      {"evt.type in (execve, clonee)", "t.yaml:3:35: unknown event type 'clonee'"},
      {"fd.name glob '/etc/[ab'", "t.yaml:3:27: bad glob pattern '/etc/[ab': unterminated ["},
      {"spawned_proces and proc.name = x", "t.yaml:3:14: unknown macro 'spawned_proces'"},
      {"proc.name = x or not spawned_proces", "t.yaml:3:35: unknown macro 'spawned_proces'"},
  };
  for (const ErrorCase& c : cases) {
    EXPECT_EQ(CompileError({{"t.yaml", OneRule(c.condition)}}), c.error) << c.condition;
  }
}

TEST(RuleSetCompileTest, ItemErrorsNameFileLineColumn) {
  // A macro cycle, reported where it closes (macro b's reference to a).
  EXPECT_EQ(CompileError({{"c.yaml",
                           "- macro: a\n  condition: b and proc.name = x\n"
                           "- macro: b\n  condition: proc.pid = 1 or a\n" +
                               OneRule("a")}}),
            "c.yaml:4:30: macro cycle: a -> b -> a");
  // A macro referring to itself.
  EXPECT_EQ(CompileError({{"c.yaml", "- macro: a\n  condition: not a\n"}}),
            "c.yaml:2:18: macro cycle: a -> a");
  // A list cycle, at the list whose item closes it.
  EXPECT_EQ(CompileError({{"l.yaml", "- list: a\n  items: [b, x]\n- list: b\n  items: [y, a]\n"}}),
            "l.yaml:3:3: list cycle: a -> b -> a");
  // A list item that is not a number, reported at the list name in the condition.
  EXPECT_EQ(CompileError(
                {{"t.yaml", "- list: uids\n  items: [0, root]\n" + OneRule("user.uid in (uids)")}}),
            "t.yaml:5:27: type mismatch: user.uid is a uid, 'root' is not a number");
  // Errors inside an unused macro still reject the set, at the macro's text.
  EXPECT_EQ(
      CompileError({{"m.yaml", "- macro: m\n  condition: proc.name = a and fd.hiden = true\n"}}),
      "m.yaml:2:32: unknown field 'fd.hiden'");
  // Syntax errors in a macro.
  EXPECT_EQ(CompileError({{"m.yaml", "- macro: m\n  condition: proc.name bash\n"}}),
            "m.yaml:2:24: expected an operator after field 'proc.name', found 'bash'");
  // A disabled rule is still checked.
  EXPECT_EQ(CompileError({{"t.yaml", OneRule("proc.nme = x") + "  enabled: false\n"}}),
            "t.yaml:3:14: unknown field 'proc.nme'");
}

TEST(RuleSetCompileTest, ExceptionErrorsAtTheException) {
  auto with_exception = [](absl::string_view fields, absl::string_view comps,
                           absl::string_view values) {
    return absl::StrCat(OneRule("proc.name = bash"), "  exceptions:\n    - name: ex\n",
                        "      fields: ", fields, "\n      comps: ", comps,
                        "\n      values:\n        - ", values, "\n");
  };
  // The exception item starts at line 7, column 7.
  EXPECT_EQ(CompileError({{"t.yaml", with_exception("[proc.nam]", "[=]", "[x]")}}),
            "t.yaml:7:7: unknown field 'proc.nam'");
  EXPECT_EQ(CompileError({{"t.yaml", with_exception("[proc.name]", "[like]", "[x]")}}),
            "t.yaml:7:7: exception 'ex': unknown comparison 'like'");
  EXPECT_EQ(CompileError({{"t.yaml", with_exception("[user.uid]", "[startswith]", "[x]")}}),
            "t.yaml:7:7: operator 'startswith' does not apply to uid field user.uid");
  EXPECT_EQ(CompileError({{"t.yaml", with_exception("[user.uid]", "[=]", "[root]")}}),
            "t.yaml:7:7: type mismatch: user.uid is a uid, 'root' is not a number");
  EXPECT_EQ(CompileError({{"t.yaml", with_exception("[proc.aname]", "[=]", "[x]")}}),
            "t.yaml:7:7: proc.aname needs an argument [1..16]");
  EXPECT_EQ(CompileError({{"t.yaml", with_exception("[evt.type]", "[=]", "[exceve]")}}),
            "t.yaml:7:7: unknown event type 'exceve'");
  EXPECT_EQ(CompileError({{"t.yaml", with_exception("[fd.name]", "[glob]", "['/x/[']")}}),
            "t.yaml:7:7: bad glob pattern '/x/[': unterminated [");
  EXPECT_EQ(CompileError({{"t.yaml", with_exception("['proc.aname[2]']", "[=]", "[x]")}}),
            "compiled");
}

struct MaskCase {
  const char* condition;
  uint32_t mask;
};

TEST(RuleSetIndexTest, EventMaskPerRule) {
  const MaskCase cases[] = {
      {"proc.name = bash", kFork | kExec | kExit | kOpen},
      {"evt.type = execve and proc.name = bash", kExec},
      {"evt.type in (execve, clone)", kExec | kFork},
      {"evt.type = procexit", kExit},
      {"evt.type in (open, openat2)", kOpen},
      {"evt.type = execve or fd.name = /x", kExec | kOpen},
      {"fd.name startswith /etc", kOpen},
      {"fd.name exists", kOpen},
      {"not evt.type = execve", kFork | kExec | kExit | kOpen},
      {"evt.type != execve", kFork | kExit | kOpen},
      {"evt.type != openat", kFork | kExec | kExit | kOpen},
      {"evt.type = execve and fd.name = /x", 0},
      {"user.uid_before = 0 or file.uid = 0", kExec},
      {"file.mode = 0 and proc.pid = 1", kExec | kOpen},
  };
  for (const MaskCase& c : cases) {
    auto set = CompileFiles({{"t.yaml", OneRule(c.condition)}});
    ASSERT_TRUE(set.ok()) << c.condition << ": " << set.status();
    EXPECT_EQ((*set)->rules()[0].event_mask, c.mask) << c.condition;
  }
}

TEST(RuleSetIndexTest, EvaluateVisitsOnlyMatchingTypes) {
  constexpr char kYaml[] = R"(- rule: Exec
  desc: d
  condition: evt.type = execve
  output: o
  priority: WARNING
- rule: Any
  desc: d
  condition: proc.pid = 42
  output: o
  priority: WARNING
- rule: Open
  desc: d
  condition: fd.name exists
  output: o
  priority: WARNING
)";
  auto set = CompileFiles({{"i.yaml", kYaml}});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_THAT(Fired(**set, ExecView()), ElementsAre("Exec", "Any"));
  EXPECT_THAT(Fired(**set, OpenView("/x")), ElementsAre("Any", "Open"));
  FakeView exit_view = ExecView();
  exit_view.event_.type = event::kExit;
  EXPECT_THAT(Fired(**set, exit_view), ElementsAre("Any"));
}

std::string Rule(absl::string_view name, absl::string_view condition, bool enabled = true) {
  return absl::StrCat("- rule: ", name, "\n  desc: d\n  condition: ", condition,
                      "\n  output: o\n  priority: WARNING\n  enabled: ", enabled ? "true" : "false",
                      "\n");
}

TEST(RuleSetKernelFilterTest, PrefixesAndHidden) {
  const std::string yaml = absl::StrCat(
      "- list: home_dirs\n  items: [/root, /home/]\n",
      Rule("a", "evt.type = openat and fd.name startswith /etc/ssh"),
      Rule("b", "fd.name pmatch (home_dirs) and evt.is_open_write = true"),
      Rule("c", "fd.directory = /var/log and not proc.name = logrotate"),
      Rule("d", "fd.name glob '/usr/lib/*.so' or fd.name in (/etc/shadow, /etc/ssh/sshd_config)"),
      Rule("e", "fd.hidden = true and proc.name = x"),
      Rule("f", "evt.type = execve and proc.name = bash"),
      Rule("g", "(evt.type = execve and proc.name = sh) or fd.directory startswith /opt"),
      Rule("h", "fd.name exists", /*enabled=*/false));
  auto set = CompileFiles({{"k.yaml", yaml}});
  ASSERT_TRUE(set.ok()) << set.status();
  const KernelFilter& filter = (*set)->kernel_filter();
  EXPECT_EQ(filter.event_mask, kExec | kOpen);
  EXPECT_FALSE(filter.all_files);
  EXPECT_TRUE(filter.hidden);
  EXPECT_THAT(filter.path_prefixes, ElementsAre("/etc/shadow", "/etc/ssh", "/home", "/opt", "/root",
                                                "/usr/lib/", "/var/log/"));
}

TEST(RuleSetKernelFilterTest, UnconstrainedRulesNeedAllFiles) {
  const char* unconstrained[] = {
      "proc.name = bash and evt.is_open_read = true",
      "not fd.name startswith /etc",
      "fd.name startswith /etc or proc.name = cat",
      "fd.name endswith .conf",
      "fd.name glob '*.conf'",
      "fd.hidden = false",
      "fd.directory pmatch (/)",
  };
  for (const char* condition : unconstrained) {
    auto set =
        CompileFiles({{"k.yaml", Rule("a", "fd.name startswith /etc") + Rule("b", condition)}});
    ASSERT_TRUE(set.ok()) << condition << ": " << set.status();
    const KernelFilter& filter = (*set)->kernel_filter();
    if (std::string(condition) == "fd.directory pmatch (/)") {
      // "/" is a prefix of every absolute path: constrained, but to everything.
      EXPECT_FALSE(filter.all_files);
      EXPECT_THAT(filter.path_prefixes, ElementsAre("/"));
      continue;
    }
    EXPECT_TRUE(filter.all_files) << condition;
    EXPECT_THAT(filter.path_prefixes, IsEmpty()) << condition;
    EXPECT_FALSE(filter.hidden) << condition;
  }
  // No open rule: no files at all.
  auto set = CompileFiles({{"k.yaml", Rule("a", "evt.type = execve")}});
  ASSERT_TRUE(set.ok());
  EXPECT_EQ((*set)->kernel_filter().event_mask, kExec);
  EXPECT_FALSE((*set)->kernel_filter().all_files);
  EXPECT_THAT((*set)->kernel_filter().path_prefixes, IsEmpty());
}

TEST(RuleSetEvalTest, EvaluateDoesNotAllocate) {
  constexpr char kYaml[] = R"(- list: shells
  items: [bash, sh, zsh]
- macro: spawned
  condition: evt.type in (execve, clone)
- rule: Shell
  desc: d
  condition: >
    spawned and proc.name in (shells) and proc.aname[2] icontains SYS
    and proc.exepath glob '/usr/*/b*' and proc.exepath pmatch (/usr/bin)
    and user.name = alice and not fd.name exists and proc.cmdline contains ls
  output: o
  priority: WARNING
  exceptions:
    - name: ex
      fields: [proc.pname, user.uid]
      comps: [startswith, in]
      values:
        - [cron, 0]
- rule: Files
  desc: d
  condition: fd.name pmatch (/etc) and fd.directory endswith tc and evt.failed = false
  output: o
  priority: WARNING
)";
  auto set = CompileFiles({{"a.yaml", kYaml}});
  ASSERT_TRUE(set.ok()) << set.status();
  const FakeView exec_view = ExecView();
  const FakeView open_view = OpenView("/etc/shadow");
  long matches = 0;
  auto count = [&matches](const CompiledRule&) { ++matches; };
  (*set)->Evaluate(exec_view, count);
  (*set)->Evaluate(open_view, count);
  ASSERT_EQ(matches, 2);
  // The counter sees allocations at all.
  g_allocations = 0;
  g_count_allocations = true;
  int* volatile probe = new int(1);
  delete probe;
  g_count_allocations = false;
  ASSERT_EQ(g_allocations.load(), 1);

  g_allocations = 0;
  g_count_allocations = true;
  for (int i = 0; i < 1000; ++i) {
    (*set)->Evaluate(exec_view, count);
    (*set)->Evaluate(open_view, count);
  }
  g_count_allocations = false;
  EXPECT_EQ(g_allocations.load(), 0);
  EXPECT_EQ(matches, 2002);
}

}  // namespace
}  // namespace vigil::rules

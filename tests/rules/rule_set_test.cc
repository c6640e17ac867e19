// Unit tests for evaluating a RuleSet (rules/rule_set.h) on events: every operator on
// every field type, macros, lists, exceptions, disabled rules, the metadata kept, and that
// evaluation allocates nothing. Compile errors and overrides are tested in
// rule_set_compile_test.cc, the event-type index and the kernel filter in
// rule_set_index_test.cc.
#include "rules/rule_set.h"

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/rules/rule_set_helpers.h"

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

using ::testing::ElementsAre;
using ::testing::IsEmpty;

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
      {"evt.type = execve", true, false},
      {"evt.type != clone", false, true},
      {"evt.type != execve", true, true},
      {"not evt.type = execve", false, false},
      {"not evt.type in (clone, procexit)", false, true},
      {"evt.type in (clone, procexit)", false, false},
      {"evt.type != openat", true, false},
      {"evt.type != open", true, true},
      {"evt.type = execve and proc.name = bash", false, true},
      {"evt.type = execve and proc.name = sh", false, false},
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

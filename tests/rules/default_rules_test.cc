// Tests of the default rule pack (deploy/rules): it loads and compiles, every rule fires on
// the activity it is meant to catch (exactly one alert, with the right output fields) and
// stays quiet on the closest ordinary activity, and the kernel filter it derives is narrow.
// Events are synthetic: sensor::Event values seen through FakeEventView, timed by
// task.time_boot_ns.
#include <fcntl.h>

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "event/event.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rules/engine.h"
#include "rules/rule_file.h"
#include "rules/rule_set.h"
#include "tests/rules/fake_event_view.h"

namespace vigil::rules {
namespace {

using event::Event;
using event::EventType;
using event::ProcessInfo;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr uint64_t kMs = 1000 * 1000;
constexpr uint64_t kSec = 1000 * kMs;
// Events start well after boot, so "time 0" never has a special meaning.
constexpr uint64_t kT0 = 1000 * kSec;

constexpr char kForkByProcess[] = "Fork flood by process";
constexpr char kForkByContainer[] = "Fork flood by container";
constexpr char kSetuid[] = "Privilege elevation by setuid or setgid exec";
constexpr char kHidden[] = "Hidden file in world-writable directory";
constexpr char kSensitiveWrite[] = "Write to account or privilege file";
constexpr char kShadowRead[] = "Read of shadow file by unexpected process";
constexpr char kTmpExec[] = "Execution from world-writable directory";
constexpr char kTmpElevation[] =
    "Privilege elevation after execution from world-writable directory";

// Every rule of the pack, in file order. A rule added to the pack must be added here and
// given tests.
const char* const kPackRules[] = {kForkByProcess,  kForkByContainer, kSetuid,  kHidden,
                                  kSensitiveWrite, kShadowRead,      kTmpExec, kTmpElevation};

// The fields every alert's output carries, and the one open rules add.
const char* const kContextFields[] = {"proc.name",    "proc.exepath", "proc.cmdline", "proc.pid",
                                      "proc.ppid",    "proc.pname",   "user.name",    "user.uid",
                                      "container.id", "k8s.pod.name", "k8s.ns.name"};

// A FakeEventView that also knows the process's pod.
class PodEventView : public FakeEventView {
 public:
  using FakeEventView::FakeEventView;
  absl::string_view pod_name() const override { return pod_name_; }
  absl::string_view pod_namespace() const override { return pod_namespace_; }

  std::string pod_name_;
  std::string pod_namespace_;
};

// A process as the synthetic events describe it.
struct Proc {
  uint32_t pid = 4242;
  uint32_t ppid = 4200;
  std::string comm = "bash";
  std::string exe = "/usr/bin/bash";
  std::string cmdline = "bash";
  uint32_t uid = 1000;
  uint32_t euid = 1000;
  std::string parent_comm = "sshd";
  std::string container_id;
  std::string pod;
  std::string ns;
};

// Credentials around an exec.
struct Creds {
  bool known = true;
  uint32_t uid_before = 1000;
  uint32_t euid_before = 1000;
  uint32_t egid_before = 1000;
  uint32_t uid = 1000;
  uint32_t euid = 1000;
  uint32_t egid = 1000;
};

// What an alert said: its rule, count, output and output fields as text (FieldText).
struct Fired {
  std::string rule;
  uint64_t count = 0;
  std::string output;
  std::map<std::string, std::string> fields;
};

// An alert field as text: numbers in decimal, flags in octal with a leading 0 (as outputs
// render them), booleans as true/false, "<NA>" when absent.
std::string FieldText(const AlertField& f) {
  if (!f.present) return "<NA>";
  switch (f.type) {
    case FieldType::kString:
    case FieldType::kPath: return f.str;
    case FieldType::kBool: return f.num != 0 ? "true" : "false";
    case FieldType::kFlags: return absl::StrFormat("0%o", f.num);
    default: return absl::StrCat(f.num);
  }
}

// Compiles the pack once; each test gets a fresh engine running it.
class DefaultRulesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    RuleFileSet files;
    absl::Status loaded = files.AddPaths({std::string(VIGIL_SOURCE_DIR) + "/deploy/rules"});
    ASSERT_TRUE(loaded.ok()) << loaded;
    absl::StatusOr<std::unique_ptr<RuleSet>> set = RuleSet::Compile(files);
    ASSERT_TRUE(set.ok()) << set.status();
    pack_ = new std::shared_ptr<const RuleSet>(*std::move(set));
  }

  void SetUp() override {
    ASSERT_NE(pack_, nullptr);
    engine_ = std::make_unique<Engine>(*pack_);
  }

  // Keeps `s` alive for the test (events hold string_views).
  absl::string_view Keep(absl::string_view s) { return strings_.emplace_back(s); }

  // `e` as done by `p`: the task fields, the process table's entry, its parent, the
  // container and pod.
  PodEventView ViewOf(const Proc& p, event::Event e) {
    e.task.pid = p.pid;
    e.task.tid = p.pid;
    e.task.ppid = p.ppid;
    e.task.uid = p.uid;
    e.task.euid = p.euid;
    e.task.gid = p.uid;
    e.task.loginuid = p.uid;
    e.task.comm = Keep(p.comm);
    PodEventView view(e);
    view.process_.pid = p.pid;
    view.process_.ppid = p.ppid;
    view.process_.uid = p.uid;
    view.process_.euid = p.euid;
    view.process_.comm = p.comm;
    view.process_.exe = p.exe;
    view.process_.cmdline = p.cmdline;
    event::ProcessInfo parent;
    parent.pid = p.ppid;
    parent.comm = p.parent_comm;
    parent.exe = absl::StrCat("/usr/sbin/", p.parent_comm);
    parent.cmdline = p.parent_comm;
    view.ancestors_ = {parent};
    view.users_[65534] = "nobody";
    view.container_id_ = p.container_id;
    view.pod_name_ = p.pod;
    view.pod_namespace_ = p.ns;
    return view;
  }

  // A clone by `parent` at time t.
  PodEventView Fork(const Proc& parent, uint64_t t, bool thread = false) {
    event::Event e;
    e.type = event::kFork;
    e.task.time_boot_ns = t;
    e.fork.child_pid = thread ? parent.pid : parent.pid + 1;
    e.fork.child_tid = parent.pid + 1;
    e.fork.is_thread = thread;
    return ViewOf(parent, e);
  }

  // `p` executing `exe` (argv: `cmdline` split on spaces) from file mode `mode` at t.
  // The process's uid/euid become the "after" credentials.
  PodEventView Exec(Proc p, absl::string_view exe, absl::string_view cmdline, uint32_t mode,
                    const Creds& c, uint64_t t) {
    p.exe = std::string(exe);
    p.cmdline = std::string(cmdline);
    p.comm = std::string(exe.substr(exe.rfind('/') + 1).substr(0, 15));
    p.uid = c.uid;
    p.euid = c.euid;
    std::string argv(cmdline);
    for (char& ch : argv) {
      if (ch == ' ') ch = '\0';
    }
    argv.push_back('\0');
    event::Event e;
    e.type = event::kExec;
    e.task.time_boot_ns = t;
    e.exec.exe = Keep(exe);
    e.exec.argv = Keep(argv);
    e.exec.creds_before_known = c.known;
    e.exec.uid_before = c.uid_before;
    e.exec.euid_before = c.euid_before;
    e.exec.gid_before = c.egid_before;
    e.exec.egid_before = c.egid_before;
    e.exec.egid = c.egid;
    e.exec.file_mode = mode;
    e.exec.file_uid = 0;
    e.exec.file_gid = 0;
    return ViewOf(p, e);
  }

  // `p` opening `path` with `flags`, returning `result`, at t. fd.hidden is what the
  // kernel computes for the path.
  PodEventView Open(const Proc& p, absl::string_view path, uint32_t flags, int64_t result = 3,
                    uint64_t t = kT0) {
    event::Event e;
    e.type = event::kOpen;
    e.task.time_boot_ns = t;
    e.open.syscall = event::OpenSyscall::kOpenAt;
    e.open.path = Keep(path);
    e.open.flags = flags;
    e.open.result = result;
    e.open.file_mode = 0100644;
    e.open.hidden = event::HasHiddenComponent(path);
    return ViewOf(p, e);
  }

  // Runs one event through the engine; returns the alerts it raised.
  std::vector<Fired> Run(const EventView& view) {
    std::vector<Fired> out;
    engine_->Process(view, [&](const Alert& alert) {
      Fired f;
      f.rule = alert.rule->name;
      f.count = alert.count;
      f.output = alert.output;
      for (const AlertField& field : alert.fields) f.fields[field.name] = FieldText(field);
      out.push_back(std::move(f));
    });
    fired_.insert(fired_.end(), out.begin(), out.end());
    return out;
  }

  // The names of the rules behind alerts (in order).
  static std::vector<std::string> Names(const std::vector<Fired>& alerts) {
    std::vector<std::string> names;
    for (const Fired& f : alerts) names.push_back(f.rule);
    return names;
  }

  // The alerts raised by `rule` so far.
  std::vector<Fired> FiredBy(absl::string_view rule) const {
    std::vector<Fired> out;
    for (const Fired& f : fired_) {
      if (f.rule == rule) out.push_back(f);
    }
    return out;
  }

  // The compiled pack (never freed), the engine under test, the text events point into,
  // and every alert raised so far.
  static std::shared_ptr<const RuleSet>* pack_;
  std::unique_ptr<Engine> engine_;
  std::deque<std::string> strings_;
  std::vector<Fired> fired_;
};

std::shared_ptr<const RuleSet>* DefaultRulesTest::pack_ = nullptr;

// ---------------------------------------------------------------------------------------
// The pack as a whole

TEST_F(DefaultRulesTest, PackHoldsExactlyTheTestedRules) {
  std::vector<std::string> names;
  for (const CompiledRule& rule : (*pack_)->rules()) names.push_back(rule.name);
  EXPECT_THAT(names, ElementsAreArray(kPackRules));
}

TEST_F(DefaultRulesTest, EveryRuleIsEnabledDocumentedTaggedAndGivesFullContext) {
  for (const CompiledRule& rule : (*pack_)->rules()) {
    SCOPED_TRACE(rule.name);
    EXPECT_TRUE(rule.enabled);
    EXPECT_GE(rule.desc.size(), 80u) << "desc too short to explain the rule";
    bool mitre_tactic = false;
    bool technique = false;
    for (const std::string& tag : rule.tags) {
      mitre_tactic |= absl::StartsWith(tag, "mitre_");
      technique |= tag.size() >= 5 && tag[0] == 'T' && absl::ascii_isdigit(tag[1]);
    }
    EXPECT_TRUE(mitre_tactic) << "no mitre_* tactic tag";
    EXPECT_TRUE(technique) << "no Txxxx technique tag";
    std::set<std::string> referenced;
    for (const FieldRef& ref : rule.output_template.fields()) referenced.insert(ref.name);
    for (const char* field : kContextFields) {
      EXPECT_TRUE(referenced.count(field)) << "output lacks %" << field;
    }
    if (rule.event_mask == EventBit(event::kOpen)) {
      EXPECT_TRUE(referenced.count("fd.name")) << "open rule output lacks %fd.name";
    }
    if (rule.kind == RuleKind::kThreshold) {
      EXPECT_TRUE(referenced.count("evt.count")) << "threshold output lacks %evt.count";
    }
  }
}

TEST_F(DefaultRulesTest, PriorityAndKindOfEachRule) {
  struct Expected {
    const char* rule;
    Priority priority;
    RuleKind kind;
    uint32_t event_mask;
  };
  const uint32_t kFork = EventBit(event::kFork);
  const uint32_t kExec = EventBit(event::kExec);
  const uint32_t kOpen = EventBit(event::kOpen);
  const Expected expected[] = {
      {kForkByProcess, Priority::kWarning, RuleKind::kThreshold, kFork},
      {kForkByContainer, Priority::kCritical, RuleKind::kThreshold, kFork},
      {kSetuid, Priority::kWarning, RuleKind::kStateless, kExec},
      {kHidden, Priority::kWarning, RuleKind::kStateless, kOpen},
      {kSensitiveWrite, Priority::kError, RuleKind::kStateless, kOpen},
      {kShadowRead, Priority::kWarning, RuleKind::kStateless, kOpen},
      {kTmpExec, Priority::kWarning, RuleKind::kStateless, kExec},
      {kTmpElevation, Priority::kCritical, RuleKind::kSequence, kExec},
  };
  for (const Expected& e : expected) {
    SCOPED_TRACE(e.rule);
    const CompiledRule* rule = (*pack_)->FindRule(e.rule);
    ASSERT_NE(rule, nullptr);
    EXPECT_EQ(rule->priority, e.priority);
    EXPECT_EQ(rule->kind, e.kind);
    EXPECT_EQ(rule->event_mask, e.event_mask);
  }
}

TEST_F(DefaultRulesTest, KernelFilterIsNarrow) {
  const KernelFilter& filter = (*pack_)->kernel_filter();
  // No rule looks at exits.
  EXPECT_EQ(filter.event_mask,
            EventBit(event::kFork) | EventBit(event::kExec) | EventBit(event::kOpen));
  EXPECT_FALSE(filter.all_files);
  // Hidden paths cover the hidden-entry rule and authorized_keys (under .ssh); the /etc
  // files are exact names, so no prefix takes in all of /etc, /tmp or /home.
  EXPECT_TRUE(filter.hidden);
  EXPECT_THAT(filter.path_prefixes, ElementsAre("/etc/group", "/etc/gshadow", "/etc/passwd",
                                                "/etc/shadow", "/etc/sudoers"));
}

TEST_F(DefaultRulesTest, NoRuleMatchesAnExit) {
  // RuleSet::Evaluate (no engine): an exit matches nothing, even from a process that
  // looks like every rule's target.
  Proc p;
  p.comm = "cat";
  p.exe = "/tmp/x";
  p.uid = 1000;
  p.euid = 0;
  event::Event e;
  e.type = event::kExit;
  PodEventView view = ViewOf(p, e);
  std::vector<std::string> matched;
  (*pack_)->Evaluate(view, [&](const CompiledRule& r) { matched.push_back(r.name); });
  EXPECT_THAT(matched, IsEmpty());
}

// ---------------------------------------------------------------------------------------
// Fork flood by process: 1000 processes within 500ms, by proc.pid.

TEST_F(DefaultRulesTest, ForkFloodByProcessFiresOncePerFlood) {
  Proc p;
  p.comm = "flood";
  p.exe = "/home/alice/flood";
  p.cmdline = "./flood 100000";
  p.container_id = "c0ffee";
  p.pod = "web-1";
  p.ns = "shop";
  // 1000 forks 0.4ms apart: 399.6ms from first to last.
  std::vector<Fired> alerts;
  for (int i = 0; i < 1000; ++i) {
    for (Fired& f : Run(Fork(p, kT0 + i * 400 * 1000))) alerts.push_back(std::move(f));
  }
  ASSERT_EQ(alerts.size(), 1u);
  const Fired& a = alerts[0];
  EXPECT_EQ(a.rule, kForkByProcess);
  EXPECT_EQ(a.count, 1000u);
  EXPECT_EQ(a.fields.at("evt.count"), "1000");
  EXPECT_EQ(a.fields.at("proc.pid"), "4242");
  EXPECT_EQ(a.fields.at("proc.ppid"), "4200");
  EXPECT_EQ(a.fields.at("proc.name"), "flood");
  EXPECT_EQ(a.fields.at("proc.exepath"), "/home/alice/flood");
  EXPECT_EQ(a.fields.at("proc.cmdline"), "./flood 100000");
  EXPECT_EQ(a.fields.at("proc.pname"), "sshd");
  EXPECT_EQ(a.fields.at("user.name"), "alice");
  EXPECT_EQ(a.fields.at("user.uid"), "1000");
  EXPECT_EQ(a.fields.at("container.id"), "c0ffee");
  EXPECT_EQ(a.fields.at("k8s.pod.name"), "web-1");
  EXPECT_EQ(a.fields.at("k8s.ns.name"), "shop");
  EXPECT_THAT(a.output, HasSubstr("count=1000 proc=flood exe=/home/alice/flood"));

  // The flood goes on for another second (under the container threshold's rate): absorbed.
  for (int i = 1000; i < 2000; ++i) Run(Fork(p, kT0 + i * 1000 * 1000));
  EXPECT_EQ(FiredBy(kForkByProcess).size(), 1u);
  // After 10s of quiet a new flood is a new alert.
  const uint64_t later = kT0 + 20 * kSec;
  for (int i = 0; i < 1000; ++i) Run(Fork(p, later + i * 400 * 1000));
  EXPECT_EQ(FiredBy(kForkByProcess).size(), 2u);
  EXPECT_THAT(FiredBy(kForkByContainer), IsEmpty());
}

TEST_F(DefaultRulesTest, ForkFloodByProcessNearMisses) {
  struct Case {
    const char* label;
    int forks;
    uint64_t spacing_ns;
    bool threads;
    int pids;  // forks spread round-robin over this many processes
  };
  const Case cases[] = {
      {"one under the count", 999, 400 * 1000, false, 1},
      {"the count spread over more than the window", 1000, 501 * 1000, false, 1},
      {"a busy shell loop for 10s", 10000, 1000 * 1000, false, 1},
      {"threads, not processes", 5000, 50 * 1000, true, 1},
      {"four processes, each under the count", 2000, 100 * 1000, false, 4},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    engine_ = std::make_unique<Engine>(*pack_);
    fired_.clear();
    for (int i = 0; i < c.forks; ++i) {
      Proc p;
      p.pid = 5000 + i % c.pids;
      p.comm = "ninja";
      Run(Fork(p, kT0 + i * c.spacing_ns, c.threads));
    }
    EXPECT_THAT(Names(fired_), IsEmpty());
  }
}

// ---------------------------------------------------------------------------------------
// Fork flood by container: 2500 processes within 500ms, by container.id.

TEST_F(DefaultRulesTest, ForkFloodByContainerCatchesABombOfShortLivedProcesses) {
  // A shell fork bomb: every process forks twice and exits, so no single pid floods.
  std::vector<Fired> alerts;
  for (int i = 0; i < 2500; ++i) {
    Proc p;
    p.pid = 10000 + i / 2;
    p.ppid = 10000 + i / 4;
    p.comm = "bash";
    p.cmdline = "bash";
    p.parent_comm = "bash";
    p.container_id = "bomb1234";
    p.pod = "job-7";
    p.ns = "batch";
    for (Fired& f : Run(Fork(p, kT0 + i * 150 * 1000))) alerts.push_back(std::move(f));
  }
  ASSERT_EQ(alerts.size(), 1u);
  const Fired& a = alerts[0];
  EXPECT_EQ(a.rule, kForkByContainer);
  EXPECT_EQ(a.count, 2500u);
  EXPECT_EQ(a.fields.at("evt.count"), "2500");
  EXPECT_EQ(a.fields.at("container.id"), "bomb1234");
  EXPECT_EQ(a.fields.at("k8s.pod.name"), "job-7");
  EXPECT_EQ(a.fields.at("k8s.ns.name"), "batch");
  EXPECT_EQ(a.fields.at("proc.pid"), "11249");  // the event that reached the count
  EXPECT_EQ(a.fields.at("proc.name"), "bash");
  EXPECT_THAT(a.output, HasSubstr("count=2500 container=bomb1234 pod=job-7 ns=batch"));
  EXPECT_THAT(FiredBy(kForkByProcess), IsEmpty());
}

TEST_F(DefaultRulesTest, ForkFloodByContainerCountsTheHostAsOneKey) {
  // Before container enrichment every process has an empty container id: the host floods
  // as one key.
  for (int i = 0; i < 2500; ++i) {
    Proc p;
    p.pid = 20000 + i;
    Run(Fork(p, kT0 + i * 100 * 1000));
  }
  ASSERT_EQ(FiredBy(kForkByContainer).size(), 1u);
  EXPECT_EQ(FiredBy(kForkByContainer)[0].fields.at("container.id"), "");
}

TEST_F(DefaultRulesTest, ForkFloodByContainerNearMisses) {
  struct Case {
    const char* label;
    int forks;
    uint64_t spacing_ns;
    int containers;
  };
  const Case cases[] = {
      {"one under the count", 2499, 150 * 1000, 1},
      {"the count spread over more than the window", 2500, 201 * 1000, 1},
      {"two containers, each under the rate", 5000, 120 * 1000, 2},
      {"a busy CI container for 10s at 1000/s", 10000, 1000 * 1000, 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    engine_ = std::make_unique<Engine>(*pack_);
    fired_.clear();
    for (int i = 0; i < c.forks; ++i) {
      Proc p;
      p.pid = 30000 + i;
      p.container_id = absl::StrCat("ctr", i % c.containers);
      Run(Fork(p, kT0 + i * c.spacing_ns));
    }
    EXPECT_THAT(Names(fired_), IsEmpty());
  }
}

// ---------------------------------------------------------------------------------------
// Privilege elevation by setuid or setgid exec.

TEST_F(DefaultRulesTest, SetuidExecThatGainsRootFires) {
  Proc p;
  p.container_id = "c1";
  Creds c;
  c.euid = 0;  // the setuid-root bit took effect
  auto alerts = Run(Exec(p, "/home/alice/bin/rootshell", "rootshell -p", 0104755, c, kT0));
  ASSERT_THAT(Names(alerts), ElementsAre(kSetuid));
  const Fired& a = alerts[0];
  EXPECT_EQ(a.fields.at("proc.exepath"), "/home/alice/bin/rootshell");
  EXPECT_EQ(a.fields.at("proc.name"), "rootshell");
  EXPECT_EQ(a.fields.at("proc.cmdline"), "rootshell -p");
  EXPECT_EQ(a.fields.at("proc.pid"), "4242");
  EXPECT_EQ(a.fields.at("user.name"), "alice");
  EXPECT_EQ(a.fields.at("user.uid"), "1000");
  EXPECT_EQ(a.fields.at("user.euid_before"), "1000");
  EXPECT_EQ(a.fields.at("user.euid"), "0");
  EXPECT_EQ(a.fields.at("file.uid"), "0");
  EXPECT_EQ(a.fields.at("file.mode"), "0104755");
  EXPECT_EQ(a.fields.at("container.id"), "c1");
  EXPECT_THAT(a.output, HasSubstr("euid_before=1000 euid=0"));
}

TEST_F(DefaultRulesTest, SetgidExecThatGainsAPrivilegedGroupFires) {
  const uint32_t kShadowGid = 42;
  Proc p;
  Creds c;
  c.egid = kShadowGid;
  auto alerts = Run(Exec(p, "/opt/tool/hashdump", "hashdump", 0102755, c, kT0));
  ASSERT_THAT(Names(alerts), ElementsAre(kSetuid));
  EXPECT_EQ(alerts[0].fields.at("group.egid_before"), "1000");
  EXPECT_EQ(alerts[0].fields.at("group.egid"), "42");
}

TEST_F(DefaultRulesTest, SetuidNearMisses) {
  struct Case {
    const char* label;
    const char* exe;
    uint32_t mode;
    Creds creds;
  };
  Creds root;  // a root process: nothing to gain
  root.uid_before = root.euid_before = root.egid_before = 0;
  root.uid = root.euid = root.egid = 0;
  Creds to_root;
  to_root.euid = 0;
  Creds unchanged;  // setuid bit ignored (nosuid mount, or a traced process)
  Creds unknown = to_root;
  unknown.known = false;
  Creds to_nobody;
  to_nobody.euid = 65534;
  Creds to_tty_group;
  to_tty_group.egid = 5;
  Creds already_shadow;
  already_shadow.egid_before = already_shadow.egid = 42;
  Creds plain_to_root = to_root;  // euid 0 without a set-id file (file capabilities, say)
  Creds to_shadow_group;
  to_shadow_group.egid = 42;
  const Case cases[] = {
      {"root runs a setuid-root program", "/home/alice/bin/rootshell", 0104755, root},
      {"root runs a setgid-shadow program", "/opt/tool/hashdump", 0102755, root},
      {"a user runs sudo", "/usr/bin/sudo", 0104755, to_root},
      {"a user runs passwd", "/usr/bin/passwd", 0104755, to_root},
      {"a user runs unix_chkpwd (setgid shadow)", "/usr/sbin/unix_chkpwd", 0102755,
       to_shadow_group},
      {"setuid bit without effect", "/home/alice/bin/rootshell", 0104755, unchanged},
      {"credentials before exec unknown", "/home/alice/bin/rootshell", 0104755, unknown},
      {"setuid to a non-root user", "/usr/games/robots", 0104755, to_nobody},
      {"setgid to an unprivileged group (tty)", "/opt/tool/notify", 0102755, to_tty_group},
      {"setgid to a group already held", "/opt/tool/hashdump", 0102755, already_shadow},
      {"no set-id bit", "/home/alice/bin/capped", 0100755, plain_to_root},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    EXPECT_THAT(Names(Run(Exec(Proc{}, c.exe, "x", c.mode, c.creds, kT0))), IsEmpty());
  }
}

// ---------------------------------------------------------------------------------------
// Hidden file in world-writable directory.

TEST_F(DefaultRulesTest, HiddenEntriesInWorldWritableDirsFire) {
  const char* const paths[] = {
      "/tmp/.x",
      "/tmp/.x/payload",
      "/tmp/...",
      "/tmp/.. /payload",
      "/tmp/. ",
      "/tmp/work/.../miner",
      "/tmp/work/.. ",
      "/var/tmp/.cache/run",
      "/dev/shm/.s",
      "/run/lock/.lck/x",
      "/tmp/.X11-unix/.hide",
      "/tmp/.org.chromium.Chromium.abc123/payload",
  };
  for (const char* path : paths) {
    SCOPED_TRACE(path);
    Proc p;
    p.comm = "curl";
    p.exe = "/usr/bin/curl";
    p.cmdline = "curl -o x";
    p.container_id = "c2";
    auto alerts = Run(Open(p, path, O_WRONLY | O_CREAT | O_TRUNC));
    ASSERT_THAT(Names(alerts), ElementsAre(kHidden));
    EXPECT_EQ(alerts[0].fields.at("fd.name"), path);
    EXPECT_EQ(alerts[0].fields.at("proc.name"), "curl");
    EXPECT_EQ(alerts[0].fields.at("proc.exepath"), "/usr/bin/curl");
    EXPECT_EQ(alerts[0].fields.at("container.id"), "c2");
    EXPECT_THAT(alerts[0].output, HasSubstr(absl::StrCat("file=", path, " proc=curl")));
  }
}

TEST_F(DefaultRulesTest, HiddenPathNearMisses) {
  struct Case {
    const char* path;
    int64_t result;
  };
  const Case cases[] = {
      {"/tmp/a.b", 3},                    // a dot, not a hidden name
      {"/tmp/vigil-test-x/file.txt", 3},  // ordinary temp files
      {"/home/alice/.bashrc", 3},         // hidden, outside the roots
      {"/tmpx/.x", 3},                    // a sibling of /tmp
      {"/var/tmpfoo/.x", 3},
      {"/tmp/build/.ninja_log", 3},  // tool metadata in a temp build tree
      {"/tmp/repo/.git/HEAD", 3},
      {"/tmp/pytest-of-root/pytest-3/.cache/v", 3},
      {"/tmp/.X11-unix", 3},  // the X socket directories themselves
      {"/tmp/.ICE-unix", 3},
      {"/tmp/.X0-lock", 3},  // X server lock files
      {"/tmp/.X99-lock", 3},
      {"/dev/shm/.org.chromium.Chromium.AbC123", 3},  // Chromium shared memory
      {"/dev/shm/.com.google.Chrome.x1Y2z3", 3},
      {"/tmp/.attach_pid12345", 3},  // JVM attach handshake
      {"/tmp/.x", -13},              // a failed open
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.path);
    EXPECT_THAT(Names(Run(Open(Proc{}, c.path, O_RDONLY, c.result))), IsEmpty());
  }
}

// ---------------------------------------------------------------------------------------
// Write to account or privilege file.

TEST_F(DefaultRulesTest, WritesToAccountAndPrivilegeFilesFire) {
  struct Case {
    const char* path;
    uint32_t flags;
    const char* comm;
  };
  const Case cases[] = {
      {"/etc/passwd", O_WRONLY | O_APPEND, "bash"},
      {"/etc/shadow", O_RDWR, "python3"},
      {"/etc/gshadow", O_WRONLY, "perl"},
      {"/etc/group", O_WRONLY | O_TRUNC, "sed"},
      {"/etc/sudoers", O_WRONLY | O_APPEND, "tee"},
      {"/etc/sudoers.d/90-backdoor", O_WRONLY | O_CREAT | O_TRUNC, "tee"},
      {"/etc/sudoers.d/README.dpkg-new", O_WRONLY | O_CREAT, "bash"},  // not dpkg
      {"/root/.ssh/authorized_keys", O_WRONLY | O_APPEND, "sh"},
      {"/home/alice/.ssh/authorized_keys", O_WRONLY | O_APPEND, "cat"},
      {"/home/bob/.ssh/authorized_keys2", O_RDWR | O_CREAT, "vim"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.path);
    Proc p;
    p.comm = c.comm;
    p.exe = absl::StrCat("/usr/bin/", c.comm);
    p.cmdline = c.comm;
    p.uid = p.euid = 0;
    auto alerts = Run(Open(p, c.path, c.flags));
    ASSERT_THAT(Names(alerts), ElementsAre(kSensitiveWrite));
    EXPECT_EQ(alerts[0].fields.at("fd.name"), c.path);
    EXPECT_EQ(alerts[0].fields.at("proc.name"), c.comm);
    EXPECT_EQ(alerts[0].fields.at("user.name"), "root");
    EXPECT_EQ(alerts[0].fields.at("user.uid"), "0");
    EXPECT_EQ(alerts[0].fields.at("proc.pname"), "sshd");
  }
}

TEST_F(DefaultRulesTest, SensitiveFileNearMisses) {
  struct Case {
    const char* label;
    const char* path;
    uint32_t flags;
    const char* comm;
    int64_t result;
  };
  const Case cases[] = {
      {"reading /etc/passwd", "/etc/passwd", O_RDONLY, "bash", 3},
      {"reading /etc/sudoers", "/etc/sudoers", O_RDONLY, "sudo", 3},
      {"useradd editing /etc/passwd in place", "/etc/passwd", O_RDWR, "useradd", 3},
      {"passwd editing /etc/shadow in place", "/etc/shadow", O_RDWR, "passwd", 3},
      {"visudo writing a sudoers.d file", "/etc/sudoers.d/admins", O_WRONLY | O_CREAT, "visudo", 3},
      {"dpkg staging a sudoers.d file", "/etc/sudoers.d/README.dpkg-new",
       O_WRONLY | O_CREAT | O_TRUNC, "dpkg", 3},
      {"shadow-utils' new copy", "/etc/passwd+", O_WRONLY | O_CREAT, "bash", 3},
      {"a similar name", "/etc/passwords", O_WRONLY | O_CREAT, "bash", 3},
      {"known_hosts", "/home/alice/.ssh/known_hosts", O_WRONLY | O_APPEND, "ssh", 3},
      {"authorized_keys outside .ssh", "/home/alice/notes/authorized_keys", O_WRONLY, "vim", 3},
      {"sshd reading authorized_keys", "/home/alice/.ssh/authorized_keys", O_RDONLY, "sshd", 3},
      {"a refused write", "/etc/shadow", O_WRONLY, "bash", -13},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    Proc p;
    p.comm = c.comm;
    EXPECT_THAT(Names(Run(Open(p, c.path, c.flags, c.result))), IsEmpty());
  }
}

// ---------------------------------------------------------------------------------------
// Read of shadow file by unexpected process.

TEST_F(DefaultRulesTest, ShadowReadByUnexpectedProcessFires) {
  struct Case {
    const char* path;
    const char* comm;
  };
  const Case cases[] = {
      {"/etc/shadow", "cat"},   {"/etc/gshadow", "python3"}, {"/etc/shadow-", "tar"},
      {"/etc/shadow", "sshd2"}, {"/etc/shadow", "systemd"},  {"/etc/shadow", "john"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat(c.comm, " ", c.path));
    Proc p;
    p.comm = c.comm;
    p.exe = absl::StrCat("/usr/bin/", c.comm);
    p.cmdline = absl::StrCat(c.comm, " ", c.path);
    p.uid = p.euid = 0;
    p.pod = "api-0";
    p.ns = "prod";
    auto alerts = Run(Open(p, c.path, O_RDONLY | O_CLOEXEC));
    ASSERT_THAT(Names(alerts), ElementsAre(kShadowRead));
    EXPECT_EQ(alerts[0].fields.at("fd.name"), c.path);
    EXPECT_EQ(alerts[0].fields.at("proc.name"), c.comm);
    EXPECT_EQ(alerts[0].fields.at("proc.cmdline"), p.cmdline);
    EXPECT_EQ(alerts[0].fields.at("k8s.pod.name"), "api-0");
    EXPECT_EQ(alerts[0].fields.at("k8s.ns.name"), "prod");
  }
}

TEST_F(DefaultRulesTest, ShadowReadNearMisses) {
  struct Case {
    const char* path;
    const char* comm;
    uint32_t flags;
    int64_t result;
  };
  const Case cases[] = {
      {"/etc/shadow", "sshd", O_RDONLY, 3},
      {"/etc/shadow", "unix_chkpwd", O_RDONLY, 3},
      {"/etc/shadow", "login", O_RDONLY, 3},
      {"/etc/shadow", "sudo", O_RDONLY, 3},
      {"/etc/shadow", "cron", O_RDONLY, 3},
      {"/etc/shadow", "(sd-pam)", O_RDONLY, 3},
      {"/etc/shadow", "systemd-logind", O_RDONLY, 3},
      {"/etc/gshadow", "polkit-agent-he", O_RDONLY, 3},
      {"/etc/passwd", "cat", O_RDONLY, 3},      // not a hash file
      {"/etc/shadow.bak", "cat", O_RDONLY, 3},  // not the live file
      {"/etc/shadow", "cat", O_RDONLY, -13},    // refused
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat(c.comm, " ", c.path));
    Proc p;
    p.comm = c.comm;
    EXPECT_THAT(Names(Run(Open(p, c.path, c.flags, c.result))), IsEmpty());
  }
  // Opening it for writing is the write rule's alert, not a second one from this rule.
  Proc cat;
  cat.comm = "cat";
  EXPECT_THAT(Names(Run(Open(cat, "/etc/shadow", O_RDWR))), ElementsAre(kSensitiveWrite));
}

// ---------------------------------------------------------------------------------------
// Execution from world-writable directory.

TEST_F(DefaultRulesTest, ExecutionFromWorldWritableDirsFires) {
  const char* const exes[] = {"/tmp/x",     "/tmp/.hidden/kworker", "/var/tmp/a/b",
                              "/dev/shm/m", "/run/lock/z",          "/tmp/go-buildx/b001/exe/evil"};
  for (const char* exe : exes) {
    SCOPED_TRACE(exe);
    Proc p;
    p.container_id = "c3";
    auto alerts = Run(Exec(p, exe, absl::StrCat(exe, " -d"), 0100755, Creds{}, kT0));
    ASSERT_THAT(Names(alerts), ElementsAre(kTmpExec));
    EXPECT_EQ(alerts[0].fields.at("proc.exepath"), exe);
    EXPECT_EQ(alerts[0].fields.at("proc.cmdline"), absl::StrCat(exe, " -d"));
    EXPECT_EQ(alerts[0].fields.at("proc.pid"), "4242");
    EXPECT_EQ(alerts[0].fields.at("proc.ppid"), "4200");
    EXPECT_EQ(alerts[0].fields.at("proc.pname"), "sshd");
    EXPECT_EQ(alerts[0].fields.at("container.id"), "c3");
  }
}

TEST_F(DefaultRulesTest, ExecutionFromWorldWritableDirsNearMisses) {
  const char* const exes[] = {
      "/tmpx/evil",  // a sibling of /tmp
      "/var/tmpfoo/x",
      "/home/alice/tmp/x",                  // a tmp directory of one's own
      "/usr/bin/bash",                      // an interpreter running a /tmp script
      "/tmp/go-build2741/b001/exe/main",    // go run
      "/tmp/go-build2741/b042/vigil.test",  // go test
  };
  for (const char* exe : exes) {
    SCOPED_TRACE(exe);
    EXPECT_THAT(Names(Run(Exec(Proc{}, exe, "bash /tmp/install.sh", 0100755, Creds{}, kT0))),
                IsEmpty());
  }
}

// ---------------------------------------------------------------------------------------
// Privilege elevation after execution from world-writable directory (sequence by pid).

TEST_F(DefaultRulesTest, ElevationAfterExecFromTmpFires) {
  Proc p;
  p.pid = 777;
  Creds to_root;
  to_root.euid = 0;
  // A dropped exploit runs, then re-executes pkexec (an allowed setuid program).
  EXPECT_THAT(Names(Run(Exec(p, "/tmp/.x/pwn", "pwn", 0100755, Creds{}, kT0))),
              ElementsAre(kTmpExec));
  auto alerts = Run(Exec(p, "/usr/bin/pkexec", "pkexec", 0104755, to_root, kT0 + 5 * kSec));
  ASSERT_THAT(Names(alerts), ElementsAre(kTmpElevation));
  const Fired& a = alerts[0];
  EXPECT_EQ(a.fields.at("proc.pid"), "777");
  EXPECT_EQ(a.fields.at("proc.exepath"), "/usr/bin/pkexec");
  EXPECT_EQ(a.fields.at("user.euid_before"), "1000");
  EXPECT_EQ(a.fields.at("user.euid"), "0");
  EXPECT_EQ(a.fields.at("user.name"), "alice");
  EXPECT_THAT(FiredBy(kSetuid), IsEmpty());
}

TEST_F(DefaultRulesTest, ElevationAfterExecFromTmpNearMisses) {
  Creds to_root;
  to_root.euid = 0;
  struct Case {
    const char* label;
    const char* first_exe;
    uint32_t second_pid;
    uint64_t delay;
    Creds second;
  };
  const Case cases[] = {
      {"elevation more than 30s later", "/tmp/pwn", 777, 31 * kSec, to_root},
      {"elevation by another process", "/tmp/pwn", 778, 1 * kSec, to_root},
      {"no elevation after the tmp exec", "/tmp/pwn", 777, 1 * kSec, Creds{}},
      {"elevation after an ordinary exec", "/usr/bin/make", 777, 1 * kSec, to_root},
      {"elevation after a go test binary", "/tmp/go-build99/b001/x.test", 777, 1 * kSec, to_root},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    engine_ = std::make_unique<Engine>(*pack_);
    fired_.clear();
    Proc p;
    p.pid = 777;
    Run(Exec(p, c.first_exe, "x", 0100755, Creds{}, kT0));
    p.pid = c.second_pid;
    Run(Exec(p, "/usr/bin/sudo", "sudo id", 0104755, c.second, kT0 + c.delay));
    EXPECT_THAT(FiredBy(kTmpElevation), IsEmpty());
  }
}

}  // namespace
}  // namespace vigil::rules

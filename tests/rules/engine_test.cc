// Unit tests for rules/engine.h and the stateful rule syntax: threshold and sequence rules
// written in YAML, compiled and run on event streams (windows, cooldown, keys, eviction),
// alerts' rendered output and fields, state carried across rule-set swaps, and the
// errors stateful items report.
#include "rules/engine.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rules/rule_file.h"
#include "tests/rules/fake_event_view.h"

namespace vigil::rules {
namespace {

using event::Event;
using event::EventType;
using ::testing::HasSubstr;

constexpr uint64_t kMs = 1000 * 1000;
constexpr uint64_t kSec = 1000 * kMs;

std::shared_ptr<const RuleSet> MustCompile(const std::string& yaml) {
  RuleFileSet files;
  absl::Status loaded = files.AddText(yaml, "t.yaml");
  EXPECT_TRUE(loaded.ok()) << loaded;
  absl::StatusOr<std::unique_ptr<RuleSet>> set = RuleSet::Compile(files);
  EXPECT_TRUE(set.ok()) << set.status();
  if (!set.ok()) return nullptr;
  return std::shared_ptr<const RuleSet>(*std::move(set));
}

// The first error loading and compiling `yaml`, or "ok".
std::string ErrorOf(const std::string& yaml) {
  RuleFileSet files;
  absl::Status loaded = files.AddText(yaml, "t.yaml");
  if (!loaded.ok()) return std::string(loaded.message());
  absl::StatusOr<std::unique_ptr<RuleSet>> set = RuleSet::Compile(files);
  return set.ok() ? "ok" : std::string(set.status().message());
}

event::Event Fork(uint32_t pid, uint64_t t) {
  event::Event e;
  e.type = event::kFork;
  e.task.pid = pid;
  e.task.tid = pid;
  e.task.time_boot_ns = t;
  e.task.comm = "sh";
  e.fork.child_pid = pid + 1000;
  e.fork.child_tid = pid + 1000;
  return e;
}

event::Event Exec(uint32_t pid, uint64_t t, absl::string_view exe) {
  event::Event e;
  e.type = event::kExec;
  e.task.pid = pid;
  e.task.tid = pid;
  e.task.time_boot_ns = t;
  e.task.comm = "x";
  e.exec.exe = exe;
  return e;
}

event::Event Open(uint32_t pid, uint64_t t, absl::string_view path) {
  event::Event e;
  e.type = event::kOpen;
  e.task.pid = pid;
  e.task.tid = pid;
  e.task.time_boot_ns = t;
  e.task.comm = "cat";
  e.open.syscall = event::OpenSyscall::kOpenAt;
  e.open.path = path;
  e.open.result = 3;
  return e;
}

// Feeds events to an engine and keeps copies of the alerts.
class Harness {
 public:
  explicit Harness(std::shared_ptr<const RuleSet> set) : engine_(std::move(set)) {}

  // Processes one event; returns how many alerts it raised.
  size_t Feed(const event::Event& event) {
    FakeEventView view(event);
    view.process_.pid = event.task.pid;
    view.process_.comm = std::string(event.task.comm);
    const size_t before = alerts_.size();
    engine_.Process(view, [&](const Alert& alert) {
      alerts_.push_back(alert);
      names_.push_back(alert.rule->name);
    });
    return alerts_.size() - before;
  }

  Engine& engine() { return engine_; }
  const std::vector<Alert>& alerts() const { return alerts_; }
  const std::vector<std::string>& names() const { return names_; }

 private:
  Engine engine_;
  std::vector<Alert> alerts_;
  std::vector<std::string> names_;  // rule names (the rule pointers die with their set)
};

constexpr char kFlood[] = R"(
- rule: flood
  condition: evt.type = clone and proc.is_thread = false
  threshold:
    count: 3
    window: 1s
    by: [proc.pid]
    cooldown: 2s
  output: "flood of %evt.count by %proc.name"
  priority: CRITICAL
)";

// A view that knows the event's container and pod.
class PodView : public FakeEventView {
 public:
  using FakeEventView::FakeEventView;
  absl::string_view container_id() const override { return "c0ffee"; }
  absl::string_view container_runtime() const override { return "containerd"; }
  absl::string_view pod_name() const override { return "web-1"; }
  absl::string_view pod_namespace() const override { return "shop"; }
  absl::string_view pod_uid() const override { return "uid-1"; }
  absl::string_view pod_labels() const override { return "app=web,app.kubernetes.io/tier=front"; }
  absl::string_view pod_label(absl::string_view key) const override {
    if (key == "app") return "web";
    if (key == "app.kubernetes.io/tier") return "front";
    return {};
  }
};

// Every container and pod field reaches the output, for plain rules and for threshold
// rules (whose output is rendered through a view that adds evt.count).
TEST(EngineEnrichmentTest, ContainerAndPodFieldsReachTheOutput) {
  const std::string fields =
      "%container.id %container.runtime %k8s.pod.name %k8s.ns.name %k8s.pod.uid "
      "%k8s.pod.labels";
  Engine engine(MustCompile(absl::StrCat(R"(
- rule: plain
  condition: evt.type = clone
  output: ")",
                                         fields, R"("
  priority: NOTICE
- rule: counted
  condition: evt.type = clone
  threshold:
    count: 1
    window: 1s
  output: ")",
                                         fields, R"("
  priority: NOTICE
)")));
  PodView view(Fork(7, kSec));
  std::vector<std::string> outputs;
  engine.Process(view, [&](const Alert& alert) { outputs.push_back(alert.output); });
  ASSERT_EQ(outputs.size(), 2u);
  for (const std::string& out : outputs) {
    EXPECT_EQ(out, "c0ffee containerd web-1 shop uid-1 app=web,app.kubernetes.io/tier=front");
  }
}

// A pod label is read by key, in conditions, outputs and threshold keys.
TEST(EngineEnrichmentTest, PodLabelsAreReadByKey) {
  Engine engine(MustCompile(R"(
- rule: web tier
  condition: evt.type = clone and k8s.pod.label[app] = web and k8s.pod.label[app.kubernetes.io/tier] in (front, back)
  output: "%k8s.pod.label[app] %k8s.pod.label[app.kubernetes.io/tier] [%k8s.pod.label[missing]]"
  priority: NOTICE
- rule: other app
  condition: evt.type = clone and k8s.pod.label[app] = db
  output: never
  priority: NOTICE
- rule: by app
  condition: evt.type = clone
  threshold:
    count: 2
    window: 1s
    by:
      - k8s.pod.label[app]
  output: "flood in %k8s.pod.label[app]"
  priority: NOTICE
)"));
  PodView view(Fork(7, kSec));
  std::vector<std::string> outputs;
  engine.Process(view, [&](const Alert& alert) { outputs.push_back(alert.output); });
  engine.Process(view, [&](const Alert& alert) { outputs.push_back(alert.output); });
  EXPECT_THAT(outputs, ::testing::ElementsAre("web front []", "web front []", "flood in web"));
}

TEST(EngineEnrichmentTest, PodLabelNeedsAValidKey) {
  const std::pair<std::string, std::string> cases[] = {
      {"k8s.pod.label = x", "k8s.pod.label needs a label key argument"},
      {"k8s.pod.label[bad!key] = x", "k8s.pod.label needs a label key argument"},
      {"k8s.pod.labels[app] = x", "field 'k8s.pod.labels' takes no argument"},
      {"proc.aname[app] = x", "proc.aname needs an argument [1..16]"},
  };
  for (const auto& [condition, error] : cases) {
    EXPECT_THAT(ErrorOf(absl::StrCat("- rule: r\n  condition: ", condition,
                                     "\n  output: o\n  priority: NOTICE\n")),
                HasSubstr(error))
        << condition;
  }
  EXPECT_THAT(ErrorOf("- rule: r\n  condition: evt.type = clone\n  output: \"%k8s.pod.label\"\n"
                      "  priority: NOTICE\n"),
              HasSubstr("k8s.pod.label needs a [KEY] argument"));
}

TEST(EngineThresholdTest, FiresOncePerFloodWithItsCount) {
  Harness h(MustCompile(kFlood));
  EXPECT_EQ(h.Feed(Fork(10, 0)), 0u);
  EXPECT_EQ(h.Feed(Fork(10, 100 * kMs)), 0u);
  ASSERT_EQ(h.Feed(Fork(10, 200 * kMs)), 1u);
  const Alert& alert = h.alerts()[0];
  EXPECT_EQ(alert.count, 3u);
  EXPECT_EQ(alert.first_time_boot_ns, 0u);
  EXPECT_EQ(alert.time_boot_ns, 200 * kMs);
  EXPECT_EQ(alert.output, "flood of 3 by sh");
  // The flood goes on (gaps below the cooldown): absorbed.
  for (uint64_t t = 300; t < 3000; t += 500) EXPECT_EQ(h.Feed(Fork(10, t * kMs)), 0u);
  // Quiet for the cooldown, then a new flood: a second alert.
  EXPECT_EQ(h.Feed(Fork(10, 6 * kSec)), 0u);
  EXPECT_EQ(h.Feed(Fork(10, 6 * kSec + 1)), 0u);
  EXPECT_EQ(h.Feed(Fork(10, 6 * kSec + 2)), 1u);
  EXPECT_EQ(h.engine().counters()[0].alerts, 2u);
}

TEST(EngineThresholdTest, SpreadOverMoreThanTheWindowDoesNotFire) {
  Harness h(MustCompile(kFlood));
  for (uint64_t t = 0; t < 10; ++t) EXPECT_EQ(h.Feed(Fork(10, t * 600 * kMs)), 0u);
  EXPECT_EQ(h.engine().counters()[0].matches, 10u);
  EXPECT_EQ(h.engine().counters()[0].alerts, 0u);
}

TEST(EngineThresholdTest, KeysAreCountedApart) {
  Harness h(MustCompile(kFlood));
  EXPECT_EQ(h.Feed(Fork(10, 0)), 0u);
  EXPECT_EQ(h.Feed(Fork(11, 1)), 0u);
  EXPECT_EQ(h.Feed(Fork(10, 2)), 0u);
  EXPECT_EQ(h.Feed(Fork(11, 3)), 0u);
  EXPECT_EQ(h.Feed(Fork(10, 4)), 1u);
  EXPECT_EQ(h.Feed(Fork(11, 5)), 1u);
  EXPECT_EQ(h.engine().tracked_keys(), 2u);
  // Key fields are in the alert's fields, after the template's.
  const Alert& alert = h.alerts()[1];
  ASSERT_EQ(alert.fields.size(), 3u);
  EXPECT_EQ(alert.fields[0].name, "evt.count");
  EXPECT_EQ(alert.fields[0].num, 3);
  EXPECT_EQ(alert.fields[1].name, "proc.name");
  EXPECT_EQ(alert.fields[2].name, "proc.pid");
  EXPECT_EQ(alert.fields[2].num, 11);
}

TEST(EngineThresholdTest, WithoutByOneKeyCountsEverything) {
  Harness h(MustCompile(R"(
- rule: node flood
  condition: evt.type = clone
  threshold: {count: 3, window: 1s}
  output: "node flood %evt.count"
  priority: WARNING
)"));
  EXPECT_EQ(h.Feed(Fork(1, 0)), 0u);
  EXPECT_EQ(h.Feed(Fork(2, 1)), 0u);
  EXPECT_EQ(h.Feed(Fork(3, 2)), 1u);
}

TEST(EngineThresholdTest, KeysBeyondMaxKeysAreEvictedAndCounted) {
  Harness h(MustCompile(R"(
- rule: flood
  condition: evt.type = clone
  threshold: {count: 2, window: 1s, by: [proc.pid], max_keys: 2}
  output: "f"
  priority: WARNING
)"));
  EXPECT_EQ(h.Feed(Fork(1, 0)), 0u);
  EXPECT_EQ(h.Feed(Fork(2, 1)), 0u);
  EXPECT_EQ(h.Feed(Fork(3, 2)), 0u);  // evicts pid 1
  EXPECT_EQ(h.engine().evictions(), 1u);
  EXPECT_EQ(h.engine().tracked_keys(), 2u);
  EXPECT_EQ(h.Feed(Fork(1, 3)), 0u);  // pid 1 starts over (and evicts pid 2)
  EXPECT_EQ(h.Feed(Fork(1, 4)), 1u);
  EXPECT_EQ(h.engine().evictions(), 2u);
}

constexpr char kSequence[] = R"(
- rule: tmp binary reads shadow
  condition: proc.pid > 1
  sequence:
    window: 10s
    by: [proc.pid]
    steps:
      - condition: evt.type = execve and proc.exepath startswith /tmp/
      - condition: evt.type = openat and fd.name = /etc/shadow
  output: "shadow read by %proc.pid"
  priority: CRITICAL
)";

TEST(EngineSequenceTest, StepsInOrderWithinTheWindowFireOnce) {
  Harness h(MustCompile(kSequence));
  EXPECT_EQ(h.Feed(Exec(50, 1 * kSec, "/tmp/x")), 0u);
  EXPECT_EQ(h.Feed(Open(51, 2 * kSec, "/etc/shadow")), 0u);  // another key
  ASSERT_EQ(h.Feed(Open(50, 5 * kSec, "/etc/shadow")), 1u);
  EXPECT_EQ(h.alerts()[0].first_time_boot_ns, 1 * kSec);
  EXPECT_EQ(h.alerts()[0].output, "shadow read by 50");
  EXPECT_EQ(h.Feed(Open(50, 6 * kSec, "/etc/shadow")), 0u);  // the key started over
}

TEST(EngineSequenceTest, NearMissesDoNotFire) {
  Harness h(MustCompile(kSequence));
  // Wrong order.
  EXPECT_EQ(h.Feed(Open(60, 0, "/etc/shadow")), 0u);
  EXPECT_EQ(h.Feed(Exec(60, 1 * kSec, "/tmp/x")), 0u);
  // Too late: the second step more than 10 s after the first.
  EXPECT_EQ(h.Feed(Open(60, 12 * kSec, "/etc/shadow")), 0u);
  // The common condition fails (pid 1).
  EXPECT_EQ(h.Feed(Exec(1, 20 * kSec, "/tmp/x")), 0u);
  EXPECT_EQ(h.Feed(Open(1, 21 * kSec, "/etc/shadow")), 0u);
  // Another binary.
  EXPECT_EQ(h.Feed(Exec(61, 30 * kSec, "/usr/bin/x")), 0u);
  EXPECT_EQ(h.Feed(Open(61, 31 * kSec, "/etc/shadow")), 0u);
  EXPECT_TRUE(h.alerts().empty());
}

TEST(EngineSwapTest, UnchangedStatefulRulesKeepTheirState) {
  Harness h(MustCompile(kFlood));
  EXPECT_EQ(h.Feed(Fork(10, 0)), 0u);
  EXPECT_EQ(h.Feed(Fork(10, 1)), 0u);
  h.engine().Swap(MustCompile(kFlood));
  EXPECT_EQ(h.Feed(Fork(10, 2)), 1u);
  EXPECT_EQ(h.engine().counters()[0].matches, 3u);  // counters follow the rule's name
}

TEST(EngineSwapTest, ChangedStatefulRulesStartOver) {
  Harness h(MustCompile(kFlood));
  EXPECT_EQ(h.Feed(Fork(10, 0)), 0u);
  EXPECT_EQ(h.Feed(Fork(10, 1)), 0u);
  std::string changed = kFlood;
  changed.replace(changed.find("count: 3"), 8, "count: 4");
  h.engine().Swap(MustCompile(changed));
  EXPECT_EQ(h.Feed(Fork(10, 2)), 0u);
  EXPECT_EQ(h.Feed(Fork(10, 3)), 0u);
  EXPECT_EQ(h.Feed(Fork(10, 4)), 0u);
  EXPECT_EQ(h.Feed(Fork(10, 5)), 1u);
}

TEST(EngineSwapTest, EachEventIsEvaluatedByTheSetInForce) {
  auto a = MustCompile(R"(
- rule: a
  condition: evt.type = clone
  output: a
  priority: INFO
)");
  auto b = MustCompile(R"(
- rule: b
  condition: evt.type = clone
  output: b
  priority: INFO
)");
  Harness h(a);
  EXPECT_EQ(h.Feed(Fork(1, 0)), 1u);
  h.engine().Swap(b);
  EXPECT_EQ(h.Feed(Fork(1, 1)), 1u);
  EXPECT_THAT(h.names(), ::testing::ElementsAre("a", "b"));
}

TEST(EngineTest, StatelessRulesAlertOnEveryMatchWithTheirFields) {
  Harness h(MustCompile(R"y(
- rule: shadow
  condition: evt.type = openat and fd.name = /etc/shadow
  output: "%proc.name opened %fd.name (%fd.filename)"
  priority: WARNING
)y"));
  ASSERT_EQ(h.Feed(Open(5, 7, "/etc/shadow")), 1u);
  ASSERT_EQ(h.Feed(Open(5, 8, "/etc/shadow")), 1u);
  EXPECT_EQ(h.Feed(Open(5, 9, "/etc/passwd")), 0u);
  const Alert& alert = h.alerts()[0];
  EXPECT_EQ(alert.output, "cat opened /etc/shadow (shadow)");
  EXPECT_EQ(alert.count, 1u);
  EXPECT_EQ(alert.first_time_boot_ns, 7u);
  ASSERT_EQ(alert.fields.size(), 3u);
  EXPECT_EQ(alert.fields[1].name, "fd.name");
  EXPECT_EQ(alert.fields[1].str, "/etc/shadow");
  EXPECT_TRUE(alert.fields[1].present);
}

TEST(EngineTest, BlockScalarOutputsRenderAsYamlReadsThem) {
  Harness h(MustCompile(R"y(
- rule: folded
  condition: evt.type = clone
  output: >-
    fork by %proc.name
    pid=%proc.pid
  priority: INFO
- rule: literal
  condition: evt.type = clone
  output: |
    line1 %proc.pid
    line2
  priority: INFO
)y"));
  ASSERT_EQ(h.Feed(Fork(9, 1)), 2u);
  EXPECT_EQ(h.alerts()[0].output, "fork by sh pid=9");
  EXPECT_EQ(h.alerts()[1].output, "line1 9\nline2\n");
  // An error in a block scalar still points at its line and column in the file.
  EXPECT_EQ(ErrorOf("- rule: r\n  condition: evt.type = clone\n  output: >-\n    a\n"
                    "    b %proc.nope\n  priority: INFO\n"),
            "t.yaml:5:7: unknown field 'proc.nope' in output");
}

TEST(DurationTest, ParsesUnitsAndRejectsTheRest) {
  struct Case {
    const char* text;
    bool ok;
    uint64_t ns;
  };
  for (const Case& c :
       {Case{"1ns", true, 1}, Case{"250us", true, 250000}, Case{"500ms", true, 500 * kMs},
        Case{"10s", true, 10 * kSec}, Case{"2m", true, 120 * kSec}, Case{"1h", true, 3600 * kSec},
        Case{"10", false, 0}, Case{"0s", false, 0}, Case{"s", false, 0}, Case{"-1s", false, 0},
        Case{"1.5s", false, 0}, Case{"1 s", false, 0}, Case{"1d", false, 0},
        Case{"999999999999999999h", false, 0}, Case{"", false, 0}}) {
    uint64_t ns = 0;
    EXPECT_EQ(ParseDuration(c.text, &ns), c.ok) << c.text;
    if (c.ok) {
      EXPECT_EQ(ns, c.ns) << c.text;
    }
  }
}

// A rule with the given stateful block (indented under the rule).
std::string RuleWith(const std::string& block, const std::string& condition = "evt.type = clone") {
  return absl::StrCat("- rule: r\n  condition: ", condition, "\n", block,
                      "  output: o\n  priority: INFO\n");
}

TEST(StatefulSyntaxTest, ErrorsNameTheLocationAndReason) {
  struct Case {
    std::string yaml;
    std::string error;
  };
  const std::vector<Case> cases = {
      {RuleWith("  threshold: {count: 3, window: 10}\n"),
       "t.yaml:3:33: bad duration '10' for window"},
      {RuleWith("  threshold: {count: 3, window: 0s}\n"), "t.yaml:3:33: bad duration '0s'"},
      {RuleWith("  threshold: {count: 0, window: 1s}\n"),
       "t.yaml:3:22: count must be an integer from 1 to 1048576, not '0'"},
      {RuleWith("  threshold: {count: many, window: 1s}\n"), "t.yaml:3:22: count must be"},
      {RuleWith("  threshold: {window: 1s}\n"), "t.yaml:3:14: threshold has no count"},
      {RuleWith("  threshold: {count: 2}\n"), "t.yaml:3:14: threshold has no window"},
      {RuleWith("  threshold: 5\n"), "t.yaml:3:14: threshold must be a mapping"},
      {RuleWith("  threshold: {count: 2, window: 1s, colour: red}\n"),
       "t.yaml:3:37: unknown key 'colour' in threshold of rule 'r'"},
      {RuleWith("  threshold: {count: 2, window: 1s, cooldown: soon}\n"),
       "t.yaml:3:47: bad duration 'soon' for cooldown"},
      {RuleWith("  threshold: {count: 2, window: 1s, by: [proc.nmae]}\n"),
       "t.yaml:3:14: unknown field 'proc.nmae'"},
      {RuleWith("  threshold: {count: 2, window: 1s, by: [proc.aname]}\n"),
       "t.yaml:3:14: proc.aname needs an argument [1..16]"},
      {RuleWith("  threshold: {count: 2, window: 1s, by: [\"proc.aname[2\"]}\n"),
       "t.yaml:3:14: bad key field 'proc.aname[2'"},
      {RuleWith("  threshold: {count: 2, window: 1s, max_keys: 0}\n"),
       "t.yaml:3:47: max_keys must be an integer from 1 to 1048576"},
      {RuleWith("  threshold: {count: 2, window: 1s, by: [a.a, b.b, c.c, d.d, e.e, f.f, g.g, "
                "h.h, i.i]}\n"),
       "t.yaml:3:41: by names more than 8 fields"},
      {RuleWith("  threshold: {count: 1000, window: 1s, max_keys: 10000}\n"),
       "t.yaml:3:50: count x max_keys is 10000000; at most 8388608"},
      {RuleWith("  threshold: {count: 2, window: 1s}\n  sequence: {window: 1s}\n"),
       "t.yaml:4:13: rule 'r' has both threshold and sequence"},
      {RuleWith("  sequence: {window: 1s, steps: [{condition: evt.type = clone}]}\n"),
       "t.yaml:3:33: steps must be a list of 2 to 16 items"},
      {RuleWith("  sequence: {window: 1s, steps: [{condition: evt.type = clone}, {cond: x}]}\n"),
       "t.yaml:3:65: a sequence step must be a mapping with a condition"},
      {RuleWith("  sequence: {steps: [{condition: a}, {condition: b}]}\n"),
       "t.yaml:3:13: sequence has no window"},
      {RuleWith("  sequence:\n    window: 1s\n    steps:\n      - condition: evt.type = clone\n"
                "      - condition: evt.type = execve and proc.nme = x\n"),
       "t.yaml:7:42: unknown field 'proc.nme'"},
      {"- rule: r\n  sequence: {window: 1s, steps: [{condition: evt.type = clone}, "
       "{condition: evt.type = execve}]}\n  output: o\n",
       "t.yaml:1:3: rule 'r' has no priority"},
      {"- rule: r\n  output: o\n  priority: INFO\n  threshold: {count: 2, window: 1s}\n",
       "t.yaml:1:3: rule 'r' has no condition"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(ErrorOf(c.yaml), HasSubstr(c.error)) << c.yaml;
    EXPECT_EQ(ErrorOf(c.yaml).rfind(c.error.substr(0, c.error.find(": ") + 2), 0), 0u) << c.yaml;
  }
}

TEST(StatefulSyntaxTest, SequenceWithoutCommonConditionAndThresholdOverride) {
  auto set = MustCompile(
      "- rule: r\n  sequence: {window: 1s, steps: [{condition: evt.type = clone}, "
      "{condition: evt.type = execve}]}\n  output: o\n  priority: INFO\n");
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(set->rules()[0].kind, RuleKind::kSequence);
  EXPECT_EQ(set->rules()[0].step_roots.size(), 2u);

  RuleFileSet files;
  ASSERT_TRUE(files.AddText(kFlood, "a.yaml").ok());
  ASSERT_TRUE(files
                  .AddText("- rule: flood\n  threshold: {count: 9, window: 5s}\n"
                           "  override: {threshold: replace}\n",
                           "b.yaml")
                  .ok());
  auto compiled = RuleSet::Compile(files);
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  const CompiledRule& rule = (*compiled)->rules()[0];
  EXPECT_EQ(rule.kind, RuleKind::kThreshold);
  EXPECT_EQ(rule.threshold.count, 9u);
  EXPECT_EQ(rule.threshold.window_ns, 5 * kSec);
  EXPECT_EQ(rule.threshold.cooldown_ns, 5 * kSec);  // the window, by default
  EXPECT_TRUE(rule.key_fields.empty());
  EXPECT_EQ(rule.max_keys, 65536u);

  // Without max_keys, a large count tracks fewer keys: memory stays bounded.
  auto big = MustCompile(RuleWith("  threshold: {count: 1000, window: 1s}\n"));
  ASSERT_NE(big, nullptr);
  EXPECT_EQ(big->rules()[0].max_keys, 8388u);
}

TEST(ConditionLocationTest, ErrorsInMultiLinePlainConditionsPointIntoTheFile) {
  EXPECT_EQ(ErrorOf("- rule: r\n  condition: evt.type = execve\n    and proc.nme = bash\n"
                    "  output: o\n  priority: INFO\n"),
            "t.yaml:3:9: unknown field 'proc.nme'");
  // Single-line plain conditions keep their positions too.
  EXPECT_EQ(ErrorOf("- rule: r\n  condition: evt.type = execve and proc.nme = bash\n"
                    "  output: o\n  priority: INFO\n"),
            "t.yaml:2:36: unknown field 'proc.nme'");
  EXPECT_EQ(ErrorOf("- rule: Ghost\n  enabled: false\n"),
            "t.yaml:1:3: cannot enable or disable undefined rule 'Ghost'");
}

}  // namespace
}  // namespace vigil::rules

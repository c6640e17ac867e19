// Unit tests for rules/rule_file.h: loading items, layering files with overrides, and
// rejecting malformed files with file:line:column errors.
#include "rules/rule_file.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_dir.h"

namespace vigil::rules {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kBase[] = R"(- required_engine_version: 1
- list: shells
  items: [bash, sh]
- macro: spawned
  condition: evt.type = exec
- rule: Shell spawned
  desc: a shell started
  condition: spawned and proc.name in (shells)
  output: "shell %proc.name"
  priority: WARNING
  tags: [process, mitre_execution]
)";

TEST(RuleFileTest, LoadsListsMacrosAndRules) {
  RuleFileSet set;
  ASSERT_TRUE(set.AddText(kBase, "base.yaml").ok());
  ASSERT_EQ(set.lists().size(), 1u);
  EXPECT_EQ(set.lists()[0].name, "shells");
  EXPECT_THAT(set.lists()[0].items, ElementsAre("bash", "sh"));
  ASSERT_EQ(set.macros().size(), 1u);
  EXPECT_EQ(JoinParts(set.macros()[0].condition), "evt.type = exec");
  ASSERT_EQ(set.rules().size(), 1u);
  const RuleItem& rule = set.rules()[0];
  EXPECT_EQ(rule.name, "Shell spawned");
  EXPECT_EQ(rule.desc, "a shell started");
  EXPECT_EQ(JoinParts(rule.condition), "spawned and proc.name in (shells)");
  EXPECT_EQ(rule.output.text, "shell %proc.name");
  EXPECT_EQ(rule.priority, Priority::kWarning);
  EXPECT_THAT(rule.tags, ElementsAre("process", "mitre_execution"));
  EXPECT_TRUE(rule.enabled);
  EXPECT_EQ(rule.where.ToString(), "base.yaml:6:3");
  EXPECT_THAT(set.files(), ElementsAre("base.yaml"));
}

TEST(RuleFileTest, ConditionLocationsPointAtTheText) {
  RuleFileSet set;
  ASSERT_TRUE(set.AddText(kBase, "base.yaml").ok());
  // Plain scalar: where it starts.
  EXPECT_EQ(set.rules()[0].condition[0].where.ToString(), "base.yaml:8:14");
  // Quoted scalar: after the quote.
  EXPECT_EQ(set.rules()[0].output.where.ToString(), "base.yaml:9:12");
}

TEST(RuleFileTest, BlockScalarKeepsSourceLinesAndColumns) {
  RuleFileSet set;
  ASSERT_TRUE(set.AddText("- macro: m\n"
                          "  condition: >\n"
                          "    evt.type = exec\n"
                          "      and proc.name = x\n"
                          "- list: l\n"
                          "  items: [a]\n",
                          "f.yaml")
                  .ok());
  const TextPart& part = set.macros()[0].condition[0];
  EXPECT_EQ(part.where.ToString(), "f.yaml:3:1");
  EXPECT_EQ(part.text, "    evt.type = exec\n      and proc.name = x\n");
}

TEST(RuleFileTest, PrioritiesAreCaseInsensitiveWithInfoAlias) {
  for (const auto& [text, expected] :
       std::vector<std::pair<std::string, Priority>>{{"EMERGENCY", Priority::kEmergency},
                                                     {"alert", Priority::kAlert},
                                                     {"Critical", Priority::kCritical},
                                                     {"error", Priority::kError},
                                                     {"notice", Priority::kNotice},
                                                     {"INFO", Priority::kInformational},
                                                     {"informational", Priority::kInformational},
                                                     {"debug", Priority::kDebug}}) {
    RuleFileSet set;
    ASSERT_TRUE(set.AddText("- rule: r\n  condition: evt.type = exec\n  output: o\n"
                            "  priority: " +
                                text + "\n",
                            "p.yaml")
                    .ok())
        << text;
    EXPECT_EQ(set.rules()[0].priority, expected) << text;
  }
}

TEST(RuleFileTest, ExceptionsAreParsedWithDefaultComps) {
  RuleFileSet set;
  ASSERT_TRUE(set.AddText(R"(- rule: r
  condition: evt.type = open
  output: o
  priority: notice
  exceptions:
    - name: known
      fields: [proc.name, fd.name]
      values:
        - [cron, /etc/crontab]
    - name: dirs
      fields: fd.directory
      comps: startswith
      values: [[/var/lib]]
)",
                          "e.yaml")
                  .ok());
  const auto& ex = set.rules()[0].exceptions;
  ASSERT_EQ(ex.size(), 2u);
  EXPECT_THAT(ex[0].fields, ElementsAre("proc.name", "fd.name"));
  EXPECT_THAT(ex[0].comps, ElementsAre("=", "="));
  ASSERT_EQ(ex[0].values.size(), 1u);
  EXPECT_THAT(ex[0].values[0], ElementsAre("cron", "/etc/crontab"));
  EXPECT_THAT(ex[1].comps, ElementsAre("startswith"));
}

TEST(RuleFileTest, LaterFilesOverrideEarlierOnes) {
  RuleFileSet set;
  ASSERT_TRUE(set.AddText(kBase, "base.yaml").ok());
  ASSERT_TRUE(set.AddText(R"(- list: shells
  items: [zsh]
  override:
    items: append
- macro: spawned
  condition: or evt.type = fork
  override:
    condition: append
- rule: Shell spawned
  condition: and user.uid != 0
  priority: critical
  tags: [extra]
  override:
    condition: append
    priority: replace
    tags: append
)",
                          "local.yaml")
                  .ok());
  EXPECT_THAT(set.lists()[0].items, ElementsAre("bash", "sh", "zsh"));
  EXPECT_EQ(JoinParts(set.macros()[0].condition), "evt.type = exec or evt.type = fork");
  const RuleItem& rule = set.rules()[0];
  EXPECT_EQ(JoinParts(rule.condition), "spawned and proc.name in (shells) and user.uid != 0");
  ASSERT_EQ(rule.condition.size(), 2u);
  EXPECT_EQ(rule.condition[1].where.file, "local.yaml");
  EXPECT_EQ(rule.priority, Priority::kCritical);
  EXPECT_THAT(rule.tags, ElementsAre("process", "mitre_execution", "extra"));
  EXPECT_THAT(set.files(), ElementsAre("base.yaml", "local.yaml"));
}

TEST(RuleFileTest, ReplaceOverridesAndLegacyForms) {
  RuleFileSet set;
  ASSERT_TRUE(set.AddText(kBase, "base.yaml").ok());
  ASSERT_TRUE(set.AddText(R"(- list: shells
  items: [ash]
  override:
    items: replace
- list: shells
  items: [dash]
  append: true
- rule: Shell spawned
  enabled: false
- rule: Shell spawned
  condition: and proc.pname != sshd
  append: true
)",
                          "local.yaml")
                  .ok());
  EXPECT_THAT(set.lists()[0].items, ElementsAre("ash", "dash"));
  EXPECT_FALSE(set.rules()[0].enabled);
  EXPECT_EQ(JoinParts(set.rules()[0].condition),
            "spawned and proc.name in (shells) and proc.pname != sshd");
}

TEST(RuleFileTest, RedefinitionReplacesTheWholeItem) {
  RuleFileSet set;
  ASSERT_TRUE(set.AddText(kBase, "base.yaml").ok());
  ASSERT_TRUE(set.AddText("- list: shells\n  items: [fish]\n", "again.yaml").ok());
  ASSERT_EQ(set.lists().size(), 1u);
  EXPECT_THAT(set.lists()[0].items, ElementsAre("fish"));
}

TEST(RuleFileTest, AFailedFileLeavesTheSetUnchanged) {
  RuleFileSet set;
  ASSERT_TRUE(set.AddText(kBase, "base.yaml").ok());
  EXPECT_FALSE(set.AddText("- list: shells\n  items: [zsh]\n  override:\n    items: append\n"
                           "- rule: broken\n",
                           "bad.yaml")
                   .ok());
  EXPECT_THAT(set.lists()[0].items, ElementsAre("bash", "sh"));
  EXPECT_THAT(set.files(), ElementsAre("base.yaml"));
}

struct BadCase {
  const char* yaml;
  const char* error;  // the whole message
};

class RuleFileErrorTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(RuleFileErrorTest, RejectsWithLocationAndReason) {
  RuleFileSet set;
  ASSERT_TRUE(set.AddText(kBase, "base.yaml").ok());
  absl::Status status = set.AddText(GetParam().yaml, "bad.yaml");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    Malformed, RuleFileErrorTest,
    ::testing::Values(
        BadCase{"- rule: [unclosed\n", "bad.yaml:2:1: bad YAML: end of sequence flow not found"},
        BadCase{"rule: x\n",
                "bad.yaml:1:1: a rules file is a list of items (- rule: ..., - "
                "macro: ..., - list: ...)"},
        BadCase{"- just a string\n", "bad.yaml:1:3: an item must be a mapping (- rule: ...)"},
        BadCase{"- frob: x\n",
                "bad.yaml:1:3: unknown item: expected one of rule, macro, list, "
                "required_engine_version"},
        BadCase{"- rule: x\n  macro: y\n",
                "bad.yaml:1:3: an item must be exactly one of rule, "
                "macro, list, required_engine_version"},
        BadCase{"- rule: x\n  condition: evt.type = exec\n  output: o\n  priority: info\n"
                "  colour: red\n",
                "bad.yaml:5:3: unknown key 'colour' in rule 'x' (allowed: rule, desc, condition, "
                "output, priority, tags, enabled, exceptions, override, append, source, "
                "threshold, sequence)"},
        BadCase{"- rule: x\n  output: o\n  priority: info\n",
                "bad.yaml:1:3: rule 'x' has no condition"},
        BadCase{"- rule: x\n  condition: c\n  priority: info\n",
                "bad.yaml:1:3: rule 'x' has no output"},
        BadCase{"- rule: x\n  condition: c\n  output: o\n",
                "bad.yaml:1:3: rule 'x' has no priority"},
        BadCase{"- rule: x\n  condition: c\n  output: o\n  priority: loud\n",
                "bad.yaml:4:13: unknown priority 'loud' (expected emergency, alert, critical, "
                "error, warning, notice, informational or debug)"},
        BadCase{"- rule: x\n  condition: c\n  output: o\n  priority: info\n  enabled: maybe\n",
                "bad.yaml:5:12: enabled must be true or false, not 'maybe'"},
        BadCase{"- rule: x\n  condition: [a, b]\n  output: o\n  priority: info\n",
                "bad.yaml:2:14: condition must be a string"},
        BadCase{"- required_engine_version: 99\n",
                "bad.yaml:1:28: needs rule engine version 99; this build implements 1"},
        BadCase{"- required_engine_version: soon\n",
                "bad.yaml:1:28: required_engine_version must be a number or x.y.z, not 'soon'"},
        BadCase{"- list: l\n", "bad.yaml:1:3: list 'l' has no items"},
        BadCase{"- list: l\n  items: {a: b}\n", "bad.yaml:2:10: items must be a list of strings"},
        BadCase{"- macro: m\n", "bad.yaml:1:3: macro 'm' has no condition"},
        BadCase{"- list: nope\n  items: [a]\n  override:\n    items: append\n",
                "bad.yaml:1:3: cannot override undefined list 'nope'"},
        BadCase{"- macro: nope\n  condition: x\n  override:\n    condition: replace\n",
                "bad.yaml:1:3: cannot override undefined macro 'nope'"},
        BadCase{"- rule: nope\n  condition: x\n  override:\n    condition: append\n",
                "bad.yaml:1:3: cannot override undefined rule 'nope'"},
        BadCase{"- rule: Shell spawned\n  condition: x\n  override:\n    condition: prepend\n",
                "bad.yaml:4:16: override mode for 'condition' must be append or replace, not "
                "'prepend'"},
        BadCase{"- rule: Shell spawned\n  priority: debug\n  override:\n    priority: append\n",
                "bad.yaml:4:5: 'priority' cannot be overridden with append"},
        BadCase{"- rule: Shell spawned\n  override:\n    output: replace\n",
                "bad.yaml:3:5: override names 'output' but the item does not set it"},
        BadCase{"- rule: Shell spawned\n  condition: and x\n  output: o\n  override:\n"
                "    condition: append\n",
                "bad.yaml:3:3: 'output' is set on an overriding item but has no override mode"},
        BadCase{"- rule: x\n  condition: c\n  output: o\n  priority: info\n  exceptions:\n"
                "    - name: e\n      fields: [a, b]\n      comps: [=]\n",
                "bad.yaml:8:14: exception 'e' has 2 fields but 1 comps"},
        BadCase{"- rule: x\n  condition: c\n  output: o\n  priority: info\n  exceptions:\n"
                "    - name: e\n      fields: [a, b]\n      values: [[1]]\n",
                "bad.yaml:8:16: exception 'e': a tuple of 1 values for 2 fields"},
        BadCase{"- rule: x\n  condition: c\n  output: o\n  priority: info\n  exceptions:\n"
                "    - fields: [a]\n",
                "bad.yaml:6:7: an exception must be a mapping with a name"},
        BadCase{"- rule: x\n  condition: c\n  output: o\n  priority: info\n  source: k8s_audit\n",
                "bad.yaml:5:11: unsupported source 'k8s_audit' (Vigil rules see syscall events)"}));

TEST(RuleFileTest, LimitsBoundTheInput) {
  RuleFileLimits size_limit;
  size_limit.max_file_bytes = 64;
  EXPECT_EQ(RuleFileSet(size_limit).AddText(std::string(65, ' '), "big.yaml").message(),
            "big.yaml: file is larger than 64 bytes");

  RuleFileLimits item_limit;
  item_limit.max_items = 2;
  EXPECT_EQ(RuleFileSet(item_limit)
                .AddText("- list: a\n  items: [x]\n- list: b\n  items: [y]\n- list: c\n"
                         "  items: [z]\n",
                         "many.yaml")
                .message(),
            "many.yaml:5:3: more than 2 items");

  RuleFileLimits string_limit;
  string_limit.max_string_bytes = 8;
  EXPECT_EQ(
      RuleFileSet(string_limit).AddText("- list: a\n  items: [123456789]\n", "long.yaml").message(),
      "long.yaml:2:11: items is longer than 8 bytes");
}

TEST(RuleFileTest, PathsLoadDirectoriesInNameOrder) {
  testing::TestDir dir("rules");
  dir.WriteFile("d/20-local.yaml", "- list: l\n  items: [b]\n  override:\n    items: append\n");
  dir.WriteFile("d/10-base.yml", "- list: l\n  items: [a]\n");
  dir.WriteFile("d/README.md", "not rules");
  RuleFileSet set;
  ASSERT_TRUE(set.AddPaths({dir.Join("d")}).ok());
  EXPECT_THAT(set.lists()[0].items, ElementsAre("a", "b"));
  EXPECT_THAT(set.files(), ElementsAre(dir.Join("d/10-base.yml"), dir.Join("d/20-local.yaml")));

  RuleFileSet missing;
  absl::Status status = missing.AddPaths({dir.Join("nope.yaml")});
  EXPECT_THAT(std::string(status.message()), HasSubstr("nope.yaml: cannot read"));
}

}  // namespace
}  // namespace vigil::rules

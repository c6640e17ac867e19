// Tests of the default rule pack (deploy/rules) as a whole: it loads and compiles, holds
// exactly the rules the tests cover, each enabled, documented, tagged and giving full
// context, with the expected priority and kind, and the kernel filter it derives is
// narrow. Each rule family's tests (it fires on the activity it is meant to catch, exactly
// once and with the right output fields, and stays quiet on the closest ordinary activity)
// are in default_rules_{fork,exec,open}_test.cc; the fixture is default_rules_fixture.h.
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "event/event.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rules/rule_set.h"
#include "tests/rules/default_rules_fixture.h"

namespace vigil::rules {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;

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
    if ((rule.event_mask & ~event::kFileOpEvents) == 0) {
      EXPECT_TRUE(referenced.count("fs.path.name") || referenced.count("fs.path.source"))
          << "file-operation rule output lacks %fs.path.name";
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
      {kHiddenCreated, Priority::kWarning, RuleKind::kStateless,
       EventBit(event::kMkdir) | EventBit(event::kRename) | EventBit(event::kLink) |
           EventBit(event::kSymlink)},
      {kSensitiveChange, Priority::kError, RuleKind::kStateless,
       EventBit(event::kUnlink) | EventBit(event::kRename) | EventBit(event::kLink) |
           EventBit(event::kChmod) | EventBit(event::kChown) | EventBit(event::kTruncate)},
      {kSensitiveLink, Priority::kError, RuleKind::kStateless,
       EventBit(event::kLink) | EventBit(event::kMount)},
      {kMassDeletion, Priority::kCritical, RuleKind::kThreshold, EventBit(event::kUnlink)},
      {kModeChange, Priority::kWarning, RuleKind::kStateless, EventBit(event::kChmod)},
      {kFilelessExec, Priority::kError, RuleKind::kStateless, kExec},
      {kCapElevation, Priority::kWarning, RuleKind::kStateless, kExec},
      {kReverseShell, Priority::kCritical, RuleKind::kThreshold, kExec},
      {kServerChildConnect, Priority::kError, RuleKind::kStateless, EventBit(event::kConnect)},
      {kMetadata, Priority::kWarning, RuleKind::kStateless, EventBit(event::kConnect)},
      {kContainerListen, Priority::kNotice, RuleKind::kStateless, EventBit(event::kListen)},
      {kDeniedPort, Priority::kWarning, RuleKind::kStateless, EventBit(event::kConnect)},
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
  // No rule looks at exits, memfd_create, or accepted, bound or closed connections.
  EXPECT_EQ(filter.event_mask, EventBit(event::kFork) | EventBit(event::kExec) |
                                   EventBit(event::kOpen) |
                                   (event::kFileOpEvents & ~EventBit(event::kMemfd)) |
                                   EventBit(event::kConnect) | EventBit(event::kListen));
  EXPECT_FALSE(filter.all_files);
  // Only chmods are needed on every path (the mode decides); they are rare.
  EXPECT_EQ(filter.all_paths_types, EventBit(event::kChmod));
  // Hidden paths cover the hidden-entry rules and authorized_keys (under .ssh); the /etc
  // files opens need are exact names, so no prefix passes opens of all of /etc, /tmp or
  // /home. Mass deletion watches removals in whole trees, for removals only.
  EXPECT_TRUE(filter.hidden);
  std::vector<std::string> open_prefixes;
  for (const auto& [prefix, types] : filter.prefix_types) {
    if (types & EventBit(event::kOpen)) open_prefixes.push_back(prefix);
  }
  EXPECT_THAT(open_prefixes, ElementsAre("/etc/group", "/etc/gshadow", "/etc/passwd", "/etc/shadow",
                                         "/etc/sudoers"));
  for (const char* tree : {"/etc", "/home", "/usr", "/var/lib"}) {
    SCOPED_TRACE(tree);
    ASSERT_EQ(filter.prefix_types.count(tree), 1u);
    EXPECT_EQ(filter.prefix_types.at(tree), EventBit(event::kUnlink));
  }
  EXPECT_EQ(filter.prefix_types.count("/tmp"), 0u);
  // The same files by identity, whatever path reaches them.
  EXPECT_THAT(filter.identity_paths,
              ElementsAre("/etc/group", "/etc/gshadow", "/etc/gshadow-", "/etc/passwd",
                          "/etc/shadow", "/etc/shadow-", "/etc/sudoers"));
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

}  // namespace
}  // namespace vigil::rules

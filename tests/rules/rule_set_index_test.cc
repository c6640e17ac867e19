// Unit tests of what a RuleSet (rules/rule_set.h) derives from its rules to do less work:
// the event types each rule can match (and so which rules Evaluate visits), and the
// kernel filter (the event types and the file paths the kernel must report).
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rules/rule_set.h"
#include "tests/rules/rule_set_helpers.h"

namespace vigil::rules {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

struct MaskCase {
  const char* condition;
  uint32_t mask;
};

TEST(RuleSetIndexTest, EventMaskPerRule) {
  // Bundle records (event/bundle_event.h) are events too: rules on every type see them.
  constexpr uint32_t kBundle = EventBit(event::kBundle);
  const MaskCase cases[] = {
      {"proc.name = bash", kFork | kExec | kExit | kOpen | kFileOps | kNet | kBundle},
      {"evt.type = bundle", kBundle},
      {"evt.type = execve and proc.name = bash", kExec},
      {"evt.type in (execve, clone)", kExec | kFork},
      {"evt.type = procexit", kExit},
      {"evt.type in (open, openat2)", kOpen},
      {"evt.type = execve or fd.name = /x", kExec | kOpen},
      {"fd.name startswith /etc", kOpen},
      {"fd.name exists", kOpen},
      {"not evt.type = execve", kFork | kExec | kExit | kOpen | kFileOps | kNet | kBundle},
      {"evt.type != execve", kFork | kExit | kOpen | kFileOps | kNet | kBundle},
      {"evt.type != openat", kFork | kExec | kExit | kOpen | kFileOps | kNet | kBundle},
      {"evt.type in (unlinkat, rmdir)", kUnlink},
      {"evt.type = renameat2 or fs.path.name = /x", kFileOps},
      {"fs.path.source exists", kRename | kLink | kSymlink | kMount},
      {"evt.failed = true", kOpen | kFileOps | kNet},
      {"fd.rnet in (10.0.0.0/8, fd00::/8)",
       EventBit(event::kConnect) | EventBit(event::kAccept) | EventBit(event::kClose)},
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

TEST(RuleSetKernelFilterTest, FileOperationsFilterByEitherPathApartFromOpens) {
  auto set = CompileFiles(
      {{"k.yaml", Rule("a", "evt.type = openat and fd.name startswith /etc") +
                      Rule("b", "evt.type in (unlink, rename) and fs.path.name pmatch (/var/lib)") +
                      Rule("c", "evt.type = link and fs.path.source = /root/.ssh/id") +
                      Rule("d", "evt.type = mkdir and fs.path.hidden = true")}});
  ASSERT_TRUE(set.ok()) << set.status();
  const KernelFilter& filter = (*set)->kernel_filter();
  EXPECT_EQ(filter.event_mask, kOpen | kUnlink | kRename | kLink | EventBit(event::kMkdir));
  EXPECT_FALSE(filter.all_files);
  EXPECT_EQ(filter.all_paths_types, 0u);
  EXPECT_TRUE(filter.hidden);
  EXPECT_THAT(filter.path_prefixes, ElementsAre("/etc", "/root/.ssh/id", "/var/lib"));

  // A file named by identity: opens and operations alike through the kernel's identity set.
  set = CompileFiles({{"k.yaml", Rule("a", "evt.type in (openat, fchmod) and fd.file in (/x)")}});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_FALSE((*set)->kernel_filter().all_files);
  EXPECT_EQ((*set)->kernel_filter().all_paths_types, 0u);
  EXPECT_THAT((*set)->kernel_filter().identity_paths, ElementsAre("/x"));
  // Kept while some type it serves is filtered: operations here, though opens pass all.
  set = CompileFiles({{"k.yaml", Rule("a", "evt.type = openat") +
                                     Rule("b", "evt.type = unlink and fd.file in (/x)")}});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_TRUE((*set)->kernel_filter().all_files);
  EXPECT_THAT((*set)->kernel_filter().identity_paths, ElementsAre("/x"));
  set = CompileFiles({{"k.yaml", Rule("a", "evt.type = openat and fd.file in (/x)") +
                                     Rule("b", "evt.type = openat")}});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_THAT((*set)->kernel_filter().identity_paths, IsEmpty());

  // A file operation on any path: opens and other operations keep their prefixes, that
  // type alone passes unfiltered.
  set = CompileFiles({{"k.yaml", Rule("a", "fd.name startswith /etc") +
                                     Rule("b", "evt.type = chmod and fs.mode = 511") +
                                     Rule("c", "evt.type = unlink and fs.path.name = /var/x")}});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_FALSE((*set)->kernel_filter().all_files);
  EXPECT_EQ((*set)->kernel_filter().all_paths_types, EventBit(event::kChmod));
  EXPECT_THAT((*set)->kernel_filter().path_prefixes, ElementsAre("/etc", "/var/x"));
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

}  // namespace
}  // namespace vigil::rules

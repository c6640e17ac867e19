// Unit tests for the local side of `vigilctl rules push` (cli/commands.h): reading rule
// files and directories in the order the sensor loads them, and putting the local paths
// back into the controller's rule errors.
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_dir.h"

namespace vigil::cli {
namespace {

using ::testing::HasSubstr;

TEST(ReadRuleFilesTest, DirectoryInNameOrderThenFilesAsGiven) {
  vigil::testing::TestDir dir("cli-rules");
  // Made in reverse order, so that a listing in creation or hash order is not name order.
  std::vector<std::string> want_names = {"first.yaml"};
  for (int i = 9; i >= 0; --i) {
    dir.WriteFile(absl::StrCat("d/", i, "0-rule.", i % 2 ? "yml" : "yaml"), absl::StrCat(i));
  }
  for (int i = 0; i <= 9; ++i) {
    want_names.push_back(absl::StrCat(i, "0-rule.", i % 2 ? "yml" : "yaml"));
  }
  dir.WriteFile("d/README.md", "no");
  dir.WriteFile("d/nested/x.yaml", "no");
  const std::string first = dir.WriteFile("first.yaml", "F");
  absl::StatusOr<std::vector<LocalRuleFile>> files = ReadRuleFiles({first, dir.Join("d")});
  ASSERT_TRUE(files.ok()) << files.status();
  std::vector<std::string> names;
  for (const LocalRuleFile& f : *files) names.push_back(f.file.name());
  EXPECT_EQ(names, want_names);
  ASSERT_EQ(files->size(), 11u);
  EXPECT_EQ((*files)[0].path, first);
  EXPECT_EQ((*files)[0].file.content(), "F");
  EXPECT_EQ((*files)[3].path, dir.Join("d/20-rule.yaml"));
  EXPECT_EQ((*files)[3].file.content(), "2");
}

TEST(ReadRuleFilesTest, Errors) {
  vigil::testing::TestDir dir("cli-rules");
  dir.MakeDirs("empty");
  dir.WriteFile("one/rules.yaml", "1");
  dir.WriteFile("two/rules.yaml", "2");

  absl::StatusOr<std::vector<LocalRuleFile>> files = ReadRuleFiles({dir.Join("empty")});
  ASSERT_FALSE(files.ok());
  EXPECT_THAT(files.status().message(), HasSubstr("holds no *.yaml or *.yml files"));

  files = ReadRuleFiles({dir.Join("one"), dir.Join("two/rules.yaml")});
  ASSERT_FALSE(files.ok());
  EXPECT_THAT(files.status().message(), HasSubstr("have the same name"));

  files = ReadRuleFiles({dir.Join("nope.yaml")});
  ASSERT_FALSE(files.ok());
  EXPECT_THAT(files.status().message(), HasSubstr("No such file or directory"));
}

TEST(LocalizeRuleErrorTest, ReplacesSentNamesWithLocalPaths) {
  std::vector<LocalRuleFile> files(2);
  files[0].path = "deploy/rules/a.yaml";
  files[0].file.set_name("a.yaml");
  files[1].path = "/tmp/ba.yaml";
  files[1].file.set_name("ba.yaml");
  EXPECT_EQ(LocalizeRuleError("ba.yaml:1:2: bad\na.yaml:3:4: worse\nrule set rejected", files),
            "/tmp/ba.yaml:1:2: bad\ndeploy/rules/a.yaml:3:4: worse\nrule set rejected");
  EXPECT_EQ(LocalizeRuleError("c.yaml:1:1: other", files), "c.yaml:1:1: other");
  EXPECT_EQ(LocalizeRuleError("\n\na.yaml:1:1: x\n", files), "\n\ndeploy/rules/a.yaml:1:1: x\n");
}

}  // namespace
}  // namespace vigil::cli

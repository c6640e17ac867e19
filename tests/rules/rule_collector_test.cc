// Unit tests for rules/rule_collector.h: the content version of a RuleFileSet names the
// bytes it loaded (base names and exact contents, in load order), as RuleSetContentVersion
// does for the same parts, whatever happens to the files afterwards.
#include "rules/rule_collector.h"

#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/test_dir.h"

namespace vigil::rules {
namespace {

using Parts = std::vector<std::pair<std::string, std::string>>;

TEST(RuleSetContentVersionTest, HashesLengthPrefixedNamesAndContents) {
  // sha256("6:a.yaml1:x5:b.yml3:y z"): the format sensors and the controller share.
  EXPECT_EQ(RuleSetContentVersion({{"a.yaml", "x"}, {"b.yml", "y z"}}),
            "sha256:2b59a030b547b49e0edb274dd7484f5e2792a71bff656b18808bb0e733365633");
  // sha256(""): no files.
  EXPECT_EQ(RuleSetContentVersion({}),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(RuleFileSetContentVersionTest, IsTheVersionOfBaseNamesAndBytesInLoadOrder) {
  testing::TestDir dir("rules");
  // Bytes YAML reads the same but a hash does not: CRLF, a comment, no final newline.
  const std::string base = "- list: l\r\n  items: [a]\r\n";
  const std::string local = "# local\n- list: l\n  items: [b]\n  override:\n    items: append";
  const std::string extra = "- macro: m\n  condition: evt.type = execve\n";
  const std::string pushed = "- list: p\n  items: [\"\xc3\xa9\"]\n";
  dir.WriteFile("d/20-local.yaml", local);
  dir.WriteFile("d/10-base.yml", base);
  dir.WriteFile("extra.yaml", extra);

  RuleFileSet set;
  ASSERT_TRUE(set.AddPaths({dir.Join("d"), dir.Join("extra.yaml")}).ok());
  ASSERT_TRUE(set.AddText(pushed, "pushed/p.yaml").ok());

  const Parts parts = {
      {"10-base.yml", base}, {"20-local.yaml", local}, {"extra.yaml", extra}, {"p.yaml", pushed}};
  EXPECT_EQ(set.ContentVersion(), RuleSetContentVersion(parts));
  // Order is part of the version.
  const Parts reordered = {
      {"20-local.yaml", local}, {"10-base.yml", base}, {"extra.yaml", extra}, {"p.yaml", pushed}};
  EXPECT_NE(set.ContentVersion(), RuleSetContentVersion(reordered));
}

TEST(RuleFileSetContentVersionTest, NamesTheBytesReadEvenIfTheFileChangesAfterwards) {
  testing::TestDir dir("rules");
  const std::string before = "- list: l\n  items: [a]\n";
  const std::string after = "- list: l\n  items: [a, b]\n";
  const std::string path = dir.WriteFile("rules.yaml", before);

  RuleFileSet set;
  ASSERT_TRUE(set.AddPaths({path}).ok());
  const std::string loaded = set.ContentVersion();
  EXPECT_EQ(loaded, RuleSetContentVersion({{"rules.yaml", before}}));

  dir.WriteFile("rules.yaml", after);
  EXPECT_EQ(set.ContentVersion(), loaded);
  EXPECT_NE(set.ContentVersion(), RuleSetContentVersion({{"rules.yaml", after}}));
  // What was compiled is what was read: the set still holds the old list.
  ASSERT_EQ(set.lists().size(), 1u);
  EXPECT_EQ(set.lists()[0].items, std::vector<std::string>{"a"});
}

TEST(RuleFileSetContentVersionTest, AFailedFileIsNotPartOfTheVersion) {
  RuleFileSet set;
  EXPECT_EQ(set.ContentVersion(), RuleSetContentVersion({}));
  const std::string good = "- list: l\n  items: [a]\n";
  ASSERT_TRUE(set.AddText(good, "good.yaml").ok());
  EXPECT_FALSE(set.AddText("- list: l\n  items: [b]\n  bogus: 1\n", "bad.yaml").ok());
  EXPECT_EQ(set.ContentVersion(), RuleSetContentVersion({{"good.yaml", good}}));
}

}  // namespace
}  // namespace vigil::rules

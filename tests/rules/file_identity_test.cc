// File identity in rules: `fd.file in (PATHS)` checked at load, matched by (dev, ino)
// against the listed paths' files as FileIdentities last resolved them, and the kernel
// filter's identity paths.
#include "rules/file_identity.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "event/modules/file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/rules/rule_set_helpers.h"
#include "tests/support/test_dir.h"

namespace vigil::rules {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// The identity stat(2) gives `path` (the test fails when it cannot).
event::FileId IdOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return event::FileId{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
}

// OpenView of `path` that opened the file with identity `id`.
FakeView OpenOf(absl::string_view path, const event::FileId& id) {
  FakeView view = OpenView(path);
  view.event_.open.file = id;
  view.event_.open.nlink = 1;
  return view;
}

TEST(FileIdentitiesTest, ResolvesFollowsReplacementAndMissingFiles) {
  testing::TestDir dir("fileid");
  const std::string a = dir.WriteFile("a");
  const std::string missing = dir.Join("missing");
  FileIdentities ids;
  EXPECT_EQ(ids.Add(a), 0u);
  EXPECT_EQ(ids.Add(missing), 1u);
  EXPECT_EQ(ids.Add(a), 0u);
  EXPECT_THAT(ids.paths(), ElementsAre(a, missing));
  EXPECT_FALSE(ids.Lookup(a).has_value()) << "unresolved before the first refresh";

  EXPECT_TRUE(ids.Refresh());
  const event::FileId first = IdOf(a);
  EXPECT_EQ(ids.Lookup(a), first);
  EXPECT_FALSE(ids.Lookup(missing).has_value());
  EXPECT_FALSE(ids.Lookup("/not/listed").has_value());
  EXPECT_TRUE(ids.Matches({0, 1}, first));
  EXPECT_FALSE(ids.Matches({1}, first));
  EXPECT_FALSE(ids.Refresh()) << "nothing changed";

  // Replaced by rename, as passwd replaces /etc/shadow: the new inode from now on.
  const std::string next = dir.WriteFile("a.new", "y");
  ASSERT_EQ(rename(next.c_str(), a.c_str()), 0);
  const std::string created = dir.WriteFile("missing", "z");
  EXPECT_TRUE(ids.Refresh());
  EXPECT_EQ(ids.Lookup(a), IdOf(a));
  EXPECT_NE(IdOf(a), first);
  EXPECT_FALSE(ids.Matches({0}, first));
  EXPECT_TRUE(ids.Matches({0}, IdOf(a)));
  EXPECT_EQ(ids.Lookup(missing), IdOf(created));
  EXPECT_THAT(ids.Resolved({missing, a, "/not/listed", a}).size(), 2u);
}

TEST(FileIdentitiesTest, ResolvesUnderARoot) {
  testing::TestDir dir("fileid");
  const std::string inside = dir.WriteFile("etc/shadow");
  FileIdentities ids;
  ids.Add("/etc/shadow");
  EXPECT_TRUE(ids.Refresh(dir.path()));
  EXPECT_EQ(ids.Lookup("/etc/shadow"), IdOf(inside));
  EXPECT_TRUE(ids.Refresh(dir.Join("nothing-here")));
  EXPECT_FALSE(ids.Lookup("/etc/shadow").has_value());
}

TEST(FileIdentitiesTest, KernelDeviceEncodingRoundTrips) {
  // major 8, minor 1 (sda1) and a minor above 255 (an anonymous device).
  EXPECT_EQ(event::KernelDevToUser((8u << 20) | 1), makedev(8, 1));
  EXPECT_EQ(event::UserDevToKernel(makedev(8, 1)), (8u << 20) | 1);
  EXPECT_EQ(event::KernelDevToUser((0u << 20) | 300), makedev(0, 300));
  EXPECT_EQ(event::UserDevToKernel(makedev(259, 70000)), (259u << 20) | 70000);
  const event::FileId root = IdOf("/");
  EXPECT_EQ(event::KernelDevToUser(event::UserDevToKernel(root.dev)), root.dev);
}

TEST(FileIdentityRuleTest, MatchesTheListedFilesByIdentityWhateverThePath) {
  testing::TestDir dir("fileid");
  const std::string secret = dir.WriteFile("etc/secret");
  const std::string other = dir.WriteFile("other/secret");
  const std::string yaml =
      absl::StrCat("- list: secrets\n  items: [", secret, ", ", dir.Join("not-yet"), "]\n",
                   OneRule("fd.file in (secrets) and evt.is_open_read = true"));
  auto set = CompileFiles({{"t.yaml", yaml}});
  ASSERT_TRUE(set.ok()) << set.status();
  const RuleSet& rules = **set;
  EXPECT_THAT(Fired(rules, OpenOf("/tmp/hardlink", IdOf(secret))), IsEmpty())
      << "no identity before the first refresh";
  rules.file_identities().Refresh();
  EXPECT_THAT(Fired(rules, OpenOf("/tmp/hardlink", IdOf(secret))), ElementsAre("r"));
  EXPECT_THAT(Fired(rules, OpenOf(secret, IdOf(secret))), ElementsAre("r"));
  EXPECT_THAT(Fired(rules, OpenOf(other, IdOf(other))), IsEmpty()) << "same name, other file";
  FakeView failed = OpenOf(secret, IdOf(secret));
  failed.event_.open.result = -13;
  EXPECT_THAT(Fired(rules, failed), IsEmpty()) << "a failed open has no identity";

  // A listed path created later is found by the next refresh.
  const std::string later = dir.WriteFile("not-yet");
  EXPECT_THAT(Fired(rules, OpenOf(later, IdOf(later))), IsEmpty());
  rules.file_identities().Refresh();
  EXPECT_THAT(Fired(rules, OpenOf(later, IdOf(later))), ElementsAre("r"));
}

TEST(FileIdentityRuleTest, FieldsAndOutput) {
  const std::string yaml =
      "- rule: r\n  desc: d\n  condition: fd.ino = 77 and fd.dev = 2049 and fd.nlink > 1\n"
      "  output: \"file=%fd.file ino=%fd.ino\"\n  priority: WARNING\n";
  auto set = CompileFiles({{"t.yaml", yaml}});
  ASSERT_TRUE(set.ok()) << set.status();
  FakeView view = OpenOf("/x", event::FileId{2049, 77});
  view.event_.open.nlink = 2;
  EXPECT_THAT(Fired(**set, view), ElementsAre("r"));
  view.event_.open.nlink = 1;
  EXPECT_THAT(Fired(**set, view), IsEmpty());
  const CompiledRule& rule = (*set)->rules()[0];
  std::string out;
  rule.output_template.Render(view, &out);
  EXPECT_EQ(out, "file=2049:77 ino=77");
}

TEST(FileIdentityRuleTest, LoadErrorsNameTheFileAndLine) {
  EXPECT_EQ(CompileError({{"t.yaml", OneRule("fd.file = /etc/shadow")}}),
            "t.yaml:3:14: operator '=' does not apply to file field fd.file (write fd.file in "
            "(PATHS))");
  EXPECT_THAT(CompileError({{"t.yaml", OneRule("fd.file startswith /etc")}}),
              HasSubstr("t.yaml:3:14: operator 'startswith' does not apply to file field"));
  EXPECT_THAT(CompileError({{"t.yaml", OneRule("fd.file pmatch (/etc)")}}),
              HasSubstr("t.yaml:3:14: operator 'pmatch' does not apply"));
  EXPECT_EQ(CompileError({{"t.yaml", OneRule("fd.file in (/etc/shadow, shadow)")}}),
            "t.yaml:3:39: type mismatch: fd.file in (...) takes absolute paths, 'shadow' is not "
            "one");
  EXPECT_THAT(CompileError({{"t.yaml", OneRule("fd.file in (42)")}}),
              HasSubstr("t.yaml:3:26: type mismatch: fd.file in (...) takes absolute paths"));
  EXPECT_THAT(CompileError({{"t.yaml",
                             "- list: l\n  items: [relative/path]\n" + OneRule("fd.file in (l)")}}),
              HasSubstr("takes absolute paths, 'relative/path' is not one"));
  EXPECT_EQ(CompileError({{"t.yaml", OneRule("fd.file = (/etc/shadow)")}}), "compiled")
      << "= with a list is in";
}

TEST(FileIdentityRuleTest, KernelFilterAllowsListedFilesByIdentity) {
  const std::string yaml = absl::StrCat(
      "- list: shadow_files\n  items: [/etc/shadow, /etc/gshadow]\n",
      "- rule: a\n  desc: d\n  condition: fd.file in (shadow_files) or fd.name pmatch "
      "(/etc/sudoers)\n"
      "  output: o\n  priority: WARNING\n",
      "- rule: b\n  desc: d\n  condition: evt.type = openat and fd.file in (/root/.ssh/id_rsa)\n"
      "  output: o\n  priority: WARNING\n",
      "- rule: c\n  desc: d\n  condition: fd.file in (/disabled)\n  output: o\n"
      "  priority: WARNING\n  enabled: false\n");
  auto set = CompileFiles({{"k.yaml", yaml}});
  ASSERT_TRUE(set.ok()) << set.status();
  const KernelFilter& filter = (*set)->kernel_filter();
  EXPECT_FALSE(filter.all_files);
  EXPECT_THAT(filter.identity_paths,
              ElementsAre("/etc/gshadow", "/etc/shadow", "/root/.ssh/id_rsa"));
  // Renames and removals of the listed paths are needed to follow their files at once.
  const uint32_t follow = event::EventBit(event::kRename) | event::EventBit(event::kUnlink);
  EXPECT_EQ(filter.event_mask & follow, follow);
  EXPECT_THAT(filter.path_prefixes,
              ElementsAre("/etc/gshadow", "/etc/shadow", "/etc/sudoers", "/root/.ssh/id_rsa"));
  EXPECT_EQ(filter.prefix_types.at("/root/.ssh/id_rsa"), follow);
  EXPECT_EQ(filter.prefix_types.at("/etc/shadow") & follow, follow);

  auto negated = CompileFiles({{"n.yaml", OneRule("not fd.file in (/etc/shadow)")}});
  ASSERT_TRUE(negated.ok()) << negated.status();
  EXPECT_TRUE((*negated)->kernel_filter().all_files);
  EXPECT_THAT((*negated)->kernel_filter().identity_paths, IsEmpty());
}

}  // namespace
}  // namespace vigil::rules

// Unit tests for sensor/selection.h: the kernel filter from the command line and the rules,
// and which events --print-events prints when rules widen the filter.
#include "sensor/selection.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bpf/abi/file.h"
#include "bpf/abi/process.h"
#include "bpf/abi/vigil_event.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::sensor {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr uint32_t kFork = 1u << VIGIL_EVENT_FORK;
constexpr uint32_t kExec = 1u << VIGIL_EVENT_EXEC;
constexpr uint32_t kExit = 1u << VIGIL_EVENT_EXIT;
constexpr uint32_t kOpen = 1u << VIGIL_EVENT_OPEN;

SensorOptions PrintEvents(uint32_t types, std::vector<std::string> prefixes) {
  SensorOptions o;
  o.print_events = true;
  o.type_mask = types;
  o.hidden = false;
  o.file_prefixes = std::move(prefixes);
  return o;
}

TEST(SelectionTest, PrintEventsAloneIsTheCommandLine) {
  SensorOptions o = PrintEvents(kExec | kOpen, {"/srv/", "/etc/"});
  o.failed_opens = true;
  const Selection s = ComputeSelection(o, nullptr);
  EXPECT_EQ(s.type_mask, kExec | kOpen);
  EXPECT_TRUE(s.failed_opens);
  EXPECT_FALSE(s.all_files);
  EXPECT_THAT(s.prefixes, ElementsAre("/etc/", "/srv/"));
}

TEST(SelectionTest, RulesAloneSelectWhatTheyNeedPlusProcessLifecycle) {
  SensorOptions o;  // no --print-events: its defaults do not apply
  o.file_prefixes = {"/etc/"};
  o.hidden = true;
  rules::KernelFilter f;
  f.event_mask = kOpen;
  f.hidden = false;
  f.path_prefixes = {"/etc/shadow", "relative/never/matches", std::string(300, 'a').insert(0, "/")};
  const Selection s = ComputeSelection(o, &f);
  EXPECT_EQ(s.type_mask, kFork | kExec | kExit | kOpen);
  EXPECT_FALSE(s.hidden);
  ASSERT_EQ(s.prefixes.size(), 2u);
  EXPECT_EQ(s.prefixes[0].size(), static_cast<size_t>(VIGIL_PREFIX_MAX));  // cut, not dropped
  EXPECT_EQ(s.prefixes[1], "/etc/shadow");
}

TEST(SelectionTest, RulesIdentityPathsAreKeptUnlessAllFiles) {
  SensorOptions o;
  rules::KernelFilter f;
  f.event_mask = kOpen;
  f.identity_paths = {"/etc/gshadow", "/etc/shadow"};
  Selection s = ComputeSelection(o, &f);
  EXPECT_THAT(s.identity_paths, ElementsAre("/etc/gshadow", "/etc/shadow"));
  EXPECT_THAT(s.prefixes, IsEmpty());
  EXPECT_FALSE(s.all_files);
  Selection same = ComputeSelection(o, &f);
  EXPECT_TRUE(s == same);
  f.identity_paths.pop_back();
  EXPECT_FALSE(s == ComputeSelection(o, &f));
  rules::KernelFilter many = f;
  many.identity_paths.clear();
  for (size_t i = 0; i <= kMaxIdentityPaths; ++i)
    many.identity_paths.push_back(absl::StrCat("/f", i));
  EXPECT_TRUE(ComputeSelection(o, &many).all_files) << "more files than the kernel set holds";

  o.print_events = true;
  o.type_mask = kOpen;
  o.all_files = true;
  s = ComputeSelection(o, &f);
  EXPECT_TRUE(s.all_files);
  EXPECT_THAT(s.identity_paths, IsEmpty()) << "every open is delivered anyway";
}

TEST(SelectionTest, UnionOfPrintAndRules) {
  rules::KernelFilter f;
  f.event_mask = kOpen;
  f.hidden = true;
  f.path_prefixes = {"/etc/", "/tmp/"};
  const Selection s = ComputeSelection(PrintEvents(kExec, {"/etc/"}), &f);
  EXPECT_EQ(s.type_mask, kFork | kExec | kExit | kOpen);
  EXPECT_TRUE(s.hidden);
  EXPECT_THAT(s.prefixes, ElementsAre("/etc/", "/tmp/"));
}

TEST(SelectionTest, AllFilesOrTooManyPrefixesClearThePrefixes) {
  rules::KernelFilter f;
  f.all_files = true;
  f.path_prefixes = {"/x"};
  Selection s = ComputeSelection(SensorOptions(), &f);
  EXPECT_TRUE(s.all_files);
  EXPECT_EQ(s.all_paths_types, 0u);
  EXPECT_THAT(s.prefixes, IsEmpty());  // no file operation is asked for

  f.event_mask = EventBit(event::kUnlink) | EventBit(event::kChmod);
  f.all_paths_types = EventBit(event::kChmod);
  s = ComputeSelection(SensorOptions(), &f);
  EXPECT_EQ(s.all_paths_types, EventBit(event::kChmod));
  EXPECT_THAT(s.prefixes, ElementsAre("/x"));  // unlinks are still filtered by path

  f.all_paths_types = f.event_mask;
  s = ComputeSelection(SensorOptions(), &f);
  EXPECT_THAT(s.prefixes, IsEmpty());

  rules::KernelFilter many;
  for (size_t i = 0; i <= kMaxPrefixes; ++i) many.path_prefixes.push_back("/p" + std::to_string(i));
  s = ComputeSelection(SensorOptions(), &many);
  EXPECT_TRUE(s.all_files);
  EXPECT_EQ(s.all_paths_types, event::kFileOpEvents);
  EXPECT_THAT(s.prefixes, IsEmpty());
}

TEST(PrintSelectedTest, FiltersWhatRulesAddedBeyondTheCommandLine) {
  SensorOptions o = PrintEvents(kExec | kOpen, {"/etc/"});
  event::Event fork;
  fork.type = event::kFork;
  EXPECT_FALSE(PrintSelected(o, fork));
  event::Event exec;
  exec.type = event::kExec;
  EXPECT_TRUE(PrintSelected(o, exec));
  event::Event open;
  open.type = event::kOpen;
  open.open.result = 3;
  open.open.path = "/etc/passwd";
  EXPECT_TRUE(PrintSelected(o, open));
  open.open.path = "/tmp/.x";
  open.open.hidden = true;
  EXPECT_FALSE(PrintSelected(o, open));
  o.hidden = true;
  EXPECT_TRUE(PrintSelected(o, open));
  open.open.hidden = false;
  open.open.path = "/etc/x";
  open.open.result = -2;
  EXPECT_FALSE(PrintSelected(o, open));  // failed opens only with --failed-opens
  o.failed_opens = true;
  EXPECT_TRUE(PrintSelected(o, open));
  o.all_files = true;
  open.open.path = "/anything";
  EXPECT_TRUE(PrintSelected(o, open));
}

}  // namespace
}  // namespace vigil::sensor

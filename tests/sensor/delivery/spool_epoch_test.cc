// Unit tests for the spool's epoch (sensor/delivery/spool.h): a random identity made with
// a new spool and kept across reopening, so that a wiped spool (numbering again from 1) is
// told apart from the one before it.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sensor/delivery/spool.h"
#include "tests/sensor/delivery/spool_helpers.h"
#include "tests/support/test_dir.h"

namespace vigil::sensor {
namespace {

// The epoch file's text, or "" when it is missing.
std::string EpochFile(const std::string& dir) {
  FILE* f = fopen((dir + "/epoch").c_str(), "r");
  if (f == nullptr) return "";
  char buf[128] = {};
  const size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  return std::string(buf, n);
}

TEST(SpoolEpochTest, ANewSpoolHasARandomEpochThatSurvivesReopening) {
  vigil::testing::TestDir dir("spool");
  std::string first;
  {
    auto spool = OpenSpool(dir.Join("a"));
    ASSERT_NE(spool, nullptr);
    first = spool->epoch();
    ASSERT_EQ(first.size(), 32u);
    EXPECT_EQ(first.find_first_not_of("0123456789abcdef"), std::string::npos) << first;
    EXPECT_EQ(EpochFile(dir.Join("a")), first + "\n");
    ASSERT_TRUE(spool->Append(Payload(1)).ok());
  }
  {
    auto spool = OpenSpool(dir.Join("a"));
    ASSERT_NE(spool, nullptr);
    EXPECT_EQ(spool->epoch(), first);
    EXPECT_EQ(spool->next_seq(), 2u);
  }
  auto other = OpenSpool(dir.Join("b"));
  ASSERT_NE(other, nullptr);
  EXPECT_NE(other->epoch(), first);
}

TEST(SpoolEpochTest, AWipedSpoolStartsANewEpochFromSequenceOne) {
  vigil::testing::TestDir dir("spool");
  const std::string path = dir.Join("spool");
  std::string first;
  {
    auto spool = OpenSpool(path);
    ASSERT_NE(spool, nullptr);
    first = spool->epoch();
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(spool->Append(Payload(i)).ok());
  }
  ASSERT_EQ(std::system(absl::StrCat("rm -rf '", path, "'").c_str()), 0);
  auto spool = OpenSpool(path);
  ASSERT_NE(spool, nullptr);
  EXPECT_NE(spool->epoch(), first);
  EXPECT_EQ(spool->next_seq(), 1u);
}

TEST(SpoolEpochTest, ASpoolFromBeforeEpochsKeepsTheEmptyEpoch) {
  vigil::testing::TestDir dir("spool");
  const std::string path = dir.Join("spool");
  {
    auto spool = OpenSpool(path);
    ASSERT_NE(spool, nullptr);
    ASSERT_TRUE(spool->Append(Payload(1)).ok());
  }
  ASSERT_EQ(unlink((path + "/epoch").c_str()), 0);  // as an older sensor left it
  auto spool = OpenSpool(path);
  ASSERT_NE(spool, nullptr);
  EXPECT_EQ(spool->epoch(), "");
  EXPECT_EQ(spool->next_seq(), 2u);
  EXPECT_EQ(EpochFile(path), "");
}

TEST(SpoolEpochTest, ACorruptEpochFileIsReplacedAndCounted) {
  vigil::testing::TestDir dir("spool");
  const std::string path = dir.Join("spool");
  std::string first;
  {
    auto spool = OpenSpool(path);
    ASSERT_NE(spool, nullptr);
    first = spool->epoch();
  }
  for (const std::string& bad : {std::string("xyz\n"), std::string(32, 'A') + "\n", first}) {
    FILE* f = fopen((path + "/epoch").c_str(), "w");
    ASSERT_NE(f, nullptr);
    fputs(bad.c_str(), f);
    fclose(f);
    auto spool = OpenSpool(path);
    ASSERT_NE(spool, nullptr);
    EXPECT_NE(spool->epoch(), first) << bad;
    EXPECT_EQ(spool->epoch().size(), 32u);
    EXPECT_EQ(spool->corrupt_records(), 1u) << bad;
    first = spool->epoch();
  }
}

}  // namespace
}  // namespace vigil::sensor

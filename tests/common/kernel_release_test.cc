// Unit tests of the kernel-release comparison (common/kernel_release.h).
#include "common/kernel_release.h"

#include "gtest/gtest.h"

namespace vigil {
namespace {

TEST(ReleaseAtLeastTest, ComparesMajorThenMinor) {
  EXPECT_TRUE(ReleaseAtLeast("6.1.0-27-amd64", 6, 0));
  EXPECT_TRUE(ReleaseAtLeast("6.1.0-27-amd64", 6, 1));
  EXPECT_FALSE(ReleaseAtLeast("6.1.0-27-amd64", 6, 2));
  EXPECT_FALSE(ReleaseAtLeast("5.10.0-32-amd64", 6, 0));
  EXPECT_TRUE(ReleaseAtLeast("6.18.44-fc-v1300", 6, 13));
  EXPECT_TRUE(ReleaseAtLeast("7.0", 6, 13));
  EXPECT_TRUE(ReleaseAtLeast("6.12-rc3", 6, 12));
}

TEST(ReleaseAtLeastTest, ReleasesThatDoNotStartWithTwoNumbersAreNotNewer) {
  EXPECT_FALSE(ReleaseAtLeast("", 1, 0));
  EXPECT_FALSE(ReleaseAtLeast("6", 5, 0));
  EXPECT_FALSE(ReleaseAtLeast("linux-6.1", 5, 0));
  EXPECT_FALSE(ReleaseAtLeast("6.x", 5, 0));
  EXPECT_FALSE(ReleaseAtLeast("99999999999999999999.1", 5, 0));
}

}  // namespace
}  // namespace vigil

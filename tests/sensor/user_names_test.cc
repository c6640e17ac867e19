// Unit tests for sensor/user_names.h: uid -> name from a passwd file.
#include "sensor/user_names.h"

#include <string>

#include "gtest/gtest.h"
#include "tests/support/test_dir.h"

namespace vigil::sensor {
namespace {

TEST(UserNamesTest, ReadsEntriesAndSkipsMalformedLines) {
  vigil::testing::TestDir dir("user-names");
  const std::string path = dir.WriteFile("passwd",
                                         "root:x:0:0:root:/root:/bin/bash\n"
                                         "# comment\n"
                                         "\n"
                                         "alice:x:1000:1000::/home/alice:/bin/sh\n"
                                         "broken line\n"
                                         ":x:5:5::/:/bin/false\n"
                                         "bob:x:notanumber:1::/:/bin/sh\n"
                                         "alias:x:1000:1000::/:/bin/sh\n");
  UserNames names(path);
  EXPECT_EQ(names.Lookup(0), "root");
  EXPECT_EQ(names.Lookup(1000), "alice");  // the first entry for a uid wins
  EXPECT_EQ(names.Lookup(5), "");
  EXPECT_EQ(names.Lookup(4242), "");
  EXPECT_EQ(names.size(), 2u);
  EXPECT_EQ(names.malformed_lines(), 3u);
}

TEST(UserNamesTest, RereadsAChangedFile) {
  vigil::testing::TestDir dir("user-names");
  const std::string path = dir.WriteFile("passwd", "a:x:1:1::/:/bin/sh\n");
  UserNames names(path, /*recheck_s=*/0);
  EXPECT_EQ(names.Lookup(1), "a");
  dir.WriteFile("passwd", "a:x:1:1::/:/bin/sh\nbee:x:2:2::/:/bin/sh\n");
  EXPECT_EQ(names.Lookup(2), "bee");
}

TEST(UserNamesTest, MissingFileAnswersEmpty) {
  UserNames names("/nonexistent/passwd");
  EXPECT_EQ(names.Lookup(0), "");
  EXPECT_FALSE(names.Reload().ok());
}

}  // namespace
}  // namespace vigil::sensor

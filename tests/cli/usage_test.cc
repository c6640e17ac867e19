// Unit tests for cli/usage.h: vigilctl's help texts.
#include "cli/usage.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::cli {
namespace {

using ::testing::HasSubstr;

TEST(UsageForTest, EveryCommandAndGroupHasUsageNamingIt) {
  for (const char* topic : {"sensors", "alerts tail", "alerts query", "rules push", "rules status",
                            "rules list", "modules list", "modules enable", "modules disable",
                            "modules status", "alerts", "rules", "modules"}) {
    const char* usage = UsageFor(topic);
    ASSERT_NE(usage, nullptr) << topic;
    EXPECT_THAT(usage, HasSubstr(std::string("vigilctl ") + topic)) << topic;
  }
  ASSERT_NE(UsageFor(""), nullptr);
  for (const char* flag : {"--controller", "--ca", "--cert", "--key", "--insecure", "--token-file",
                           "--server-name", "--output", "--timeout"}) {
    EXPECT_THAT(UsageFor(""), HasSubstr(flag)) << flag;
  }
  EXPECT_EQ(UsageFor("nope"), nullptr);
}

}  // namespace
}  // namespace vigil::cli

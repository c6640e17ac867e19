// Unit tests for cli/usage.h: vigilctl's help texts.
#include "cli/usage.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::cli {
namespace {

using ::testing::HasSubstr;

TEST(UsageForTest, EveryCommandAndGroupHasUsageNamingIt) {
  for (const char* topic :
       {"sensors", "alerts tail", "alerts query", "rules push", "rules status", "rules list",
        "modules list", "modules enable", "modules disable", "modules status", "modules keygen",
        "modules build", "modules sign", "modules push", "modules remove", "modules bundles",
        "alerts", "rules", "modules"}) {
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

TEST(UsageForTest, BundleVerbsNameTheirFlags) {
  EXPECT_THAT(UsageFor("modules keygen"), HasSubstr("--out PREFIX"));
  EXPECT_THAT(UsageFor("modules keygen"), HasSubstr("0600"));
  for (const char* flag : {"--manifest FILE", "--object FILE", "--out BUNDLE"}) {
    EXPECT_THAT(UsageFor("modules build"), HasSubstr(flag)) << flag;
  }
  EXPECT_THAT(UsageFor("modules sign"), HasSubstr("--key KEY BUNDLE [--out SIGNED]"));
  EXPECT_THAT(UsageFor("modules push"), HasSubstr("BUNDLE [--node N]..."));
  EXPECT_THAT(UsageFor("modules remove"), HasSubstr("NAME [--node N]..."));
  for (const char* verb : {"keygen", "build", "sign", "push", "remove", "bundles"}) {
    EXPECT_THAT(UsageFor("modules"), HasSubstr(verb)) << verb;
    EXPECT_THAT(UsageFor(""), HasSubstr(std::string("modules ") + verb)) << verb;
  }
}

}  // namespace
}  // namespace vigil::cli

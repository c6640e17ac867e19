// Unit tests for common/priority.h: the priority levels' names, parsed and formatted.
#include "common/priority.h"

#include <iterator>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "gtest/gtest.h"

namespace vigil {
namespace {

TEST(PriorityLevelTest, NamesEveryLevelInSyslogOrder) {
  const char* const kNames[] = {"emergency", "alert",  "critical",      "error",
                                "warning",   "notice", "informational", "debug"};
  const char* const kDisplayNames[] = {"Emergency", "Alert",  "Critical",      "Error",
                                       "Warning",   "Notice", "Informational", "Debug"};
  ASSERT_EQ(std::size(kNames), static_cast<size_t>(kPriorityLevelCount));
  for (int level = 0; level < kPriorityLevelCount; ++level) {
    EXPECT_EQ(PriorityLevelName(level), kNames[level]) << level;
    EXPECT_EQ(PriorityLevelDisplayName(level), kDisplayNames[level]) << level;
  }
}

TEST(PriorityLevelTest, NamesOutsideTheLevelsAreUnknown) {
  EXPECT_EQ(PriorityLevelName(-1), "unknown");
  EXPECT_EQ(PriorityLevelName(kPriorityLevelCount), "unknown");
  EXPECT_EQ(PriorityLevelDisplayName(-1), "Unknown");
  EXPECT_EQ(PriorityLevelDisplayName(kPriorityLevelCount), "Unknown");
}

TEST(PriorityLevelTest, EveryNameAndDisplayNameParsesBackToItsLevel) {
  for (int level = 0; level < kPriorityLevelCount; ++level) {
    EXPECT_EQ(ParsePriorityLevel(PriorityLevelName(level)), level) << level;
    EXPECT_EQ(ParsePriorityLevel(PriorityLevelDisplayName(level)), level) << level;
    EXPECT_EQ(ParsePriorityLevel(absl::AsciiStrToUpper(PriorityLevelName(level))), level) << level;
  }
}

TEST(PriorityLevelTest, ParsesInAnyCase) {
  EXPECT_EQ(ParsePriorityLevel("WARNING"), 4);
  EXPECT_EQ(ParsePriorityLevel("wArNiNg"), 4);
  EXPECT_EQ(ParsePriorityLevel("Critical"), 2);
}

TEST(PriorityLevelTest, InfoIsInformational) {
  EXPECT_EQ(ParsePriorityLevel("info"), 6);
  EXPECT_EQ(ParsePriorityLevel("INFO"), 6);
  EXPECT_EQ(ParsePriorityLevel("Info"), 6);
  // "info" is read, never written.
  EXPECT_EQ(PriorityLevelName(6), "informational");
}

TEST(PriorityLevelTest, RefusesOtherNames) {
  for (const char* name : {"", "warn", "err", "crit", "emerg", "fatal", "severe", "unknown",
                           " warning", "warning ", "debug2", "0", "4", "informationa"}) {
    EXPECT_EQ(ParsePriorityLevel(name), std::nullopt) << '"' << name << '"';
  }
}

TEST(PriorityLevelTest, ListsTheNamesForErrors) {
  EXPECT_EQ(PriorityLevelNames(" or "),
            "emergency, alert, critical, error, warning, notice, informational or debug");
  EXPECT_EQ(PriorityLevelNames(", "),
            "emergency, alert, critical, error, warning, notice, informational, debug");
}

}  // namespace
}  // namespace vigil

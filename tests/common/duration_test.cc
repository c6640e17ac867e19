// Unit tests for common/duration.h: the duration grammar and the limits its readers set.
#include "common/duration.h"

#include <cstdint>
#include <limits>
#include <optional>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace vigil {
namespace {

// The defaults: any positive duration within int64 nanoseconds, every form.
std::optional<absl::Duration> Parse(absl::string_view text) {
  return ParseDuration(text, DurationLimits{});
}

// Whole units only, without days (what rules files take).
DurationLimits WholeUnits() {
  DurationLimits limits;
  limits.days = false;
  limits.fractions = false;
  return limits;
}

TEST(DurationGrammarTest, ReadsEveryUnit) {
  EXPECT_EQ(Parse("7ns"), absl::Nanoseconds(7));
  EXPECT_EQ(Parse("250us"), absl::Microseconds(250));
  EXPECT_EQ(Parse("500ms"), absl::Milliseconds(500));
  EXPECT_EQ(Parse("10s"), absl::Seconds(10));
  EXPECT_EQ(Parse("2m"), absl::Minutes(2));
  EXPECT_EQ(Parse("3h"), absl::Hours(3));
  EXPECT_EQ(Parse("2d"), absl::Hours(48));
}

TEST(DurationGrammarTest, AddsTermsUp) {
  EXPECT_EQ(Parse("1h30m"), absl::Minutes(90));
  EXPECT_EQ(Parse("1m30s500ms"), absl::Milliseconds(90500));
  EXPECT_EQ(Parse("0s10ms"), absl::Milliseconds(10));
}

TEST(DurationGrammarTest, ReadsFractionsWhenAllowed) {
  EXPECT_EQ(Parse("1.5h"), absl::Minutes(90));
  EXPECT_EQ(Parse(".5s"), absl::Milliseconds(500));
  EXPECT_EQ(Parse("2.s"), absl::Seconds(2));
  EXPECT_EQ(ParseDuration("1.5s", WholeUnits()), std::nullopt);
  EXPECT_EQ(ParseDuration(".5s", WholeUnits()), std::nullopt);
  EXPECT_EQ(ParseDuration("1s.5ms", WholeUnits()), std::nullopt);
}

TEST(DurationGrammarTest, ReadsDaysAloneWhenAllowed) {
  EXPECT_EQ(Parse("1d"), absl::Hours(24));
  EXPECT_EQ(Parse("+3d"), absl::Hours(72));
  EXPECT_EQ(Parse("1d12h"), std::nullopt);
  EXPECT_EQ(Parse("12h1d"), std::nullopt);
  EXPECT_EQ(Parse("1.5d"), std::nullopt);
  EXPECT_EQ(Parse("d"), std::nullopt);
  EXPECT_EQ(Parse(" 2d"), std::nullopt);
  EXPECT_EQ(Parse("2dd"), std::nullopt);
  EXPECT_EQ(ParseDuration("1d", WholeUnits()), std::nullopt);
  EXPECT_EQ(ParseDuration("24h", WholeUnits()), absl::Hours(24));
}

TEST(DurationGrammarTest, RefusesZeroAndNegativeByDefault) {
  for (const char* text : {"0", "0s", "0ns", "0d", "-0s", "-1s", "-1ns", "-2d", "-1h30m"}) {
    EXPECT_EQ(Parse(text), std::nullopt) << text;
  }
  EXPECT_EQ(Parse("+1s"), absl::Seconds(1));
}

TEST(DurationGrammarTest, MinimumAndMaximumAreInclusive) {
  DurationLimits limits;
  limits.min = absl::Seconds(1);
  limits.max = absl::Hours(24);
  EXPECT_EQ(ParseDuration("999ms", limits), std::nullopt);
  EXPECT_EQ(ParseDuration("1s", limits), absl::Seconds(1));
  EXPECT_EQ(ParseDuration("1d", limits), absl::Hours(24));
  EXPECT_EQ(ParseDuration("24h", limits), absl::Hours(24));
  EXPECT_EQ(ParseDuration("24h1ns", limits), std::nullopt);
  EXPECT_EQ(ParseDuration("2d", limits), std::nullopt);

  // A minimum of zero takes zero, and a negative minimum negative durations.
  limits.min = absl::ZeroDuration();
  EXPECT_EQ(ParseDuration("0", limits), absl::ZeroDuration());
  EXPECT_EQ(ParseDuration("0s", limits), absl::ZeroDuration());
  limits.min = -absl::Hours(48);
  EXPECT_EQ(ParseDuration("-2d", limits), -absl::Hours(48));
  EXPECT_EQ(ParseDuration("-1.5s", limits), -absl::Milliseconds(1500));
}

TEST(DurationGrammarTest, RefusesWhatOverflowsTheMaximum) {
  const int64_t kMaxNs = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(Parse("9223372036854775807ns"), absl::Nanoseconds(kMaxNs));
  EXPECT_EQ(Parse("9223372036854775808ns"), std::nullopt);  // past int64 nanoseconds
  EXPECT_EQ(Parse("2562047h"), absl::Hours(2562047));       // just under 2^63 ns
  EXPECT_EQ(Parse("2562048h"), std::nullopt);
  EXPECT_EQ(Parse("106751d"), absl::Hours(24 * int64_t{106751}));
  EXPECT_EQ(Parse("106752d"), std::nullopt);
  EXPECT_EQ(Parse("999999999999999999h"), std::nullopt);
  EXPECT_EQ(Parse("9223372036854775807d"), std::nullopt);   // saturates to infinity
  EXPECT_EQ(Parse("99999999999999999999d"), std::nullopt);  // count past int64
  EXPECT_EQ(Parse("inf"), std::nullopt);

  // Only an infinite maximum takes "inf".
  DurationLimits unbounded;
  unbounded.max = absl::InfiniteDuration();
  EXPECT_EQ(ParseDuration("inf", unbounded), absl::InfiniteDuration());
  EXPECT_EQ(ParseDuration("9223372036854775807d", unbounded), absl::InfiniteDuration());
}

TEST(DurationGrammarTest, RefusesGarbage) {
  for (const char* text :
       {"",     "10",  "s",      "ms",     "1 s",        " 1s",  "1s ",   "1S",
        "1sec", "1y",  "1w",     "1.2.3s", ".s",         "1e3s", "0x10s", "--1s",
        "+-1s", "1s-", "1h 30m", "1,5s",   "one second", "-",    "+",     "-d"}) {
    EXPECT_EQ(Parse(text), std::nullopt) << '"' << text << '"';
    EXPECT_EQ(ParseDuration(text, WholeUnits()), std::nullopt) << '"' << text << '"';
  }
}

}  // namespace
}  // namespace vigil

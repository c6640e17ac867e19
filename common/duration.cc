// The duration grammar (common/duration.h): absl::ParseDuration's forms and whole days.
#include "common/duration.h"

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"

namespace vigil {
namespace {

// The duration of "<digits>d" (sign already taken off), or nullopt when `text` is not of
// that form or its count overflows int64.
std::optional<absl::Duration> ParseDays(absl::string_view text) {
  if (!absl::ConsumeSuffix(&text, "d") || text.empty() || !absl::c_all_of(text, [](char c) {
        return absl::ascii_isdigit(static_cast<unsigned char>(c));
      })) {
    return std::nullopt;
  }
  int64_t days = 0;
  if (!absl::SimpleAtoi(text, &days)) return std::nullopt;
  return absl::Hours(24) * days;  // saturates to infinity
}

}  // namespace

std::optional<absl::Duration> ParseDuration(absl::string_view text, const DurationLimits& limits) {
  absl::string_view unsigned_text = text;
  const bool negative = absl::ConsumePrefix(&unsigned_text, "-");
  if (!negative) absl::ConsumePrefix(&unsigned_text, "+");

  absl::Duration d;
  if (absl::EndsWith(unsigned_text, "d")) {
    if (!limits.days) return std::nullopt;
    std::optional<absl::Duration> days = ParseDays(unsigned_text);
    if (!days.has_value()) return std::nullopt;
    d = negative ? -*days : *days;
  } else {
    if (!limits.fractions && absl::StrContains(text, '.')) return std::nullopt;
    if (!absl::ParseDuration(text, &d)) return std::nullopt;
  }
  if (d < limits.min || d > limits.max) return std::nullopt;
  return d;
}

}  // namespace vigil

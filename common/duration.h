// Durations as people write them: vigilctl's --since and --timeout, the controller's
// --retention-age and the windows and cooldowns of rules files all read this one grammar,
// each with the range and the forms it accepts given as limits.
//
// The grammar (no spaces anywhere):
//
//   duration := [sign] ( term { term } | digits "d" | "0" | "inf" )
//   term     := number unit
//   number   := digits [ "." [ digits ] ] | "." digits
//   unit     := "ns" | "us" | "ms" | "s" | "m" | "h"
//   sign     := "+" | "-"
//
// e.g. "500ms", "10s", "1h30m", "1.5h", "7d". Terms add up ("1h30m" is 90 minutes); "d"
// counts whole days of 24 hours and stands alone ("7d", not "1d12h"). Apart from days this is
// absl::ParseDuration's grammar, so the usual spellings read as they do elsewhere.
#ifndef VIGIL_COMMON_DURATION_H_
#define VIGIL_COMMON_DURATION_H_

#include <cstdint>
#include <limits>
#include <optional>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace vigil {

// What one reader of durations accepts: its range, and whether it takes days and fractions.
// The defaults accept every positive duration of whole and fractional units and days that
// fits in int64 nanoseconds (about 292 years).
struct DurationLimits {
  // The shortest duration accepted (inclusive). Positive by default: "0", "0s" and negative
  // durations are refused.
  absl::Duration min = absl::Nanoseconds(1);
  // The longest duration accepted (inclusive); "inf" and anything that overflows are refused
  // unless this is absl::InfiniteDuration().
  absl::Duration max = absl::Nanoseconds(std::numeric_limits<int64_t>::max());
  // Whether the "<N>d" form is accepted.
  bool days = true;
  // Whether numbers may have a fractional part ("1.5s", ".5h").
  bool fractions = true;
};

// The duration `text` states, per the grammar above; nullopt when `text` does not follow it,
// uses a form `limits` excludes, or lies outside [limits.min, limits.max]. Callers report
// the text they were given.
std::optional<absl::Duration> ParseDuration(absl::string_view text, const DurationLimits& limits);

}  // namespace vigil

#endif  // VIGIL_COMMON_DURATION_H_

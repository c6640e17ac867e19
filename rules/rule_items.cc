// Helpers of the rule items: priority names, durations, and joined condition text.
#include "rules/rule_items.h"

#include <cstdint>
#include <optional>

#include "common/duration.h"

namespace vigil::rules {

bool ParseDuration(absl::string_view text, uint64_t* ns) {
  // Positive and within int64 nanoseconds (the defaults), in whole units and without days.
  DurationLimits limits;
  limits.days = false;
  limits.fractions = false;
  const std::optional<absl::Duration> d = vigil::ParseDuration(text, limits);
  if (!d.has_value()) return false;
  *ns = static_cast<uint64_t>(absl::ToInt64Nanoseconds(*d));
  return true;
}

absl::string_view PriorityName(Priority priority) {
  return PriorityLevelName(static_cast<int>(priority));
}

std::string JoinParts(const std::vector<TextPart>& parts) {
  std::string out;
  for (const TextPart& part : parts) {
    if (!out.empty()) out.push_back(' ');
    out += part.text;
  }
  return out;
}

}  // namespace vigil::rules

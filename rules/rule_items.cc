// Helpers of the rule items: priority names, durations, and joined condition text.
#include "rules/rule_items.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"

namespace vigil::rules {

bool ParseDuration(absl::string_view text, uint64_t* ns) {
  size_t digits = 0;
  while (digits < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[digits]))) {
    ++digits;
  }
  uint64_t value = 0;
  if (digits == 0 || digits > 18 || !absl::SimpleAtoi(text.substr(0, digits), &value) ||
      value == 0) {
    return false;
  }
  const absl::string_view unit = text.substr(digits);
  uint64_t scale = 0;
  if (unit == "ns") {
    scale = 1;
  } else if (unit == "us") {
    scale = 1000;
  } else if (unit == "ms") {
    scale = 1000 * 1000;
  } else if (unit == "s") {
    scale = 1000 * 1000 * 1000;
  } else if (unit == "m") {
    scale = 60ull * 1000 * 1000 * 1000;
  } else if (unit == "h") {
    scale = 3600ull * 1000 * 1000 * 1000;
  } else {
    return false;
  }
  if (value > UINT64_MAX / 2 / scale) return false;
  *ns = value * scale;
  return true;
}

absl::string_view PriorityName(Priority priority) {
  switch (priority) {
    case Priority::kEmergency: return "emergency";
    case Priority::kAlert: return "alert";
    case Priority::kCritical: return "critical";
    case Priority::kError: return "error";
    case Priority::kWarning: return "warning";
    case Priority::kNotice: return "notice";
    case Priority::kInformational: return "informational";
    case Priority::kDebug: return "debug";
  }
  return "unknown";
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

// The names of the priority levels (common/priority.h).
#include "common/priority.h"

#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace vigil {
namespace {

// A level's two spellings.
struct LevelNames {
  absl::string_view name;     // lower case
  absl::string_view display;  // capitalised
};

// Indexed by level.
constexpr std::array<LevelNames, kPriorityLevelCount> kLevels = {{
    {"emergency", "Emergency"},
    {"alert", "Alert"},
    {"critical", "Critical"},
    {"error", "Error"},
    {"warning", "Warning"},
    {"notice", "Notice"},
    {"informational", "Informational"},
    {"debug", "Debug"},
}};

constexpr int kInformational = 6;
static_assert(kLevels[kInformational].name == "informational");

bool InRange(int level) { return level >= 0 && level < kPriorityLevelCount; }

}  // namespace

absl::string_view PriorityLevelName(int level) {
  return InRange(level) ? kLevels[level].name : "unknown";
}

absl::string_view PriorityLevelDisplayName(int level) {
  return InRange(level) ? kLevels[level].display : "Unknown";
}

std::optional<int> ParsePriorityLevel(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  if (lower == "info") return kInformational;
  for (int level = 0; level < kPriorityLevelCount; ++level) {
    if (lower == kLevels[level].name) return level;
  }
  return std::nullopt;
}

std::string PriorityLevelNames(absl::string_view last_separator) {
  std::string out;
  for (int level = 0; level < kPriorityLevelCount; ++level) {
    if (level > 0) absl::StrAppend(&out, level + 1 < kPriorityLevelCount ? ", " : last_separator);
    absl::StrAppend(&out, kLevels[level].name);
  }
  return out;
}

}  // namespace vigil

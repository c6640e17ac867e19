// The items of Vigil's Falco-shaped rule language as a rules file states them (rule, macro,
// list, with required_engine_version checked on reading), and the limits on their shape.
// This is the layer before compilation: conditions are kept as text with the location
// where they start, so the compiler can report errors at file:line:column.
#ifndef VIGIL_RULES_RULE_ITEMS_H_
#define VIGIL_RULES_RULE_ITEMS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/priority.h"
#include "rules/source_location.h"

namespace vigil::rules {

// Version of the rule language this build implements. A file whose
// required_engine_version is newer is refused.
inline constexpr int kEngineVersion = 1;

// Alert priorities, most severe first (Falco's names and order): the levels of
// common/priority.h, which names them.
enum class Priority {
  kEmergency,
  kAlert,
  kCritical,
  kError,
  kWarning,
  kNotice,
  kInformational,
  kDebug
};

static_assert(static_cast<int>(Priority::kDebug) + 1 == kPriorityLevelCount,
              "a priority level has no rules::Priority");

// Lower-case canonical name of a priority ("warning", "informational", ...): metrics label
// matches with it.
absl::string_view PriorityName(Priority priority);

// A piece of condition text and where it starts. A condition made by appending
// (override: append) has several parts; the compiler maps positions back through them.
struct TextPart {
  std::string text;
  SourceLocation where;
};

// The parts joined with single spaces: the whole condition text.
std::string JoinParts(const std::vector<TextPart>& parts);

// A `list` item: named values usable in `in (...)` and `pmatch (...)`.
struct ListItem {
  std::string name;
  std::vector<std::string> items;  // may name other lists; expanded by the compiler
  SourceLocation where;
};

// A `macro` item: a named condition fragment.
struct MacroItem {
  std::string name;
  std::vector<TextPart> condition;
  SourceLocation where;
};

// One entry of a rule's `exceptions`: tuples of values that, when every field compares
// true, exempt an event from the rule.
struct RuleException {
  std::string name;
  std::vector<std::string> fields;
  std::vector<std::string> comps;                // one per field; "=" when not given
  std::vector<std::vector<std::string>> values;  // each tuple has one value per field
  SourceLocation where;
};

// A rule's `threshold`: the rule fires when at least `count` events match within `window`,
// grouped by the values of the `by` fields (one alert per flood; see rules/stateful.h).
struct ThresholdItem {
  uint32_t count = 1;
  uint64_t window_ns = 0;
  // Quiet time that ends a flood; defaults to the window.
  uint64_t cooldown_ns = 0;
  // Key fields as written (e.g. "proc.tgid", "proc.aname[1]"); none: one key for all.
  std::vector<std::string> by;
  // Keys tracked at most (least recently seen forgotten first).
  uint32_t max_keys = 0;
  SourceLocation where;
};

// A rule's `sequence`: events matching each step's condition in order, for the same `by`
// key, the last within `window` of the first.
struct SequenceItem {
  uint64_t window_ns = 0;
  std::vector<std::string> by;
  uint32_t max_keys = 0;
  // Each step's condition, in order (2 to kMaxSequenceSteps of them).
  std::vector<TextPart> steps;
  SourceLocation where;
};

// Default and largest `max_keys` of stateful rules.
inline constexpr uint32_t kDefaultMaxKeys = 65536;
inline constexpr uint32_t kMaxMaxKeys = 1u << 20;
// Limits on stateful rules' shape.
inline constexpr uint32_t kMaxThresholdCount = 1u << 20;
inline constexpr size_t kMaxSequenceSteps = 16;
inline constexpr size_t kMaxKeyFields = 8;
// A threshold key remembers up to `count` timestamps (8 bytes each), so a rule's worst case
// is count x max_keys of them; this caps it (64 MiB). Without max_keys, a threshold rule
// tracks min(kDefaultMaxKeys, kMaxThresholdSlots / count) keys.
inline constexpr uint64_t kMaxThresholdSlots = uint64_t{1} << 23;

// Parses a rules file's duration into nanoseconds: common/duration.h's grammar without
// fractions or days, so one or more terms of a whole number and a unit (ns, us, ms, s, m,
// h), e.g. "500ms", "10s", "1h30m". Returns false for anything else (no unit, zero,
// negative, "1.5s", "1d", more than 2^63-1 ns).
bool ParseDuration(absl::string_view text, uint64_t* ns);

// A `rule` item.
struct RuleItem {
  std::string name;
  std::string desc;
  std::vector<TextPart> condition;
  // The output as written in the file (positions for errors; block scalars unfolded) and
  // as YAML reads it (what alerts render).
  TextPart output;
  std::string output_value;
  Priority priority = Priority::kWarning;
  std::vector<std::string> tags;
  bool enabled = true;
  std::vector<RuleException> exceptions;
  // Stateful rules: at most one of these is set. A sequence rule's `condition` is optional
  // and, when given, must hold for every step.
  std::optional<ThresholdItem> threshold;
  std::optional<SequenceItem> sequence;
  SourceLocation where;
};

// Limits that keep a hostile or broken file from exhausting memory.
struct RuleFileLimits {
  // Largest file (or text) loaded.
  size_t max_file_bytes = 4u << 20;
  // Most items, across all files of a set.
  size_t max_items = 10000;
  // Longest string value (a name, a condition, one list item).
  size_t max_string_bytes = 64u << 10;
};

}  // namespace vigil::rules

#endif  // VIGIL_RULES_RULE_ITEMS_H_

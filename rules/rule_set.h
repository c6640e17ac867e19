// The compiled rule set and its stateless evaluator: RuleSet holds the checked, indexed
// evaluation plan RuleSet::Compile builds from a loaded RuleFileSet (how conditions are
// compiled and which values each field takes: rules/rule_compiler.h), runs it against
// events without allocating, and carries the in-kernel filter the plan needs
// (rules/kernel_filter.h).
//
// Event-type index: each node gets the mask of event types for which it can be true
// (comparison or exists: the field's events, narrowed by evt.type = / in, and by != on a
// type with a single name; and: intersection; or: union; not: all). Evaluate visits only
// the rules whose mask holds the event's type, and skips any subtree whose mask does not.
// A field that does not apply to an event makes every comparison on it false, and
// `exists` false. A file-identity test (fd.file in (PATHS)) is true when the event's file
// is the one a listed path names at the last refresh (file_identities()).
#ifndef VIGIL_RULES_RULE_SET_H_
#define VIGIL_RULES_RULE_SET_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "rules/condition.h"
#include "rules/fields.h"
#include "rules/file_identity.h"
#include "rules/kernel_filter.h"
#include "rules/output_template.h"
#include "rules/rule_collector.h"
#include "rules/rule_items.h"
#include "rules/source_location.h"
#include "rules/stateful.h"

namespace vigil::rules {

// How a rule turns matches into alerts.
enum class RuleKind : uint8_t {
  kStateless,  // every matching event is an alert
  kThreshold,  // N matches within T by key: one alert per flood (rules/stateful.h)
  kSequence,   // steps matched in order within T by key
};

// A rule after compilation: what an alert needs, plus where its condition lives in the
// plan.
struct CompiledRule {
  std::string name;
  std::string desc;
  Priority priority = Priority::kWarning;
  std::vector<std::string> tags;
  // The output template, kept as written (with its location), and compiled.
  TextPart output;
  OutputTemplate output_template;
  // Disabled rules are compiled (and checked) but never evaluated.
  bool enabled = true;
  // Event types the rule can match (bits as fields.h EventBit).
  uint32_t event_mask = 0;
  // Where the rule item is.
  SourceLocation where;
  // Internal: the plan node of "condition and not exceptions" (for a sequence, the `or`
  // of its steps).
  uint32_t root = 0;

  RuleKind kind = RuleKind::kStateless;
  // kThreshold: the spec (window and cooldown in ns).
  ThresholdSpec threshold;
  // kSequence: the spec, and each step's plan node ("condition and step and not
  // exceptions"); see RuleSet::MatchesStep.
  SequenceSpec sequence;
  std::vector<uint32_t> step_roots;
  // Stateful rules: the fields whose values make the key (none: one key), and how many
  // keys are tracked at most.
  std::vector<FieldRef> key_fields;
  uint32_t max_keys = 0;
};

// A compiled, immutable rule set. Evaluate is const and keeps no state, so one set may be
// shared by threads.
class RuleSet {
 public:
  // Compiles every list, macro and rule of `files` (see rules/rule_compiler.h). Any error
  // rejects the whole set: RuleError(file:line:column, reason) at the offending token.
  static absl::StatusOr<std::unique_ptr<RuleSet>> Compile(const RuleFileSet& files);

  RuleSet(const RuleSet&) = delete;
  RuleSet& operator=(const RuleSet&) = delete;

  // Calls on_match for every enabled rule whose condition is true for the event (and no
  // exception applies), in rule order. Allocates nothing.
  void Evaluate(const EventView& view, absl::FunctionRef<void(const CompiledRule&)> on_match) const;

  // True when `rule` (one of rules()) matches the event, ignoring `enabled` and the
  // event-type index. For tests and tools.
  bool Matches(const CompiledRule& rule, const EventView& view) const;

  // For a sequence rule: true when the event matches step `step` (0-based). Allocates
  // nothing.
  bool MatchesStep(const CompiledRule& rule, size_t step, const EventView& view) const;

  // Every rule, enabled or not, in file order.
  const std::vector<CompiledRule>& rules() const { return rules_; }

  // The rule called `name`, or null.
  const CompiledRule* FindRule(absl::string_view name) const;

  // What the kernel must deliver for the enabled rules (see rules/kernel_filter.h).
  const KernelFilter& kernel_filter() const { return kernel_filter_; }

  // The paths the set's file-identity tests (fd.file in (...)) list, and their current
  // identities. Not part of the immutable plan: the file system changes, so the owner
  // refreshes it (FileIdentities::Refresh) after loading the set and periodically; until
  // the first refresh no identity test matches. Thread-safe.
  FileIdentities& file_identities() const { return *file_identities_; }

 private:
  // The compiler builds the plan; the kernel filter is derived from it.
  friend class RuleSetCompiler;
  friend class KernelFilterBuilder;

  // One node of the evaluation plan.
  struct Node {
    enum class Kind : uint8_t { kAnd, kOr, kNot, kCompare, kExists };
    Kind kind = Kind::kAnd;
    // kCompare: the operator (`= (...)` is stored as kIn).
    CompareOp op = CompareOp::kEq;
    // Event types for which the node can be true.
    uint32_t mask = 0;
    // kCompare/kExists: the field and its [N] argument (0 when none).
    const FieldInfo* field = nullptr;
    FieldArg arg;
    // kAnd/kOr/kNot: operand node indices.
    std::vector<uint32_t> children;
    // kCompare on string/path fields: the values (lower-cased for icontains; pmatch items
    // without trailing '/', so "/" is "").
    std::vector<std::string> strings;
    // kCompare on numeric and bool fields: the values (bool: 0 or 1). On file fields: the
    // listed paths' indices in file_identities_.
    std::vector<int64_t> numbers;
  };

  // Event types are small integers; the index has one slot per possible bit.
  static constexpr int kMaxEventTypes = 32;

  RuleSet() = default;
  bool Eval(uint32_t node, const EventView& view, uint32_t event_bit) const;
  bool EvalCompare(const Node& node, const EventView& view) const;

  std::vector<Node> nodes_;
  std::vector<CompiledRule> rules_;
  // For each event type: indices into rules_ of the enabled rules that can match it.
  std::array<std::vector<uint32_t>, kMaxEventTypes> by_type_;
  KernelFilter kernel_filter_;
  std::unique_ptr<FileIdentities> file_identities_ = std::make_unique<FileIdentities>();
};

}  // namespace vigil::rules

#endif  // VIGIL_RULES_RULE_SET_H_

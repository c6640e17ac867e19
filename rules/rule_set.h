// The rule compiler and stateless evaluator: turns a loaded RuleFileSet into a checked,
// indexed evaluation plan, runs it against events without allocating, and derives the
// in-kernel filter the plan needs.
//
// Compilation (RuleSet::Compile):
//  - Lists are expanded first; an item naming another list stands for its items
//    (recursively; a cycle is an error, "list cycle: a -> b -> a").
//  - Every macro is parsed and checked, even when no rule uses it; a reference is
//    resolved by name wherever the macro is defined. Each macro is compiled once and
//    shared by all its users, so the plan is a DAG. A cycle is an error at the reference
//    that closes it: "macro cycle: a -> b -> a".
//  - Every rule, enabled or not, is parsed and checked; disabled rules stay out of the
//    plan (they never match) but a broken one still rejects the set.
//  - A rule's exceptions become "cond and not ((f1 c1 v1 and f2 c2 v2) or (tuple 2...))";
//    their errors are reported at the exception's location.
//  Any error rejects the whole set with RuleError("file:line:column: reason").
//
// Conditions made of several parts (override: append) are parsed as one text: the
// parts are joined with '\n' and parsed from a private start location, and every location
// in the tree (and in a parse error) is mapped back through the line it falls on to the
// part holding it, so errors point into the right file, line and column.
//
// Values: string and path fields take = != in contains icontains startswith endswith glob
// (paths also pmatch); int, uid and flags fields take = != < <= > >= in with integer
// values (a number, or a bare word or list item that parses as one; for uid fields -1
// means 4294967295, the "unset" id); bool fields take = != with true or false. In `in`
// and `pmatch` lists (and `= (...)`, which is `in`) a bare word naming a list stands for
// its items; other bare words are literal values. evt.type values must be event names
// Vigil produces (execve, clone, procexit, open, openat, openat2, creat,
// open_by_handle_at). A field that does not apply to an event makes every comparison on
// it false, and `exists` false.
//
// Event-type index: each node gets the mask of event types for which it can be true
// (comparison or exists: the field's events, narrowed by evt.type = / in, and by != on a
// type with a single name; and: intersection; or: union; not: all). Evaluate visits only
// the rules whose mask holds the event's type, and skips any subtree whose mask does not.
//
// Kernel filter (kernel_filter()): the event types are the union of the enabled rules'
// masks. For open events, each enabled rule that can match one is analysed for a
// positive path constraint: a comparison on fd.name gives prefixes (= and in: the values;
// startswith: the value; pmatch: each item, which covers the item and everything under
// it; glob: the literal text before the first wildcard), one on fd.directory gives
// prefixes too (= and in: the value with '/' appended unless it ends with one;
// startswith, pmatch, glob: as for fd.name), and fd.hidden = true (or != false) allows
// hidden files. An `and` is constrained by any constrained operand (the first is used);
// an `or` only when every operand is; `not`, exists and other fields constrain nothing;
// a subtree that cannot match open events allows no file at all. A rule left
// unconstrained sets all_files. The result is a superset of what the rules need.
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
#include "rules/output_template.h"
#include "rules/rule_file.h"
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

// What the kernel must deliver for a rule set: the in-kernel filter.
struct KernelFilter {
  // Event types some enabled rule can match.
  uint32_t event_mask = 0;
  // Some enabled rule may match an open of any file: no path filtering.
  bool all_files = false;
  // Opens of hidden files (fd.hidden) are needed regardless of path_prefixes.
  bool hidden = false;
  // Opens whose path starts with one of these are needed (sorted; none is a prefix of
  // another). Empty when all_files is set.
  std::vector<std::string> path_prefixes;
};

// A compiled, immutable rule set. Evaluate is const and keeps no state, so one set may be
// shared by threads.
class RuleSet {
 public:
  // Compiles every list, macro and rule of `files` (see the file comment). Any error
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

  // What the kernel must deliver for the enabled rules.
  const KernelFilter& kernel_filter() const { return kernel_filter_; }

 private:
  friend class RuleSetCompiler;

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
    // kCompare on numeric and bool fields: the values (bool: 0 or 1).
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
};

}  // namespace vigil::rules

#endif  // VIGIL_RULES_RULE_SET_H_

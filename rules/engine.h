// Engine: runs a compiled RuleSet over a stream of events and turns matches into alerts,
// keeping the state of threshold and sequence rules between events.
//
// Stateless rules alert on every matching event. A threshold rule feeds each match to a
// ThresholdTracker under the key made of its `by` fields and alerts once per flood; a
// sequence rule feeds each step an event matches (last step first) to a SequenceTracker
// and alerts when a run completes. Keys are the `by` fields' values as text, joined by
// '\x1f'; a rule without `by` has one key.
//
// Rule sets are swapped between events (Swap), so every event is evaluated by exactly one
// set. State survives a swap for each stateful rule whose name, kind, spec and key fields
// are unchanged; other rules start empty.
//
// Not thread-safe: one Engine per evaluating thread. Matching allocates nothing for rules
// that do not fire (stateful rules allocate when a key is first seen); building an Alert
// allocates.
#ifndef VIGIL_RULES_ENGINE_H_
#define VIGIL_RULES_ENGINE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "rules/rule_set.h"
#include "rules/stateful.h"

namespace vigil::rules {

// One field of an alert, as its output_fields map carries it.
struct AlertField {
  std::string name;  // as referenced, argument included ("proc.aname[2]")
  FieldType type = FieldType::kString;
  bool present = false;  // false: the field does not apply (JSON null, "<NA>" in text)
  int64_t num = 0;       // numeric and boolean types
  std::string str;       // string and path types; file identities as "dev:ino"
};

// An alert: the rule that fired, on which event, and what it says.
struct Alert {
  // The rule; valid while the engine holds the rule set that produced the alert (at least
  // until the next Swap).
  const CompiledRule* rule = nullptr;
  // The event that fired the rule (CLOCK_BOOTTIME ns), and for stateful rules the first
  // event of the flood or sequence (equal to time_boot_ns for stateless rules).
  uint64_t time_boot_ns = 0;
  uint64_t first_time_boot_ns = 0;
  // Threshold rules: the events counted (the threshold); 1 for other rules.
  uint64_t count = 1;
  // The rendered output template.
  std::string output;
  // The template's fields, then any key field it does not already name, in order.
  std::vector<AlertField> fields;
};

// Counters of one rule since it entered the engine.
struct RuleCounters {
  uint64_t matches = 0;  // events whose condition (or a step) matched
  uint64_t alerts = 0;
};

class Engine {
 public:
  // Runs `set` (not null).
  explicit Engine(std::shared_ptr<const RuleSet> set);
  ~Engine();

  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Evaluates one event and calls on_alert for each alert it raises, in rule order.
  void Process(const EventView& view, absl::FunctionRef<void(const Alert&)> on_alert);

  // Runs `set` (not null) from the next event on; see the file comment for state.
  void Swap(std::shared_ptr<const RuleSet> set);

  // The set in force.
  const RuleSet& rule_set() const { return *set_; }
  const std::shared_ptr<const RuleSet>& shared_rule_set() const { return set_; }

  // Counters of rules_set().rules()[i], by i.
  const std::vector<RuleCounters>& counters() const { return counters_; }

  // Keys of stateful rules forgotten to make room for new ones (state evictions), over the
  // engine's life.
  uint64_t evictions() const;
  // Keys tracked now across all stateful rules.
  size_t tracked_keys() const;

 private:
  struct State;

  void BuildKey(const CompiledRule& rule, const EventView& view);
  void Fire(const CompiledRule& rule, const EventView& view, uint64_t first_ns, uint64_t count,
            absl::FunctionRef<void(const Alert&)> on_alert);

  std::shared_ptr<const RuleSet> set_;
  // By rule index: the tracker of a stateful rule, or null.
  std::vector<std::unique_ptr<State>> states_;
  std::vector<RuleCounters> counters_;
  // Evictions of trackers dropped by Swap.
  uint64_t retired_evictions_ = 0;
  // Reused buffer for keys.
  std::string key_;
};

}  // namespace vigil::rules

#endif  // VIGIL_RULES_ENGINE_H_

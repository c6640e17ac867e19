#include "rules/engine.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"

namespace vigil::rules {
namespace {

// A view that reports a threshold's count as evt.count while an alert is rendered.
class CountingView : public EventView {
 public:
  CountingView(const EventView& base, uint64_t count) : base_(base), count_(count) {}
  const event::Event& event() const override { return base_.event(); }
  const event::ProcessInfo* process() const override { return base_.process(); }
  const event::ProcessInfo* ancestor(int n) const override { return base_.ancestor(n); }
  absl::string_view user_name(uint32_t uid) const override { return base_.user_name(uid); }
  absl::string_view container_id() const override { return base_.container_id(); }
  absl::string_view container_runtime() const override { return base_.container_runtime(); }
  absl::string_view pod_name() const override { return base_.pod_name(); }
  absl::string_view pod_namespace() const override { return base_.pod_namespace(); }
  absl::string_view pod_uid() const override { return base_.pod_uid(); }
  absl::string_view pod_labels() const override { return base_.pod_labels(); }
  absl::string_view pod_label(absl::string_view key) const override { return base_.pod_label(key); }
  uint64_t match_count() const override { return count_; }

 private:
  const EventView& base_;
  uint64_t count_;
};

// True when two rules keep compatible state: same name, kind, spec and key.
bool SameState(const CompiledRule& a, const CompiledRule& b) {
  if (a.name != b.name || a.kind != b.kind || a.max_keys != b.max_keys ||
      a.key_fields.size() != b.key_fields.size()) {
    return false;
  }
  for (size_t i = 0; i < a.key_fields.size(); ++i) {
    if (a.key_fields[i].name != b.key_fields[i].name) return false;
  }
  if (a.kind == RuleKind::kThreshold) {
    return a.threshold.count == b.threshold.count &&
           a.threshold.window_ns == b.threshold.window_ns &&
           a.threshold.cooldown_ns == b.threshold.cooldown_ns;
  }
  return a.sequence.steps == b.sequence.steps && a.sequence.window_ns == b.sequence.window_ns;
}

void AppendField(const FieldRef& ref, const EventView& view, std::vector<AlertField>* out) {
  for (const AlertField& f : *out) {
    if (f.name == ref.name) return;
  }
  const FieldValue value = ReadField(*ref.field, view, ref.arg);
  AlertField field;
  field.name = ref.name;
  field.type = ref.field->type;
  field.present = value.present;
  field.num = value.num;
  if (ref.field->type == FieldType::kFile || ref.field->type == FieldType::kIp) {
    if (value.present) AppendFieldText(*ref.field, value, &field.str);  // "dev:ino", "10.0.0.1"
  } else {
    field.str = std::string(value.str);
  }
  out->push_back(std::move(field));
}

}  // namespace

// The tracker of one stateful rule.
struct Engine::State {
  std::optional<ThresholdTracker> threshold;
  std::optional<SequenceTracker> sequence;

  uint64_t evictions() const {
    return threshold ? threshold->evictions() : sequence ? sequence->evictions() : 0;
  }
  size_t size() const { return threshold ? threshold->size() : sequence ? sequence->size() : 0; }
};

Engine::Engine(std::shared_ptr<const RuleSet> set) { Swap(std::move(set)); }

Engine::~Engine() = default;

void Engine::Swap(std::shared_ptr<const RuleSet> set) {
  std::vector<std::unique_ptr<State>> states(set->rules().size());
  std::vector<RuleCounters> counters(set->rules().size());
  for (size_t i = 0; i < set->rules().size(); ++i) {
    const CompiledRule& rule = set->rules()[i];
    if (set_ != nullptr) {
      for (size_t j = 0; j < set_->rules().size(); ++j) {
        const CompiledRule& old = set_->rules()[j];
        if (old.name != rule.name) continue;
        counters[i] = counters_[j];
        if (rule.kind != RuleKind::kStateless && states_[j] != nullptr && SameState(old, rule)) {
          states[i] = std::move(states_[j]);
        }
        break;
      }
    }
    if (states[i] != nullptr || rule.kind == RuleKind::kStateless) continue;
    states[i] = std::make_unique<State>();
    if (rule.kind == RuleKind::kThreshold) {
      states[i]->threshold.emplace(rule.threshold, rule.max_keys);
    } else {
      states[i]->sequence.emplace(rule.sequence, rule.max_keys);
    }
  }
  for (const std::unique_ptr<State>& old : states_) {
    if (old != nullptr) retired_evictions_ += old->evictions();
  }
  set_ = std::move(set);
  states_ = std::move(states);
  counters_ = std::move(counters);
}

void Engine::BuildKey(const CompiledRule& rule, const EventView& view) {
  key_.clear();
  for (const FieldRef& ref : rule.key_fields) {
    AppendFieldText(*ref.field, ReadField(*ref.field, view, ref.arg), &key_);
    key_.push_back('\x1f');
  }
}

void Engine::Process(const EventView& view, absl::FunctionRef<void(const Alert&)> on_alert) {
  const RuleSet& set = *set_;
  const CompiledRule* base = set.rules().data();
  const uint64_t now = view.event().task.time_boot_ns;
  set.Evaluate(view, [&](const CompiledRule& rule) {
    const size_t index = static_cast<size_t>(&rule - base);
    ++counters_[index].matches;
    switch (rule.kind) {
      case RuleKind::kStateless: Fire(rule, view, now, 1, on_alert); return;
      case RuleKind::kThreshold: {
        BuildKey(rule, view);
        std::optional<ThresholdFire> fire = states_[index]->threshold->Observe(key_, now);
        if (fire) Fire(rule, view, fire->first_ns, fire->count, on_alert);
        return;
      }
      case RuleKind::kSequence: {
        BuildKey(rule, view);
        SequenceTracker& tracker = *states_[index]->sequence;
        for (size_t step = rule.step_roots.size(); step-- > 0;) {
          if (!set.MatchesStep(rule, step, view)) continue;
          std::optional<SequenceFire> fire = tracker.Observe(key_, step, now);
          if (fire) Fire(rule, view, fire->first_ns, 1, on_alert);
        }
        return;
      }
    }
  });
}

void Engine::Fire(const CompiledRule& rule, const EventView& view, uint64_t first_ns,
                  uint64_t count, absl::FunctionRef<void(const Alert&)> on_alert) {
  const CountingView counted(view, count);
  Alert alert;
  alert.rule = &rule;
  alert.time_boot_ns = view.event().task.time_boot_ns;
  alert.first_time_boot_ns = first_ns;
  alert.count = count;
  rule.output_template.Render(counted, &alert.output);
  for (const FieldRef& ref : rule.output_template.fields())
    AppendField(ref, counted, &alert.fields);
  for (const FieldRef& ref : rule.key_fields) AppendField(ref, counted, &alert.fields);
  ++counters_[static_cast<size_t>(&rule - set_->rules().data())].alerts;
  on_alert(alert);
}

uint64_t Engine::evictions() const {
  uint64_t total = retired_evictions_;
  for (const std::unique_ptr<State>& s : states_) {
    if (s != nullptr) total += s->evictions();
  }
  return total;
}

size_t Engine::tracked_keys() const {
  size_t total = 0;
  for (const std::unique_ptr<State>& s : states_) {
    if (s != nullptr) total += s->size();
  }
  return total;
}

}  // namespace vigil::rules

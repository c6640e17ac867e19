// The evaluator of a compiled rule set: the event-type index picks the rules an event's
// type can match, and each rule's plan is walked without allocating (rules/rule_set.h).
#include "rules/rule_set.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "event/ip.h"
#include "rules/glob.h"

namespace vigil::rules {
namespace {

// True when `haystack` contains `lower_needle` (lower case), ignoring ASCII case.
bool IContains(absl::string_view haystack, absl::string_view lower_needle) {
  if (lower_needle.size() > haystack.size()) return false;
  for (size_t i = 0; i + lower_needle.size() <= haystack.size(); ++i) {
    size_t j = 0;
    while (j < lower_needle.size() &&
           absl::ascii_tolower(static_cast<unsigned char>(haystack[i + j])) == lower_needle[j]) {
      ++j;
    }
    if (j == lower_needle.size()) return true;
  }
  return false;
}

// `item` has no trailing '/'; "" stands for "/".
bool PathMatch(absl::string_view path, absl::string_view item) {
  if (!absl::StartsWith(path, item)) return false;
  return path.size() == item.size() ? !item.empty() : path[item.size()] == '/';
}

}  // namespace

void RuleSet::Evaluate(const EventView& view,
                       absl::FunctionRef<void(const CompiledRule&)> on_match) const {
  const int type = static_cast<int>(view.event().type);
  if (type < 0 || type >= kMaxEventTypes) return;
  const uint32_t bit = 1u << type;
  for (uint32_t index : by_type_[type]) {
    const CompiledRule& rule = rules_[index];
    if (Eval(rule.root, view, bit)) on_match(rule);
  }
}

bool RuleSet::Matches(const CompiledRule& rule, const EventView& view) const {
  const int type = static_cast<int>(view.event().type);
  if (type < 0 || type >= kMaxEventTypes) return false;
  return Eval(rule.root, view, 1u << type);
}

bool RuleSet::MatchesStep(const CompiledRule& rule, size_t step, const EventView& view) const {
  const int type = static_cast<int>(view.event().type);
  if (type < 0 || type >= kMaxEventTypes || step >= rule.step_roots.size()) return false;
  return Eval(rule.step_roots[step], view, 1u << type);
}

const CompiledRule* RuleSet::FindRule(absl::string_view name) const {
  for (const CompiledRule& rule : rules_) {
    if (rule.name == name) return &rule;
  }
  return nullptr;
}

bool RuleSet::Eval(uint32_t index, const EventView& view, uint32_t event_bit) const {
  const Node& node = nodes_[index];
  if ((node.mask & event_bit) == 0) return false;
  switch (node.kind) {
    case Node::Kind::kAnd:
      for (uint32_t c : node.children) {
        if (!Eval(c, view, event_bit)) return false;
      }
      return true;
    case Node::Kind::kOr:
      for (uint32_t c : node.children) {
        if (Eval(c, view, event_bit)) return true;
      }
      return false;
    case Node::Kind::kNot: return !Eval(node.children[0], view, event_bit);
    case Node::Kind::kExists: return node.field->extract(view, node.arg).present;
    case Node::Kind::kCompare: return EvalCompare(node, view);
  }
  return false;
}

bool RuleSet::EvalCompare(const Node& node, const EventView& view) const {
  const FieldValue value = node.field->extract(view, node.arg);
  if (!value.present) return false;
  if (node.field->type == FieldType::kFile) {
    return file_identities_->Matches(node.numbers, value.file);
  }
  if (node.field->type == FieldType::kIp) {
    bool in = false;
    for (const std::string& item : node.strings) {
      if (event::InNetwork(value.str, event::UnpackNetwork(item))) {
        in = true;
        break;
      }
    }
    return node.op == CompareOp::kNe ? !in : in;
  }
  if (node.field->type == FieldType::kBool) {
    const bool equal = (value.num != 0) == (node.numbers[0] != 0);
    return node.op == CompareOp::kEq ? equal : !equal;
  }
  if (IsNumeric(node.field->type)) {
    const int64_t n = value.num;
    const int64_t want = node.numbers[0];
    switch (node.op) {
      case CompareOp::kEq: return n == want;
      case CompareOp::kNe: return n != want;
      case CompareOp::kLt: return n < want;
      case CompareOp::kLe: return n <= want;
      case CompareOp::kGt: return n > want;
      case CompareOp::kGe: return n >= want;
      case CompareOp::kIn:
        return std::find(node.numbers.begin(), node.numbers.end(), n) != node.numbers.end();
      default: return false;
    }
  }
  const absl::string_view s = value.str;
  switch (node.op) {
    case CompareOp::kEq: return s == node.strings[0];
    case CompareOp::kNe: return s != node.strings[0];
    case CompareOp::kIn:
      for (const std::string& item : node.strings) {
        if (s == item) return true;
      }
      return false;
    case CompareOp::kContains: return absl::StrContains(s, node.strings[0]);
    case CompareOp::kIContains: return IContains(s, node.strings[0]);
    case CompareOp::kStartsWith: return absl::StartsWith(s, node.strings[0]);
    case CompareOp::kEndsWith: return absl::EndsWith(s, node.strings[0]);
    case CompareOp::kGlob: return GlobMatch(node.strings[0], s);
    case CompareOp::kPMatch:
      for (const std::string& item : node.strings) {
        if (PathMatch(s, item)) return true;
      }
      return false;
    default: return false;
  }
}

}  // namespace vigil::rules

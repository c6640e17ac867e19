// The reader of rules files: YAML text to documents (bounded, with yaml-cpp's errors at
// file:line:column), and node values to the parts of items (rules/rule_reader.h).
#include "rules/rule_reader.h"

#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <optional>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/priority.h"
#include "common/status_macros.h"

namespace vigil::rules {
namespace {

// Counts documents and remembers where the last event was.
class DocumentCounter : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { last_ = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { last_ = mark; }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { last_ = mark; }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    last_ = mark;
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    last_ = mark;
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    last_ = mark;
  }
  void OnMapEnd() override {}

  const YAML::Mark& last() const { return last_; }

 private:
  YAML::Mark last_ = YAML::Mark::null_mark();
};

// Most YAML documents one rules file may hold. yaml-cpp 0.7 can return empty documents
// forever on some malformed input (a stray ',' at the top level); this bounds it.
constexpr size_t kMaxDocuments = 64;

// Where a yaml-cpp mark points in `file` (0 for what it does not know).
SourceLocation MarkLocation(const std::string& file, const YAML::Mark& mark) {
  return SourceLocation{file, mark.line >= 0 ? mark.line + 1 : 0,
                        mark.column >= 0 ? mark.column + 1 : 0};
}

}  // namespace

absl::Status YamlError(const std::string& file, const YAML::Exception& e) {
  return RuleError(MarkLocation(file, e.mark), absl::StrCat("bad YAML: ", e.msg));
}

absl::StatusOr<std::vector<YAML::Node>> ReadDocuments(absl::string_view yaml,
                                                      const std::string& file) {
  try {
    // A first pass with the event parser counts documents, so a parser that would never
    // stop is stopped; only then are the documents built.
    {
      std::istringstream in{std::string(yaml)};
      YAML::Parser counting(in);
      DocumentCounter counter;
      size_t documents = 0;
      while (counting.HandleNextDocument(counter)) {
        if (++documents > kMaxDocuments) {
          return RuleError(MarkLocation(file, counter.last()),
                           absl::StrCat("bad YAML: more than ", kMaxDocuments,
                                        " documents (a stray ',' or '---' at the top level?)"));
        }
      }
    }
    return YAML::LoadAll(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return YamlError(file, e);
  }
}

SourceLocation ItemReader::Loc(const YAML::Node& node) const {
  const YAML::Mark mark = node.Mark();
  if (mark.line < 0) return SourceLocation{file_, 0, 0};
  return SourceLocation{file_, mark.line + 1, mark.column + 1};
}

absl::StatusOr<TextPart> ItemReader::TextOf(const YAML::Node& node, absl::string_view what) const {
  VIGIL_ASSIGN_OR_RETURN(std::string value, ScalarOf(node, what));
  TextPart part{value, Loc(node)};
  const YAML::Mark mark = node.Mark();
  if (mark.pos < 0 || static_cast<size_t>(mark.pos) >= text_.size()) return part;
  const char indicator = text_[static_cast<size_t>(mark.pos)];
  if (indicator == '"' || indicator == '\'') {
    part.where.column += 1;
  } else if (indicator == '|' || indicator == '>') {
    size_t start = text_.find('\n', static_cast<size_t>(mark.pos));
    if (start == absl::string_view::npos) return part;
    ++start;
    // The block: following lines that are blank or indented deeper than the key.
    size_t end = start;
    size_t indent = absl::string_view::npos;
    while (end < text_.size()) {
      size_t eol = text_.find('\n', end);
      if (eol == absl::string_view::npos) eol = text_.size();
      absl::string_view line = text_.substr(end, eol - end);
      size_t lead = line.find_first_not_of(' ');
      if (lead != absl::string_view::npos) {
        if (indent == absl::string_view::npos) indent = lead;
        if (lead < indent) break;
      }
      end = eol < text_.size() ? eol + 1 : eol;
    }
    part.text = std::string(text_.substr(start, end - start));
    part.where = SourceLocation{file_, mark.line + 2, 1};
  } else if (value.find(' ') != std::string::npos) {
    // A plain scalar may continue on following lines, which YAML folds into spaces. The
    // source itself, line breaks and indentation included, is the same condition text
    // with the file's own positions: take it when the value folds back into it.
    const size_t begin = static_cast<size_t>(mark.pos);
    size_t src = begin;
    bool folded = false;
    size_t i = 0;
    for (; i < value.size() && src < text_.size(); ++i) {
      if (value[i] == text_[src]) {
        ++src;
        continue;
      }
      if (value[i] != ' ' || (text_[src] != '\n' && text_[src] != '\r')) break;
      while (src < text_.size() && absl::ascii_isspace(static_cast<unsigned char>(text_[src]))) {
        ++src;
      }
      folded = true;
    }
    if (folded && i == value.size()) {
      part.text = std::string(text_.substr(begin, src - begin));
    }
  }
  return part;
}

absl::StatusOr<std::string> ItemReader::ScalarOf(const YAML::Node& node,
                                                 absl::string_view what) const {
  if (!node.IsScalar()) return RuleError(Loc(node), absl::StrCat(what, " must be a string"));
  std::string value = node.Scalar();
  if (value.size() > limits_.max_string_bytes) {
    return RuleError(Loc(node),
                     absl::StrCat(what, " is longer than ", limits_.max_string_bytes, " bytes"));
  }
  return value;
}

absl::StatusOr<std::vector<std::string>> ItemReader::StringsOf(const YAML::Node& node,
                                                               absl::string_view what) const {
  std::vector<std::string> out;
  if (node.IsScalar()) {
    VIGIL_ASSIGN_OR_RETURN(std::string one, ScalarOf(node, what));
    out.push_back(std::move(one));
    return out;
  }
  if (!node.IsSequence()) {
    return RuleError(Loc(node), absl::StrCat(what, " must be a list of strings"));
  }
  for (const YAML::Node& element : node) {
    VIGIL_ASSIGN_OR_RETURN(std::string value, ScalarOf(element, what));
    out.push_back(std::move(value));
  }
  return out;
}

absl::StatusOr<bool> ItemReader::BoolOf(const YAML::Node& node, absl::string_view what) const {
  VIGIL_ASSIGN_OR_RETURN(std::string value, ScalarOf(node, what));
  const std::string lower = absl::AsciiStrToLower(value);
  if (lower == "true") return true;
  if (lower == "false") return false;
  return RuleError(Loc(node), absl::StrCat(what, " must be true or false, not '", value, "'"));
}

absl::StatusOr<Priority> ItemReader::PriorityOf(const YAML::Node& node) const {
  VIGIL_ASSIGN_OR_RETURN(std::string value, ScalarOf(node, "priority"));
  if (std::optional<int> level = ParsePriorityLevel(value)) return static_cast<Priority>(*level);
  return RuleError(Loc(node), absl::StrCat("unknown priority '", value, "' (expected ",
                                           PriorityLevelNames(" or "), ")"));
}

absl::Status ItemReader::CheckKeys(const YAML::Node& item,
                                   std::initializer_list<absl::string_view> allowed,
                                   absl::string_view kind, absl::string_view name) const {
  for (const auto& kv : item) {
    const std::string key = kv.first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return RuleError(Loc(kv.first),
                       absl::StrCat("unknown key '", key, "' in ", kind, " '", name,
                                    "' (allowed: ", absl::StrJoin(allowed, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, std::string>> ItemReader::OverridesOf(
    const YAML::Node& item, std::initializer_list<absl::string_view> appendable,
    std::initializer_list<absl::string_view> replaceable) const {
  std::map<std::string, std::string> modes;
  const YAML::Node node = item["override"];
  if (!node) return modes;
  if (!node.IsMap()) {
    return RuleError(Loc(node), "override must map fields to append or replace");
  }
  for (const auto& kv : node) {
    const std::string field = kv.first.Scalar();
    VIGIL_ASSIGN_OR_RETURN(std::string mode, ScalarOf(kv.second, "override mode"));
    const auto& allowed = mode == "append" ? appendable : replaceable;
    if (mode != "append" && mode != "replace") {
      return RuleError(Loc(kv.second),
                       absl::StrCat("override mode for '", field,
                                    "' must be append or replace, not '", mode, "'"));
    }
    if (std::find(allowed.begin(), allowed.end(), field) == allowed.end()) {
      return RuleError(Loc(kv.first),
                       absl::StrCat("'", field, "' cannot be overridden with ", mode));
    }
    if (!item[field]) {
      return RuleError(Loc(kv.first),
                       absl::StrCat("override names '", field, "' but the item does not set it"));
    }
    modes[field] = mode;
  }
  return modes;
}

absl::Status ItemReader::CheckAllOverridden(
    const YAML::Node& item, const std::map<std::string, std::string>& modes,
    std::initializer_list<absl::string_view> identity) const {
  for (const auto& kv : item) {
    const std::string key = kv.first.Scalar();
    if (key == "override" || std::find(identity.begin(), identity.end(), key) != identity.end()) {
      continue;
    }
    if (!modes.count(key)) {
      return RuleError(Loc(kv.first), absl::StrCat("'", key,
                                                   "' is set on an overriding item "
                                                   "but has no override mode"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<RuleException>> ItemReader::ExceptionsOf(const YAML::Node& node) const {
  std::vector<RuleException> out;
  if (!node.IsSequence()) return RuleError(Loc(node), "exceptions must be a list");
  for (const YAML::Node& e : node) {
    if (!e.IsMap() || !e["name"]) {
      return RuleError(Loc(e), "an exception must be a mapping with a name");
    }
    RuleException ex;
    ex.where = Loc(e);
    VIGIL_ASSIGN_OR_RETURN(ex.name, ScalarOf(e["name"], "exception name"));
    VIGIL_RETURN_IF_ERROR(
        CheckKeys(e, {"name", "fields", "comps", "values"}, "exception", ex.name));
    if (!e["fields"]) {
      return RuleError(Loc(e), absl::StrCat("exception '", ex.name, "' has no fields"));
    }
    VIGIL_ASSIGN_OR_RETURN(ex.fields, StringsOf(e["fields"], "fields"));
    if (e["comps"]) {
      VIGIL_ASSIGN_OR_RETURN(ex.comps, StringsOf(e["comps"], "comps"));
      if (ex.comps.size() != ex.fields.size()) {
        return RuleError(Loc(e["comps"]),
                         absl::StrCat("exception '", ex.name, "' has ", ex.fields.size(),
                                      " fields but ", ex.comps.size(), " comps"));
      }
    } else {
      ex.comps.assign(ex.fields.size(), "=");
    }
    if (e["values"]) {
      if (!e["values"].IsSequence()) {
        return RuleError(Loc(e["values"]), "exception values must be a list of tuples");
      }
      for (const YAML::Node& tuple : e["values"]) {
        VIGIL_ASSIGN_OR_RETURN(std::vector<std::string> values, StringsOf(tuple, "values"));
        if (values.size() != ex.fields.size()) {
          return RuleError(Loc(tuple),
                           absl::StrCat("exception '", ex.name, "': a tuple of ", values.size(),
                                        " values for ", ex.fields.size(), " fields"));
        }
        ex.values.push_back(std::move(values));
      }
    }
    out.push_back(std::move(ex));
  }
  return out;
}

absl::Status ItemReader::StatefulOf(const YAML::Node& item, RuleItem* rule) const {
  const YAML::Node threshold = item["threshold"];
  const YAML::Node sequence = item["sequence"];
  if (threshold && sequence) {
    return RuleError(Loc(sequence),
                     absl::StrCat("rule '", rule->name, "' has both threshold and sequence"));
  }
  if (threshold) {
    if (!threshold.IsMap()) {
      return RuleError(Loc(threshold), "threshold must be a mapping (count, window, by, ...)");
    }
    VIGIL_RETURN_IF_ERROR(CheckKeys(threshold, {"count", "window", "by", "cooldown", "max_keys"},
                                    "threshold of rule", rule->name));
    for (const char* required : {"count", "window"}) {
      if (!threshold[required]) {
        return RuleError(Loc(threshold), absl::StrCat("threshold has no ", required));
      }
    }
    ThresholdItem t;
    t.where = Loc(threshold);
    VIGIL_ASSIGN_OR_RETURN(t.count, CountOf(threshold["count"], "count", 1, kMaxThresholdCount));
    VIGIL_ASSIGN_OR_RETURN(t.window_ns, DurationOf(threshold["window"], "window"));
    t.cooldown_ns = t.window_ns;
    if (threshold["cooldown"]) {
      VIGIL_ASSIGN_OR_RETURN(t.cooldown_ns, DurationOf(threshold["cooldown"], "cooldown"));
    }
    VIGIL_RETURN_IF_ERROR(KeyOf(threshold, &t.by, &t.max_keys));
    if (!threshold["max_keys"]) {
      t.max_keys = static_cast<uint32_t>(
          std::min<uint64_t>(kDefaultMaxKeys, std::max<uint64_t>(1, kMaxThresholdSlots / t.count)));
    } else if (uint64_t{t.count} * t.max_keys > kMaxThresholdSlots) {
      return RuleError(Loc(threshold["max_keys"]),
                       absl::StrCat("count x max_keys is ", uint64_t{t.count} * t.max_keys,
                                    "; at most ", kMaxThresholdSlots,
                                    " (each key remembers up to count events): lower "
                                    "max_keys or count"));
    }
    rule->threshold = std::move(t);
  }
  if (sequence) {
    if (!sequence.IsMap()) {
      return RuleError(Loc(sequence), "sequence must be a mapping (window, by, steps)");
    }
    VIGIL_RETURN_IF_ERROR(
        CheckKeys(sequence, {"window", "by", "steps", "max_keys"}, "sequence of rule", rule->name));
    for (const char* required : {"window", "steps"}) {
      if (!sequence[required]) {
        return RuleError(Loc(sequence), absl::StrCat("sequence has no ", required));
      }
    }
    SequenceItem s;
    s.where = Loc(sequence);
    VIGIL_ASSIGN_OR_RETURN(s.window_ns, DurationOf(sequence["window"], "window"));
    VIGIL_RETURN_IF_ERROR(KeyOf(sequence, &s.by, &s.max_keys));
    const YAML::Node steps = sequence["steps"];
    if (!steps.IsSequence() || steps.size() < 2 || steps.size() > kMaxSequenceSteps) {
      return RuleError(Loc(steps), absl::StrCat("steps must be a list of 2 to ", kMaxSequenceSteps,
                                                " items (- condition: ...)"));
    }
    for (const YAML::Node& step : steps) {
      if (!step.IsMap() || !step["condition"]) {
        return RuleError(Loc(step), "a sequence step must be a mapping with a condition");
      }
      VIGIL_RETURN_IF_ERROR(CheckKeys(step, {"condition"}, "step of rule", rule->name));
      VIGIL_ASSIGN_OR_RETURN(TextPart part, TextOf(step["condition"], "condition"));
      s.steps.push_back(std::move(part));
    }
    rule->sequence = std::move(s);
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> ItemReader::DurationOf(const YAML::Node& node,
                                                absl::string_view what) const {
  VIGIL_ASSIGN_OR_RETURN(std::string value, ScalarOf(node, what));
  uint64_t ns = 0;
  if (!ParseDuration(value, &ns)) {
    return RuleError(Loc(node), absl::StrCat("bad duration '", value, "' for ", what,
                                             " (expected a positive number and a unit: ns, "
                                             "us, ms, s, m or h, e.g. 10s or 1h30m)"));
  }
  return ns;
}

absl::StatusOr<uint32_t> ItemReader::CountOf(const YAML::Node& node, absl::string_view what,
                                             uint32_t min, uint32_t max) const {
  VIGIL_ASSIGN_OR_RETURN(std::string value, ScalarOf(node, what));
  uint32_t n = 0;
  if (!absl::SimpleAtoi(value, &n) || n < min || n > max) {
    return RuleError(Loc(node), absl::StrCat(what, " must be an integer from ", min, " to ", max,
                                             ", not '", value, "'"));
  }
  return n;
}

absl::Status ItemReader::KeyOf(const YAML::Node& node, std::vector<std::string>* by,
                               uint32_t* max_keys) const {
  if (node["by"]) {
    VIGIL_ASSIGN_OR_RETURN(*by, StringsOf(node["by"], "by"));
    if (by->size() > kMaxKeyFields) {
      return RuleError(Loc(node["by"]),
                       absl::StrCat("by names more than ", kMaxKeyFields, " fields"));
    }
  }
  *max_keys = kDefaultMaxKeys;
  if (node["max_keys"]) {
    VIGIL_ASSIGN_OR_RETURN(*max_keys, CountOf(node["max_keys"], "max_keys", 1, kMaxMaxKeys));
  }
  return absl::OkStatus();
}

}  // namespace vigil::rules

#include "rules/rule_file.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/sha256.h"
#include "common/status_macros.h"

namespace vigil::rules {
namespace {

// What one AddText() call works on: copies of the set, committed only on success.
struct Staged {
  std::vector<ListItem> lists;
  std::vector<MacroItem> macros;
  std::vector<RuleItem> rules;
};

// The item called `name`, or null.
template <typename Item>
Item* FindItem(std::vector<Item>& items, const std::string& name) {
  auto it =
      std::find_if(items.begin(), items.end(), [&](const Item& item) { return item.name == name; });
  return it == items.end() ? nullptr : &*it;
}

// Adds `item`, replacing a same-named one whole (a redefinition).
template <typename Item>
void DefineItem(std::vector<Item>& items, Item item) {
  if (Item* existing = FindItem(items, item.name)) {
    *existing = std::move(item);
  } else {
    items.push_back(std::move(item));
  }
}

// True for Falco's legacy `append: true`.
bool LegacyAppend(const YAML::Node& item) {
  return item["append"] && item["append"].Scalar() == "true";
}

// Parses one file's YAML into the staged items.
class FileParser {
 public:
  FileParser(absl::string_view text, const std::string& file, const RuleFileLimits& limits,
             size_t* item_count, Staged* staged)
      : text_(text), file_(file), limits_(limits), item_count_(item_count), staged_(staged) {}

  absl::Status Parse(const std::vector<YAML::Node>& docs) {
    for (const YAML::Node& doc : docs) {
      if (doc.IsNull()) continue;
      if (!doc.IsSequence()) {
        return RuleError(Loc(doc),
                         "a rules file is a list of items (- rule: ..., - macro: ..., "
                         "- list: ...)");
      }
      for (const YAML::Node& item : doc) VIGIL_RETURN_IF_ERROR(ParseItem(item));
    }
    return absl::OkStatus();
  }

 private:
  SourceLocation Loc(const YAML::Node& node) const {
    const YAML::Mark mark = node.Mark();
    if (mark.line < 0) return SourceLocation{file_, 0, 0};
    return SourceLocation{file_, mark.line + 1, mark.column + 1};
  }

  // Where the text of a scalar starts, and the text itself with exact positions: block
  // scalars (| and >) are taken from the source lines as written, so every line and
  // column of the text is the file's own; quoted scalars start after the quote.
  absl::StatusOr<TextPart> TextOf(const YAML::Node& node, absl::string_view what) {
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

  absl::StatusOr<std::string> ScalarOf(const YAML::Node& node, absl::string_view what) {
    if (!node.IsScalar()) return RuleError(Loc(node), absl::StrCat(what, " must be a string"));
    std::string value = node.Scalar();
    if (value.size() > limits_.max_string_bytes) {
      return RuleError(Loc(node),
                       absl::StrCat(what, " is longer than ", limits_.max_string_bytes, " bytes"));
    }
    return value;
  }

  absl::StatusOr<std::vector<std::string>> StringsOf(const YAML::Node& node,
                                                     absl::string_view what) {
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

  absl::StatusOr<bool> BoolOf(const YAML::Node& node, absl::string_view what) {
    VIGIL_ASSIGN_OR_RETURN(std::string value, ScalarOf(node, what));
    const std::string lower = absl::AsciiStrToLower(value);
    if (lower == "true") return true;
    if (lower == "false") return false;
    return RuleError(Loc(node), absl::StrCat(what, " must be true or false, not '", value, "'"));
  }

  absl::StatusOr<Priority> PriorityOf(const YAML::Node& node) {
    VIGIL_ASSIGN_OR_RETURN(std::string value, ScalarOf(node, "priority"));
    const std::string lower = absl::AsciiStrToLower(value);
    if (lower == "info") return Priority::kInformational;
    for (int p = 0; p <= static_cast<int>(Priority::kDebug); ++p) {
      if (lower == PriorityName(static_cast<Priority>(p))) return static_cast<Priority>(p);
    }
    return RuleError(Loc(node), absl::StrCat("unknown priority '", value,
                                             "' (expected emergency, alert, critical, error, "
                                             "warning, notice, informational or debug)"));
  }

  // Checks that every key of `item` is allowed.
  absl::Status CheckKeys(const YAML::Node& item, std::initializer_list<absl::string_view> allowed,
                         absl::string_view kind, absl::string_view name) {
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

  // The override modes of an item: field -> "append" or "replace".
  absl::StatusOr<std::map<std::string, std::string>> OverridesOf(
      const YAML::Node& item, std::initializer_list<absl::string_view> appendable,
      std::initializer_list<absl::string_view> replaceable) {
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

  // Fields set on an overriding item must each have a mode.
  absl::Status CheckAllOverridden(const YAML::Node& item,
                                  const std::map<std::string, std::string>& modes,
                                  std::initializer_list<absl::string_view> identity) {
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

  absl::Status ParseItem(const YAML::Node& item) {
    if (!item.IsMap()) return RuleError(Loc(item), "an item must be a mapping (- rule: ...)");
    if (++*item_count_ > limits_.max_items) {
      return RuleError(Loc(item), absl::StrCat("more than ", limits_.max_items, " items"));
    }
    int kinds = 0;
    for (const char* kind : {"rule", "macro", "list", "required_engine_version"}) {
      if (item[kind]) ++kinds;
    }
    if (kinds != 1) {
      return RuleError(Loc(item), kinds == 0 ? "unknown item: expected one of rule, macro, list, "
                                               "required_engine_version"
                                             : "an item must be exactly one of rule, macro, "
                                               "list, required_engine_version");
    }
    if (item["required_engine_version"]) return ParseEngineVersion(item);
    if (item["list"]) return ParseList(item);
    if (item["macro"]) return ParseMacro(item);
    return ParseRule(item);
  }

  absl::Status ParseEngineVersion(const YAML::Node& item) {
    const YAML::Node node = item["required_engine_version"];
    VIGIL_RETURN_IF_ERROR(CheckKeys(item, {"required_engine_version"}, "item", "version"));
    VIGIL_ASSIGN_OR_RETURN(std::string value, ScalarOf(node, "required_engine_version"));
    int major = 0;
    absl::string_view head = value;
    if (size_t dot = head.find('.'); dot != absl::string_view::npos) head = head.substr(0, dot);
    if (!absl::SimpleAtoi(head, &major) || major < 0) {
      return RuleError(Loc(node), absl::StrCat("required_engine_version must be a number or "
                                               "x.y.z, not '",
                                               value, "'"));
    }
    if (major > kEngineVersion) {
      return RuleError(Loc(node), absl::StrCat("needs rule engine version ", value,
                                               "; this build implements ", kEngineVersion));
    }
    return absl::OkStatus();
  }

  absl::Status ParseList(const YAML::Node& item) {
    VIGIL_ASSIGN_OR_RETURN(std::string name, ScalarOf(item["list"], "list name"));
    VIGIL_RETURN_IF_ERROR(CheckKeys(item, {"list", "items", "override", "append"}, "list", name));
    if (!item["items"]) return RuleError(Loc(item), absl::StrCat("list '", name, "' has no items"));
    VIGIL_ASSIGN_OR_RETURN(std::vector<std::string> items, StringsOf(item["items"], "items"));
    VIGIL_ASSIGN_OR_RETURN(auto modes, OverridesOf(item, {"items"}, {"items"}));
    const bool legacy_append = LegacyAppend(item);
    if (!modes.empty() || legacy_append) {
      ListItem* existing = FindItem(staged_->lists, name);
      if (existing == nullptr) {
        return RuleError(Loc(item), absl::StrCat("cannot override undefined list '", name, "'"));
      }
      if (legacy_append || modes["items"] == "append") {
        existing->items.insert(existing->items.end(), items.begin(), items.end());
      } else {
        existing->items = std::move(items);
      }
      return absl::OkStatus();
    }
    DefineItem(staged_->lists, ListItem{name, std::move(items), Loc(item)});
    return absl::OkStatus();
  }

  absl::Status ParseMacro(const YAML::Node& item) {
    VIGIL_ASSIGN_OR_RETURN(std::string name, ScalarOf(item["macro"], "macro name"));
    VIGIL_RETURN_IF_ERROR(
        CheckKeys(item, {"macro", "condition", "override", "append"}, "macro", name));
    if (!item["condition"]) {
      return RuleError(Loc(item), absl::StrCat("macro '", name, "' has no condition"));
    }
    VIGIL_ASSIGN_OR_RETURN(TextPart condition, TextOf(item["condition"], "condition"));
    VIGIL_ASSIGN_OR_RETURN(auto modes, OverridesOf(item, {"condition"}, {"condition"}));
    const bool legacy_append = LegacyAppend(item);
    if (!modes.empty() || legacy_append) {
      MacroItem* existing = FindItem(staged_->macros, name);
      if (existing == nullptr) {
        return RuleError(Loc(item), absl::StrCat("cannot override undefined macro '", name, "'"));
      }
      if (legacy_append || modes["condition"] == "append") {
        existing->condition.push_back(std::move(condition));
      } else {
        existing->condition = {std::move(condition)};
      }
      return absl::OkStatus();
    }
    DefineItem(staged_->macros, MacroItem{name, {std::move(condition)}, Loc(item)});
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<RuleException>> ExceptionsOf(const YAML::Node& node) {
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

  absl::Status ParseRule(const YAML::Node& item) {
    VIGIL_ASSIGN_OR_RETURN(std::string name, ScalarOf(item["rule"], "rule name"));
    VIGIL_RETURN_IF_ERROR(
        CheckKeys(item,
                  {"rule", "desc", "condition", "output", "priority", "tags", "enabled",
                   "exceptions", "override", "append", "source", "threshold", "sequence"},
                  "rule", name));
    RuleItem* existing = FindItem(staged_->rules, name);
    VIGIL_ASSIGN_OR_RETURN(
        auto modes, OverridesOf(item, {"condition", "output", "desc", "tags", "exceptions"},
                                {"condition", "output", "desc", "priority", "tags", "enabled",
                                 "exceptions", "threshold", "sequence"}));
    const bool legacy_append = LegacyAppend(item);
    // A rule item naming an existing rule with only `enabled` toggles it (Falco's form).
    const bool enable_only = modes.empty() && !legacy_append && item["enabled"] &&
                             !item["condition"] && existing != nullptr;
    if (existing == nullptr && modes.empty() && !legacy_append && item["enabled"] &&
        !item["condition"] && !item["output"] && !item["priority"] && !item["sequence"]) {
      return RuleError(Loc(item),
                       absl::StrCat("cannot enable or disable undefined rule '", name, "'"));
    }
    if (!modes.empty() || legacy_append || enable_only) {
      if (existing == nullptr) {
        return RuleError(Loc(item), absl::StrCat("cannot override undefined rule '", name, "'"));
      }
      if (legacy_append) {
        if (!item["condition"]) {
          return RuleError(Loc(item), "append: true needs a condition to append");
        }
        modes["condition"] = "append";
      }
      if (enable_only) modes["enabled"] = "replace";
      VIGIL_RETURN_IF_ERROR(CheckAllOverridden(item, modes, {"rule", "append"}));
      return ApplyRuleOverride(item, modes, existing);
    }
    RuleItem rule;
    rule.name = name;
    rule.where = Loc(item);
    for (const char* required : {"condition", "output", "priority"}) {
      if (!item[required] && !(item["sequence"] && absl::string_view(required) == "condition")) {
        return RuleError(Loc(item), absl::StrCat("rule '", name, "' has no ", required));
      }
    }
    if (item["desc"]) {
      VIGIL_ASSIGN_OR_RETURN(rule.desc, ScalarOf(item["desc"], "desc"));
    }
    if (item["condition"]) {
      VIGIL_ASSIGN_OR_RETURN(TextPart condition, TextOf(item["condition"], "condition"));
      rule.condition.push_back(std::move(condition));
    }
    VIGIL_RETURN_IF_ERROR(ParseStateful(item, &rule));
    VIGIL_ASSIGN_OR_RETURN(rule.output, TextOf(item["output"], "output"));
    VIGIL_ASSIGN_OR_RETURN(rule.output_value, ScalarOf(item["output"], "output"));
    VIGIL_ASSIGN_OR_RETURN(rule.priority, PriorityOf(item["priority"]));
    if (item["tags"]) {
      VIGIL_ASSIGN_OR_RETURN(rule.tags, StringsOf(item["tags"], "tags"));
    }
    if (item["enabled"]) {
      VIGIL_ASSIGN_OR_RETURN(rule.enabled, BoolOf(item["enabled"], "enabled"));
    }
    if (item["exceptions"]) {
      VIGIL_ASSIGN_OR_RETURN(rule.exceptions, ExceptionsOf(item["exceptions"]));
    }
    if (item["source"]) {
      VIGIL_ASSIGN_OR_RETURN(std::string source, ScalarOf(item["source"], "source"));
      if (source != "syscall") {
        return RuleError(Loc(item["source"]), absl::StrCat("unsupported source '", source,
                                                           "' (Vigil rules see syscall events)"));
      }
    }
    DefineItem(staged_->rules, std::move(rule));
    return absl::OkStatus();
  }

  absl::Status ApplyRuleOverride(const YAML::Node& item,
                                 const std::map<std::string, std::string>& modes, RuleItem* rule) {
    for (const auto& [field, mode] : modes) {
      const bool append = mode == "append";
      const YAML::Node node = item[field];
      if (field == "condition") {
        VIGIL_ASSIGN_OR_RETURN(TextPart part, TextOf(node, "condition"));
        if (!append) rule->condition.clear();
        rule->condition.push_back(std::move(part));
      } else if (field == "output") {
        VIGIL_ASSIGN_OR_RETURN(TextPart part, TextOf(node, "output"));
        VIGIL_ASSIGN_OR_RETURN(std::string value, ScalarOf(node, "output"));
        if (append) {
          rule->output.text += " " + part.text;
          rule->output_value += " " + value;
        } else {
          rule->output = std::move(part);
          rule->output_value = std::move(value);
        }
      } else if (field == "desc") {
        VIGIL_ASSIGN_OR_RETURN(std::string desc, ScalarOf(node, "desc"));
        rule->desc = append ? rule->desc + " " + desc : desc;
      } else if (field == "priority") {
        VIGIL_ASSIGN_OR_RETURN(rule->priority, PriorityOf(node));
      } else if (field == "tags") {
        VIGIL_ASSIGN_OR_RETURN(std::vector<std::string> tags, StringsOf(node, "tags"));
        if (!append) rule->tags.clear();
        rule->tags.insert(rule->tags.end(), tags.begin(), tags.end());
      } else if (field == "enabled") {
        VIGIL_ASSIGN_OR_RETURN(rule->enabled, BoolOf(node, "enabled"));
      } else if (field == "exceptions") {
        VIGIL_ASSIGN_OR_RETURN(std::vector<RuleException> more, ExceptionsOf(node));
        if (!append) rule->exceptions.clear();
        for (RuleException& e : more) rule->exceptions.push_back(std::move(e));
      }
    }
    if (modes.count("threshold") || modes.count("sequence")) {
      rule->threshold.reset();
      rule->sequence.reset();
      VIGIL_RETURN_IF_ERROR(ParseStateful(item, rule));
    }
    if (rule->condition.empty() && !rule->sequence) {
      return RuleError(Loc(item), absl::StrCat("rule '", rule->name, "' has no condition"));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<uint64_t> DurationOf(const YAML::Node& node, absl::string_view what) {
    VIGIL_ASSIGN_OR_RETURN(std::string value, ScalarOf(node, what));
    uint64_t ns = 0;
    if (!ParseDuration(value, &ns)) {
      return RuleError(Loc(node), absl::StrCat("bad duration '", value, "' for ", what,
                                               " (expected a positive number and a unit: ns, "
                                               "us, ms, s, m or h, e.g. 10s)"));
    }
    return ns;
  }

  absl::StatusOr<uint32_t> CountOf(const YAML::Node& node, absl::string_view what, uint32_t min,
                                   uint32_t max) {
    VIGIL_ASSIGN_OR_RETURN(std::string value, ScalarOf(node, what));
    uint32_t n = 0;
    if (!absl::SimpleAtoi(value, &n) || n < min || n > max) {
      return RuleError(Loc(node), absl::StrCat(what, " must be an integer from ", min, " to ", max,
                                               ", not '", value, "'"));
    }
    return n;
  }

  // The `by` and `max_keys` keys both stateful kinds share.
  absl::Status KeyOf(const YAML::Node& node, std::vector<std::string>* by, uint32_t* max_keys) {
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

  // Reads a rule's `threshold` or `sequence` (at most one).
  absl::Status ParseStateful(const YAML::Node& item, RuleItem* rule) {
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
        t.max_keys = static_cast<uint32_t>(std::min<uint64_t>(
            kDefaultMaxKeys, std::max<uint64_t>(1, kMaxThresholdSlots / t.count)));
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
      VIGIL_RETURN_IF_ERROR(CheckKeys(sequence, {"window", "by", "steps", "max_keys"},
                                      "sequence of rule", rule->name));
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
        return RuleError(Loc(steps), absl::StrCat("steps must be a list of 2 to ",
                                                  kMaxSequenceSteps, " items (- condition: ...)"));
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

  absl::string_view text_;
  const std::string& file_;
  const RuleFileLimits& limits_;
  size_t* item_count_;
  Staged* staged_;
};

}  // namespace

std::string RuleSetContentVersion(
    const std::vector<std::pair<std::string, std::string>>& name_and_content) {
  std::string material;
  for (const auto& [name, content] : name_and_content) {
    absl::StrAppend(&material, name.size(), ":", name, content.size(), ":", content);
  }
  return "sha256:" + Sha256Hex(material);
}

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

}  // namespace

absl::Status RuleFileSet::AddText(absl::string_view yaml, const std::string& file) {
  if (yaml.size() > limits_.max_file_bytes) {
    return RuleError(SourceLocation{file, 0, 0},
                     absl::StrCat("file is larger than ", limits_.max_file_bytes, " bytes"));
  }
  Staged staged{lists_, macros_, rules_};
  size_t item_count = item_count_;
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
          const YAML::Mark& m = counter.last();
          return RuleError(
              SourceLocation{file, m.line >= 0 ? m.line + 1 : 0, m.column >= 0 ? m.column + 1 : 0},
              absl::StrCat("bad YAML: more than ", kMaxDocuments,
                           " documents (a stray ',' or '---' at the top level?)"));
        }
      }
    }
    std::vector<YAML::Node> docs = YAML::LoadAll(std::string(yaml));
    FileParser parser(yaml, file, limits_, &item_count, &staged);
    VIGIL_RETURN_IF_ERROR(parser.Parse(docs));
  } catch (const YAML::Exception& e) {
    SourceLocation where{file, e.mark.line >= 0 ? e.mark.line + 1 : 0,
                         e.mark.column >= 0 ? e.mark.column + 1 : 0};
    return RuleError(where, absl::StrCat("bad YAML: ", e.msg));
  }
  lists_ = std::move(staged.lists);
  macros_ = std::move(staged.macros);
  rules_ = std::move(staged.rules);
  item_count_ = item_count;
  files_.push_back(file);
  return absl::OkStatus();
}

absl::Status RuleFileSet::AddFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return RuleError(SourceLocation{path, 0, 0}, absl::StrCat("cannot read: ", strerror(errno)));
  }
  std::string text(limits_.max_file_bytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  return AddText(text, path);
}

absl::Status RuleFileSet::AddPaths(const std::vector<std::string>& paths) {
  for (const std::string& path : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      std::vector<std::string> files;
      for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
        const std::string ext = entry.path().extension().string();
        if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) {
          files.push_back(entry.path().string());
        }
      }
      if (ec) {
        return RuleError(SourceLocation{path, 0, 0}, absl::StrCat("cannot list: ", ec.message()));
      }
      std::sort(files.begin(), files.end());
      for (const std::string& file : files) VIGIL_RETURN_IF_ERROR(AddFile(file));
    } else {
      VIGIL_RETURN_IF_ERROR(AddFile(path));
    }
  }
  return absl::OkStatus();
}

}  // namespace vigil::rules

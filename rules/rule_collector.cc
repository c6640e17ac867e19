// The collector of rules files: each file's items applied to the set in order (definitions,
// redefinitions, overrides, Falco's legacy forms), staged so a failed file changes nothing;
// loading paths and directories; and the content version of what was loaded.
#include "rules/rule_collector.h"

#include <algorithm>
#include <filesystem>
#include <iterator>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/read_file.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "rules/rule_reader.h"

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

// Applies one file's items to the staged set, reading their values with an ItemReader.
class FileCollector {
 public:
  FileCollector(absl::string_view text, const std::string& file, const RuleFileLimits& limits,
                size_t* item_count, Staged* staged)
      : reader_(text, file, limits), limits_(limits), item_count_(item_count), staged_(staged) {}

  // Applies the items of every document, in order.
  absl::Status Collect(const std::vector<YAML::Node>& docs) {
    for (const YAML::Node& doc : docs) {
      if (doc.IsNull()) continue;
      if (!doc.IsSequence()) {
        return RuleError(reader_.Loc(doc),
                         "a rules file is a list of items (- rule: ..., - macro: ..., "
                         "- list: ...)");
      }
      for (const YAML::Node& item : doc) VIGIL_RETURN_IF_ERROR(ParseItem(item));
    }
    return absl::OkStatus();
  }

 private:
  absl::Status ParseItem(const YAML::Node& item) {
    if (!item.IsMap())
      return RuleError(reader_.Loc(item), "an item must be a mapping (- rule: ...)");
    if (++*item_count_ > limits_.max_items) {
      return RuleError(reader_.Loc(item), absl::StrCat("more than ", limits_.max_items, " items"));
    }
    int kinds = 0;
    for (const char* kind : {"rule", "macro", "list", "required_engine_version"}) {
      if (item[kind]) ++kinds;
    }
    if (kinds != 1) {
      return RuleError(reader_.Loc(item), kinds == 0
                                              ? "unknown item: expected one of rule, macro, list, "
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
    VIGIL_RETURN_IF_ERROR(reader_.CheckKeys(item, {"required_engine_version"}, "item", "version"));
    VIGIL_ASSIGN_OR_RETURN(std::string value, reader_.ScalarOf(node, "required_engine_version"));
    int major = 0;
    absl::string_view head = value;
    if (size_t dot = head.find('.'); dot != absl::string_view::npos) head = head.substr(0, dot);
    if (!absl::SimpleAtoi(head, &major) || major < 0) {
      return RuleError(reader_.Loc(node),
                       absl::StrCat("required_engine_version must be a number or "
                                    "x.y.z, not '",
                                    value, "'"));
    }
    if (major > kEngineVersion) {
      return RuleError(reader_.Loc(node), absl::StrCat("needs rule engine version ", value,
                                                       "; this build implements ", kEngineVersion));
    }
    return absl::OkStatus();
  }

  absl::Status ParseList(const YAML::Node& item) {
    VIGIL_ASSIGN_OR_RETURN(std::string name, ListOrMacroName(item, "list", "items"));
    VIGIL_ASSIGN_OR_RETURN(std::vector<std::string> items,
                           reader_.StringsOf(item["items"], "items"));
    return DefineOrOverride(staged_->lists, &ListItem::items, "list", "items", name,
                            std::move(items), item);
  }

  absl::Status ParseMacro(const YAML::Node& item) {
    VIGIL_ASSIGN_OR_RETURN(std::string name, ListOrMacroName(item, "macro", "condition"));
    VIGIL_ASSIGN_OR_RETURN(TextPart condition, reader_.TextOf(item["condition"], "condition"));
    return DefineOrOverride(staged_->macros, &MacroItem::condition, "macro", "condition", name,
                            {std::move(condition)}, item);
  }

  // The name of a list or macro item (`kind`), after checking that its keys are `kind`,
  // `key` (its one value, which it must set), override and append.
  absl::StatusOr<std::string> ListOrMacroName(const YAML::Node& item, absl::string_view kind,
                                              absl::string_view key) {
    VIGIL_ASSIGN_OR_RETURN(std::string name,
                           reader_.ScalarOf(item[std::string(kind)], absl::StrCat(kind, " name")));
    VIGIL_RETURN_IF_ERROR(reader_.CheckKeys(item, {kind, key, "override", "append"}, kind, name));
    if (!item[std::string(key)]) {
      return RuleError(reader_.Loc(item), absl::StrCat(kind, " '", name, "' has no ", key));
    }
    return name;
  }

  // Applies a list or macro item, whose one overridable key `key` holds `values`, to the
  // staged `items`: defines it (a redefinition replaces the item whole) or, when it
  // overrides (`override` or Falco's `append: true`), appends `values` to the existing
  // item's `field` or replaces them. `kind` names the item kind in errors.
  template <typename Item, typename Value>
  absl::Status DefineOrOverride(std::vector<Item>& items, std::vector<Value> Item::*field,
                                absl::string_view kind, absl::string_view key,
                                const std::string& name, std::vector<Value> values,
                                const YAML::Node& item) {
    VIGIL_ASSIGN_OR_RETURN(auto modes, reader_.OverridesOf(item, {key}, {key}));
    const bool legacy_append = LegacyAppend(item);
    if (modes.empty() && !legacy_append) {
      DefineItem(items, Item{name, std::move(values), reader_.Loc(item)});
      return absl::OkStatus();
    }
    Item* existing = FindItem(items, name);
    if (existing == nullptr) {
      return RuleError(reader_.Loc(item),
                       absl::StrCat("cannot override undefined ", kind, " '", name, "'"));
    }
    std::vector<Value>& target = existing->*field;
    if (legacy_append || modes[std::string(key)] == "append") {
      target.insert(target.end(), std::make_move_iterator(values.begin()),
                    std::make_move_iterator(values.end()));
    } else {
      target = std::move(values);
    }
    return absl::OkStatus();
  }

  absl::Status ParseRule(const YAML::Node& item) {
    VIGIL_ASSIGN_OR_RETURN(std::string name, reader_.ScalarOf(item["rule"], "rule name"));
    VIGIL_RETURN_IF_ERROR(
        reader_.CheckKeys(item,
                          {"rule", "desc", "condition", "output", "priority", "tags", "enabled",
                           "exceptions", "override", "append", "source", "threshold", "sequence"},
                          "rule", name));
    RuleItem* existing = FindItem(staged_->rules, name);
    VIGIL_ASSIGN_OR_RETURN(
        auto modes, reader_.OverridesOf(item, {"condition", "output", "desc", "tags", "exceptions"},
                                        {"condition", "output", "desc", "priority", "tags",
                                         "enabled", "exceptions", "threshold", "sequence"}));
    const bool legacy_append = LegacyAppend(item);
    // A rule item naming an existing rule with only `enabled` toggles it (Falco's form).
    const bool enable_only = modes.empty() && !legacy_append && item["enabled"] &&
                             !item["condition"] && existing != nullptr;
    if (existing == nullptr && modes.empty() && !legacy_append && item["enabled"] &&
        !item["condition"] && !item["output"] && !item["priority"] && !item["sequence"]) {
      return RuleError(reader_.Loc(item),
                       absl::StrCat("cannot enable or disable undefined rule '", name, "'"));
    }
    if (!modes.empty() || legacy_append || enable_only) {
      if (existing == nullptr) {
        return RuleError(reader_.Loc(item),
                         absl::StrCat("cannot override undefined rule '", name, "'"));
      }
      if (legacy_append) {
        if (!item["condition"]) {
          return RuleError(reader_.Loc(item), "append: true needs a condition to append");
        }
        modes["condition"] = "append";
      }
      if (enable_only) modes["enabled"] = "replace";
      VIGIL_RETURN_IF_ERROR(reader_.CheckAllOverridden(item, modes, {"rule", "append"}));
      return ApplyRuleOverride(item, modes, existing);
    }
    RuleItem rule;
    rule.name = name;
    rule.where = reader_.Loc(item);
    for (const char* required : {"condition", "output", "priority"}) {
      if (!item[required] && !(item["sequence"] && absl::string_view(required) == "condition")) {
        return RuleError(reader_.Loc(item), absl::StrCat("rule '", name, "' has no ", required));
      }
    }
    if (item["desc"]) {
      VIGIL_ASSIGN_OR_RETURN(rule.desc, reader_.ScalarOf(item["desc"], "desc"));
    }
    if (item["condition"]) {
      VIGIL_ASSIGN_OR_RETURN(TextPart condition, reader_.TextOf(item["condition"], "condition"));
      rule.condition.push_back(std::move(condition));
    }
    VIGIL_RETURN_IF_ERROR(reader_.StatefulOf(item, &rule));
    VIGIL_ASSIGN_OR_RETURN(rule.output, reader_.TextOf(item["output"], "output"));
    VIGIL_ASSIGN_OR_RETURN(rule.output_value, reader_.ScalarOf(item["output"], "output"));
    VIGIL_ASSIGN_OR_RETURN(rule.priority, reader_.PriorityOf(item["priority"]));
    if (item["tags"]) {
      VIGIL_ASSIGN_OR_RETURN(rule.tags, reader_.StringsOf(item["tags"], "tags"));
    }
    if (item["enabled"]) {
      VIGIL_ASSIGN_OR_RETURN(rule.enabled, reader_.BoolOf(item["enabled"], "enabled"));
    }
    if (item["exceptions"]) {
      VIGIL_ASSIGN_OR_RETURN(rule.exceptions, reader_.ExceptionsOf(item["exceptions"]));
    }
    if (item["source"]) {
      VIGIL_ASSIGN_OR_RETURN(std::string source, reader_.ScalarOf(item["source"], "source"));
      if (source != "syscall") {
        return RuleError(
            reader_.Loc(item["source"]),
            absl::StrCat("unsupported source '", source, "' (Vigil rules see syscall events)"));
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
        VIGIL_ASSIGN_OR_RETURN(TextPart part, reader_.TextOf(node, "condition"));
        if (!append) rule->condition.clear();
        rule->condition.push_back(std::move(part));
      } else if (field == "output") {
        VIGIL_ASSIGN_OR_RETURN(TextPart part, reader_.TextOf(node, "output"));
        VIGIL_ASSIGN_OR_RETURN(std::string value, reader_.ScalarOf(node, "output"));
        if (append) {
          rule->output.text += " " + part.text;
          rule->output_value += " " + value;
        } else {
          rule->output = std::move(part);
          rule->output_value = std::move(value);
        }
      } else if (field == "desc") {
        VIGIL_ASSIGN_OR_RETURN(std::string desc, reader_.ScalarOf(node, "desc"));
        rule->desc = append ? rule->desc + " " + desc : desc;
      } else if (field == "priority") {
        VIGIL_ASSIGN_OR_RETURN(rule->priority, reader_.PriorityOf(node));
      } else if (field == "tags") {
        VIGIL_ASSIGN_OR_RETURN(std::vector<std::string> tags, reader_.StringsOf(node, "tags"));
        if (!append) rule->tags.clear();
        rule->tags.insert(rule->tags.end(), tags.begin(), tags.end());
      } else if (field == "enabled") {
        VIGIL_ASSIGN_OR_RETURN(rule->enabled, reader_.BoolOf(node, "enabled"));
      } else if (field == "exceptions") {
        VIGIL_ASSIGN_OR_RETURN(std::vector<RuleException> more, reader_.ExceptionsOf(node));
        if (!append) rule->exceptions.clear();
        for (RuleException& e : more) rule->exceptions.push_back(std::move(e));
      }
    }
    if (modes.count("threshold") || modes.count("sequence")) {
      rule->threshold.reset();
      rule->sequence.reset();
      VIGIL_RETURN_IF_ERROR(reader_.StatefulOf(item, rule));
    }
    if (rule->condition.empty() && !rule->sequence) {
      return RuleError(reader_.Loc(item), absl::StrCat("rule '", rule->name, "' has no condition"));
    }
    return absl::OkStatus();
  }

  ItemReader reader_;
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

absl::Status RuleFileSet::AddText(absl::string_view yaml, const std::string& file) {
  if (yaml.size() > limits_.max_file_bytes) {
    return RuleError(SourceLocation{file, 0, 0},
                     absl::StrCat("file is larger than ", limits_.max_file_bytes, " bytes"));
  }
  Staged staged{lists_, macros_, rules_};
  size_t item_count = item_count_;
  VIGIL_ASSIGN_OR_RETURN(std::vector<YAML::Node> docs, ReadDocuments(yaml, file));
  try {
    FileCollector collector(yaml, file, limits_, &item_count, &staged);
    VIGIL_RETURN_IF_ERROR(collector.Collect(docs));
  } catch (const YAML::Exception& e) {
    return YamlError(file, e);
  }
  lists_ = std::move(staged.lists);
  macros_ = std::move(staged.macros);
  rules_ = std::move(staged.rules);
  item_count_ = item_count;
  files_.push_back(file);
  contents_.emplace_back(std::filesystem::path(file).filename().string(), std::string(yaml));
  return absl::OkStatus();
}

absl::Status RuleFileSet::AddFile(const std::string& path) {
  // One byte past the limit, so AddText can tell a file that is too large.
  absl::StatusOr<std::string> text = ReadFileHead(path, limits_.max_file_bytes + 1);
  if (!text.ok()) return RuleError(SourceLocation{path, 0, 0}, text.status().message());
  return AddText(*text, path);
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

// The reader of rules files, internal to rules/: YAML text to documents, and the values of
// one file's YAML nodes (strings, condition text, priorities, exceptions, threshold and
// sequence specs) to the parts of items, each with its file:line:column. What the items
// mean for the set (definitions, overrides, layering) is the collector's
// (rules/rule_collector.h).
#ifndef VIGIL_RULES_RULE_READER_H_
#define VIGIL_RULES_RULE_READER_H_

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rules/rule_items.h"
#include "rules/source_location.h"

namespace vigil::rules {

// Splits `yaml` into its YAML documents. Malformed YAML, or more documents than one file
// may hold, is a RuleError at its position in `file`.
absl::StatusOr<std::vector<YAML::Node>> ReadDocuments(absl::string_view yaml,
                                                      const std::string& file);

// The RuleError for a YAML exception raised while reading `file` (yaml-cpp throws from
// node accessors too, so the collector maps those the same way).
absl::Status YamlError(const std::string& file, const YAML::Exception& e);

// Reads the nodes of one file's documents into the values items hold, checked against
// `limits`, and reports errors at their file:line:column. `text` (the file's bytes) gives
// condition and output text with the file's own positions. Holds references to its
// arguments, which must outlive it.
class ItemReader {
 public:
  ItemReader(absl::string_view text, const std::string& file, const RuleFileLimits& limits)
      : text_(text), file_(file), limits_(limits) {}

  // Where `node` starts (line and column 0 when yaml-cpp does not know).
  SourceLocation Loc(const YAML::Node& node) const;

  // A string scalar of at most limits.max_string_bytes; `what` names it in errors.
  absl::StatusOr<std::string> ScalarOf(const YAML::Node& node, absl::string_view what) const;

  // Condition or output text and where it starts, with exact positions: block scalars
  // (| and >) are taken from the source lines as written, so every line and column of the
  // text is the file's own; quoted scalars start after the quote; a plain scalar folded
  // over lines is taken as written when it folds back into the value.
  absl::StatusOr<TextPart> TextOf(const YAML::Node& node, absl::string_view what) const;

  // A string or a list of strings, as a list.
  absl::StatusOr<std::vector<std::string>> StringsOf(const YAML::Node& node,
                                                     absl::string_view what) const;

  // true or false, in any case.
  absl::StatusOr<bool> BoolOf(const YAML::Node& node, absl::string_view what) const;

  // A priority name in any case, or "info" for informational.
  absl::StatusOr<Priority> PriorityOf(const YAML::Node& node) const;

  // Checks that every key of `item` is in `allowed`; `kind` and `name` name the item in
  // errors.
  absl::Status CheckKeys(const YAML::Node& item, std::initializer_list<absl::string_view> allowed,
                         absl::string_view kind, absl::string_view name) const;

  // The override modes of an item (field -> "append" or "replace"), each field allowed for
  // its mode and set on the item; empty when the item has no `override`.
  absl::StatusOr<std::map<std::string, std::string>> OverridesOf(
      const YAML::Node& item, std::initializer_list<absl::string_view> appendable,
      std::initializer_list<absl::string_view> replaceable) const;

  // Checks that every field set on an overriding item, other than `override` and the
  // `identity` keys, has a mode in `modes`.
  absl::Status CheckAllOverridden(const YAML::Node& item,
                                  const std::map<std::string, std::string>& modes,
                                  std::initializer_list<absl::string_view> identity) const;

  // A rule's `exceptions` list, with comps defaulting to "=" and every tuple as wide as the
  // fields.
  absl::StatusOr<std::vector<RuleException>> ExceptionsOf(const YAML::Node& node) const;

  // Reads a rule item's `threshold` or `sequence` (at most one) into `rule`, checking the
  // limits of rules/rule_items.h.
  absl::Status StatefulOf(const YAML::Node& item, RuleItem* rule) const;

 private:
  absl::StatusOr<uint64_t> DurationOf(const YAML::Node& node, absl::string_view what) const;
  absl::StatusOr<uint32_t> CountOf(const YAML::Node& node, absl::string_view what, uint32_t min,
                                   uint32_t max) const;
  // The `by` and `max_keys` keys both stateful kinds share.
  absl::Status KeyOf(const YAML::Node& node, std::vector<std::string>* by,
                     uint32_t* max_keys) const;

  absl::string_view text_;
  const std::string& file_;
  const RuleFileLimits& limits_;
};

}  // namespace vigil::rules

#endif  // VIGIL_RULES_RULE_READER_H_

// The collector of rules files: RuleFileSet gathers the lists, macros and rules of one or
// more files in load order, applying redefinitions and overrides, and keeps the bytes it
// loaded so the set's content version names exactly what was compiled. Reading one file's
// YAML is rules/rule_reader.h's part; compiling the collected items is rules/rule_compiler.h's.
#ifndef VIGIL_RULES_RULE_COLLECTOR_H_
#define VIGIL_RULES_RULE_COLLECTOR_H_

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rules/rule_items.h"

namespace vigil::rules {

// The version of a rule set made of these files (name and content each, in load order):
// "sha256:" and the hash of their length-prefixed names and contents. Sensors and the
// controller name rule sets by it, so the same files give the same version everywhere.
std::string RuleSetContentVersion(
    const std::vector<std::pair<std::string, std::string>>& name_and_content);

// Accumulates the items of one or more rules files, in order. A later file may add
// items, redefine them (same kind and name: replaced whole), or change parts of earlier
// ones with `override: {FIELD: append|replace}`. Any error rejects the whole set: the
// caller keeps whatever it was running before.
class RuleFileSet {
 public:
  // An empty set whose files are bounded by `limits`.
  explicit RuleFileSet(RuleFileLimits limits = {}) : limits_(limits) {}

  // Loads every path in order; a directory contributes its *.yaml and *.yml files in
  // name order. Stops at the first error.
  absl::Status AddPaths(const std::vector<std::string>& paths);
  // Loads one file.
  absl::Status AddFile(const std::string& path);
  // Loads YAML text; `file` names it in errors. A failed load leaves the set unchanged.
  absl::Status AddText(absl::string_view yaml, const std::string& file);

  // The items collected so far, each kind in the order first defined.
  const std::vector<ListItem>& lists() const { return lists_; }
  const std::vector<MacroItem>& macros() const { return macros_; }
  const std::vector<RuleItem>& rules() const { return rules_; }
  // The files loaded, in order, as named to AddText (paths for AddFile and AddPaths).
  const std::vector<std::string>& files() const { return files_; }

  // RuleSetContentVersion of the files loaded: each one's base name (the last component of
  // its path, or of the name given to AddText; a name without '/' is itself) and the exact
  // bytes that were parsed, in load order. The bytes are those read when the file was
  // loaded, so the version names what was compiled even if a file has changed on disk
  // since: a sensor can name the set it compiled without reading the files again.
  std::string ContentVersion() const { return RuleSetContentVersion(contents_); }

 private:
  RuleFileLimits limits_;
  size_t item_count_ = 0;
  std::vector<std::string> files_;
  // (base name, bytes) of each file loaded, in load order: what ContentVersion hashes.
  std::vector<std::pair<std::string, std::string>> contents_;
  std::vector<ListItem> lists_;
  std::vector<MacroItem> macros_;
  std::vector<RuleItem> rules_;
};

}  // namespace vigil::rules

#endif  // VIGIL_RULES_RULE_COLLECTOR_H_

#include "sensor/rules_source.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "rules/rule_file.h"

namespace vigil::sensor {

absl::StatusOr<CompiledRules> CompileRuleFiles(const std::vector<std::string>& paths) {
  rules::RuleFileSet files;
  VIGIL_RETURN_IF_ERROR(files.AddPaths(paths));
  VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<rules::RuleSet> set, rules::RuleSet::Compile(files));
  // The version names the bytes compiled (base names, in load order), as the controller
  // names a pushed set, so the same files are the same version everywhere.
  return CompiledRules{std::shared_ptr<const rules::RuleSet>(std::move(set)),
                       files.ContentVersion()};
}

absl::StatusOr<CompiledRules> CompilePushedRules(const vigil::v1::RuleSet& pushed,
                                                 size_t max_rules) {
  rules::RuleFileSet files;
  for (const vigil::v1::RuleFile& f : pushed.files()) {
    VIGIL_RETURN_IF_ERROR(files.AddText(f.content(), f.name()));
  }
  VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<rules::RuleSet> set, rules::RuleSet::Compile(files));
  if (max_rules > 0 && set->rules().size() > max_rules) {
    return absl::ResourceExhaustedError(
        absl::StrCat("rule set ", pushed.version(), " has ", set->rules().size(),
                     " rules; this sensor accepts at most ", max_rules, " (--max-rules)"));
  }
  return CompiledRules{std::shared_ptr<const rules::RuleSet>(std::move(set)), pushed.version()};
}

}  // namespace vigil::sensor

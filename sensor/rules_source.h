// Where the sensor's rule sets come from: the files of --rules (loaded at start and on
// SIGHUP) or a set the controller pushed. Each is compiled whole before anything changes.
#ifndef VIGIL_SENSOR_RULES_SOURCE_H_
#define VIGIL_SENSOR_RULES_SOURCE_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "rules/rule_set.h"
#include "vigil/v1/sensor_link.pb.h"

namespace vigil::sensor {

// A compiled rule set and its version (rules::RuleSetContentVersion of what was compiled).
struct CompiledRules {
  std::shared_ptr<const rules::RuleSet> set;
  std::string version;
};

// Loads and compiles the rule files at `paths` (files or directories).
absl::StatusOr<CompiledRules> CompileRuleFiles(const std::vector<std::string>& paths);

// Compiles a rule set the controller pushed; ResourceExhausted when it has more than
// `max_rules` rules (0: no limit, --max-rules).
absl::StatusOr<CompiledRules> CompilePushedRules(const vigil::v1::RuleSet& pushed,
                                                 size_t max_rules);

}  // namespace vigil::sensor

#endif  // VIGIL_SENSOR_RULES_SOURCE_H_

// Rules files, the public entry kept for includers: the items of Vigil's Falco-shaped rule
// language (rules/rule_items.h) and RuleFileSet, which loads them from files in order with
// overrides applied (rules/rule_collector.h). The YAML reader behind it is internal
// (rules/rule_reader.h).
#ifndef VIGIL_RULES_RULE_FILE_H_
#define VIGIL_RULES_RULE_FILE_H_

#include "rules/rule_collector.h"  // IWYU pragma: export
#include "rules/rule_items.h"      // IWYU pragma: export

#endif  // VIGIL_RULES_RULE_FILE_H_

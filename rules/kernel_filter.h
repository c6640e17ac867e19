// What a rule set needs from the kernel: the in-kernel filter derived from the compiled
// plan, so the kernel drops events no enabled rule can match.
//
// The event types are the union of the enabled rules' masks. For open events, each enabled
// rule that can match one is analysed for a positive path constraint: a comparison on
// fd.name gives prefixes (= and in: the values; startswith: the value; pmatch: each item,
// which covers the item and everything under it; glob: the literal text before the first
// wildcard), one on fd.directory gives prefixes too (= and in: the value with '/' appended
// unless it ends with one; startswith, pmatch, glob: as for fd.name), fd.hidden = true
// (or != false) allows hidden files, and an `in` on a file field (fd.file in (PATHS))
// allows the files those paths name, whatever path reaches them (identity_paths). An `and` is
// constrained by any constrained operand (the first is used); an `or` only when every operand is;
// `not`, exists and other fields constrain nothing; a subtree that cannot match open events allows
// no file at all. A rule left unconstrained sets all_files. The result is a superset of what the
// rules need.
#ifndef VIGIL_RULES_KERNEL_FILTER_H_
#define VIGIL_RULES_KERNEL_FILTER_H_

#include <cstdint>
#include <string>
#include <vector>

namespace vigil::rules {

class RuleSet;

// What the kernel must deliver for a rule set: the in-kernel filter.
struct KernelFilter {
  // Event types some enabled rule can match.
  uint32_t event_mask = 0;
  // Some enabled rule may match an open of any file: no path filtering.
  bool all_files = false;
  // Opens of hidden files (fd.hidden) are needed regardless of path_prefixes.
  bool hidden = false;
  // Opens whose path starts with one of these are needed (sorted; none is a prefix of
  // another). Empty when all_files is set.
  std::vector<std::string> path_prefixes;
  // Opens of the files these paths name (their identities, resolved by the rule set's
  // FileIdentities) are needed whatever their path (sorted, unique). Empty when
  // all_files is set.
  std::vector<std::string> identity_paths;
};

// Derives the filter of `set`'s enabled rules from its plan (see the file comment). The
// compiler stores it in the set, which serves it as RuleSet::kernel_filter().
KernelFilter ComputeKernelFilter(const RuleSet& set);

}  // namespace vigil::rules

#endif  // VIGIL_RULES_KERNEL_FILTER_H_

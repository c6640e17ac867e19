// What a rule set needs from the kernel: the in-kernel filter derived from the compiled
// plan, so the kernel drops events no enabled rule can match.
//
// The event types are the union of the enabled rules' masks. For open events, and apart
// for each file-operation event type (which the kernel passes when either of its paths is
// in the interest set), each enabled rule that can match one is analysed for a positive path
// constraint: a comparison on fd.name (fs.path.name, fs.path.source or fs.path.target for
// file operations) gives prefixes (= and in: the values; startswith: the value; pmatch: each item,
// which covers the item and everything under it; glob: the literal text before the first
// wildcard), one on fd.directory gives prefixes too (= and in: the value with '/' appended
// unless it ends with one; startswith, pmatch, glob: as for fd.name), fd.hidden = true
// (fs.path.hidden; or != false) allows hidden files, and an `in` on a file field
// (fd.file in (PATHS)) allows the files those paths name, whatever path reaches them
// (identity_paths; a file operation passes when the kernel tells its file and that file is
// one of them; renames and removals of those paths are then needed too, so that user space
// re-resolves the identities at once). An `and` is constrained by any constrained operand (the
// first is used); an `or` only when every operand is; `not`, exists and other fields constrain
// nothing; a subtree that cannot match open events allows no file at all. A rule left unconstrained
// sets all_files (or the type's bit in all_paths_types). The result is a superset of what
// the rules need.
#ifndef VIGIL_RULES_KERNEL_FILTER_H_
#define VIGIL_RULES_KERNEL_FILTER_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace vigil::rules {

class RuleSet;

// What the kernel must deliver for a rule set: the in-kernel filter.
struct KernelFilter {
  // Event types some enabled rule can match.
  uint32_t event_mask = 0;
  // Some enabled rule may match an open of any file: no path filtering of opens.
  bool all_files = false;
  // File-operation event types (EventBit) some enabled rule may match on any path: no path
  // filtering of those events.
  uint32_t all_paths_types = 0;
  // Opens of hidden files (fd.hidden) are needed regardless of path_prefixes.
  bool hidden = false;
  // Opens whose path starts with one of these are needed (sorted; none is a prefix of
  // another), for opens and file operations alike. Empty when neither opens nor any file
  // operation type the rules need is filtered by path.
  std::vector<std::string> path_prefixes;
  // Each of path_prefixes with the event types (EventBit) whose rules need it: the kernel
  // passes an event under a prefix only when its type is in the prefix's set.
  std::map<std::string, uint32_t> prefix_types;
  // Opens and operations of the files these paths name (their identities, resolved by the
  // rule set's FileIdentities) are needed whatever their path (sorted, unique). Empty when
  // every type some rule constrains this way passes on any path.
  std::vector<std::string> identity_paths;
};

// Derives the filter of `set`'s enabled rules from its plan (see the file comment). The
// compiler stores it in the set, which serves it as RuleSet::kernel_filter().
KernelFilter ComputeKernelFilter(const RuleSet& set);

}  // namespace vigil::rules

#endif  // VIGIL_RULES_KERNEL_FILTER_H_

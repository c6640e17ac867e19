// Selection: what the kernel is asked to deliver, from the command line and the rule set.
#ifndef VIGIL_SENSOR_SELECTION_H_
#define VIGIL_SENSOR_SELECTION_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bpf/abi/file.h"
#include "event/event.h"
#include "rules/rule_set.h"
#include "sensor/options.h"

namespace vigil::sensor {

// The in-kernel filter and path interest set the probes run with.
struct Selection {
  uint32_t type_mask = 0;        // bit (1 << EventType) per delivered type
  bool all_files = false;        // every open
  uint32_t all_paths_types = 0;  // file-operation types reported on every path
  bool hidden = false;
  bool failed_opens = false;
  std::vector<std::string> prefixes;  // sorted, unique, absolute, at most kMaxPrefixes
  // Each prefix with the event types (EventBit) that want paths under it.
  std::map<std::string, uint32_t> prefix_types;
  // Paths whose files' opens the rules need whatever their path (fd.file in (...)), sorted
  // and unique; the probes get the files' identities (Sensor::SyncFileIdentities). Empty
  // when all_files is set.
  std::vector<std::string> identity_paths;

  bool operator==(const Selection& other) const;
};

// Most prefixes the file probe's interest set holds; a larger set selects all files.
inline constexpr size_t kMaxPrefixes = 4096;
// Most identity paths the file probe's identity set is given (each names one file); more
// select all files.
inline constexpr size_t kMaxIdentityPaths = VIGIL_FILE_IDS_MAX;

// The union of what --print-events selects (when given) and what `rules` needs (when
// not null). Fork, exec and exit are always delivered when rules run: the process table
// behind proc.* and ancestry needs them. Rule prefixes are made kernel-ready: relative
// ones (which no kernel path matches) are dropped, long ones are cut to
// VIGIL_PREFIX_MAX bytes (a shorter prefix selects a superset), and too many select all
// files, as do more than kMaxIdentityPaths identity paths.
Selection ComputeSelection(const SensorOptions& options, const rules::KernelFilter* rules);

// True when --print-events asked for this event: its type is selected and, for opens,
// its path matches the command line's file selection. Needed when rules widen the
// kernel filter beyond what the user asked to print.
bool PrintSelected(const SensorOptions& options, const event::Event& event);

}  // namespace vigil::sensor

#endif  // VIGIL_SENSOR_SELECTION_H_

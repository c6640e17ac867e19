#include "sensor/selection.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "bpf/abi/vigil_event.h"
#include "event/modules/file.h"

namespace vigil::sensor {

bool Selection::operator==(const Selection& other) const {
  return type_mask == other.type_mask && all_files == other.all_files &&
         all_paths_types == other.all_paths_types && hidden == other.hidden &&
         failed_opens == other.failed_opens && prefix_types == other.prefix_types &&
         identity_paths == other.identity_paths;
}

Selection ComputeSelection(const SensorOptions& options, const rules::KernelFilter* rules) {
  Selection s;
  if (options.print_events) {
    s.type_mask = options.type_mask;
    s.all_files = options.all_files;
    s.all_paths_types = options.all_files ? event::kFileOpEvents : 0;
    s.hidden = options.hidden;
    s.failed_opens = options.failed_opens;
    for (const std::string& p : options.file_prefixes) {
      s.prefix_types[p] |= event::EventBit(event::kOpen) | event::kFileOpEvents;
    }
  }
  if (rules != nullptr) {
    s.type_mask |= rules->event_mask | event::EventBit(event::kFork) |
                   event::EventBit(event::kExec) | event::EventBit(event::kExit);
    s.all_files |= rules->all_files;
    s.all_paths_types |= rules->all_paths_types;
    s.hidden |= rules->hidden;
    for (const std::string& p : rules->path_prefixes) {
      if (p.empty() || p[0] != '/') continue;
      const auto types = rules->prefix_types.find(p);
      s.prefix_types[p.substr(0, VIGIL_PREFIX_MAX)] |=
          types == rules->prefix_types.end() ? ~0u : types->second;
    }
    s.identity_paths = rules->identity_paths;
  }
  for (const auto& [prefix, types] : s.prefix_types) s.prefixes.push_back(prefix);
  if (s.prefixes.size() > kMaxPrefixes) {
    s.all_files = true;
    s.all_paths_types = event::kFileOpEvents;
  }
  if (s.identity_paths.size() > kMaxIdentityPaths) s.all_files = true;
  if (s.all_files) s.identity_paths.clear();
  if (s.all_files && (s.type_mask & event::kFileOpEvents & ~s.all_paths_types) == 0) {
    s.prefixes.clear();
  }
  if (s.prefixes.empty()) s.prefix_types.clear();
  return s;
}

bool PrintSelected(const SensorOptions& options, const event::Event& event) {
  if ((options.type_mask & (1u << static_cast<int>(event.type))) == 0) return false;
  const bool open = event.type == event::kOpen;
  if ((!open && (event::EventBit(event.type) & event::kFileOpEvents) == 0) || options.all_files) {
    return true;
  }
  const event::FileOpData& op = event.file_op;
  if (options.hidden && (open ? event.open.hidden : op.hidden || op.hidden2)) return true;
  if ((open ? event.open.result : op.result) < 0 && !options.failed_opens) return false;
  // A path cut at its root end cannot be matched here; the kernel matched it whole.
  if (!open && (op.path_truncated || op.path2_truncated)) return true;
  for (const std::string& p : options.file_prefixes) {
    if (open ? absl::StartsWith(event.open.path, p)
             : absl::StartsWith(op.path, p) || absl::StartsWith(op.path2, p)) {
      return true;
    }
  }
  return false;
}

}  // namespace vigil::sensor

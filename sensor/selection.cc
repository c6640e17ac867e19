#include "sensor/selection.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "bpf/abi/vigil_event.h"

namespace vigil::sensor {

bool Selection::operator==(const Selection& other) const {
  return type_mask == other.type_mask && all_files == other.all_files && hidden == other.hidden &&
         failed_opens == other.failed_opens && prefixes == other.prefixes &&
         identity_paths == other.identity_paths;
}

Selection ComputeSelection(const SensorOptions& options, const rules::KernelFilter* rules) {
  Selection s;
  if (options.print_events) {
    s.type_mask = options.type_mask;
    s.all_files = options.all_files;
    s.hidden = options.hidden;
    s.failed_opens = options.failed_opens;
    s.prefixes = options.file_prefixes;
  }
  if (rules != nullptr) {
    s.type_mask |= rules->event_mask | event::EventBit(event::kFork) |
                   event::EventBit(event::kExec) | event::EventBit(event::kExit);
    s.all_files |= rules->all_files;
    s.hidden |= rules->hidden;
    for (const std::string& p : rules->path_prefixes) {
      if (p.empty() || p[0] != '/') continue;
      s.prefixes.push_back(p.substr(0, VIGIL_PREFIX_MAX));
    }
    s.identity_paths = rules->identity_paths;
  }
  std::sort(s.prefixes.begin(), s.prefixes.end());
  s.prefixes.erase(std::unique(s.prefixes.begin(), s.prefixes.end()), s.prefixes.end());
  if (s.prefixes.size() > kMaxPrefixes || s.identity_paths.size() > kMaxIdentityPaths) {
    s.all_files = true;
  }
  if (s.all_files) {
    s.prefixes.clear();
    s.identity_paths.clear();
  }
  return s;
}

bool PrintSelected(const SensorOptions& options, const event::Event& event) {
  if ((options.type_mask & (1u << static_cast<int>(event.type))) == 0) return false;
  if (event.type != event::kOpen || options.all_files) return true;
  if (options.hidden && event.open.hidden) return true;
  if (event.open.result < 0 && !options.failed_opens) return false;
  for (const std::string& p : options.file_prefixes) {
    if (absl::StartsWith(event.open.path, p)) return true;
  }
  return false;
}

}  // namespace vigil::sensor

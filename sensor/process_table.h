// Process table: what the sensor knows of every live process on the node.
#ifndef VIGIL_SENSOR_PROCESS_TABLE_H_
#define VIGIL_SENSOR_PROCESS_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/lru_map.h"
#include "event/event.h"
#include "event/process_info.h"

namespace vigil::sensor {

// Tracks processes from a /proc snapshot and then fork/exec/exit events. Bounded: when
// full, the least recently touched process is evicted (and counted), so a fork storm
// cannot grow memory without limit. Parent chains are followed through the table.
// Not thread-safe: owned by the single pipeline thread.
class ProcessTable {
 public:
  // `capacity` is the most processes kept (at least 1).
  explicit ProcessTable(size_t capacity);

  // Loads every process from a procfs tree (normally "/proc"). Processes that vanish
  // or cannot be read while scanning are skipped. Fails only when `proc_root` cannot
  // be listed.
  absl::Status SeedFromProc(const std::string& proc_root);

  // Updates the table from a kernel event (fork adds, exec replaces the image, exit of
  // the last thread removes). Thread events do not create entries.
  void Apply(const event::Event& event);

  // The process with this pid, or nullptr. Marks it recently used.
  const event::ProcessInfo* Lookup(uint32_t pid);

  // Up to `max_depth` ancestors of `pid`, nearest first (parent, grandparent, ...),
  // stopping at pid 0, a loop, or a process the table does not know.
  std::vector<const event::ProcessInfo*> Ancestors(uint32_t pid, size_t max_depth);

  // Processes held now.
  size_t size() const { return processes_.size(); }
  // The most processes held.
  size_t capacity() const { return processes_.capacity(); }
  // Processes dropped because the table was full.
  uint64_t evictions() const { return processes_.evictions(); }

 private:
  // Returns the entry for pid, creating (and evicting if full) when missing.
  event::ProcessInfo* Upsert(uint32_t pid);

  LruMap<uint32_t, event::ProcessInfo> processes_;
};

}  // namespace vigil::sensor

#endif  // VIGIL_SENSOR_PROCESS_TABLE_H_

// CgroupCache: which container an event's process runs in, read from /proc/<pid>/cgroup
// once per cgroup (events carry the cgroup v2 id), not once per event.
#ifndef VIGIL_SENSOR_ENRICH_CGROUP_CACHE_H_
#define VIGIL_SENSOR_ENRICH_CGROUP_CACHE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/lru_map.h"
#include "sensor/enrich/cgroup_path.h"

namespace vigil::sensor::enrich {

// Tuning of a CgroupCache.
struct CgroupCacheOptions {
  std::string proc_root = "/proc";
  // Most cgroup ids remembered.
  size_t capacity = 8192;
  // Most per-process entries remembered (see the class comment), and their lifetime,
  // which bounds how long a reused pid can inherit a dead process's answer.
  size_t pid_capacity = 4096;
  absl::Duration pid_ttl = absl::Seconds(5);
  // Monotonic clock in nanoseconds (tests inject their own).
  std::function<int64_t()> now_ns;
};

// Lookup counters, read without locking.
struct CgroupCacheStats {
  uint64_t hits = 0;           // answered from the cache
  uint64_t reads = 0;          // /proc/<pid>/cgroup files read
  uint64_t parent_reads = 0;   // ... of which the parent's, the process being gone
  uint64_t read_failures = 0;  // neither the process nor its parent could be read
  uint64_t evictions = 0;
};

// A cgroup v2 id names a container exactly when the container has its own v2 cgroup:
// always on pure cgroup v2 nodes, and on hybrid nodes when the runtime places containers
// in the unified hierarchy too. So an answer is cached under the event's cgroup id when
// the file's v2 line names the container, or when the node has no v1 hierarchies.
// Otherwise (hybrid nodes: host processes, and containers tracked only by v1
// controllers share v2 cgroups) the answer is cached per pid for pid_ttl.
//
// When the process is gone (short-lived processes; exit events) its parent's file is
// read instead: a child starts in its parent's cgroups, so this is right unless the
// process was moved after fork (as runtimes do when they start a container's first
// process). Such answers are cached per pid only, never under the cgroup id. When neither can be
// read the identity is unknown and nothing is cached.
//
// Thread-safe.
class CgroupCache {
 public:
  explicit CgroupCache(CgroupCacheOptions options);

  // The identity of the process `pid` (child of `ppid`) whose event carries `cgroup_id`
  // (0: unknown), or null when it cannot be told. Results stay valid after eviction.
  std::shared_ptr<const CgroupIdentity> Lookup(uint64_t cgroup_id, uint32_t pid, uint32_t ppid);

  CgroupCacheStats Stats() const;

 private:
  struct PidEntry {
    std::shared_ptr<const CgroupIdentity> identity;
    int64_t expires_ns = 0;
    // The cgroup id of the event it was read for: a process that moved to another cgroup
    // since (a container runtime's init joining the container's) is read again.
    uint64_t cgroup_id = 0;
  };
  // Reads and parses /proc/<pid>/cgroup; false when it cannot be read.
  bool Read(uint32_t pid, ProcCgroup* out) const;

  CgroupCacheOptions options_;
  absl::Mutex mu_;
  LruMap<uint64_t, std::shared_ptr<const CgroupIdentity>> by_cgroup_ ABSL_GUARDED_BY(mu_);
  LruMap<uint32_t, PidEntry> by_pid_ ABSL_GUARDED_BY(mu_);
  std::atomic<uint64_t> hits_{0};
  std::atomic<uint64_t> reads_{0};
  std::atomic<uint64_t> parent_reads_{0};
  std::atomic<uint64_t> read_failures_{0};
  std::atomic<uint64_t> evictions_{0};
};

}  // namespace vigil::sensor::enrich

#endif  // VIGIL_SENSOR_ENRICH_CGROUP_CACHE_H_

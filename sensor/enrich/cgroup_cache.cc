#include "sensor/enrich/cgroup_cache.h"

#include <time.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/read_file.h"

namespace vigil::sensor::enrich {

CgroupCache::CgroupCache(CgroupCacheOptions options)
    : options_(std::move(options)), by_cgroup_(options_.capacity), by_pid_(options_.pid_capacity) {
  if (!options_.now_ns) options_.now_ns = [] { return ClockNs(CLOCK_MONOTONIC); };
}

bool CgroupCache::Read(uint32_t pid, ProcCgroup* out) const {
  if (pid == 0) return false;
  const std::string path = absl::StrCat(options_.proc_root, "/", pid, "/cgroup");
  // Fails with ESRCH when the process exited between open and read.
  absl::StatusOr<std::string> text = ReadFileHead(path, kMaxFileBytes);
  if (!text.ok() || text->empty()) return false;
  *out = ParseProcCgroup(*text);
  return true;
}

std::shared_ptr<const CgroupIdentity> CgroupCache::Lookup(uint64_t cgroup_id, uint32_t pid,
                                                          uint32_t ppid) {
  const int64_t now = options_.now_ns();
  {
    absl::MutexLock lock(&mu_);
    if (cgroup_id != 0) {
      if (auto* found = by_cgroup_.Find(cgroup_id)) {
        hits_.fetch_add(1, std::memory_order_relaxed);
        return *found;
      }
    }
    if (PidEntry* entry = by_pid_.Find(pid);
        entry != nullptr && now < entry->expires_ns && entry->cgroup_id == cgroup_id) {
      hits_.fetch_add(1, std::memory_order_relaxed);
      return entry->identity;
    }
  }
  // The read happens outside the lock: it touches only procfs.
  ProcCgroup parsed;
  bool from_parent = false;
  reads_.fetch_add(1, std::memory_order_relaxed);
  if (!Read(pid, &parsed)) {
    from_parent = true;
    if (ppid == 0 || ppid == pid || !Read(ppid, &parsed)) {
      read_failures_.fetch_add(1, std::memory_order_relaxed);
      return nullptr;
    }
    parent_reads_.fetch_add(1, std::memory_order_relaxed);
  }
  auto identity = std::make_shared<const CgroupIdentity>(std::move(parsed.identity));
  // The parent may be in another cgroup than the event: its answer is never filed under
  // the event's cgroup id.
  const bool id_names_it =
      !from_parent && (parsed.unified_names_container || (parsed.has_unified && !parsed.has_v1));
  absl::MutexLock lock(&mu_);
  bool evicted;
  if (cgroup_id != 0 && id_names_it) {
    evicted = by_cgroup_.Put(cgroup_id, identity);
  } else {
    evicted = by_pid_.Put(
        pid, PidEntry{identity, now + absl::ToInt64Nanoseconds(options_.pid_ttl), cgroup_id});
  }
  if (evicted) evictions_.fetch_add(1, std::memory_order_relaxed);
  return identity;
}

CgroupCacheStats CgroupCache::Stats() const {
  CgroupCacheStats s;
  s.hits = hits_.load(std::memory_order_relaxed);
  s.reads = reads_.load(std::memory_order_relaxed);
  s.parent_reads = parent_reads_.load(std::memory_order_relaxed);
  s.read_failures = read_failures_.load(std::memory_order_relaxed);
  s.evictions = evictions_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace vigil::sensor::enrich

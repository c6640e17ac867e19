// PodCache: container id -> pod (name, namespace, UID, labels), bounded and asked of a
// PodSource (the CRI runtime) only on a miss.
#ifndef VIGIL_SENSOR_ENRICH_POD_CACHE_H_
#define VIGIL_SENSOR_ENRICH_POD_CACHE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/lru_map.h"
#include "sensor/enrich/pod_source.h"

namespace vigil::sensor::enrich {

// Tuning of a PodCache.
struct PodCacheOptions {
  // Most containers remembered (positive and negative entries together).
  size_t capacity = 4096;
  // A known pod is asked again after this long (its labels may have changed); while the
  // runtime cannot answer, the old entry keeps being served.
  absl::Duration positive_ttl = absl::Minutes(5);
  // A container the runtime does not know (NOT_FOUND) is not asked about again for this
  // long: host-level containers outside Kubernetes stay cheap.
  absl::Duration negative_ttl = absl::Seconds(60);
  // After a failed call (runtime down, deadline), a container is not asked about again
  // for this long, and no other miss asks the runtime for `backoff`: a failing runtime
  // sees at most one call per backoff period.
  absl::Duration error_ttl = absl::Seconds(10);
  absl::Duration backoff = absl::Seconds(2);
  // Monotonic clock in nanoseconds (tests inject their own).
  std::function<int64_t()> now_ns;
};

// Lookup counters, read without locking.
struct PodCacheStats {
  uint64_t hits = 0;           // answered from the cache (a known pod)
  uint64_t negative_hits = 0;  // answered "unknown" from a negative entry
  uint64_t misses = 0;         // not in the cache (or expired): the source was asked
  uint64_t errors = 0;         // the source failed (other than NOT_FOUND)
  uint64_t not_found = 0;      // the source did not know the container
  uint64_t backoff_skips = 0;  // misses not asked because the source failed recently
  uint64_t evictions = 0;      // entries dropped to stay within capacity
  uint64_t size = 0;           // entries now
};

// Thread-safe. The source is called with the cache's lock held: lookups of other
// containers wait for it (the sensor has one pipeline thread, so there are none).
class PodCache {
 public:
  // `source` must outlive the cache.
  PodCache(PodSource* source, PodCacheOptions options);

  // The pod of `container_id`, or null when it is unknown (not a pod container, the
  // runtime does not know it, or the runtime cannot be asked). The result stays valid
  // after the entry is evicted or refreshed.
  std::shared_ptr<const PodInfo> Lookup(absl::string_view container_id);

  PodCacheStats Stats() const;

 private:
  struct Entry {
    std::shared_ptr<const PodInfo> pod;  // null: negative entry
    int64_t expires_ns = 0;
  };

  PodSource* source_;
  PodCacheOptions options_;
  absl::Mutex mu_;
  LruMap<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  int64_t backoff_until_ns_ ABSL_GUARDED_BY(mu_) = 0;
  std::atomic<uint64_t> hits_{0};
  std::atomic<uint64_t> negative_hits_{0};
  std::atomic<uint64_t> misses_{0};
  std::atomic<uint64_t> errors_{0};
  std::atomic<uint64_t> not_found_{0};
  std::atomic<uint64_t> backoff_skips_{0};
  std::atomic<uint64_t> evictions_{0};
  std::atomic<uint64_t> size_{0};
};

}  // namespace vigil::sensor::enrich

#endif  // VIGIL_SENSOR_ENRICH_POD_CACHE_H_

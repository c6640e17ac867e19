#include "sensor/enrich/pod_cache.h"

#include <time.h>

#include <utility>

#include "common/clock.h"

namespace vigil::sensor::enrich {

PodCache::PodCache(PodSource* source, PodCacheOptions options)
    : source_(source), options_(std::move(options)), entries_(options_.capacity) {
  if (!options_.now_ns) options_.now_ns = [] { return ClockNs(CLOCK_MONOTONIC); };
}

std::shared_ptr<const PodInfo> PodCache::Lookup(absl::string_view container_id) {
  if (container_id.empty()) return nullptr;
  const int64_t now = options_.now_ns();
  absl::MutexLock lock(&mu_);
  const std::string key(container_id);
  Entry* entry = entries_.Find(key);
  if (entry != nullptr && now < entry->expires_ns) {
    if (entry->pod != nullptr) {
      hits_.fetch_add(1, std::memory_order_relaxed);
    } else {
      negative_hits_.fetch_add(1, std::memory_order_relaxed);
    }
    return entry->pod;
  }
  // Missing or expired.
  std::shared_ptr<const PodInfo> stale = entry != nullptr ? entry->pod : nullptr;
  if (now < backoff_until_ns_) {
    backoff_skips_.fetch_add(1, std::memory_order_relaxed);
    return stale;
  }
  misses_.fetch_add(1, std::memory_order_relaxed);
  absl::StatusOr<PodInfo> pod = source_->PodOfContainer(container_id);
  Entry fresh;
  if (pod.ok()) {
    fresh.pod = std::make_shared<const PodInfo>(*std::move(pod));
    fresh.expires_ns = now + absl::ToInt64Nanoseconds(options_.positive_ttl);
  } else if (absl::IsNotFound(pod.status())) {
    not_found_.fetch_add(1, std::memory_order_relaxed);
    fresh.expires_ns = now + absl::ToInt64Nanoseconds(options_.negative_ttl);
  } else {
    errors_.fetch_add(1, std::memory_order_relaxed);
    backoff_until_ns_ = now + absl::ToInt64Nanoseconds(options_.backoff);
    // Keep serving what was known; ask again after error_ttl.
    fresh.pod = std::move(stale);
    fresh.expires_ns = now + absl::ToInt64Nanoseconds(options_.error_ttl);
  }
  std::shared_ptr<const PodInfo> result = fresh.pod;
  if (entries_.Put(key, std::move(fresh))) evictions_.fetch_add(1, std::memory_order_relaxed);
  size_.store(entries_.size(), std::memory_order_relaxed);
  return result;
}

PodCacheStats PodCache::Stats() const {
  PodCacheStats s;
  s.hits = hits_.load(std::memory_order_relaxed);
  s.negative_hits = negative_hits_.load(std::memory_order_relaxed);
  s.misses = misses_.load(std::memory_order_relaxed);
  s.errors = errors_.load(std::memory_order_relaxed);
  s.not_found = not_found_.load(std::memory_order_relaxed);
  s.backoff_skips = backoff_skips_.load(std::memory_order_relaxed);
  s.evictions = evictions_.load(std::memory_order_relaxed);
  s.size = size_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace vigil::sensor::enrich

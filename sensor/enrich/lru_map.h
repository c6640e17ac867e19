// LruMap: a map with a fixed capacity that evicts its least recently used entry, for the
// enrichment caches (bounded memory whatever the node runs).
#ifndef VIGIL_SENSOR_ENRICH_LRU_MAP_H_
#define VIGIL_SENSOR_ENRICH_LRU_MAP_H_

#include <cstddef>
#include <list>
#include <utility>

#include "absl/container/flat_hash_map.h"

namespace vigil::sensor::enrich {

// Not thread-safe: the caches that use it lock around it.
template <typename K, typename V>
class LruMap {
 public:
  // Holds at most `capacity` entries (at least 1).
  explicit LruMap(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  // The value under `key` (now the most recently used), or null.
  V* Find(const K& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return &it->second->second;
  }

  // Stores `value` under `key` (most recently used), evicting the least recently used
  // entry when full. Returns true when an entry was evicted.
  bool Put(const K& key, V value) {
    if (V* existing = Find(key)) {
      *existing = std::move(value);
      return false;
    }
    bool evicted = false;
    if (index_.size() >= capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
      evicted = true;
    }
    order_.emplace_front(key, std::move(value));
    index_[key] = order_.begin();
    return evicted;
  }

  // Removes `key` if present.
  void Erase(const K& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return;
    order_.erase(it->second);
    index_.erase(it);
  }

  size_t size() const { return index_.size(); }
  size_t capacity() const { return capacity_; }

 private:
  using Entry = std::pair<K, V>;
  size_t capacity_;
  std::list<Entry> order_;  // most recently used first
  absl::flat_hash_map<K, typename std::list<Entry>::iterator> index_;
};

}  // namespace vigil::sensor::enrich

#endif  // VIGIL_SENSOR_ENRICH_LRU_MAP_H_

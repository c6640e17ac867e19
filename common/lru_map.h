// LruMap: a map of bounded size that drops its least recently used entry to make room, so
// caches and tables keyed by what the node runs (pids, cgroups, containers) stay within a
// fixed memory budget however much the node churns.
#ifndef VIGIL_COMMON_LRU_MAP_H_
#define VIGIL_COMMON_LRU_MAP_H_

#include <cstddef>
#include <cstdint>
#include <list>
#include <utility>

#include "absl/container/flat_hash_map.h"

namespace vigil {

// Holds at most capacity() entries. Find, GetOrInsert and Put make an entry the most
// recently used; inserting into a full map first evicts the least recently used entry and
// counts it. Pointers and references to values stay valid until that entry is erased or
// evicted. Not thread-safe: users that share one lock around it.
template <typename K, typename V>
class LruMap {
 public:
  // Holds at most `capacity` entries (at least 1).
  explicit LruMap(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  // Movable (list iterators survive a move); a copy would index the original's list.
  LruMap(LruMap&&) = default;
  LruMap& operator=(LruMap&&) = default;
  LruMap(const LruMap&) = delete;
  LruMap& operator=(const LruMap&) = delete;

  // The value under `key`, now the most recently used, or null when absent.
  V* Find(const K& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return &it->second->second;
  }

  // The value under `key`, now the most recently used. When absent, a default-constructed
  // value is inserted first (evicting the least recently used entry when full), for users
  // that fill an entry in place.
  V& GetOrInsert(const K& key) {
    if (V* existing = Find(key)) return *existing;
    if (index_.size() >= capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
      ++evictions_;
    }
    order_.emplace_front(key, V());
    index_.emplace(key, order_.begin());
    return order_.front().second;
  }

  // Stores `value` under `key` (replacing any old value) as the most recently used entry.
  // True when an entry was evicted to make room, so callers can count evictions themselves.
  bool Put(const K& key, V value) {
    const uint64_t before = evictions_;
    GetOrInsert(key) = std::move(value);
    return evictions_ != before;
  }

  // Removes `key`; true when it was present. Not counted as an eviction.
  bool Erase(const K& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return false;
    order_.erase(it->second);
    index_.erase(it);
    return true;
  }

  // Entries held now.
  size_t size() const { return index_.size(); }
  // The most entries held.
  size_t capacity() const { return capacity_; }
  // Entries dropped to make room over the map's life (erasures are not counted).
  uint64_t evictions() const { return evictions_; }

 private:
  using Entry = std::pair<K, V>;

  size_t capacity_;
  std::list<Entry> order_;  // most recently used first
  absl::flat_hash_map<K, typename std::list<Entry>::iterator> index_;
  uint64_t evictions_ = 0;
};

}  // namespace vigil

#endif  // VIGIL_COMMON_LRU_MAP_H_

#include "rules/stateful.h"

#include <algorithm>
#include <limits>

namespace vigil::rules {

namespace {

// Marks "no partial run" in SequenceTracker::starts_.
constexpr uint64_t kNoStart = std::numeric_limits<uint64_t>::max();

// now - then, or 0 when `then` is later (an out-of-order timestamp).
uint64_t Age(uint64_t now, uint64_t then) { return now > then ? now - then : 0; }

}  // namespace

namespace internal {

LruKeyIndex::LruKeyIndex(size_t max_keys) : max_keys_(std::clamp<size_t>(max_keys, 1, kNone - 1)) {}

void LruKeyIndex::Unlink(uint32_t slot) {
  Entry& e = entries_[slot];
  if (e.prev != kNone) {
    entries_[e.prev].next = e.next;
  } else {
    head_ = e.next;
  }
  if (e.next != kNone) {
    entries_[e.next].prev = e.prev;
  } else {
    tail_ = e.prev;
  }
  e.prev = e.next = kNone;
}

void LruKeyIndex::PushFront(uint32_t slot) {
  Entry& e = entries_[slot];
  e.prev = kNone;
  e.next = head_;
  if (head_ != kNone) entries_[head_].prev = slot;
  head_ = slot;
  if (tail_ == kNone) tail_ = slot;
}

uint32_t LruKeyIndex::Find(absl::string_view key) {
  auto it = index_.find(key);
  if (it == index_.end()) return kNone;
  const uint32_t slot = it->second;
  if (slot != head_) {
    Unlink(slot);
    PushFront(slot);
  }
  return slot;
}

LruKeyIndex::Acquired LruKeyIndex::Acquire(absl::string_view key) {
  if (const uint32_t slot = Find(key); slot != kNone) return {slot, false};
  uint32_t slot;
  if (entries_.size() < max_keys_) {
    slot = static_cast<uint32_t>(entries_.size());
    entries_.emplace_back().key.assign(key.data(), key.size());
  } else {
    // Reuse the least recently used slot. Its map entry goes before its key text changes.
    slot = tail_;
    Unlink(slot);
    index_.erase(absl::string_view(entries_[slot].key));
    entries_[slot].key.assign(key.data(), key.size());
    ++evictions_;
  }
  index_.emplace(absl::string_view(entries_[slot].key), slot);
  PushFront(slot);
  return {slot, true};
}

}  // namespace internal

ThresholdTracker::ThresholdTracker(ThresholdSpec spec, size_t max_keys)
    : spec_(spec), keys_(max_keys) {
  spec_.count = std::max<uint32_t>(spec_.count, 1);
}

std::optional<ThresholdFire> ThresholdTracker::Observe(absl::string_view key, uint64_t now_ns) {
  const uint32_t n = spec_.count;
  const internal::LruKeyIndex::Acquired acquired = keys_.Acquire(key);
  const size_t slot = acquired.slot;
  if (acquired.inserted) {
    if (slot == states_.size()) {
      states_.emplace_back();
      rings_.resize(rings_.size() + n);
    } else {
      states_[slot] = KeyState{};
    }
  }
  KeyState& st = states_[slot];
  if (st.fired) {
    if (Age(now_ns, st.last_ns) < spec_.cooldown_ns) {
      st.last_ns = std::max(st.last_ns, now_ns);
      return std::nullopt;
    }
    st.fired = false;  // the flood is over; this event may start the next one
  }
  uint64_t* ring = &rings_[slot * n];
  while (st.size > 0 && Age(now_ns, ring[st.head]) > spec_.window_ns) {
    st.head = (st.head + 1) % n;
    --st.size;
  }
  // The ring is emptied on firing, so it is never full here.
  ring[(st.head + st.size) % n] = now_ns;
  ++st.size;
  st.last_ns = std::max(st.last_ns, now_ns);
  if (st.size < n) return std::nullopt;
  const ThresholdFire fire{n, ring[st.head], now_ns};
  st.head = 0;
  st.size = 0;
  st.fired = true;
  return fire;
}

SequenceTracker::SequenceTracker(SequenceSpec spec, size_t max_keys)
    : spec_(spec), keys_(max_keys) {
  spec_.steps = std::max<size_t>(spec_.steps, 1);
}

std::optional<SequenceFire> SequenceTracker::Observe(absl::string_view key, size_t step,
                                                     uint64_t now_ns) {
  const size_t steps = spec_.steps;
  if (step >= steps) return std::nullopt;
  if (steps == 1) return SequenceFire{now_ns, now_ns};
  const size_t stride = steps - 1;

  size_t slot;
  if (step == 0) {
    const internal::LruKeyIndex::Acquired acquired = keys_.Acquire(key);
    slot = acquired.slot;
    if (acquired.inserted) {
      if (slot * stride == starts_.size()) {
        starts_.resize(starts_.size() + stride, kNoStart);
      } else {
        std::fill_n(starts_.begin() + slot * stride, stride, kNoStart);
      }
    }
  } else {
    const uint32_t found = keys_.Find(key);
    if (found == internal::LruKeyIndex::kNone) return std::nullopt;
    slot = found;
  }
  uint64_t* starts = &starts_[slot * stride];

  if (step == 0) {
    starts[0] = now_ns;  // the latest start dominates any older one waiting for step 1
    return std::nullopt;
  }
  const uint64_t start = starts[step - 1];
  if (start == kNoStart) return std::nullopt;
  if (Age(now_ns, start) > spec_.window_ns) {
    starts[step - 1] = kNoStart;
    return std::nullopt;
  }
  if (step == steps - 1) {
    std::fill_n(starts, stride, kNoStart);
    return SequenceFire{start, now_ns};
  }
  uint64_t& next = starts[step];
  if (next == kNoStart || Age(now_ns, next) > spec_.window_ns || next < start) next = start;
  return std::nullopt;
}

}  // namespace vigil::rules

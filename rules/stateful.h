// State machines for stateful rules, kept per key (e.g. a process, user or container id):
//  - ThresholdTracker: "at least N matching events within T, by key", one alert per flood.
//  - SequenceTracker: "step A, then B (then C...) within T, by key".
// Both are bounded: at most max_keys keys are tracked, and when a new key arrives at the
// limit the least recently observed key is forgotten (an eviction, counted); an evicted
// key that comes back starts over with no history.
//
// Time: every now_ns is a monotonic timestamp in nanoseconds, non-decreasing across the
// calls of one caller. An earlier timestamp is tolerated: ages are computed saturating at 0,
// so it counts as simultaneous with the later one. UINT64_MAX is reserved (never pass it).
// Windows are inclusive: two events at t1 <= t2 are "within T" when t2 - t1 <= T.
//
// Allocation: memory is allocated only when a key is first inserted (its owned copy, its
// per-key state, container growth); observing a key already tracked, evicting one, and
// ignored events allocate nothing. Key lookups take absl::string_view and never copy.
//
// Thread-compatibility: the trackers are not thread-safe. Const methods may run
// concurrently with each other; anything else needs external synchronization (the
// intended use is one tracker per evaluating thread, or one behind a lock).
#ifndef VIGIL_RULES_STATEFUL_H_
#define VIGIL_RULES_STATEFUL_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace vigil::rules {

namespace internal {

// The key table both trackers share: maps keys to dense slot numbers [0, max_keys) and
// keeps them in least-recently-used order, so a tracker can hold per-key state in plain
// vectors indexed by slot. A slot, once created, is reused for the key that evicts its
// owner, so slot numbers stay dense and state storage never shrinks or moves needlessly.
class LruKeyIndex {
 public:
  // No slot (Find's answer for an unknown key).
  static constexpr uint32_t kNone = UINT32_MAX;

  // Acquire's answer: the key's slot, and whether the slot's state must be reset because
  // the key was just inserted (a slot that is new, `slot == size() - 1` after the call,
  // or one taken from an evicted key).
  struct Acquired {
    uint32_t slot;
    bool inserted;
  };

  // At most `max_keys` keys (at least 1; values above 2^32 - 2 are capped).
  explicit LruKeyIndex(size_t max_keys);

  // Copying would leave the map's views pointing into the source; moving keeps them valid.
  LruKeyIndex(const LruKeyIndex&) = delete;
  LruKeyIndex& operator=(const LruKeyIndex&) = delete;
  LruKeyIndex(LruKeyIndex&&) = default;
  LruKeyIndex& operator=(LruKeyIndex&&) = default;

  // The slot of `key`, made the most recently used. A new key is copied in; at the limit
  // it takes the least recently used key's slot (counted in evictions()). Allocates only
  // when inserting.
  Acquired Acquire(absl::string_view key);

  // The slot of `key`, made the most recently used, or kNone when it is not tracked.
  // Never inserts and never allocates.
  uint32_t Find(absl::string_view key);

  // Keys tracked now (at most max_keys).
  size_t size() const { return entries_.size(); }
  // Keys forgotten to make room for new ones since construction.
  uint64_t evictions() const { return evictions_; }

 private:
  struct Entry {
    std::string key;  // owned; its characters back the map's key view
    uint32_t prev = kNone;
    uint32_t next = kNone;
  };

  void Unlink(uint32_t slot);
  void PushFront(uint32_t slot);

  size_t max_keys_;
  // A deque keeps each entry (and so each short key's inline characters) in place as it
  // grows, which the views in index_ rely on.
  std::deque<Entry> entries_;
  absl::flat_hash_map<absl::string_view, uint32_t> index_;
  uint32_t head_ = kNone;  // most recently used
  uint32_t tail_ = kNone;  // least recently used
  uint64_t evictions_ = 0;
};

}  // namespace internal

// A threshold condition: at least `count` matching events within `window_ns`, by key, with
// re-alerting held off until the key has been quiet for `cooldown_ns`.
struct ThresholdSpec {
  // N, the events needed to fire (0 is treated as 1).
  uint32_t count = 1;
  // T: the first and the N-th event of a firing run are at most window_ns apart.
  uint64_t window_ns = 0;
  // The quiet gap after a flood's last event that ends the flood.
  uint64_t cooldown_ns = 0;
};

// One threshold alert: the N events that crossed the threshold.
struct ThresholdFire {
  // Events counted when the threshold was crossed (the spec's count).
  uint32_t count = 0;
  // Timestamps of the first and last of them (last is the event that fired).
  uint64_t first_ns = 0;
  uint64_t last_ns = 0;
};

// Counts matching events per key over a sliding window and fires once per flood.
//
// Per key the state is idle -> counting -> fired -> (cooldown) -> idle:
//  - idle/counting: the key remembers the timestamps of its most recent events, at most
//    count of them, in a ring (8 * count bytes per key). On each event, remembered events
//    older than now_ns - window_ns are dropped, the new one is added, and if count events
//    are remembered the tracker fires: ThresholdFire{count, oldest, now_ns}. The ring is
//    then emptied and the key enters `fired`.
//  - fired: the flood goes on; its events are absorbed (no alert, not counted toward a new
//    alert) and each one moves the flood's last event forward. The cooldown is measured
//    from the flood's last event: an event arriving when now_ns - last >= cooldown_ns ends
//    the flood (checked lazily, on that next event for the key), the key becomes idle, and
//    that event is counted as the first of a possible new flood. So a continuous flood
//    (gaps below cooldown_ns) gives exactly one alert, and cooldown_ns = 0 means none: the
//    next event after a fire starts counting again.
class ThresholdTracker {
 public:
  // Tracks at most `max_keys` keys (at least 1), least recently observed evicted first.
  ThresholdTracker(ThresholdSpec spec, size_t max_keys);

  // Feeds one matching event for `key` at `now_ns`. Returns the alert when this event
  // crosses the threshold (exactly once per flood), otherwise nothing. Allocates only
  // when `key` is not tracked yet.
  std::optional<ThresholdFire> Observe(absl::string_view key, uint64_t now_ns);

  // Keys tracked now, idle ones included (they stay until evicted).
  size_t size() const { return keys_.size(); }
  // Keys evicted to make room since construction.
  uint64_t evictions() const { return keys_.evictions(); }
  // The spec in force (count normalized to at least 1).
  const ThresholdSpec& spec() const { return spec_; }

 private:
  struct KeyState {
    uint32_t head = 0;  // ring index of the oldest remembered event
    uint32_t size = 0;  // remembered events
    bool fired = false;
    uint64_t last_ns = 0;  // latest event seen (in `fired`: the flood's last event)
  };

  ThresholdSpec spec_;
  internal::LruKeyIndex keys_;
  std::vector<KeyState> states_;  // by slot
  std::vector<uint64_t> rings_;   // slot s owns [s * count, (s + 1) * count)
};

// A sequence condition: events matching step 0, 1, ..., steps - 1 in that order, for the
// same key, the last within `window_ns` of the first.
struct SequenceSpec {
  // Steps in the sequence (0 is treated as 1).
  size_t steps = 1;
  // T: the last step's event is at most window_ns after the step-0 event it completes.
  uint64_t window_ns = 0;
};

// One sequence alert.
struct SequenceFire {
  // Timestamp of the step-0 event of the completed run (see SequenceTracker for which).
  uint64_t first_ns = 0;
  // Timestamp of the event that completed the last step.
  uint64_t last_ns = 0;
};

// Detects ordered sequences of steps per key.
//
// Policy (latest valid start): for each key and each k in [1, steps), the tracker keeps
// the latest step-0 time from which steps 0..k-1 have been seen in order and that is
// still within window_ns of now. A later start dominates an earlier one (it leaves more
// time to finish), so keeping only the latest per step finds every run that completes in
// time, with O(steps) memory per key. Concretely, for an event of step k at now_ns:
//  - partial runs whose start is more than window_ns before now_ns are dropped;
//  - step 0 starts a run at now_ns (replacing any older start waiting for step 1);
//  - step k > 0 advances the run waiting for step k, if any (else the event is ignored),
//    keeping the later start if one already waits for step k + 1;
//  - when the last step completes, the tracker fires SequenceFire{start, now_ns} and
//    resets the key (all its partial runs are dropped).
// So "A A B" fires once, with first_ns = the second A; "A, wait more than T, B" and
// "B then A" do not fire. A single-step sequence fires on every step-0 event and tracks no
// keys.
class SequenceTracker {
 public:
  // Tracks at most `max_keys` keys (at least 1), least recently observed evicted first.
  SequenceTracker(SequenceSpec spec, size_t max_keys);

  // Feeds an event for `key` that matched step `step` (0-based). An event matching
  // several steps is fed once per step, in descending step order, so one event never
  // advances two steps. Returns the alert when this event completes the sequence,
  // otherwise nothing. Only step 0 inserts a key (and allocates, for a new one); steps
  // past the end and steps > 0 for untracked keys are ignored.
  std::optional<SequenceFire> Observe(absl::string_view key, size_t step, uint64_t now_ns);

  // Keys tracked now, including ones with no partial run left (they stay until evicted).
  size_t size() const { return keys_.size(); }
  // Keys evicted to make room since construction.
  uint64_t evictions() const { return keys_.evictions(); }
  // The spec in force (steps normalized to at least 1).
  const SequenceSpec& spec() const { return spec_; }

 private:
  SequenceSpec spec_;
  internal::LruKeyIndex keys_;
  // Slot s owns [s * (steps - 1), (s + 1) * (steps - 1)): entry k - 1 is the start of the
  // run waiting for step k, or UINT64_MAX when none.
  std::vector<uint64_t> starts_;
};

}  // namespace vigil::rules

#endif  // VIGIL_RULES_STATEFUL_H_

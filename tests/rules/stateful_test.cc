// Unit tests for rules/stateful.h: threshold and sequence state machines, per-key
// independence, and the LRU bound on tracked keys.
#include "rules/stateful.h"

#include <cstdint>
#include <iterator>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::rules {
namespace {

using ::testing::ElementsAreArray;
using ::testing::IsEmpty;

// A fire seen while replaying events: which event (by position) fired, and its contents.
struct Fired {
  size_t index;
  uint64_t count;  // 0 for sequences
  uint64_t first_ns;
  uint64_t last_ns;

  bool operator==(const Fired& o) const {
    return index == o.index && count == o.count && first_ns == o.first_ns && last_ns == o.last_ns;
  }
};

std::ostream& operator<<(std::ostream& os, const Fired& f) {
  return os << "{event " << f.index << ", count " << f.count << ", " << f.first_ns << ".."
            << f.last_ns << "}";
}

// Feeds `times` for one key and returns every fire.
std::vector<Fired> ReplayThreshold(ThresholdTracker& tracker, const std::vector<uint64_t>& times,
                                   absl::string_view key = "k") {
  std::vector<Fired> fired;
  for (size_t i = 0; i < times.size(); ++i) {
    if (auto f = tracker.Observe(key, times[i])) {
      fired.push_back({i, f->count, f->first_ns, f->last_ns});
    }
  }
  return fired;
}

// Times t0, t0 + step, ..., n of them.
std::vector<uint64_t> Every(uint64_t t0, uint64_t step, size_t n) {
  std::vector<uint64_t> times;
  for (size_t i = 0; i < n; ++i) times.push_back(t0 + i * step);
  return times;
}

struct ThresholdCase {
  const char* name;
  ThresholdSpec spec;
  std::vector<uint64_t> times;
  std::vector<Fired> want;
};

TEST(ThresholdTrackerTest, Table) {
  const ThresholdCase cases[] = {
      {"fires at the Nth event", {3, 10, 100}, {0, 1, 2}, {{2, 3, 0, 2}}},
      {"fewer than N never fires", {3, 10, 100}, {0, 1}, {}},
      {"spread wider than the window", {3, 10, 100}, {0, 6, 12, 18, 24, 30}, {}},
      {"window is inclusive", {3, 10, 100}, {0, 5, 10}, {{2, 3, 0, 10}}},
      {"one past the window", {3, 10, 100}, {0, 5, 11}, {}},
      {"window slides past old events", {3, 10, 100}, {0, 8, 12, 15}, {{3, 3, 8, 15}}},
      {"simultaneous events", {4, 0, 100}, {7, 7, 7, 7}, {{3, 4, 7, 7}}},
      {"count 1 fires on the first event", {1, 10, 5}, {4}, {{0, 1, 4, 4}}},
      {"count 0 is count 1", {0, 10, 5}, {4}, {{0, 1, 4, 4}}},
      {"count 1 with cooldown",
       {1, 10, 5},
       {0, 3, 10, 14, 19},
       {{0, 1, 0, 0}, {2, 1, 10, 10}, {4, 1, 19, 19}}},
      {"flood fires once", {3, 10, 5}, Every(0, 1, 100), {{2, 3, 0, 2}}},
      {"no cooldown: back to back alerts",
       {3, 10, 0},
       {0, 1, 2, 3, 4, 5, 6},
       {{2, 3, 0, 2}, {5, 3, 3, 5}}},
  };
  for (const ThresholdCase& c : cases) {
    SCOPED_TRACE(c.name);
    ThresholdTracker tracker(c.spec, 16);
    EXPECT_THAT(ReplayThreshold(tracker, c.times), ElementsAreArray(c.want));
    EXPECT_EQ(tracker.size(), 1u);
    EXPECT_EQ(tracker.evictions(), 0u);
  }
}

TEST(ThresholdTrackerTest, CooldownEndsOnlyAfterQuietGap) {
  ThresholdTracker tracker({3, 10, 5}, 16);
  // A continuous flood (gaps of 1, then 4, both below the cooldown): one alert.
  std::vector<uint64_t> times = Every(0, 1, 100);
  times.push_back(103);
  times.push_back(107);
  EXPECT_THAT(ReplayThreshold(tracker, times), ElementsAreArray({Fired{2, 3, 0, 2}}));
  // Quiet for exactly the cooldown after 107: the flood is over and 112 counts as the first
  // event of the next one, which fires at its third event.
  EXPECT_EQ(tracker.Observe("k", 112), std::nullopt);
  EXPECT_EQ(tracker.Observe("k", 113), std::nullopt);
  const std::optional<ThresholdFire> second = tracker.Observe("k", 114);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->count, 3u);
  EXPECT_EQ(second->first_ns, 112u);
  EXPECT_EQ(second->last_ns, 114u);
  // And that second flood is absorbed in turn.
  EXPECT_THAT(ReplayThreshold(tracker, Every(115, 1, 20)), IsEmpty());
}

TEST(ThresholdTrackerTest, EventsBeforeTheFireDoNotCountAfterTheCooldown) {
  // Events absorbed during the flood never count toward the next alert.
  ThresholdTracker tracker({3, 100, 5}, 16);
  EXPECT_THAT(ReplayThreshold(tracker, {0, 1, 2, 3, 4}), ElementsAreArray({Fired{2, 3, 0, 2}}));
  EXPECT_THAT(ReplayThreshold(tracker, {20, 21}), IsEmpty());
  EXPECT_THAT(ReplayThreshold(tracker, {22}), ElementsAreArray({Fired{0, 3, 20, 22}}));
}

TEST(ThresholdTrackerTest, KeysAreIndependent) {
  ThresholdTracker tracker({3, 10, 100}, 16);
  std::vector<std::pair<std::string, size_t>> fires;
  const std::pair<const char*, uint64_t> events[] = {
      {"a", 0}, {"b", 1},  {"a", 2}, {"c", 3}, {"b", 4}, {"a", 5},  // a fires
      {"a", 6}, {"b", 7},                                           // b fires; a absorbed
      {"c", 8}, {"c", 20},                                          // c's first expired
  };
  for (size_t i = 0; i < std::size(events); ++i) {
    if (auto f = tracker.Observe(events[i].first, events[i].second)) {
      fires.emplace_back(events[i].first, i);
    }
  }
  EXPECT_THAT(fires, ElementsAreArray({std::pair<std::string, size_t>{"a", 5},
                                       std::pair<std::string, size_t>{"b", 7}}));
  EXPECT_EQ(tracker.size(), 3u);
  EXPECT_EQ(tracker.evictions(), 0u);
}

TEST(ThresholdTrackerTest, EvictionForgetsHistory) {
  ThresholdTracker tracker({3, 100, 100}, 2);
  EXPECT_EQ(tracker.Observe("a", 0), std::nullopt);
  EXPECT_EQ(tracker.Observe("a", 1), std::nullopt);
  EXPECT_EQ(tracker.Observe("b", 2), std::nullopt);
  EXPECT_EQ(tracker.size(), 2u);
  // c is new at the limit: a is the least recently observed and goes.
  EXPECT_EQ(tracker.Observe("c", 3), std::nullopt);
  EXPECT_EQ(tracker.size(), 2u);
  EXPECT_EQ(tracker.evictions(), 1u);
  // a starts over (evicting b): two more events do not fire, the third does.
  EXPECT_EQ(tracker.Observe("a", 4), std::nullopt);
  EXPECT_EQ(tracker.evictions(), 2u);
  EXPECT_EQ(tracker.Observe("a", 5), std::nullopt);
  const std::optional<ThresholdFire> fire = tracker.Observe("a", 6);
  ASSERT_TRUE(fire.has_value());
  EXPECT_EQ(fire->first_ns, 4u);
  // c survived (a was the one touched since): its history is intact.
  EXPECT_EQ(tracker.Observe("c", 7), std::nullopt);
  EXPECT_TRUE(tracker.Observe("c", 8).has_value());
  EXPECT_EQ(tracker.evictions(), 2u);
  EXPECT_EQ(tracker.size(), 2u);
}

TEST(ThresholdTrackerTest, ObservingMakesAKeyRecent) {
  ThresholdTracker tracker({2, 100, 100}, 2);
  EXPECT_EQ(tracker.Observe("a", 0), std::nullopt);
  EXPECT_EQ(tracker.Observe("b", 1), std::nullopt);
  EXPECT_EQ(tracker.Observe("a", 200), std::nullopt);  // a's first expired; a is now recent
  EXPECT_EQ(tracker.Observe("c", 201), std::nullopt);  // evicts b, not a
  EXPECT_TRUE(tracker.Observe("a", 202).has_value());
  EXPECT_EQ(tracker.Observe("b", 203), std::nullopt);  // b starts over (evicting c)
  EXPECT_EQ(tracker.evictions(), 2u);
}

TEST(ThresholdTrackerTest, ManyLongKeysSurviveGrowth) {
  // Keys longer than any small-string buffer, and enough of them to grow every container.
  ThresholdTracker tracker({2, 1'000'000, 100}, 1000);
  auto key = [](int i) { return absl::StrCat("/long/key/for/container/", i, "/xxxxxxxxxxxx"); };
  for (int i = 0; i < 500; ++i) EXPECT_EQ(tracker.Observe(key(i), i), std::nullopt);
  ThresholdTracker moved = std::move(tracker);
  for (int i = 0; i < 500; ++i) EXPECT_TRUE(moved.Observe(key(i), 500 + i).has_value()) << i;
  EXPECT_EQ(moved.size(), 500u);
  EXPECT_EQ(moved.evictions(), 0u);
}

// One event of a sequence replay: the step it matched and its time.
struct Step {
  size_t step;
  uint64_t t;
};

// Feeds `events` for one key and returns every fire (count 0).
std::vector<Fired> ReplaySequence(SequenceTracker& tracker, const std::vector<Step>& events,
                                  absl::string_view key = "k") {
  std::vector<Fired> fired;
  for (size_t i = 0; i < events.size(); ++i) {
    if (auto f = tracker.Observe(key, events[i].step, events[i].t)) {
      fired.push_back({i, 0, f->first_ns, f->last_ns});
    }
  }
  return fired;
}

struct SequenceCase {
  const char* name;
  SequenceSpec spec;
  std::vector<Step> events;
  std::vector<Fired> want;
};

TEST(SequenceTrackerTest, Table) {
  const SequenceCase cases[] = {
      {"A then B within T", {2, 10}, {{0, 0}, {1, 5}}, {{1, 0, 0, 5}}},
      {"B before A", {2, 10}, {{1, 0}, {0, 1}}, {}},
      {"A, wait more than T, B", {2, 10}, {{0, 0}, {1, 11}}, {}},
      {"A, wait exactly T, B", {2, 10}, {{0, 0}, {1, 10}}, {{1, 0, 0, 10}}},
      {"A A B fires once, from the latest A",
       {2, 10},
       {{0, 0}, {0, 3}, {1, 5}, {1, 6}},
       {{2, 0, 3, 5}}},
      {"A A B with the first A expired", {2, 10}, {{0, 0}, {0, 5}, {1, 12}}, {{2, 0, 5, 12}}},
      {"A B B", {2, 10}, {{0, 0}, {1, 1}, {1, 2}}, {{1, 0, 0, 1}}},
      {"A B A B fires twice",
       {2, 10},
       {{0, 0}, {1, 1}, {0, 2}, {1, 3}},
       {{1, 0, 0, 1}, {3, 0, 2, 3}}},
      {"one event matching A and B does not advance twice",
       {2, 10},
       {{1, 0}, {0, 0}, {1, 1}},
       {{2, 0, 0, 1}}},
      {"A then an event matching A and B",
       {2, 10},
       {{0, 0}, {1, 4}, {0, 4}, {1, 6}},
       {{1, 0, 0, 4}, {3, 0, 4, 6}}},
      {"A B C", {3, 10}, {{0, 0}, {1, 2}, {2, 4}}, {{2, 0, 0, 4}}},
      {"A C B", {3, 10}, {{0, 0}, {2, 2}, {1, 4}}, {}},
      {"A B C with C late", {3, 10}, {{0, 0}, {1, 2}, {2, 11}}, {}},
      {"A B A C keeps the run waiting for C",
       {3, 10},
       {{0, 0}, {1, 3}, {0, 5}, {2, 8}},
       {{3, 0, 0, 8}}},
      {"A B A B C uses the later run",
       {3, 10},
       {{0, 0}, {1, 2}, {0, 6}, {1, 8}, {2, 13}},
       {{4, 0, 6, 13}}},
      {"later A does not replace an earlier run further along",
       {3, 10},
       {{0, 0}, {1, 2}, {0, 6}, {2, 9}},
       {{3, 0, 0, 9}}},
      {"A B C D", {4, 100}, {{0, 0}, {1, 1}, {3, 2}, {2, 3}, {3, 4}}, {{4, 0, 0, 4}}},
      {"single step fires on every step 0",
       {1, 10},
       {{0, 0}, {0, 3}},
       {{0, 0, 0, 0}, {1, 0, 3, 3}}},
      {"steps 0 is steps 1", {0, 10}, {{0, 7}}, {{0, 0, 7, 7}}},
      {"step past the end is ignored", {2, 10}, {{0, 0}, {2, 1}, {5, 2}}, {}},
  };
  for (const SequenceCase& c : cases) {
    SCOPED_TRACE(c.name);
    SequenceTracker tracker(c.spec, 16);
    EXPECT_THAT(ReplaySequence(tracker, c.events), ElementsAreArray(c.want));
    EXPECT_EQ(tracker.evictions(), 0u);
  }
}

TEST(SequenceTrackerTest, ResetsAfterFiring) {
  SequenceTracker tracker({3, 100}, 16);
  EXPECT_THAT(ReplaySequence(tracker, {{0, 0}, {1, 1}, {2, 2}}),
              ElementsAreArray({Fired{2, 0, 0, 2}}));
  // All partial runs are gone: B and C alone do not fire again.
  EXPECT_THAT(ReplaySequence(tracker, {{2, 3}, {1, 4}, {2, 5}}), IsEmpty());
  EXPECT_THAT(ReplaySequence(tracker, {{0, 6}, {1, 7}, {2, 8}}),
              ElementsAreArray({Fired{2, 0, 6, 8}}));
}

TEST(SequenceTrackerTest, InterleavedKeys) {
  SequenceTracker tracker({2, 10}, 16);
  EXPECT_EQ(tracker.Observe("a", 0, 0), std::nullopt);
  EXPECT_EQ(tracker.Observe("b", 0, 1), std::nullopt);
  EXPECT_EQ(tracker.Observe("c", 1, 2), std::nullopt);  // c has no A
  const std::optional<SequenceFire> a = tracker.Observe("a", 1, 3);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->first_ns, 0u);
  EXPECT_EQ(a->last_ns, 3u);
  EXPECT_EQ(tracker.Observe("a", 1, 4), std::nullopt);  // a was reset; b was not
  const std::optional<SequenceFire> b = tracker.Observe("b", 1, 5);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->first_ns, 1u);
  EXPECT_EQ(b->last_ns, 5u);
  EXPECT_EQ(tracker.size(), 2u);  // later steps never insert keys
}

TEST(SequenceTrackerTest, LaterStepsForUnknownKeysAreNotTracked) {
  SequenceTracker tracker({3, 10}, 1);
  EXPECT_EQ(tracker.Observe("a", 0, 0), std::nullopt);
  EXPECT_EQ(tracker.Observe("x", 1, 1), std::nullopt);
  EXPECT_EQ(tracker.Observe("y", 2, 2), std::nullopt);
  EXPECT_EQ(tracker.size(), 1u);
  EXPECT_EQ(tracker.evictions(), 0u);
  EXPECT_EQ(tracker.Observe("a", 1, 3), std::nullopt);
  EXPECT_TRUE(tracker.Observe("a", 2, 4).has_value());
}

TEST(SequenceTrackerTest, EvictionForgetsProgress) {
  SequenceTracker tracker({2, 100}, 2);
  EXPECT_EQ(tracker.Observe("a", 0, 0), std::nullopt);
  EXPECT_EQ(tracker.Observe("b", 0, 1), std::nullopt);
  EXPECT_EQ(tracker.Observe("c", 0, 2), std::nullopt);  // evicts a
  EXPECT_EQ(tracker.size(), 2u);
  EXPECT_EQ(tracker.evictions(), 1u);
  EXPECT_EQ(tracker.Observe("a", 1, 3), std::nullopt);  // a's A is forgotten
  EXPECT_TRUE(tracker.Observe("b", 1, 4).has_value());
  EXPECT_TRUE(tracker.Observe("c", 1, 5).has_value());
  // a starts over, evicting the least recently observed key (b).
  EXPECT_EQ(tracker.Observe("a", 0, 6), std::nullopt);
  EXPECT_EQ(tracker.evictions(), 2u);
  const std::optional<SequenceFire> a = tracker.Observe("a", 1, 7);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->first_ns, 6u);
  EXPECT_EQ(tracker.Observe("b", 1, 8), std::nullopt);
}

}  // namespace
}  // namespace vigil::rules

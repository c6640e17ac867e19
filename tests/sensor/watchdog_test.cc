#include "sensor/watchdog.h"

#include "gtest/gtest.h"

namespace vigil::sensor {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

WatchdogSample At(int64_t seconds, uint64_t consumer, uint64_t producer,
                  std::map<std::string, uint64_t> modules = {}) {
  WatchdogSample s;
  s.now_ns = seconds * kSecond;
  s.ring_consumer = consumer;
  s.ring_producer = producer;
  s.module_activity = std::move(modules);
  return s;
}

TEST(WatchdogTest, AnIdleRingIsNeverAStall) {
  Watchdog dog({3 * kSecond, 2});
  for (int t = 0; t < 10; ++t) {
    const WatchdogVerdict v = dog.Check(At(t, 100, 100));
    EXPECT_FALSE(v.stall_started);
    EXPECT_EQ(v.pending_bytes, 0u);
  }
  EXPECT_FALSE(dog.stalled());
}

TEST(WatchdogTest, AConsumerThatKeepsMovingIsNotStalledEvenWithABacklog) {
  Watchdog dog({3 * kSecond, 2});
  for (int t = 0; t < 10; ++t) {
    EXPECT_FALSE(dog.Check(At(t, 1000 * t, 1000 * t + 5000)).stall_started);
  }
  EXPECT_FALSE(dog.stalled());
}

TEST(WatchdogTest, PendingRecordsWithAStillConsumerStallAfterTheThresholdOnce) {
  Watchdog dog({3 * kSecond, 2});
  EXPECT_FALSE(dog.Check(At(0, 500, 500)).stall_started);
  EXPECT_FALSE(dog.Check(At(1, 500, 900)).stall_started);  // pending, 1 s
  EXPECT_FALSE(dog.Check(At(2, 500, 1400)).stall_started);
  const WatchdogVerdict v = dog.Check(At(3, 500, 2000));
  EXPECT_TRUE(v.stall_started);
  EXPECT_EQ(v.pending_bytes, 1500u);
  EXPECT_EQ(v.stalled_for_ns, 3 * kSecond);
  EXPECT_TRUE(dog.stalled());
  EXPECT_FALSE(dog.Check(At(4, 500, 2000)).stall_started);  // reported once
  const WatchdogVerdict resumed = dog.Check(At(5, 2000, 2000));
  EXPECT_TRUE(resumed.stall_ended);
  EXPECT_FALSE(dog.stalled());
}

TEST(WatchdogTest, AFullRingWhoseProducerNoLongerMovesIsStillAStall) {
  Watchdog dog({2 * kSecond, 2});
  dog.Check(At(0, 0, 4096));
  dog.Check(At(1, 0, 4096));
  EXPECT_TRUE(dog.Check(At(2, 0, 4096)).stall_started);
}

TEST(WatchdogTest, AModuleSilentAcrossTwoCanariesIsDetachedAndReportedOnce) {
  Watchdog dog({3 * kSecond, 2});
  dog.Check(At(0, 0, 0, {{"process", 10}, {"file", 50}}));
  auto v = dog.Check(At(1, 0, 0, {{"process", 12}, {"file", 50}}));
  EXPECT_TRUE(v.detached.empty());
  v = dog.Check(At(2, 0, 0, {{"process", 14}, {"file", 50}}));
  ASSERT_EQ(v.detached.size(), 1u);
  EXPECT_EQ(v.detached[0], "file");
  EXPECT_TRUE(dog.detached("file"));
  EXPECT_FALSE(dog.detached("process"));
  EXPECT_TRUE(dog.Check(At(3, 0, 0, {{"process", 16}, {"file", 50}})).detached.empty());
  v = dog.Check(At(4, 0, 0, {{"process", 18}, {"file", 51}}));
  ASSERT_EQ(v.reattached.size(), 1u);
  EXPECT_EQ(v.reattached[0], "file");
  EXPECT_FALSE(dog.detached("file"));
}

TEST(WatchdogTest, AStoppedOrRestartedModuleGetsAFreshBaseline) {
  Watchdog dog({3 * kSecond, 2});
  dog.Check(At(0, 0, 0, {{"file", 50}}));
  dog.Check(At(1, 0, 0, {{"file", 50}}));  // silent once
  dog.Check(At(2, 0, 0, {}));              // disabled: forgotten
  EXPECT_FALSE(dog.detached("file"));
  auto v = dog.Check(At(3, 0, 0, {{"file", 3}}));  // restarted, counters from zero
  EXPECT_TRUE(v.detached.empty());
  v = dog.Check(At(4, 0, 0, {{"file", 1}}));  // went down again: a restart, not silence
  EXPECT_TRUE(v.detached.empty());
  v = dog.Check(At(5, 0, 0, {{"file", 2}}));
  EXPECT_TRUE(v.detached.empty());
}

}  // namespace
}  // namespace vigil::sensor

// PodCache: bounded LRU, refresh on miss and after the positive TTL, negative entries
// that expire, back-off after errors, and the counters.
#include "sensor/enrich/pod_cache.h"

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace vigil::sensor::enrich {
namespace {

// A PodSource whose answers the test sets, counting calls per container.
class FakeSource : public PodSource {
 public:
  absl::StatusOr<PodInfo> PodOfContainer(absl::string_view id) override {
    ++calls[std::string(id)];
    ++total_calls;
    if (!failure.ok()) return failure;
    auto it = pods.find(std::string(id));
    if (it == pods.end()) return absl::NotFoundError("no such container");
    return it->second;
  }

  std::map<std::string, PodInfo> pods;
  std::map<std::string, int> calls;
  int total_calls = 0;
  absl::Status failure;
};

PodInfo Pod(const std::string& name) {
  PodInfo p;
  p.name = name;
  p.namespace_name = "default";
  p.uid = "uid-" + name;
  return p;
}

class PodCacheTest : public ::testing::Test {
 protected:
  PodCacheOptions Options(size_t capacity = 16) {
    PodCacheOptions o;
    o.capacity = capacity;
    o.positive_ttl = absl::Seconds(300);
    o.negative_ttl = absl::Seconds(60);
    o.error_ttl = absl::Seconds(10);
    o.backoff = absl::Seconds(2);
    o.now_ns = [this] { return now_ns_; };
    return o;
  }
  void Advance(absl::Duration d) { now_ns_ += absl::ToInt64Nanoseconds(d); }

  FakeSource source_;
  int64_t now_ns_ = 1'000'000'000;
};

TEST_F(PodCacheTest, MissAsksOnceThenHits) {
  source_.pods["c1"] = Pod("web");
  PodCache cache(&source_, Options());
  for (int i = 0; i < 5; ++i) {
    auto pod = cache.Lookup("c1");
    ASSERT_NE(pod, nullptr);
    EXPECT_EQ(pod->name, "web");
  }
  EXPECT_EQ(source_.calls["c1"], 1);
  const PodCacheStats s = cache.Stats();
  EXPECT_EQ(s.misses, 1u);
  EXPECT_EQ(s.hits, 4u);
  EXPECT_EQ(s.errors, 0u);
  EXPECT_EQ(s.size, 1u);
}

TEST_F(PodCacheTest, EmptyIdIsNotLookedUp) {
  PodCache cache(&source_, Options());
  EXPECT_EQ(cache.Lookup(""), nullptr);
  EXPECT_EQ(source_.total_calls, 0);
}

TEST_F(PodCacheTest, BoundedByCapacityEvictingLeastRecentlyUsed) {
  for (int i = 0; i < 10; ++i) source_.pods[absl::StrCat("c", i)] = Pod(absl::StrCat("p", i));
  PodCache cache(&source_, Options(/*capacity=*/3));
  cache.Lookup("c0");
  cache.Lookup("c1");
  cache.Lookup("c2");
  cache.Lookup("c0");  // c1 is now the least recently used
  cache.Lookup("c3");  // evicts c1
  EXPECT_EQ(cache.Stats().size, 3u);
  EXPECT_EQ(cache.Stats().evictions, 1u);
  cache.Lookup("c0");
  cache.Lookup("c2");
  cache.Lookup("c3");
  EXPECT_EQ(source_.total_calls, 4);  // all hits
  cache.Lookup("c1");                 // evicted: asked again
  EXPECT_EQ(source_.calls["c1"], 2);
  for (int i = 0; i < 10; ++i) cache.Lookup(absl::StrCat("c", i));
  EXPECT_LE(cache.Stats().size, 3u);
}

TEST_F(PodCacheTest, ResultOutlivesEviction) {
  source_.pods["c0"] = Pod("a");
  source_.pods["c1"] = Pod("b");
  PodCache cache(&source_, Options(/*capacity=*/1));
  auto first = cache.Lookup("c0");
  cache.Lookup("c1");
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->name, "a");
}

TEST_F(PodCacheTest, NegativeEntryExpires) {
  PodCache cache(&source_, Options());
  EXPECT_EQ(cache.Lookup("ghost"), nullptr);
  EXPECT_EQ(cache.Lookup("ghost"), nullptr);
  EXPECT_EQ(source_.calls["ghost"], 1);
  EXPECT_EQ(cache.Stats().not_found, 1u);
  EXPECT_EQ(cache.Stats().negative_hits, 1u);
  // The container appears (it was being created); once the negative entry expires the
  // next lookup finds it.
  source_.pods["ghost"] = Pod("late");
  Advance(absl::Seconds(59));
  EXPECT_EQ(cache.Lookup("ghost"), nullptr);
  Advance(absl::Seconds(2));
  auto pod = cache.Lookup("ghost");
  ASSERT_NE(pod, nullptr);
  EXPECT_EQ(pod->name, "late");
  EXPECT_EQ(source_.calls["ghost"], 2);
}

TEST_F(PodCacheTest, PositiveEntryIsRefreshedAfterItsTtl) {
  source_.pods["c1"] = Pod("web");
  PodCache cache(&source_, Options());
  cache.Lookup("c1");
  source_.pods["c1"].labels_text = "app=web";
  Advance(absl::Seconds(301));
  auto pod = cache.Lookup("c1");
  ASSERT_NE(pod, nullptr);
  EXPECT_EQ(pod->labels_text, "app=web");
  EXPECT_EQ(source_.calls["c1"], 2);
}

TEST_F(PodCacheTest, FailingSourceIsNotHammered) {
  source_.failure = absl::UnavailableError("runtime down");
  PodCache cache(&source_, Options());
  // Many containers, many events, one failing runtime: one call per back-off period.
  for (int i = 0; i < 100; ++i) EXPECT_EQ(cache.Lookup(absl::StrCat("c", i % 10)), nullptr);
  EXPECT_EQ(source_.total_calls, 1);
  EXPECT_EQ(cache.Stats().errors, 1u);
  // c0 is remembered as failed; the others are skipped while the back-off lasts.
  EXPECT_EQ(cache.Stats().negative_hits, 9u);
  EXPECT_EQ(cache.Stats().backoff_skips, 90u);
  Advance(absl::Seconds(3));
  for (int i = 0; i < 100; ++i) cache.Lookup(absl::StrCat("c", i % 10));
  EXPECT_EQ(source_.total_calls, 2);
  // The runtime recovers: after the back-off and the failed entry's TTL, lookups succeed.
  source_.failure = absl::OkStatus();
  source_.pods["c0"] = Pod("web");
  Advance(absl::Seconds(11));
  auto pod = cache.Lookup("c0");
  ASSERT_NE(pod, nullptr);
  EXPECT_EQ(pod->name, "web");
}

TEST_F(PodCacheTest, StaleEntryIsServedWhileTheSourceFails) {
  source_.pods["c1"] = Pod("web");
  PodCache cache(&source_, Options());
  ASSERT_NE(cache.Lookup("c1"), nullptr);
  Advance(absl::Seconds(301));
  source_.failure = absl::DeadlineExceededError("slow");
  auto pod = cache.Lookup("c1");
  ASSERT_NE(pod, nullptr);
  EXPECT_EQ(pod->name, "web");
  EXPECT_EQ(cache.Stats().errors, 1u);
}

TEST(PodLabelsTest, SortedTextWithoutKubeletLabels) {
  PodInfo pod;
  SetPodLabels({{"tier", "front"},
                {"app", "web"},
                {"io.kubernetes.pod.name", "web-1"},
                {"pod-template-hash", "abc"}},
               &pod);
  EXPECT_EQ(pod.labels_text, "app=web,pod-template-hash=abc,tier=front");
  ASSERT_NE(pod.Label("tier"), nullptr);
  EXPECT_EQ(*pod.Label("tier"), "front");
  EXPECT_EQ(pod.Label("io.kubernetes.pod.name"), nullptr);
}

}  // namespace
}  // namespace vigil::sensor::enrich

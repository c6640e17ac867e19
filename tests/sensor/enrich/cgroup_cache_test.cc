// CgroupCache over a fake procfs: one read per cgroup id, per-pid entries on hybrid
// nodes, the parent fallback for processes that are gone, and bounds.
#include "sensor/enrich/cgroup_cache.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/test_dir.h"

namespace vigil::sensor::enrich {
namespace {

using ::vigil::testing::TestDir;

const std::string kId = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const std::string kId2 = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
const std::string kUid = "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d";

class CgroupCacheTest : public ::testing::Test {
 protected:
  CgroupCacheOptions Options() {
    CgroupCacheOptions o;
    o.proc_root = proc_.path();
    o.capacity = 4;
    o.pid_capacity = 4;
    o.pid_ttl = absl::Seconds(5);
    o.now_ns = [this] { return now_ns_; };
    return o;
  }
  void SetCgroup(uint32_t pid, const std::string& text) {
    proc_.WriteFile(absl::StrCat(pid, "/cgroup"), text);
  }
  void RemoveProcess(uint32_t pid) {
    std::remove(proc_.Join(absl::StrCat(pid, "/cgroup")).c_str());
  }

  TestDir proc_{"fake-proc"};
  int64_t now_ns_ = 1'000'000'000;
};

TEST_F(CgroupCacheTest, OneReadPerCgroupOnPureV2) {
  SetCgroup(100, "0::/kubepods/besteffort/pod" + kUid + "/" + kId + "\n");
  SetCgroup(101, "0::/kubepods/besteffort/pod" + kUid + "/" + kId + "\n");
  CgroupCache cache(Options());
  auto a = cache.Lookup(/*cgroup_id=*/7, 100, 1);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->container_id, kId);
  EXPECT_EQ(a->pod_uid, kUid);
  // Another process in the same cgroup, and later events: no more reads.
  for (int i = 0; i < 10; ++i) ASSERT_NE(cache.Lookup(7, 101, 1), nullptr);
  EXPECT_EQ(cache.Stats().reads, 1u);
  EXPECT_EQ(cache.Stats().hits, 10u);
}

TEST_F(CgroupCacheTest, HostOnPureV2IsCachedByCgroup) {
  SetCgroup(200, "0::/system.slice/sshd.service\n");
  CgroupCache cache(Options());
  auto a = cache.Lookup(9, 200, 1);
  ASSERT_NE(a, nullptr);
  EXPECT_FALSE(a->is_container());
  cache.Lookup(9, 200, 1);
  EXPECT_EQ(cache.Stats().reads, 1u);
}

TEST_F(CgroupCacheTest, HybridHostProcessesAreCachedPerPid) {
  // On a hybrid node a host process and a container tracked only by v1 controllers can
  // share the v2 cgroup: the cgroup id must not carry either answer to the other.
  SetCgroup(300, "4:memory:/user.slice\n0::/\n");
  SetCgroup(301, "4:memory:/kubepods/burstable/pod" + kUid + "/" + kId + "\n0::/\n");
  CgroupCache cache(Options());
  auto host = cache.Lookup(1, 300, 1);
  auto container = cache.Lookup(1, 301, 1);
  ASSERT_NE(host, nullptr);
  ASSERT_NE(container, nullptr);
  EXPECT_FALSE(host->is_container());
  EXPECT_EQ(container->container_id, kId);
  // Per-pid entries are hits until their TTL.
  cache.Lookup(1, 300, 1);
  EXPECT_EQ(cache.Stats().reads, 2u);
  now_ns_ += absl::ToInt64Nanoseconds(absl::Seconds(6));
  cache.Lookup(1, 300, 1);
  EXPECT_EQ(cache.Stats().reads, 3u);
}

TEST_F(CgroupCacheTest, AProcessThatMovedToAContainersCgroupIsReadAgain) {
  // A container runtime's init starts in the host's cgroup and joins the container's before
  // it execs: its per-pid host answer must not outlive the move.
  SetCgroup(400, "4:memory:/user.slice\n0::/user.slice\n");
  CgroupCache cache(Options());
  auto before = cache.Lookup(1, 400, 1);
  ASSERT_NE(before, nullptr);
  EXPECT_FALSE(before->is_container());
  SetCgroup(400, "4:memory:/user.slice\n0::/kubepods/besteffort/pod" + kUid + "/" + kId + "\n");
  auto after = cache.Lookup(/*cgroup_id=*/55, 400, 1);
  ASSERT_NE(after, nullptr);
  EXPECT_EQ(after->container_id, kId);
  EXPECT_EQ(cache.Stats().reads, 2u);
}

TEST_F(CgroupCacheTest, GoneProcessFallsBackToItsParent) {
  SetCgroup(401, "0::/docker/" + kId + "\n");
  CgroupCache cache(Options());
  auto a = cache.Lookup(11, /*pid=*/400, /*ppid=*/401);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->container_id, kId);
  EXPECT_EQ(cache.Stats().parent_reads, 1u);
  // The parent's answer is not filed under the event's cgroup id: a later process of
  // that cgroup is read itself.
  SetCgroup(402, "0::/docker/" + kId2 + "\n");
  auto b = cache.Lookup(11, 402, 1);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->container_id, kId2);
}

TEST_F(CgroupCacheTest, UnknownWhenNothingCanBeRead) {
  CgroupCache cache(Options());
  EXPECT_EQ(cache.Lookup(12, 500, 501), nullptr);
  EXPECT_EQ(cache.Lookup(12, 500, 0), nullptr);
  EXPECT_EQ(cache.Stats().read_failures, 2u);
  // Not cached: once the cgroup can be read, it is.
  SetCgroup(500, "0::/docker/" + kId + "\n");
  auto a = cache.Lookup(12, 500, 501);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->container_id, kId);
}

TEST_F(CgroupCacheTest, BoundedByCapacity) {
  CgroupCache cache(Options());
  for (uint32_t pid = 600; pid < 620; ++pid) {
    SetCgroup(pid, "0::/docker/" + kId + "\n");
    ASSERT_NE(cache.Lookup(/*cgroup_id=*/pid, pid, 1), nullptr);
  }
  EXPECT_EQ(cache.Stats().evictions, 16u);
  // The oldest cgroup was evicted: its process is read again.
  const uint64_t reads = cache.Stats().reads;
  cache.Lookup(600, 600, 1);
  EXPECT_EQ(cache.Stats().reads, reads + 1);
  RemoveProcess(600);
}

}  // namespace
}  // namespace vigil::sensor::enrich

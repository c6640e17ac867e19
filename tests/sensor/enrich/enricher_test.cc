// Enricher: cgroup identity plus pods from a CRI server started by the test, the
// runtime of cgroupfs paths from the runtime's Version, and when the runtime is asked.
#include "sensor/enrich/enricher.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/fake_cri_server.h"
#include "tests/support/test_dir.h"

namespace vigil::sensor::enrich {
namespace {

using ::vigil::testing::FakeContainer;
using ::vigil::testing::FakeCriServer;
using ::vigil::testing::TestDir;

const std::string kId = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const std::string kUid = "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d";

class EnricherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    socket_ = dir_.Join("cri.sock");
    auto server = FakeCriServer::Start(socket_, "cri-o");
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    FakeContainer c;
    c.id = kId;
    c.sandbox_id = "sb";
    c.pod_name = "api-0";
    c.pod_namespace = "prod";
    c.pod_uid = kUid;
    c.pod_labels = {{"app", "api"}};
    server_->AddContainer(c);
    proc_.WriteFile("10/cgroup", "0::/kubepods/burstable/pod" + kUid + "/" + kId + "\n");
    proc_.WriteFile("20/cgroup", "0::/user.slice/user-0.slice/session-1.scope\n");
    proc_.WriteFile("30/cgroup", "0::/system.slice/docker-" + kId + ".scope\n");
  }

  EnricherOptions Options() {
    EnricherOptions o;
    o.proc_root = proc_.path();
    o.cri_socket = socket_;
    o.cri_deadline = absl::Seconds(2);
    return o;
  }

  static event::TaskContext Task(uint32_t pid, uint64_t cgroup_id) {
    event::TaskContext t;
    t.pid = pid;
    t.ppid = 1;
    t.cgroup_id = cgroup_id;
    return t;
  }

  TestDir dir_{"enrich"};
  TestDir proc_{"enrich-proc"};
  std::string socket_;
  std::unique_ptr<FakeCriServer> server_;
};

TEST_F(EnricherTest, PodContainer) {
  Enricher enricher(Options());
  EXPECT_EQ(enricher.cri_socket(), socket_);
  auto c = enricher.Container(Task(10, 5));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->container_id, kId);
  // A cgroupfs path does not name its runtime: the CRI runtime's Version does.
  EXPECT_EQ(RuntimeName(enricher.RuntimeOf(*c)), "cri-o");
  auto pod = enricher.Pod(*c);
  ASSERT_NE(pod, nullptr);
  EXPECT_EQ(pod->name, "api-0");
  EXPECT_EQ(pod->namespace_name, "prod");
  EXPECT_EQ(pod->labels_text, "app=api");
  const int calls = server_->calls();
  enricher.Pod(*c);
  EXPECT_EQ(server_->calls(), calls);  // cached
  EXPECT_EQ(enricher.Stats().pod.hits, 1u);
  EXPECT_EQ(enricher.Stats().pod.misses, 1u);
}

TEST_F(EnricherTest, HostProcessNeverAsksTheRuntime) {
  Enricher enricher(Options());
  auto c = enricher.Container(Task(20, 6));
  ASSERT_NE(c, nullptr);
  EXPECT_FALSE(c->is_container());
  EXPECT_EQ(RuntimeName(enricher.RuntimeOf(*c)), "host");
  EXPECT_EQ(enricher.Pod(*c), nullptr);
  EXPECT_EQ(server_->calls(), 0);
}

TEST_F(EnricherTest, ContainerOutsideAPodNeverAsksTheRuntime) {
  Enricher enricher(Options());
  auto c = enricher.Container(Task(30, 7));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->container_id, kId);
  EXPECT_EQ(RuntimeName(enricher.RuntimeOf(*c)), "docker");
  EXPECT_EQ(enricher.Pod(*c), nullptr);
  EXPECT_EQ(server_->calls(), 0);
}

TEST_F(EnricherTest, NoCriKeepsContainerIds) {
  EnricherOptions o = Options();
  o.cri = false;
  Enricher enricher(o);
  EXPECT_EQ(enricher.cri_socket(), "");
  auto c = enricher.Container(Task(10, 5));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->container_id, kId);
  EXPECT_EQ(enricher.Pod(*c), nullptr);
  EXPECT_EQ(server_->calls(), 0);
}

TEST_F(EnricherTest, RuntimeDownLeavesPodsUnknown) {
  server_->Shutdown();
  Enricher enricher(Options());
  auto c = enricher.Container(Task(10, 5));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(enricher.Pod(*c), nullptr);
  EXPECT_EQ(enricher.Pod(*c), nullptr);
  EXPECT_EQ(enricher.Stats().pod.errors, 1u);
  // Until the runtime answers, a cgroupfs container's runtime is named after the socket
  // ("cri.sock" names none).
  EXPECT_EQ(RuntimeName(enricher.RuntimeOf(*c)), "unknown");
}

TEST(FindCriSocketTest, FirstExistingSocket) {
  TestDir dir("cri-find");
  const std::string file = dir.WriteFile("not-a-socket");
  EXPECT_EQ(FindCriSocket({dir.Join("missing.sock"), file}), "");
  auto server = FakeCriServer::Start(dir.Join("real.sock"));
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ(FindCriSocket({dir.Join("missing.sock"), file, dir.Join("real.sock")}),
            dir.Join("real.sock"));
  EXPECT_EQ(DefaultCriSockets().front(), "/run/containerd/containerd.sock");
}

}  // namespace
}  // namespace vigil::sensor::enrich

// Container and pod enrichment against the real kernel: a process moved into a cgroup
// laid out as containerd's (cgroupfs driver, in the cgroup v2 hierarchy) triggers a rule,
// and the alert carries the container id from the cgroup path and the pod from a CRI
// server started by the test (`--cri-socket`); a host process's alert says "host".
// Test label: kernel (needs the real kernel: root, probes loaded; runs in every kernel VM).
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "tests/support/container_cgroup.h"
#include "tests/support/fake_cri_server.h"
#include "tests/support/sensor_process.h"
#include "tests/support/test_dir.h"

namespace vigil::sensor {
namespace {

using ::vigil::testing::FakeContainer;
using ::vigil::testing::FakeCriServer;
using ::vigil::testing::Json;
using ::vigil::testing::RunCapture;
using ::vigil::testing::SensorProcess;
using ::vigil::testing::TestDir;

// Events carry the v2 cgroup id, so the test's container cgroup lives in the v2 hierarchy.
std::string UnifiedRoot() { return ::vigil::testing::UnifiedCgroupRoot(); }

// A 64-hex id unique to this run.
std::string RunId(uint64_t salt) { return ::vigil::testing::RunHexId(salt); }

// The alert of the test rule for `path`.
vigil::testing::JsonPredicate AlertFor(const std::string& path) {
  return [path](const Json& j) {
    return j.contains("rule") && j["rule"] == "Enrichment test open" &&
           j.contains("output_fields") && j["output_fields"].value("fd.name", "") == path;
  };
}

class EnrichmentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    VIGIL_REQUIRE_ROOT();
    id_ = RunId(1);
    pod_uid_ =
        absl::StrFormat("%s-%s-4%s-8%s-%s", RunId(2).substr(0, 8), RunId(3).substr(0, 4),
                        RunId(4).substr(0, 3), RunId(5).substr(0, 3), RunId(6).substr(0, 12));
    kubepods_ = UnifiedRoot() + "/kubepods";
    cgroup_ = absl::StrCat(kubepods_, "/besteffort/pod", pod_uid_, "/", id_);
    std::error_code ec;
    std::filesystem::create_directories(cgroup_, ec);
    ASSERT_FALSE(ec) << "cannot create " << cgroup_ << ": " << ec.message();

    auto server = FakeCriServer::Start(dir_.Join("containerd.sock"));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    FakeContainer c;
    c.id = id_;
    c.sandbox_id = "sandbox-" + id_.substr(0, 12);
    c.pod_name = "web-7f9c";
    c.pod_namespace = "shop";
    c.pod_uid = pod_uid_;
    c.pod_labels = {{"app", "web"}, {"tier", "front"}};
    server_->AddContainer(c);

    const std::string rules = dir_.WriteFile(
        "enrich.yaml",
        absl::StrCat(
            "- rule: Enrichment test open\n"
            "  desc: an open under the test's directory\n"
            "  condition: fd.name startswith '",
            dir_.Join("files/"),
            "'\n"
            "  output: \"%fd.name by %proc.name in %container.id (%container.runtime) "
            "pod %k8s.ns.name/%k8s.pod.name labels %k8s.pod.labels tier %k8s.pod.label[tier]\"\n"
            "  priority: NOTICE\n"));
    dir_.WriteFile("files/in-container", "x");
    dir_.WriteFile("files/on-host", "x");
    auto sensor = SensorProcess::StartWith(
        {"--rules", rules, "--print-alerts", "--cri-socket", dir_.Join("containerd.sock")});
    ASSERT_TRUE(sensor.ok()) << sensor.status();
    sensor_ = std::move(*sensor);
  }

  void TearDown() override {
    if (sensor_ != nullptr) vigil::testing::ExpectCleanStop(*sensor_, "process");
    server_.reset();
    // Innermost first; shared parents go only when empty (another run may use them).
    if (!cgroup_.empty()) {
      std::filesystem::path p = cgroup_;
      while (p.string().size() >= kubepods_.size()) {
        if (rmdir(p.c_str()) != 0) break;
        p = p.parent_path();
      }
      EXPECT_FALSE(std::filesystem::exists(cgroup_)) << "cgroup left behind: " << cgroup_;
    }
  }

  // Runs `script` in /bin/sh to completion; the shell stays alive for a moment after the
  // open so the sensor can still read its /proc entry (a process that is gone resolves
  // through its parent: docs/enrichment.md).
  void RunShell(const std::string& script) {
    auto result = RunCapture({"/bin/sh", "-c", script});
    ASSERT_TRUE(result.ok()) << result.status();
    ASSERT_EQ(result->status, 0) << script << "\n" << result->err;
  }

  TestDir dir_{"enrich-kernel"};
  std::string id_;
  std::string pod_uid_;
  std::string kubepods_;
  std::string cgroup_;
  std::unique_ptr<FakeCriServer> server_;
  std::unique_ptr<SensorProcess> sensor_;
};

TEST_F(EnrichmentTest, ContainerAlertCarriesContainerAndPod) {
  const std::string path = dir_.Join("files/in-container");
  RunShell(absl::StrCat("echo $$ > ", cgroup_, "/cgroup.procs && cat ", path,
                        " > /dev/null && sleep 0.5"));
  auto alerts = sensor_->WaitForCount(AlertFor(path), 1);
  ASSERT_EQ(alerts.size(), 1u) << sensor_->stderr_text();
  const Json& f = alerts[0]["output_fields"];
  EXPECT_EQ(f["container.id"], id_);
  EXPECT_EQ(f["container.runtime"], "containerd");  // from the runtime's Version
  EXPECT_EQ(f["k8s.pod.name"], "web-7f9c");
  EXPECT_EQ(f["k8s.ns.name"], "shop");
  EXPECT_EQ(f["k8s.pod.labels"], "app=web,tier=front");
  EXPECT_EQ(f["k8s.pod.label[tier]"], "front");
  // Not in the rule's output, added to every alert when known.
  EXPECT_EQ(f["k8s.pod.uid"], pod_uid_);
  EXPECT_NE(alerts[0]["output"].get<std::string>().find("pod shop/web-7f9c"), std::string::npos)
      << alerts[0].dump();
}

TEST_F(EnrichmentTest, HostAlertSaysHost) {
  const std::string path = dir_.Join("files/on-host");
  RunShell(absl::StrCat("cat ", path, " > /dev/null && sleep 0.5"));
  auto alerts = sensor_->WaitForCount(AlertFor(path), 1);
  ASSERT_EQ(alerts.size(), 1u) << sensor_->stderr_text();
  const Json& f = alerts[0]["output_fields"];
  EXPECT_EQ(f["container.id"], "host");
  EXPECT_EQ(f["container.runtime"], "host");
  EXPECT_EQ(f["k8s.pod.name"], "");
  EXPECT_FALSE(f.contains("k8s.pod.uid")) << f.dump();
  // A host process never makes the sensor ask the runtime.
  EXPECT_EQ(server_->calls(), 0);
}

TEST_F(EnrichmentTest, RuntimeDownLeavesContainerIdAndPodUid) {
  server_->Shutdown();
  const std::string path = dir_.Join("files/in-container");
  RunShell(absl::StrCat("echo $$ > ", cgroup_, "/cgroup.procs && cat ", path,
                        " > /dev/null && sleep 0.5"));
  auto alerts = sensor_->WaitForCount(AlertFor(path), 1);
  ASSERT_EQ(alerts.size(), 1u) << sensor_->stderr_text();
  const Json& f = alerts[0]["output_fields"];
  EXPECT_EQ(f["container.id"], id_);
  EXPECT_EQ(f["k8s.pod.name"], "");
  // The cgroup path still names the pod.
  EXPECT_EQ(f["k8s.pod.uid"], pod_uid_);
}

}  // namespace
}  // namespace vigil::sensor

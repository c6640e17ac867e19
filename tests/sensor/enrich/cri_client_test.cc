// CriClient against a CRI server started by the test (an in-process gRPC server on a
// unix socket): pods found, unknown containers, a runtime that is down, a slow one.
#include "sensor/enrich/cri_client.h"

#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/support/fake_cri_server.h"
#include "tests/support/test_dir.h"

namespace vigil::sensor::enrich {
namespace {

using ::vigil::testing::FakeContainer;
using ::vigil::testing::FakeCriServer;
using ::vigil::testing::TestDir;

const std::string kId = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

FakeContainer WebContainer() {
  FakeContainer c;
  c.id = kId;
  c.sandbox_id = "sandbox-1";
  c.pod_name = "web-5d9c7";
  c.pod_namespace = "shop";
  c.pod_uid = "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d";
  c.pod_labels = {{"tier", "front"}, {"app", "web"}};
  return c;
}

class CriClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    socket_ = dir_.Join("containerd.sock");
    auto server = FakeCriServer::Start(socket_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    server_->AddContainer(WebContainer());
  }

  TestDir dir_{"cri"};
  std::string socket_;
  std::unique_ptr<FakeCriServer> server_;
};

TEST_F(CriClientTest, PodOfContainer) {
  CriClient client(socket_, absl::Seconds(2));
  EXPECT_EQ(client.target(), "unix://" + socket_);
  absl::StatusOr<PodInfo> pod = client.PodOfContainer(kId);
  ASSERT_TRUE(pod.ok()) << pod.status();
  EXPECT_EQ(pod->name, "web-5d9c7");
  EXPECT_EQ(pod->namespace_name, "shop");
  EXPECT_EQ(pod->uid, "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d");
  // Sorted, kubelet's io.kubernetes.* labels left out.
  EXPECT_EQ(pod->labels_text, "app=web,tier=front");
  EXPECT_EQ(server_->calls(), 3);  // ContainerStatus, ListContainers, PodSandboxStatus
}

TEST_F(CriClientTest, AcceptsUnixUri) {
  CriClient client("unix://" + socket_, absl::Seconds(2));
  absl::StatusOr<runtime::v1::VersionResponse> version = client.Version();
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_EQ(version->runtime_name(), "containerd");
}

TEST_F(CriClientTest, ContainerStatusCarriesKubeletLabels) {
  CriClient client(socket_, absl::Seconds(2));
  absl::StatusOr<runtime::v1::ContainerStatus> status = client.ContainerStatus(kId);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->labels().at(std::string(kPodNameLabel)), "web-5d9c7");
  EXPECT_EQ(status->labels().at(std::string(kPodNamespaceLabel)), "shop");
}

TEST_F(CriClientTest, UnknownContainerIsNotFound) {
  CriClient client(socket_, absl::Seconds(2));
  absl::StatusOr<PodInfo> pod = client.PodOfContainer(std::string(64, 'e'));
  ASSERT_FALSE(pod.ok());
  EXPECT_TRUE(absl::IsNotFound(pod.status())) << pod.status();
  EXPECT_NE(pod.status().message().find("ContainerStatus"), std::string::npos) << pod.status();
}

TEST_F(CriClientTest, ServerDownIsUnavailableAtOnce) {
  server_->Shutdown();
  CriClient client(socket_, absl::Seconds(5));
  const absl::Time start = absl::Now();
  absl::StatusOr<PodInfo> pod = client.PodOfContainer(kId);
  ASSERT_FALSE(pod.ok());
  EXPECT_TRUE(absl::IsUnavailable(pod.status())) << pod.status();
  EXPECT_NE(pod.status().message().find(socket_), std::string::npos) << pod.status();
  // It does not wait for the runtime to come up.
  EXPECT_LT(absl::Now() - start, absl::Seconds(4));
}

TEST_F(CriClientTest, NoSocketIsUnavailable) {
  CriClient client(dir_.Join("missing.sock"), absl::Seconds(5));
  absl::StatusOr<runtime::v1::VersionResponse> version = client.Version();
  ASSERT_FALSE(version.ok());
  EXPECT_TRUE(absl::IsUnavailable(version.status())) << version.status();
}

TEST_F(CriClientTest, SlowRuntimeHitsTheDeadline) {
  server_->SetDelay(absl::Seconds(2));
  CriClient client(socket_, absl::Milliseconds(100));
  const absl::Time start = absl::Now();
  absl::StatusOr<PodInfo> pod = client.PodOfContainer(kId);
  ASSERT_FALSE(pod.ok());
  EXPECT_TRUE(absl::IsDeadlineExceeded(pod.status())) << pod.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  server_->SetDelay(absl::ZeroDuration());
}

TEST_F(CriClientTest, RuntimeErrorsKeepTheirCode) {
  server_->SetFailure(grpc::StatusCode::PERMISSION_DENIED);
  CriClient client(socket_, absl::Seconds(2));
  absl::StatusOr<PodInfo> pod = client.PodOfContainer(kId);
  ASSERT_FALSE(pod.ok());
  EXPECT_TRUE(absl::IsPermissionDenied(pod.status())) << pod.status();
}

}  // namespace
}  // namespace vigil::sensor::enrich

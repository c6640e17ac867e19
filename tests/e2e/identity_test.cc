// Sensor identity end to end, against the real kernel and binaries: a vigil-sensor that
// lost its spool keeps every new alert (a new spool epoch, not "duplicates"), and over
// mTLS a sensor proves its node with a Kubernetes service-account token (made by a test
// issuer, verified for real by vigil-controller): its alerts are stored as its node's,
// while a sensor whose token names another node is refused and counted.
// Test label: kernel (needs the real kernel: root, probes loaded; runs in every kernel VM).
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/e2e/support/controller_process.h"
#include "tests/e2e/support/subscriber.h"
#include "tests/support/http_client.h"
#include "tests/support/sensor_process.h"
#include "tests/support/test_dir.h"
#include "tests/support/test_issuer.h"
#include "vigil/v1/alert_service.grpc.pb.h"

namespace vigil::e2e {
namespace {

using ::vigil::testing::ControllerProcess;
using ::vigil::testing::FreeLoopbackPort;
using ::vigil::testing::HttpGet;
using ::vigil::testing::RunHelper;
using ::vigil::testing::SensorProcess;
using ::vigil::testing::Subscriber;
using ::vigil::testing::TestDir;
using ::vigil::testing::TestIssuer;
using ::vigil::v1::Alert;

// A rules directory in `work` alerting on every read open of `target` (created).
std::string OpenRules(const TestDir& work, const std::string& target) {
  work.WriteFile(std::filesystem::path(target).filename().string());
  work.WriteFile("rules/open.yaml",
                 absl::StrCat("- rule: e2e identity open\n  condition: evt.is_open_read = true "
                              "and fd.name = ",
                              target, "\n  output: \"open %fd.name\"\n  priority: NOTICE\n"));
  return work.Join("rules");
}

// Opens `path` `n` times in one helper run; true when the helper did.
bool Opens(const std::string& path, int n) {
  std::vector<std::string> args = {"open", "openat"};
  for (int i = 0; i < n; ++i) args.push_back(path);
  return RunHelper(args) > 0;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Distinct (epoch, sequence) pairs among `alerts`.
size_t DistinctKeys(const std::vector<Alert>& alerts) {
  std::set<std::pair<std::string, uint64_t>> keys;
  for (const Alert& a : alerts) keys.insert({a.spool_epoch(), a.sequence()});
  return keys.size();
}

TEST(IdentityE2eTest, SensorThatLostItsSpoolHasEveryNewAlertStored) {
  VIGIL_REQUIRE_ROOT();
  TestDir controller_dir("e2e-controller", "/var/lib");
  TestDir work("e2e-work", "/var/lib");
  auto controller = ControllerProcess::Start(controller_dir.path());
  ASSERT_TRUE(controller.ok()) << controller.status();
  Subscriber subscriber((*controller)->address());
  const std::string target = work.Join("identity.file");
  const std::string rules = OpenRules(work, target);
  const std::string id = absl::StrCat("e2e-spool-lost-", getpid());
  const std::string spool = work.Join("spool");
  const std::vector<std::string> args = {"--controller",
                                         (*controller)->address(),
                                         "--controller-insecure",
                                         "--spool",
                                         spool,
                                         "--sensor-id",
                                         id,
                                         "--rules",
                                         rules};
  std::string first_epoch;
  {
    auto sensor = SensorProcess::StartWith(args);
    ASSERT_TRUE(sensor.ok()) << sensor.status();
    ASSERT_TRUE(Opens(target, 30));
    ASSERT_TRUE(subscriber.WaitFor(id, [](const std::vector<Alert>& a) { return a.size() >= 30; }))
        << subscriber.AlertsOf(id).size();
    first_epoch = subscriber.AlertsOf(id).front().spool_epoch();
    EXPECT_EQ(first_epoch.size(), 32u);
    const int status = (*sensor)->Stop();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << (*sensor)->stderr_text();
  }
  // The node's spool is wiped (a reinstalled node, a lost host directory).
  std::filesystem::remove_all(spool);
  auto sensor = SensorProcess::StartWith(args);
  ASSERT_TRUE(sensor.ok()) << sensor.status();
  ASSERT_TRUE(Opens(target, 30));
  EXPECT_TRUE(subscriber.WaitFor(id, [](const std::vector<Alert>& a) { return a.size() >= 60; }))
      << subscriber.AlertsOf(id).size() << " of 60 stored";
  (void)(*sensor)->Stop();
  const std::vector<Alert> alerts = subscriber.AlertsOf(id);
  EXPECT_EQ(alerts.size(), 60u);
  EXPECT_EQ(DistinctKeys(alerts), 60u);
  EXPECT_NE(alerts.back().spool_epoch(), first_epoch);
  subscriber.Stop();
}

// A controller over mTLS (scripts/dev-ca.sh's certificates) verifying service-account
// tokens of vigil-system/vigil-sensor with a test issuer's key.
class TokenIdentityE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    VIGIL_REQUIRE_ROOT();
    pki_ = work_.Join("pki");
    const int status = std::system(
        absl::StrCat("bash ", VIGIL_SOURCE_DIR, "/scripts/dev-ca.sh ", pki_, " >/dev/null 2>&1")
            .c_str());
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "dev-ca.sh failed";
    const std::string access = work_.WriteFile(
        "access.txt",
        "sensor serviceaccount vigil-system/vigil-sensor\nreader cert vigil-reader\n");
    const std::string jwks = work_.WriteFile("jwks.json", issuer_.Jwks());
    metrics_port_ = FreeLoopbackPort();
    auto controller = ControllerProcess::Start(
        controller_dir_.path(),
        {"--tls-cert", pki_ + "/controller.pem", "--tls-key", pki_ + "/controller-key.pem",
         "--tls-ca", pki_ + "/ca.pem", "--access", access, "--sensor-token-keys", jwks,
         "--sensor-token-issuer", issuer_.issuer(), "--metrics-address",
         absl::StrCat("127.0.0.1:", metrics_port_)});
    ASSERT_TRUE(controller.ok()) << controller.status();
    controller_ = *std::move(controller);
  }

  void TearDown() override {
    if (HasFailure() && controller_ != nullptr) {
      ADD_FAILURE() << "controller log:\n" << controller_->log_text();
    }
  }

  // A sensor saying it is node `node` (its id and host name), with its own spool `tag`,
  // presenting a token for `token_node`.
  absl::StatusOr<std::unique_ptr<SensorProcess>> StartSensor(const std::string& node,
                                                             const std::string& token_node,
                                                             const std::string& tag,
                                                             const std::string& rules) {
    TestIssuer::Claims claims;
    claims.node = token_node;
    claims.pod = "vigil-sensor-" + token_node;
    claims.pod_uid = "uid-" + token_node;
    const std::string token = work_.WriteFile("token-" + tag, issuer_.Sign(claims));
    return SensorProcess::StartWith({"--controller", controller_->address(), "--controller-ca",
                                     pki_ + "/ca.pem", "--controller-token-file", token, "--spool",
                                     work_.Join("spool-" + tag), "--sensor-id", node, "--hostname",
                                     node, "--rules", rules});
  }

  // The controller's counter `series` (full series text with labels), or -1.
  double Metric(const std::string& series) {
    auto response = HttpGet(metrics_port_, "/metrics");
    if (!response.ok()) return -1;
    const std::string& body = response->body;
    const size_t at = body.find("\n" + series + " ");
    if (at == std::string::npos) return -1;
    return std::strtod(body.c_str() + at + series.size() + 2, nullptr);
  }

  // Alerts stored for `sensor_id`, read over mTLS with the reader certificate.
  std::vector<Alert> StoredOf(const std::string& sensor_id) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ReadAll(pki_ + "/ca.pem");
    ssl.pem_cert_chain = ReadAll(pki_ + "/reader.pem");
    ssl.pem_private_key = ReadAll(pki_ + "/reader-key.pem");
    auto stub = vigil::v1::AlertService::NewStub(
        grpc::CreateChannel(controller_->address(), grpc::SslCredentials(ssl)));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    vigil::v1::QueryRequest request;
    request.set_page_size(1000);
    vigil::v1::QueryResponse response;
    const grpc::Status status = stub->Query(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<Alert> mine;
    for (const vigil::v1::AlertEnvelope& e : response.alerts()) {
      if (e.alert().sensor_id() == sensor_id) mine.push_back(e.alert());
    }
    return mine;
  }

  TestDir controller_dir_{"e2e-controller", "/var/lib"};
  TestDir work_{"e2e-work", "/var/lib"};
  TestIssuer issuer_ = TestIssuer::Create();
  std::string pki_;
  int metrics_port_ = 0;
  std::unique_ptr<ControllerProcess> controller_;
};

TEST_F(TokenIdentityE2eTest, TokenProvesTheNodeAndAnotherNodesTokenIsRefused) {
  const std::string target = work_.Join("identity.file");
  const std::string rules = OpenRules(work_, target);
  auto honest = StartSensor("e2e-node-a", "e2e-node-a", "honest", rules);
  ASSERT_TRUE(honest.ok()) << honest.status();
  // A second sensor holds node B's token but says it is node A.
  auto forger = StartSensor("e2e-node-a", "e2e-node-b", "forger", rules);
  ASSERT_TRUE(forger.ok()) << forger.status();
  ASSERT_TRUE(Opens(target, 20));
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  auto forger_told = [&] {
    return (*forger)->stderr_text().find("speaks for node 'e2e-node-b'") != std::string::npos;
  };
  while (absl::Now() < deadline &&
         (StoredOf("e2e-node-a").size() < 20 || !forger_told() ||
          Metric("vigil_controller_sensor_refusals_total{reason=\"mismatch\"}") < 1)) {
    absl::SleepFor(absl::Milliseconds(200));
  }
  (void)(*forger)->Stop();
  (void)(*honest)->Stop();
  const std::vector<Alert> stored = StoredOf("e2e-node-a");
  for (const Alert& a : stored) {
    EXPECT_EQ(a.node(), "e2e-node-a");
    EXPECT_EQ(a.spool_epoch(), stored.front().spool_epoch());  // the honest sensor's only
  }
  EXPECT_EQ(stored.size(), 20u);  // its own 20, none of the forger's
  EXPECT_GE(Metric("vigil_controller_sensor_refusals_total{reason=\"mismatch\"}"), 1)
      << (*forger)->stderr_text();
  EXPECT_TRUE(forger_told()) << (*forger)->stderr_text();
  EXPECT_GE(StoredOf("vigil-controller").size(), 1u);  // the self-alert
}

}  // namespace
}  // namespace vigil::e2e

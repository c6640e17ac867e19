// Sensor identity at the controller (controller/auth.h, controller/link_service.h): a
// sensor speaks only for the node its credential names. Kubernetes service-account tokens
// are made by a test issuer with a real key and verified for real; the tests play an
// attacker holding one node's credential, a replayed or expired token, and a sensor that
// lost its spool.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controller/controller_fixture.h"
#include "tests/support/test_issuer.h"

namespace vigil::controller::testing {
namespace {

using ::testing::HasSubstr;
using vigil::testing::TestIssuer;

// Alerts numbered first..last.
std::vector<vigil::v1::Alert> Numbered(uint64_t first, uint64_t last, const std::string& node,
                                       const std::string& rule = "Exec seen") {
  std::vector<vigil::v1::Alert> alerts;
  for (uint64_t seq = first; seq <= last; ++seq) {
    alerts.push_back(MakeAlert(seq, rule, vigil::v1::PRIORITY_WARNING, node));
  }
  return alerts;
}

// A controller that verifies service-account tokens of vigil-system/vigil-sensor with the
// test issuer's key, and also grants the shared sensor token (sensor-any) of the fixture.
class SensorIdentityTest : public ControllerFixture {
 protected:
  void Configure(ControllerOptions& options) override {
    options.access_file = dir_.WriteFile(
        "access.txt",
        absl::StrCat(TokenAccessFile(), "sensor serviceaccount vigil-system/vigil-sensor\n"));
    options.sensor_tokens.keys = dir_.WriteFile("jwks.json", issuer_.Jwks());
    options.sensor_tokens.issuer = issuer_.issuer();
  }

  // A token of the vigil-sensor pod on `node`.
  std::string TokenFor(const std::string& node, const std::string& pod_uid = "",
                       int64_t issued_at = 0) {
    TestIssuer::Claims claims;
    claims.node = node;
    claims.pod = "vigil-sensor-" + node;
    claims.pod_uid = pod_uid.empty() ? "uid-" + node : pod_uid;
    claims.issued_at = issued_at;
    return issuer_.Sign(claims);
  }

  // Connects with `token` as sensor `sensor_id` on `node` and sends `alerts`; returns
  // the controller's status (OK when every alert was acked and the stream closed cleanly).
  grpc::Status Speak(const std::string& token, const std::string& sensor_id,
                     const std::string& node, const std::vector<vigil::v1::Alert>& alerts,
                     const std::string& epoch = "") {
    SensorStream sensor(link_.get(), token);
    if (!sensor.Hello(sensor_id, node, "", "", epoch)) return sensor.Finish();
    if (!alerts.empty()) {
      if (!sensor.SendAlerts(alerts)) return sensor.Finish();
      if (sensor.AwaitAck(alerts.back().sequence()) != alerts.back().sequence()) {
        return sensor.Finish();
      }
    }
    return sensor.Close();
  }

  // Stored alerts of `sensor_id`.
  std::vector<vigil::v1::AlertEnvelope> StoredOf(const std::string& sensor_id) {
    std::vector<vigil::v1::AlertEnvelope> mine;
    for (vigil::v1::AlertEnvelope& e : QueryAll({})) {
      if (e.alert().sensor_id() == sensor_id) mine.push_back(std::move(e));
    }
    return mine;
  }

  TestIssuer issuer_ = TestIssuer::Create();
};

TEST_F(SensorIdentityTest, TokenSpeaksForItsOwnNode) {
  const grpc::Status status = Speak(TokenFor("node-a"), "node-a", "node-a", Numbered(1, 3, "x"));
  ASSERT_TRUE(status.ok()) << status.error_message();
  const std::vector<vigil::v1::AlertEnvelope> stored = StoredOf("node-a");
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_EQ(stored[0].alert().node(), "node-a");  // the alert's own "x" is overridden
}

TEST_F(SensorIdentityTest, TokenClaimingAnotherNodeIsRefusedCountedAndRaised) {
  // Node B's credential claims node A, by sensor id and by node.
  for (const auto& [sensor_id, node] : std::vector<std::pair<std::string, std::string>>{
           {"node-a", "node-a"}, {"node-a", "node-b"}, {"node-b", "node-a"}}) {
    const grpc::Status status = Speak(TokenFor("node-b"), sensor_id, node, Numbered(1, 2, node));
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << sensor_id << "/" << node << ": " << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr("speaks for node 'node-b'"));
  }
  EXPECT_TRUE(StoredOf("node-a").empty());
  EXPECT_TRUE(StoredOf("node-b").empty());
  EXPECT_EQ(server_->link_counters().refused_mismatch, 3u);
  vigil::v1::ListSensorsResponse sensors;
  ASSERT_TRUE(fleet_->ListSensors(Context(kReaderToken).get(), {}, &sensors).ok());
  EXPECT_EQ(sensors.sensors_size(), 0);  // the forger is not listed as anyone
  // One self-alert (the others within the minute are counted into it later).
  const std::vector<vigil::v1::AlertEnvelope> raised = StoredOf(kControllerSensorId);
  ASSERT_EQ(raised.size(), 1u);
  EXPECT_EQ(raised[0].alert().rule(), "Sensor claimed another identity");
  EXPECT_EQ(raised[0].alert().priority(), vigil::v1::PRIORITY_CRITICAL);
  EXPECT_EQ(raised[0].alert().node(), "node-b");
  EXPECT_THAT(raised[0].alert().output(), HasSubstr("claims sensor id 'node-a'"));
  EXPECT_EQ(raised[0].alert().source(), "vigil");
}

TEST_F(SensorIdentityTest, NoSensorMayClaimTheControllersOwnId) {
  const grpc::Status status = Speak(kSensorToken, kControllerSensorId, "node-a", {});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
}

TEST_F(SensorIdentityTest, ExpiredForeignAndForgedTokensAreRefused) {
  struct Case {
    std::string name;
    std::string token;
    std::string error;
  };
  TestIssuer::Claims expired;
  expired.node = "node-a";
  expired.issued_at = absl::ToUnixSeconds(absl::Now()) - 7200;
  expired.lifetime_s = 3600;
  TestIssuer::Claims api_server;  // a token minted for the API server, replayed to us
  api_server.node = "node-a";
  api_server.audience = "https://kubernetes.default.svc.cluster.local";
  TestIssuer::Claims other_account;
  other_account.node = "node-a";
  other_account.service_account = "default";
  TestIssuer::Claims no_node;
  no_node.node = "";
  const TestIssuer stranger = TestIssuer::Create(TestIssuer::Alg::kRS256, "test-key");
  TestIssuer::Claims valid;
  valid.node = "node-a";
  const std::vector<Case> cases = {
      {"expired", issuer_.Sign(expired), "expired"},
      {"audience", issuer_.Sign(api_server), "audience"},
      {"service account", issuer_.Sign(other_account), "is not granted the sensor role"},
      {"no node", issuer_.Sign(no_node), "names no node"},
      {"another issuer's key", stranger.Sign(valid), "signature"},
  };
  for (const Case& c : cases) {
    const grpc::Status status = Speak(c.token, "node-a", "node-a", Numbered(1, 1, "node-a"));
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << c.name << ": " << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr(c.error)) << c.name;
  }
  EXPECT_TRUE(StoredOf("node-a").empty());
  EXPECT_EQ(server_->link_counters().refused_credential, cases.size());
  const std::vector<vigil::v1::AlertEnvelope> raised = StoredOf(kControllerSensorId);
  ASSERT_EQ(raised.size(), 1u);  // one peer: the rest are rate-limited into the next
  EXPECT_EQ(raised[0].alert().rule(), "Sensor credential refused");
}

TEST_F(SensorIdentityTest, SupersededPodsTokenIsRefusedAsAReplay) {
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  const std::string old_pod = TokenFor("node-a", "uid-old", now - 600);
  const std::string new_pod = TokenFor("node-a", "uid-new", now - 60);
  ASSERT_TRUE(Speak(old_pod, "node-a", "node-a", Numbered(1, 1, "node-a")).ok());
  ASSERT_TRUE(Speak(new_pod, "node-a", "node-a", Numbered(2, 2, "node-a")).ok());
  // The old pod's token is still unexpired, but its pod was replaced on the node.
  const grpc::Status replay = Speak(old_pod, "node-a", "node-a", Numbered(3, 3, "node-a"));
  EXPECT_EQ(replay.error_code(), grpc::StatusCode::PERMISSION_DENIED) << replay.error_message();
  EXPECT_THAT(replay.error_message(), HasSubstr("replayed"));
  // And a token of a pod older than the one admitted is a replay too.
  const grpc::Status older =
      Speak(TokenFor("node-a", "uid-older", now - 900), "node-a", "node-a", {});
  EXPECT_EQ(older.error_code(), grpc::StatusCode::PERMISSION_DENIED) << older.error_message();
  EXPECT_EQ(server_->link_counters().refused_replayed, 2u);
  // The current pod carries on.
  ASSERT_TRUE(Speak(new_pod, "node-a", "node-a", Numbered(4, 4, "node-a")).ok());
  EXPECT_EQ(Sequences(StoredOf("node-a")), (std::vector<uint64_t>{4, 2, 1}));  // newest first
}

TEST_F(SensorIdentityTest, ForgedStreamCannotMakeAnotherNodesAlertsDisappear) {
  // The attacker holds node B's token and sends node A's next sequence numbers first.
  const grpc::Status forged =
      Speak(TokenFor("node-b"), "node-a", "node-a", Numbered(1, 30, "node-a", "forged"));
  EXPECT_EQ(forged.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // Then node A's real alerts arrive: every one is stored.
  ASSERT_TRUE(Speak(TokenFor("node-a"), "node-a", "node-a", Numbered(1, 30, "node-a")).ok());
  const std::vector<vigil::v1::AlertEnvelope> stored = StoredOf("node-a");
  ASSERT_EQ(stored.size(), 30u);
  for (const vigil::v1::AlertEnvelope& e : stored) EXPECT_EQ(e.alert().rule(), "Exec seen");
  EXPECT_EQ(server_->link_counters().alerts_duplicate, 0u);
}

TEST_F(SensorIdentityTest, EvenASharedCredentialCannotShadowAnotherSpoolEpoch) {
  // The downgrade (sensor-any) lets the attacker claim node A, but not A's spool epoch,
  // which it does not know: A's alerts are still all stored.
  ASSERT_TRUE(Speak(kSensorToken, "node-a", "node-a", Numbered(1, 30, "node-a", "forged"),
                    "0123456789abcdef0123456789abcdef")
                  .ok());
  ASSERT_TRUE(Speak(TokenFor("node-a"), "node-a", "node-a", Numbered(1, 30, "node-a"),
                    "fedcba9876543210fedcba9876543210")
                  .ok());
  int real = 0;
  for (const vigil::v1::AlertEnvelope& e : StoredOf("node-a")) {
    if (e.alert().rule() == "Exec seen") {
      ++real;
      EXPECT_EQ(e.alert().spool_epoch(), "fedcba9876543210fedcba9876543210");
    }
  }
  EXPECT_EQ(real, 30);
}

TEST_F(SensorIdentityTest, SensorThatLostItsSpoolGetsEveryNewAlertStored) {
  const std::string token = TokenFor("node-a");
  ASSERT_TRUE(Speak(token, "node-a", "node-a", Numbered(1, 30, "node-a"),
                    "00000000000000000000000000000001")
                  .ok());
  // The same node, its spool wiped: numbering starts again at 1, in a new epoch.
  ASSERT_TRUE(Speak(token, "node-a", "node-a", Numbered(1, 30, "node-a"),
                    "00000000000000000000000000000002")
                  .ok());
  EXPECT_EQ(StoredOf("node-a").size(), 60u);
  EXPECT_EQ(server_->link_counters().alerts_duplicate, 0u);
  // A resend within an epoch is still a duplicate, acked and not stored twice.
  ASSERT_TRUE(Speak(token, "node-a", "node-a", Numbered(29, 30, "node-a"),
                    "00000000000000000000000000000002")
                  .ok());
  EXPECT_EQ(StoredOf("node-a").size(), 60u);
  EXPECT_EQ(server_->link_counters().alerts_duplicate, 2u);
}

TEST_F(SensorIdentityTest, MalformedEpochIsRefused) {
  for (const std::string& epoch : {std::string("XYZ"), std::string(65, 'a'), std::string("a b")}) {
    const grpc::Status status = Speak(TokenFor("node-a"), "node-a", "node-a", {}, epoch);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << epoch;
  }
}

TEST_F(SensorIdentityTest, StreamEndsWhenItsTokenExpires) {
  TestIssuer::Claims claims;
  claims.node = "node-a";
  // Valid now (within the verifier's leeway), expired for the stream a moment later.
  claims.issued_at = absl::ToUnixSeconds(absl::Now()) - 600;
  claims.lifetime_s = 600 - SensorLinkImpl::kExpiryLeewayS + 1;
  SensorStream sensor(link_.get(), issuer_.Sign(claims));
  ASSERT_TRUE(sensor.Hello("node-a", "node-a"));
  ASSERT_TRUE(sensor.Barrier(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  (void)sensor.SendAlerts({MakeAlert(2)});
  const grpc::Status status = sensor.Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("reconnect with the renewed one"));
  EXPECT_EQ(server_->link_counters().credential_expired, 1u);
}

TEST(SensorIdentityConfigTest, ServiceAccountGrantsNeedTokenKeys) {
  vigil::testing::TestDir dir("controller-identity");
  ControllerOptions options;
  options.listen = "127.0.0.1:0";
  options.db_path = ":memory:";
  options.insecure = true;
  options.access_file = dir.WriteFile("access.txt", "sensor serviceaccount ns/sa\n");
  absl::StatusOr<std::unique_ptr<ControllerServer>> server = ControllerServer::Start(options);
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(std::string(server.status().message()), HasSubstr("--sensor-token-keys"));
  options.sensor_tokens.keys = dir.WriteFile("bad.json", "{\"keys\": []}");
  options.sensor_tokens.issuer = "https://issuer";
  server = ControllerServer::Start(options);
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(std::string(server.status().message()), HasSubstr("bad.json"));
  options.sensor_tokens.issuer.clear();
  server = ControllerServer::Start(options);
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(std::string(server.status().message()), HasSubstr("--sensor-token-issuer"));
}

TEST(SensorIdentityConfigTest, GrantsThatCannotBindANodeAreRefusedWithTheirLine) {
  vigil::testing::TestDir dir("controller-identity");
  ControllerOptions options;
  options.listen = "127.0.0.1:0";
  options.db_path = ":memory:";
  options.insecure = true;
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"sensor cert *\n", ":1: 'sensor cert *': a sensor certificate must name its node"},
      {"# shared\nsensor cert vigil-sensor\n", ":2: 'sensor cert vigil-sensor'"},
      {"sensor cert node:a*\n", ":1: 'sensor cert node:a*'"},
      {"sensor token sha256:" + std::string(64, 'a') + "\n", ":1: an opaque token names no node"},
      {"reader serviceaccount ns/sa\n", ":1: a service account is granted the sensor role only"},
      {"sensor serviceaccount ns\n", ":1: a service account is given as NAMESPACE/NAME"},
  };
  ExpectAccessFilesRefused(dir, options, bad);
}

}  // namespace
}  // namespace vigil::controller::testing

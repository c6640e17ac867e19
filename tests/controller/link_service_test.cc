// In-process gRPC tests of SensorLink.Connect (controller/link_service.h): alert batches
// are stored, then acked with their last sequence number; a resent batch is acked again
// but stored once; protocol errors end the stream with the right code; refused alerts
// become gap records; rule sets reach connected sensors and their results drive the
// rollout status.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controller/controller_fixture.h"

namespace vigil::controller::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class SensorLinkTest : public ControllerFixture {
 protected:
  // PutRuleSet with the admin token; returns the version.
  std::string PutRules(const std::string& text = kRulesText) {
    vigil::v1::PutRuleSetRequest request;
    vigil::v1::RuleFile* file = request.add_files();
    file->set_name(kRulesName);
    file->set_content(text);
    vigil::v1::PutRuleSetResponse response;
    const grpc::Status status = fleet_->PutRuleSet(Context(kAdminToken).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.version();
  }

  vigil::v1::Rollout Rollout(const std::string& kind = "rules") {
    vigil::v1::GetRolloutRequest request;
    request.set_kind(kind);
    vigil::v1::Rollout rollout;
    const grpc::Status status = fleet_->GetRollout(Context(kReaderToken).get(), request, &rollout);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return rollout;
  }
};

TEST_F(SensorLinkTest, BatchIsAckedWithItsLastSequence) {
  std::unique_ptr<SensorStream> sensor = Sensor();
  ASSERT_TRUE(sensor->Hello("sensor-1"));
  ASSERT_TRUE(sensor->SendAlerts({MakeAlert(1), MakeAlert(2), MakeAlert(5)}));
  std::optional<vigil::v1::ControllerMessage> ack = sensor->Read();
  ASSERT_TRUE(ack.has_value());
  ASSERT_TRUE(ack->has_ack()) << ack->DebugString();
  EXPECT_EQ(ack->ack().sequence(), 5u);
  ASSERT_TRUE(sensor->SendAlerts({MakeAlert(6)}));
  EXPECT_EQ(sensor->AwaitAck(6), 6u);
  EXPECT_TRUE(sensor->Close().ok());

  // Acked means stored: the store has them, with the sensor's identity.
  const std::vector<vigil::v1::AlertEnvelope> stored = QueryAll({});
  EXPECT_THAT(Sequences(stored), ElementsAre(6, 5, 2, 1));
  for (const vigil::v1::AlertEnvelope& e : stored) EXPECT_EQ(e.alert().sensor_id(), "sensor-1");
  EXPECT_EQ(server_->link_counters().alerts_stored.load(), 4u);
}

TEST_F(SensorLinkTest, ResentBatchOnANewStreamIsAckedAgainAndStoredOnce) {
  const std::vector<vigil::v1::Alert> batch = {MakeAlert(1), MakeAlert(2), MakeAlert(3)};
  Deliver("sensor-1", batch);
  Deliver("sensor-1", batch);  // the ack was lost: the sensor sends the batch again
  const std::vector<vigil::v1::AlertEnvelope> stored = QueryAll({});
  EXPECT_THAT(Sequences(stored), ElementsAre(3, 2, 1));
  EXPECT_EQ(server_->link_counters().alerts_stored.load(), 3u);
  EXPECT_EQ(server_->link_counters().alerts_duplicate.load(), 3u);

  // Another sensor's sequence numbers are its own.
  Deliver("sensor-2", batch);
  EXPECT_EQ(QueryAll({}).size(), 6u);
}

TEST_F(SensorLinkTest, SensorCannotSpeakForAnotherSensor) {
  vigil::v1::Alert alert = MakeAlert(1);
  alert.set_sensor_id("someone-else");
  Deliver("sensor-1", {alert});
  const std::vector<vigil::v1::AlertEnvelope> stored = QueryAll({});
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].alert().sensor_id(), "sensor-1");
}

TEST_F(SensorLinkTest, FirstMessageNotHelloIsFailedPrecondition) {
  {
    std::unique_ptr<SensorStream> sensor = Sensor();
    ASSERT_TRUE(sensor->SendAlerts({MakeAlert(1)}));
    const grpc::Status status = sensor->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr("hello"));
  }
  {
    std::unique_ptr<SensorStream> sensor = Sensor();
    vigil::v1::SensorMessage health;
    health.mutable_health()->set_spool_records(3);
    ASSERT_TRUE(sensor->Send(health));
    EXPECT_EQ(sensor->Finish().error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  }
  {
    std::unique_ptr<SensorStream> sensor = Sensor();
    ASSERT_TRUE(sensor->SendResult(1, true, "", "v"));
    EXPECT_EQ(sensor->Finish().error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  }
  EXPECT_TRUE(QueryAll({}).empty());
}

TEST_F(SensorLinkTest, MalformedStreamsAreInvalidArgument) {
  {
    std::unique_ptr<SensorStream> sensor = Sensor();
    ASSERT_TRUE(sensor->Send(vigil::v1::SensorMessage()));  // nothing set
    EXPECT_EQ(sensor->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  {
    std::unique_ptr<SensorStream> sensor = Sensor();
    ASSERT_TRUE(sensor->Hello(""));  // no sensor_id
    EXPECT_EQ(sensor->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  {
    std::unique_ptr<SensorStream> sensor = Sensor();
    ASSERT_TRUE(sensor->Hello("sensor-1"));
    ASSERT_TRUE(sensor->Hello("sensor-1"));
    const grpc::Status status = sensor->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("second hello"));
  }
  {
    std::unique_ptr<SensorStream> sensor = Sensor();
    ASSERT_TRUE(sensor->Hello("sensor-1"));
    std::vector<vigil::v1::Alert> too_many;
    for (uint64_t seq = 1; seq <= 1001; ++seq) too_many.push_back(MakeAlert(seq));
    ASSERT_TRUE(sensor->SendAlerts(too_many));
    const grpc::Status status = sensor->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("at most 1000"));
  }
  EXPECT_TRUE(QueryAll({}).empty());
}

TEST_F(SensorLinkTest, AlertsOutOfOrderInABatchAreInvalidArgumentAndNothingIsStored) {
  for (const std::vector<uint64_t>& order :
       std::vector<std::vector<uint64_t>>{{1, 3, 2}, {4, 4}, {2, 1}}) {
    std::unique_ptr<SensorStream> sensor = Sensor();
    ASSERT_TRUE(sensor->Hello("sensor-1"));
    std::vector<vigil::v1::Alert> batch;
    for (uint64_t seq : order) batch.push_back(MakeAlert(seq));
    ASSERT_TRUE(sensor->SendAlerts(batch));
    const grpc::Status status = sensor->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << order.size();
    EXPECT_THAT(status.error_message(), HasSubstr("increasing sequence"));
  }
  EXPECT_TRUE(QueryAll({}).empty());
}

TEST_F(SensorLinkTest, AlertWithoutASequenceNumberEndsTheStreamUnacked) {
  // Sequence 0 cannot take a gap record's place (a gap record needs the number too), so
  // the batch is refused as a whole: nothing stored, nothing acked, the sensor resends.
  std::unique_ptr<SensorStream> sensor = Sensor();
  ASSERT_TRUE(sensor->Hello("sensor-1"));
  ASSERT_TRUE(sensor->SendAlerts({MakeAlert(0), MakeAlert(1)}));
  EXPECT_EQ(sensor->AwaitAck(1), 0u);
  EXPECT_EQ(sensor->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(QueryAll({}).empty());
}

TEST_F(SensorLinkTest, OversizedAlertBecomesAGapRecordNotASilentDrop) {
  vigil::v1::Alert big = MakeAlert(2, "Big one", vigil::v1::PRIORITY_CRITICAL, "node-b");
  big.set_output(std::string(300 * 1024, 'x'));
  Deliver("sensor-1", {MakeAlert(1), big, MakeAlert(3)});

  const std::vector<vigil::v1::AlertEnvelope> stored = QueryAll({});
  ASSERT_THAT(Sequences(stored), ElementsAre(3, 2, 1));
  const vigil::v1::Alert& gap = stored[1].alert();
  EXPECT_EQ(gap.lost(), 1u);
  EXPECT_THAT(gap.lost_reason(), StartsWith("refused by the controller: alert 2 is "));
  EXPECT_TRUE(gap.rule().empty());
  EXPECT_TRUE(gap.output().empty());
  EXPECT_EQ(gap.node(), "node-b");
  EXPECT_EQ(gap.sensor_id(), "sensor-1");
  EXPECT_EQ(stored[0].alert().lost(), 0u);
  EXPECT_EQ(stored[2].alert().lost(), 0u);
  EXPECT_EQ(server_->link_counters().alerts_refused.load(), 1u);
}

TEST_F(SensorLinkTest, PutRuleSetReachesAConnectedSensorAsARuleSetCommand) {
  std::unique_ptr<SensorStream> sensor = Sensor();
  ASSERT_TRUE(sensor->Hello("sensor-1"));
  ASSERT_TRUE(sensor->Barrier(1));  // connected before the push
  const std::string version = PutRules();
  ASSERT_THAT(version, StartsWith("sha256:"));

  std::optional<vigil::v1::ControllerMessage> command = sensor->Next();
  ASSERT_TRUE(command.has_value());
  ASSERT_TRUE(command->has_rule_set()) << command->DebugString();
  EXPECT_NE(command->rule_set().command_id(), 0u);
  EXPECT_EQ(command->rule_set().rule_set().version(), version);
  ASSERT_EQ(command->rule_set().rule_set().files_size(), 1);
  EXPECT_EQ(command->rule_set().rule_set().files(0).name(), kRulesName);
  EXPECT_EQ(command->rule_set().rule_set().files(0).content(), kRulesText);

  const vigil::v1::Rollout rollout = Rollout();
  ASSERT_EQ(rollout.per_sensor_size(), 1);
  EXPECT_EQ(rollout.per_sensor(0).state(), vigil::v1::ROLLOUT_STATE_PENDING);
  EXPECT_EQ(rollout.pending(), 1u);
}

TEST_F(SensorLinkTest, SensorSaysHelloAfterPutRuleSetAndIsSentItUnlessItRunsIt) {
  const std::string version = PutRules();
  {
    std::unique_ptr<SensorStream> sensor = Sensor();
    ASSERT_TRUE(sensor->Hello("sensor-1"));
    std::optional<vigil::v1::ControllerMessage> command = sensor->Next();
    ASSERT_TRUE(command.has_value());
    ASSERT_TRUE(command->has_rule_set()) << command->DebugString();
    EXPECT_EQ(command->rule_set().rule_set().version(), version);
    EXPECT_TRUE(sensor->Close().ok());
  }
  // Running it already: applied without a command.
  std::unique_ptr<SensorStream> sensor = Sensor();
  ASSERT_TRUE(sensor->Hello("sensor-2", "node-b", version));
  ASSERT_TRUE(sensor->Barrier(1));
  const vigil::v1::Rollout rollout = Rollout();
  ASSERT_EQ(rollout.per_sensor_size(), 2);
  EXPECT_EQ(rollout.per_sensor(1).sensor_id(), "sensor-2");
  EXPECT_EQ(rollout.per_sensor(1).state(), vigil::v1::ROLLOUT_STATE_APPLIED);
  EXPECT_EQ(rollout.applied(), 1u);
  EXPECT_TRUE(sensor->Close().ok());
}

TEST_F(SensorLinkTest, CommandResultOkMarksTheRolloutApplied) {
  std::unique_ptr<SensorStream> sensor = Sensor();
  ASSERT_TRUE(sensor->Hello("sensor-1"));
  ASSERT_TRUE(sensor->Barrier(1));
  const std::string version = PutRules();
  std::optional<vigil::v1::ControllerMessage> command = sensor->Next();
  ASSERT_TRUE(command.has_value() && command->has_rule_set());
  ASSERT_TRUE(sensor->SendResult(command->rule_set().command_id(), true, "", version));
  ASSERT_TRUE(sensor->Barrier(2));

  const vigil::v1::Rollout rollout = Rollout();
  EXPECT_EQ(rollout.kind(), "rules");
  EXPECT_EQ(rollout.version(), version);
  ASSERT_EQ(rollout.per_sensor_size(), 1);
  EXPECT_EQ(rollout.per_sensor(0).state(), vigil::v1::ROLLOUT_STATE_APPLIED);
  EXPECT_GT(rollout.per_sensor(0).updated_unix_ns(), 0);
  EXPECT_EQ(rollout.applied(), 1u);
  EXPECT_EQ(rollout.pending(), 0u);
  EXPECT_EQ(rollout.summary(),
            absl::StrCat("version ", version, ": applied on 1 of 1 sensors, failed on 0"));

  vigil::v1::GetSensorRequest get;
  get.set_sensor_id("sensor-1");
  vigil::v1::Sensor state;
  ASSERT_TRUE(fleet_->GetSensor(Context(kReaderToken).get(), get, &state).ok());
  EXPECT_EQ(state.rule_set_version(), version);
}

TEST_F(SensorLinkTest, CommandResultFailureMarksTheRolloutFailedWithItsError) {
  std::unique_ptr<SensorStream> good = Sensor();
  ASSERT_TRUE(good->Hello("sensor-1", "node-a"));
  ASSERT_TRUE(good->Barrier(1));
  std::unique_ptr<SensorStream> bad = Sensor();
  ASSERT_TRUE(bad->Hello("sensor-2", "node-b"));
  ASSERT_TRUE(bad->Barrier(1));
  std::unique_ptr<SensorStream> slow = Sensor();
  ASSERT_TRUE(slow->Hello("sensor-3", "node-c"));
  ASSERT_TRUE(slow->Barrier(1));
  const std::string version = PutRules();

  std::optional<vigil::v1::ControllerMessage> to_good = good->Next();
  std::optional<vigil::v1::ControllerMessage> to_bad = bad->Next();
  ASSERT_TRUE(to_good.has_value() && to_good->has_rule_set());
  ASSERT_TRUE(to_bad.has_value() && to_bad->has_rule_set());
  ASSERT_TRUE(good->SendResult(to_good->rule_set().command_id(), true, "", version));
  const std::string error = "vigil.yaml:3:11: unknown field 'proc.name' for engine version 0";
  ASSERT_TRUE(bad->SendResult(to_bad->rule_set().command_id(), false, error, version));
  ASSERT_TRUE(good->Barrier(2));
  ASSERT_TRUE(bad->Barrier(2));

  const vigil::v1::Rollout rollout = Rollout();
  ASSERT_EQ(rollout.per_sensor_size(), 3);
  EXPECT_EQ(rollout.per_sensor(0).state(), vigil::v1::ROLLOUT_STATE_APPLIED);
  EXPECT_EQ(rollout.per_sensor(1).sensor_id(), "sensor-2");
  EXPECT_EQ(rollout.per_sensor(1).node(), "node-b");
  EXPECT_EQ(rollout.per_sensor(1).state(), vigil::v1::ROLLOUT_STATE_FAILED);
  EXPECT_EQ(rollout.per_sensor(1).error(), error);
  EXPECT_EQ(rollout.per_sensor(2).state(), vigil::v1::ROLLOUT_STATE_PENDING);
  EXPECT_EQ(rollout.sensors(), 3u);
  EXPECT_EQ(rollout.applied(), 1u);
  EXPECT_EQ(rollout.failed(), 1u);
  EXPECT_EQ(rollout.pending(), 1u);
  EXPECT_EQ(rollout.summary(),
            absl::StrCat("version ", version, ": applied on 1 of 3 sensors, failed on 1"));

  // A failed sensor keeps what it ran before.
  vigil::v1::GetSensorRequest get;
  get.set_sensor_id("sensor-2");
  vigil::v1::Sensor state;
  ASSERT_TRUE(fleet_->GetSensor(Context(kReaderToken).get(), get, &state).ok());
  EXPECT_EQ(state.rule_set_version(), "");
}

TEST_F(SensorLinkTest, ResultForAnotherSensorsCommandIsIgnored) {
  std::unique_ptr<SensorStream> one = Sensor();
  ASSERT_TRUE(one->Hello("sensor-1"));
  ASSERT_TRUE(one->Barrier(1));
  std::unique_ptr<SensorStream> two = Sensor();
  ASSERT_TRUE(two->Hello("sensor-2"));
  ASSERT_TRUE(two->Barrier(1));
  const std::string version = PutRules();
  std::optional<vigil::v1::ControllerMessage> to_one = one->Next();
  ASSERT_TRUE(to_one.has_value() && to_one->has_rule_set());
  ASSERT_TRUE(two->SendResult(to_one->rule_set().command_id(), false, "not mine", version));
  ASSERT_TRUE(two->Barrier(2));
  const vigil::v1::Rollout rollout = Rollout();
  EXPECT_EQ(rollout.failed(), 0u);
  EXPECT_EQ(rollout.pending(), 2u);
}

TEST_F(SensorLinkTest, HealthReachesTheSensorsState) {
  std::unique_ptr<SensorStream> sensor = Sensor();
  ASSERT_TRUE(sensor->Hello("sensor-1"));
  vigil::v1::SensorMessage health;
  (*health.mutable_health()->mutable_counters())["events_total"] = 42;
  health.mutable_health()->set_spool_records(7);
  ASSERT_TRUE(sensor->Send(health));
  ASSERT_TRUE(sensor->Barrier(1));
  vigil::v1::GetSensorRequest get;
  get.set_sensor_id("sensor-1");
  vigil::v1::Sensor state;
  ASSERT_TRUE(fleet_->GetSensor(Context(kReaderToken).get(), get, &state).ok());
  EXPECT_EQ(state.health().spool_records(), 7u);
  EXPECT_EQ(state.health().counters().at("events_total"), 42u);
}

}  // namespace
}  // namespace vigil::controller::testing

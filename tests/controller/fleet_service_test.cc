// In-process gRPC tests of FleetService (controller/fleet_service.h): sensors as their
// hellos and streams show them, rule sets validated with file:line:column errors and
// versioned by content, probe-module settings sent to connected sensors, and rollout
// status.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
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

class FleetServiceTest : public ControllerFixture {
 protected:
  grpc::Status PutRules(const std::vector<std::pair<std::string, std::string>>& files,
                        vigil::v1::PutRuleSetResponse* response) {
    vigil::v1::PutRuleSetRequest request;
    for (const auto& [name, content] : files) {
      vigil::v1::RuleFile* file = request.add_files();
      file->set_name(name);
      file->set_content(content);
    }
    return fleet_->PutRuleSet(Context(kAdminToken).get(), request, response);
  }

  grpc::Status GetSensor(const std::string& sensor_id, vigil::v1::Sensor* sensor) {
    vigil::v1::GetSensorRequest request;
    request.set_sensor_id(sensor_id);
    return fleet_->GetSensor(Context(kReaderToken).get(), request, sensor);
  }

  grpc::Status SetModules(const std::vector<std::pair<std::string, bool>>& modules,
                          const std::vector<std::string>& nodes,
                          vigil::v1::SetProbeModulesResponse* response) {
    vigil::v1::SetProbeModulesRequest request;
    for (const auto& [name, enabled] : modules) {
      vigil::v1::ModuleSetting* m = request.add_modules();
      m->set_name(name);
      m->set_enabled(enabled);
    }
    for (const std::string& node : nodes) request.add_nodes(node);
    return fleet_->SetProbeModules(Context(kAdminToken).get(), request, response);
  }
};

TEST_F(FleetServiceTest, SensorsAreListedConnectedAfterHelloAndDisconnectedAfterTheStream) {
  std::unique_ptr<SensorStream> one = Sensor();
  ASSERT_TRUE(one->Hello("sensor-1", "node-a"));
  ASSERT_TRUE(one->Barrier(1));
  std::unique_ptr<SensorStream> two = Sensor();
  ASSERT_TRUE(two->Hello("sensor-2", "node-b"));
  ASSERT_TRUE(two->Barrier(1));

  vigil::v1::ListSensorsResponse list;
  ASSERT_TRUE(fleet_->ListSensors(Context(kReaderToken).get(), {}, &list).ok());
  ASSERT_EQ(list.sensors_size(), 2);
  EXPECT_EQ(list.sensors(0).sensor_id(), "sensor-1");
  EXPECT_EQ(list.sensors(1).sensor_id(), "sensor-2");
  EXPECT_EQ(list.sensors(1).node(), "node-b");
  EXPECT_TRUE(list.sensors(0).connected());
  EXPECT_TRUE(list.sensors(1).connected());

  vigil::v1::Sensor sensor;
  ASSERT_TRUE(GetSensor("sensor-1", &sensor).ok());
  EXPECT_EQ(sensor.node(), "node-a");
  EXPECT_EQ(sensor.version(), "0.9.0");
  EXPECT_EQ(sensor.kernel(), "6.1.0-test");
  EXPECT_TRUE(sensor.connected());
  EXPECT_GT(sensor.last_seen_unix_ns(), 0);
  ASSERT_EQ(sensor.modules_size(), 1);
  EXPECT_EQ(sensor.modules(0).name(), "process");
  EXPECT_EQ(sensor.modules(0).attach_mode(), "tp_btf");

  EXPECT_TRUE(one->Close().ok());
  EXPECT_TRUE(Eventually([&] {
    vigil::v1::Sensor s;
    return GetSensor("sensor-1", &s).ok() && !s.connected();
  }));
  ASSERT_TRUE(GetSensor("sensor-2", &sensor).ok());
  EXPECT_TRUE(sensor.connected());
  list.Clear();
  ASSERT_TRUE(fleet_->ListSensors(Context(kReaderToken).get(), {}, &list).ok());
  ASSERT_EQ(list.sensors_size(), 2);
  EXPECT_FALSE(list.sensors(0).connected());
  EXPECT_TRUE(list.sensors(1).connected());

  // A stream ended by the controller (a protocol error) disconnects too.
  ASSERT_TRUE(two->Hello("sensor-2", "node-b"));
  EXPECT_EQ(two->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(Eventually([&] {
    vigil::v1::Sensor s;
    return GetSensor("sensor-2", &s).ok() && !s.connected();
  }));
}

TEST_F(FleetServiceTest, ReconnectingSensorStaysConnectedWhenTheOldStreamEnds) {
  std::unique_ptr<SensorStream> old_stream = Sensor();
  ASSERT_TRUE(old_stream->Hello("sensor-1"));
  ASSERT_TRUE(old_stream->Barrier(1));
  std::unique_ptr<SensorStream> new_stream = Sensor();
  ASSERT_TRUE(new_stream->Hello("sensor-1"));
  ASSERT_TRUE(new_stream->Barrier(2));
  EXPECT_TRUE(old_stream->Close().ok());
  // The controller finishes the old stream's bookkeeping after the client saw it end.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_TRUE(new_stream->Barrier(3));
  vigil::v1::Sensor sensor;
  ASSERT_TRUE(GetSensor("sensor-1", &sensor).ok());
  EXPECT_TRUE(sensor.connected());
  EXPECT_EQ(server_->fleet().connected(), 1u);
}

TEST_F(FleetServiceTest, GetSensorUnknownIsNotFound) {
  vigil::v1::Sensor sensor;
  const grpc::Status status = GetSensor("nobody", &sensor);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
  vigil::v1::ListSensorsResponse list;
  ASSERT_TRUE(fleet_->ListSensors(Context(kReaderToken).get(), {}, &list).ok());
  EXPECT_EQ(list.sensors_size(), 0);
}

TEST_F(FleetServiceTest, PutRuleSetWithABadFileIsInvalidArgumentWithItsPosition) {
  vigil::v1::PutRuleSetResponse response;
  grpc::Status status = PutRules(
      {{"good.yaml", kRulesText}, {"bad.yaml", "- rule: x\n  condition: c\n  output: o\n"}},
      &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "bad.yaml:1:3: rule 'x' has no priority");

  status = PutRules({{"broken.yaml", "- rule: [unclosed\n"}}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("broken.yaml:2:1: "));

  // A condition the compiler refuses names its position too.
  status = PutRules({{"cond.yaml",
                      "- rule: r\n  condition: no.such.field = 1\n  output: o\n"
                      "  priority: info\n"}},
                    &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("cond.yaml:2:"));

  status = PutRules({}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  status = PutRules({{"", kRulesText}}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  // Nothing was stored or made desired.
  vigil::v1::ListRuleSetsResponse list;
  ASSERT_TRUE(fleet_->ListRuleSets(Context(kReaderToken).get(), {}, &list).ok());
  EXPECT_EQ(list.rule_sets_size(), 0);
  EXPECT_EQ(list.desired_version(), "");
}

// The same files put again are the same version, not created again, and become the
// desired version again.
TEST_F(FleetServiceTest, PutRuleSetTwiceWithTheSameContentKeepsItsVersion) {
  vigil::v1::PutRuleSetResponse first, second, other, again;
  ASSERT_TRUE(PutRules({{kRulesName, kRulesText}}, &first).ok());
  EXPECT_TRUE(first.created());
  grpc::Status status = PutRules({{kRulesName, kRulesText}}, &second);
  ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
  EXPECT_EQ(second.version(), first.version());
  EXPECT_FALSE(second.created());
  EXPECT_EQ(second.rules(), 1u);

  // Putting an older version again makes it the desired one.
  ASSERT_TRUE(PutRules({{"other.yaml", kRulesText}}, &other).ok());
  status = PutRules({{kRulesName, kRulesText}}, &again);
  ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
  EXPECT_EQ(again.version(), first.version());
  EXPECT_FALSE(again.created());
  vigil::v1::ListRuleSetsResponse list;
  ASSERT_TRUE(fleet_->ListRuleSets(Context(kReaderToken).get(), {}, &list).ok());
  EXPECT_EQ(list.desired_version(), first.version());
  EXPECT_EQ(list.rule_sets_size(), 2);
}

TEST_F(FleetServiceTest, PutRuleSetVersionIsTheContentHashOfNamesAndContents) {
  vigil::v1::PutRuleSetResponse first, other;
  ASSERT_TRUE(PutRules({{kRulesName, kRulesText}}, &first).ok());
  EXPECT_THAT(first.version(), StartsWith("sha256:"));
  EXPECT_EQ(first.version().size(), 7u + 64u);
  EXPECT_TRUE(first.created());
  EXPECT_EQ(first.rules(), 1u);
  // The same content under another name is another version.
  ASSERT_TRUE(PutRules({{"other.yaml", kRulesText}}, &other).ok());
  EXPECT_NE(other.version(), first.version());
  EXPECT_TRUE(other.created());
}

TEST_F(FleetServiceTest, GetRuleSetAndListRuleSets) {
  vigil::v1::RuleSet set;
  vigil::v1::GetRuleSetRequest get;
  EXPECT_EQ(fleet_->GetRuleSet(Context(kReaderToken).get(), get, &set).error_code(),
            grpc::StatusCode::NOT_FOUND);  // nothing put yet

  vigil::v1::PutRuleSetResponse first, second;
  ASSERT_TRUE(PutRules({{kRulesName, kRulesText}}, &first).ok());
  const std::string two_rules =
      absl::StrCat(kRulesText,
                   "- rule: Clone seen\n  condition: evt.type = clone\n  output: clone %proc.name\n"
                   "  priority: notice\n");
  ASSERT_TRUE(PutRules({{kRulesName, two_rules}}, &second).ok());
  EXPECT_EQ(second.rules(), 2u);

  // Empty: the desired (latest put) one.
  ASSERT_TRUE(fleet_->GetRuleSet(Context(kReaderToken).get(), get, &set).ok());
  EXPECT_EQ(set.version(), second.version());
  ASSERT_EQ(set.files_size(), 1);
  EXPECT_EQ(set.files(0).content(), two_rules);
  EXPECT_GT(set.created_unix_ns(), 0);

  get.set_version(first.version());
  ASSERT_TRUE(fleet_->GetRuleSet(Context(kReaderToken).get(), get, &set).ok());
  EXPECT_EQ(set.version(), first.version());
  ASSERT_EQ(set.files_size(), 1);
  EXPECT_EQ(set.files(0).name(), kRulesName);
  EXPECT_EQ(set.files(0).content(), kRulesText);

  get.set_version("sha256:0000");
  EXPECT_EQ(fleet_->GetRuleSet(Context(kReaderToken).get(), get, &set).error_code(),
            grpc::StatusCode::NOT_FOUND);

  vigil::v1::ListRuleSetsResponse list;
  ASSERT_TRUE(fleet_->ListRuleSets(Context(kReaderToken).get(), {}, &list).ok());
  ASSERT_EQ(list.rule_sets_size(), 2);
  EXPECT_EQ(list.rule_sets(0).version(), second.version());  // newest first
  EXPECT_EQ(list.rule_sets(1).version(), first.version());
  EXPECT_EQ(list.rule_sets(0).files_size(), 0);
  EXPECT_EQ(list.desired_version(), second.version());
}

TEST_F(FleetServiceTest, SetProbeModulesRefusesUnknownModules) {
  vigil::v1::SetProbeModulesResponse response;
  grpc::Status status = SetModules({{"process", true}, {"network", true}}, {}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("'network'"));
  status = SetModules({}, {}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // Nothing became desired.
  vigil::v1::GetRolloutRequest request;
  request.set_kind("modules");
  vigil::v1::Rollout rollout;
  EXPECT_EQ(fleet_->GetRollout(Context(kReaderToken).get(), request, &rollout).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(FleetServiceTest, SetProbeModulesReachesConnectedSensorsAsAModuleCommand) {
  std::unique_ptr<SensorStream> a = Sensor();
  ASSERT_TRUE(a->Hello("sensor-a", "node-a"));
  ASSERT_TRUE(a->Barrier(1));
  std::unique_ptr<SensorStream> b = Sensor();
  ASSERT_TRUE(b->Hello("sensor-b", "node-b"));
  ASSERT_TRUE(b->Barrier(1));

  vigil::v1::SetProbeModulesResponse response;
  ASSERT_TRUE(SetModules({{"file", false}, {"process", true}}, {}, &response).ok());
  EXPECT_FALSE(response.version().empty());
  ASSERT_EQ(response.per_sensor_size(), 2);
  EXPECT_EQ(response.per_sensor(0).sensor_id(), "sensor-a");
  EXPECT_EQ(response.per_sensor(0).state(), vigil::v1::ROLLOUT_STATE_PENDING);

  std::optional<vigil::v1::ControllerMessage> to_a = a->Next();
  std::optional<vigil::v1::ControllerMessage> to_b = b->Next();
  ASSERT_TRUE(to_a.has_value() && to_a->has_modules());
  ASSERT_TRUE(to_b.has_value() && to_b->has_modules());
  const vigil::v1::ModuleCommand& command = to_a->modules();
  EXPECT_NE(command.command_id(), 0u);
  ASSERT_EQ(command.modules_size(), 2);
  EXPECT_EQ(command.modules(0).name(), "file");
  EXPECT_FALSE(command.modules(0).enabled());
  EXPECT_EQ(command.modules(1).name(), "process");
  EXPECT_TRUE(command.modules(1).enabled());

  // A change for node-b only: sensor-b is sent its new settings.
  ASSERT_TRUE(SetModules({{"file", true}}, {"node-b"}, &response).ok());
  std::optional<vigil::v1::ControllerMessage> again_b = b->Next();
  ASSERT_TRUE(again_b.has_value() && again_b->has_modules());
  ASSERT_EQ(again_b->modules().modules_size(), 2);
  EXPECT_EQ(again_b->modules().modules(0).name(), "file");
  EXPECT_TRUE(again_b->modules().modules(0).enabled());

  // Answers move the modules rollout.
  const std::string plan = response.version();
  ASSERT_TRUE(
      b->SendResult(again_b->modules().command_id(), true, "", again_b->modules().version()));
  ASSERT_TRUE(b->Barrier(2));
  vigil::v1::GetRolloutRequest request;
  request.set_kind("modules");
  vigil::v1::Rollout rollout;
  ASSERT_TRUE(fleet_->GetRollout(Context(kReaderToken).get(), request, &rollout).ok());
  EXPECT_EQ(rollout.kind(), "modules");
  EXPECT_EQ(rollout.version(), plan);
  EXPECT_EQ(rollout.applied(), 1u);
  EXPECT_EQ(rollout.sensors(), 2u);
  EXPECT_EQ(rollout.summary(),
            absl::StrCat("version ", plan, ": applied on 1 of 2 sensors, failed on 0"));
  vigil::v1::Sensor sensor;
  ASSERT_TRUE(GetSensor("sensor-b", &sensor).ok());
  EXPECT_EQ(sensor.modules_version(), again_b->modules().version());
}

TEST_F(FleetServiceTest, GetRolloutRefusesAnUnknownKind) {
  vigil::v1::PutRuleSetResponse put;
  ASSERT_TRUE(PutRules({{kRulesName, kRulesText}}, &put).ok());
  vigil::v1::GetRolloutRequest request;
  request.set_kind("bogus");
  vigil::v1::Rollout rollout;
  const grpc::Status status = fleet_->GetRollout(Context(kReaderToken).get(), request, &rollout);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("bogus"));

  // The default kind is rules; an explicit version is honoured.
  request.set_kind("");
  ASSERT_TRUE(fleet_->GetRollout(Context(kReaderToken).get(), request, &rollout).ok());
  EXPECT_EQ(rollout.kind(), "rules");
  EXPECT_EQ(rollout.version(), put.version());
  EXPECT_EQ(rollout.summary(),
            absl::StrCat("version ", put.version(), ": applied on 0 of 0 sensors, failed on 0"));
  request.set_version("sha256:older");
  ASSERT_TRUE(fleet_->GetRollout(Context(kReaderToken).get(), request, &rollout).ok());
  EXPECT_EQ(rollout.version(), "sha256:older");
}

TEST_F(FleetServiceTest, GetRolloutBeforeAnythingIsDesiredIsNotFound) {
  vigil::v1::Rollout rollout;
  for (const char* kind : {"", "rules", "modules"}) {
    vigil::v1::GetRolloutRequest request;
    request.set_kind(kind);
    const grpc::Status status = fleet_->GetRollout(Context(kReaderToken).get(), request, &rollout);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << "'" << kind << "'";
  }
}

}  // namespace
}  // namespace vigil::controller::testing

// In-process gRPC tests of FleetService (controller/fleet_service.h): sensors as their
// hellos and streams show them, rule sets validated with file:line:column errors and
// versioned by content, probe-module settings sent to connected sensors, probe-module
// bundles stored by hash and sent with the settings that name them, and rollout status.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bundle/bundle.h"
#include "bundle/event_schema.h"
#include "bundle/signing.h"
#include "controller/fleet.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controller/controller_fixture.h"
#include "vigil/v1/bundle.pb.h"

namespace vigil::controller::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// A manifest ValidateManifest accepts: module `name` at `version`, one hook, one record.
vigil::v1::BundleManifest TestManifest(const std::string& name, const std::string& version) {
  vigil::v1::BundleManifest manifest;
  manifest.set_name(name);
  manifest.set_version(version);
  manifest.set_description("a test module");
  vigil::v1::BundleHook* hook = manifest.add_hooks();
  hook->set_slot("exec");
  hook->add_modes("tp_btf");
  vigil::v1::BundleRecord* record = manifest.add_records();
  record->set_name("hit");
  record->set_id(1);
  record->set_c_type("test_hit");
  record->set_size(8);
  vigil::v1::BundleField* count = record->add_fields();
  count->set_name("count");
  count->set_kind(vigil::v1::BUNDLE_FIELD_KIND_U32);
  count->set_offset(0);
  count->set_size(4);
  vigil::v1::BundleField* code = record->add_fields();
  code->set_name("code");
  code->set_kind(vigil::v1::BUNDLE_FIELD_KIND_S32);
  code->set_offset(4);
  code->set_size(4);
  manifest.add_kernel_features("btf");
  manifest.add_kernel_features("ringbuf");
  return manifest;
}

// A serialized bundle of `manifest` and a made-up object (ParseBundle checks only its ELF
// magic), signed with a new key unless `sign` is false.
std::string TestBundle(const vigil::v1::BundleManifest& manifest, bool sign = true) {
  vigil::v1::ProbeBundle probe;
  probe.set_manifest(manifest.SerializeAsString());
  probe.set_object(std::string("\177ELF\2\1\1") + std::string(57, '\0'));
  if (sign) {
    absl::StatusOr<bundle::KeyPairPem> keys = bundle::GenerateKeyPair();
    EXPECT_TRUE(keys.ok()) << keys.status();
    if (!keys.ok()) return "";
    absl::StatusOr<EvpPkeyPtr> key = bundle::PrivateKeyFromPem(keys->private_pem, "test key");
    EXPECT_TRUE(key.ok()) << key.status();
    if (!key.ok()) return "";
    absl::StatusOr<vigil::v1::BundleSignature> signature =
        bundle::Sign(probe.manifest(), probe.object(), key->get());
    EXPECT_TRUE(signature.ok()) << signature.status();
    if (!signature.ok()) return "";
    *probe.mutable_signature() = *signature;
  }
  return probe.SerializeAsString();
}

class FleetServiceTest : public ControllerFixture {
 protected:
  void TearDown() override {
    ControllerFixture::TearDown();
    // The controller made its bundles' fields known process-wide: leave none to later tests.
    ASSERT_TRUE(bundle::PublishManifestFields({}).ok());
  }

  grpc::Status PutBundle(const std::string& bytes, vigil::v1::PutProbeBundleResponse* response,
                         const std::string& token = kAdminToken) {
    vigil::v1::PutProbeBundleRequest request;
    request.set_bundle(bytes);
    return fleet_->PutProbeBundle(Context(token).get(), request, response);
  }

  // Stores a signed bundle of module `name` at `version` and returns its hash.
  std::string StoreBundle(const std::string& name, const std::string& version,
                          std::string* bytes = nullptr) {
    const std::string bundle = TestBundle(TestManifest(name, version));
    if (bytes != nullptr) *bytes = bundle;
    vigil::v1::PutProbeBundleResponse response;
    const grpc::Status status = PutBundle(bundle, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.hash();
  }

  // SetProbeModules with one setting naming `bundle` (empty: none).
  grpc::Status SetBundleModule(const std::string& name, bool enabled, const std::string& bundle,
                               const std::vector<std::string>& nodes,
                               vigil::v1::SetProbeModulesResponse* response) {
    vigil::v1::SetProbeModulesRequest request;
    vigil::v1::ModuleSetting* m = request.add_modules();
    m->set_name(name);
    m->set_enabled(enabled);
    m->set_bundle(bundle);
    for (const std::string& node : nodes) request.add_nodes(node);
    return fleet_->SetProbeModules(Context(kAdminToken).get(), request, response);
  }

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

TEST_F(FleetServiceTest, PutProbeBundleStoresByHashOnce) {
  const std::string bytes = TestBundle(TestManifest("demo", "1.0"));
  vigil::v1::PutProbeBundleResponse first, again;
  grpc::Status status = PutBundle(bytes, &first);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(first.hash(), bundle::BundleHash(bytes));
  EXPECT_THAT(first.hash(), StartsWith("sha256:"));
  EXPECT_EQ(first.name(), "demo");
  EXPECT_EQ(first.version(), "1.0");
  EXPECT_TRUE(first.created());

  status = PutBundle(bytes, &again);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(again.hash(), first.hash());
  EXPECT_FALSE(again.created());

  vigil::v1::ListProbeBundlesResponse list;
  ASSERT_TRUE(fleet_->ListProbeBundles(Context(kReaderToken).get(), {}, &list).ok());
  ASSERT_EQ(list.bundles_size(), 1);
  EXPECT_EQ(list.bundles(0).hash(), first.hash());
  EXPECT_EQ(list.bundles(0).size(), bytes.size());
  EXPECT_GT(list.bundles(0).created_unix_ns(), 0);
  EXPECT_EQ(list.bundles(0).key_id().size(), 16u);
}

TEST_F(FleetServiceTest, ListProbeBundlesIsNewestFirstWithManifests) {
  vigil::v1::ListProbeBundlesResponse list;
  ASSERT_TRUE(fleet_->ListProbeBundles(Context(kReaderToken).get(), {}, &list).ok());
  EXPECT_EQ(list.bundles_size(), 0);

  const std::string one = StoreBundle("demo", "1.0");
  const std::string two = StoreBundle("demo", "2.0");
  const std::string other = TestBundle(TestManifest("other", "0.1"), /*sign=*/false);
  vigil::v1::PutProbeBundleResponse put;
  ASSERT_TRUE(PutBundle(other, &put).ok());  // unsigned: stored, refused by sensors
  ASSERT_TRUE(fleet_->ListProbeBundles(Context(kReaderToken).get(), {}, &list).ok());
  ASSERT_EQ(list.bundles_size(), 3);
  EXPECT_EQ(list.bundles(0).hash(), put.hash());
  EXPECT_EQ(list.bundles(0).key_id(), "");
  EXPECT_EQ(list.bundles(1).hash(), two);
  EXPECT_EQ(list.bundles(2).hash(), one);
  EXPECT_EQ(list.bundles(1).manifest().name(), "demo");
  EXPECT_EQ(list.bundles(1).manifest().version(), "2.0");
  ASSERT_EQ(list.bundles(1).manifest().records_size(), 1);
  EXPECT_EQ(list.bundles(1).manifest().records(0).fields(1).name(), "code");
}

TEST_F(FleetServiceTest, PutProbeBundleRefusesMalformedBundlesWithTheReason) {
  vigil::v1::ProbeBundle not_elf;
  not_elf.set_manifest(TestManifest("demo", "1.0").SerializeAsString());
  not_elf.set_object("#!/bin/sh\n");
  vigil::v1::BundleManifest bad_manifest = TestManifest("demo", "1.0");
  bad_manifest.set_name("Not A Name");
  for (const std::string& bytes :
       {std::string("\xff\xff not a bundle"), not_elf.SerializeAsString(), TestBundle(bad_manifest),
        std::string()}) {
    vigil::v1::PutProbeBundleResponse response;
    const grpc::Status status = PutBundle(bytes, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    const absl::Status parsed = bundle::ParseBundle(bytes).status();
    EXPECT_FALSE(parsed.ok());
    EXPECT_EQ(status.error_message(), parsed.message());
    EXPECT_FALSE(status.error_message().empty());
  }
  vigil::v1::ListProbeBundlesResponse list;
  ASSERT_TRUE(fleet_->ListProbeBundles(Context(kReaderToken).get(), {}, &list).ok());
  EXPECT_EQ(list.bundles_size(), 0);
}

TEST_F(FleetServiceTest, PutProbeBundleNeedsTheAdminRole) {
  vigil::v1::PutProbeBundleResponse response;
  const grpc::Status status =
      PutBundle(TestBundle(TestManifest("demo", "1.0")), &response, kReaderToken);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("FleetService.PutProbeBundle"));
  vigil::v1::ListProbeBundlesResponse list;
  ASSERT_TRUE(fleet_->ListProbeBundles(Context(kReaderToken).get(), {}, &list).ok());
  EXPECT_EQ(list.bundles_size(), 0);
}

// Storing a bundle makes its module's fields known to rule validation.
TEST_F(FleetServiceTest, RulesMayNameTheFieldsOfAStoredBundle) {
  const std::string rules =
      "- rule: Demo hit\n  condition: demo.count > 3\n"
      "  output: hit %demo.code\n  priority: notice\n";
  vigil::v1::PutRuleSetResponse response;
  grpc::Status status = PutRules({{"demo.yaml", rules}}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  StoreBundle("demo", "1.0");
  status = PutRules({{"demo.yaml", rules}}, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.rules(), 1u);
}

TEST_F(FleetServiceTest, SetProbeModulesRefusesBundlesThatAreNotStoredOrOfAnotherModule) {
  const std::string demo = StoreBundle("demo", "1.0");
  vigil::v1::SetProbeModulesResponse response;
  const std::string unknown = absl::StrCat("sha256:", std::string(64, 'a'));
  grpc::Status status = SetBundleModule("demo", true, unknown, {}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), absl::StrCat("no stored bundle ", unknown));

  status = SetBundleModule("other", true, demo, {}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            absl::StrCat("bundle ", demo, " is module 'demo', not 'other'"));

  status = SetBundleModule("process", true, demo, {}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "module 'process' is built in: it takes no bundle");

  // A bundle module is enabled by its bundle; only unknown names cannot be disabled.
  status = SetBundleModule("demo", true, "", {}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("bundle module"));
  status = SetBundleModule("nosuch", false, "", {}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("unknown probe module 'nosuch'"));

  // Nothing became desired.
  vigil::v1::GetRolloutRequest request;
  request.set_kind("modules");
  vigil::v1::Rollout rollout;
  EXPECT_EQ(fleet_->GetRollout(Context(kReaderToken).get(), request, &rollout).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(FleetServiceTest, ModuleCommandCarriesTheBundlesOfItsNodesSettings) {
  std::unique_ptr<SensorStream> a = Sensor();
  ASSERT_TRUE(a->Hello("sensor-a", "node-a"));
  ASSERT_TRUE(a->Barrier(1));
  std::unique_ptr<SensorStream> b = Sensor();
  ASSERT_TRUE(b->Hello("sensor-b", "node-b"));
  ASSERT_TRUE(b->Barrier(1));

  std::string v1_bytes;
  const std::string v1 = StoreBundle("demo", "1.0", &v1_bytes);
  vigil::v1::SetProbeModulesResponse first;
  grpc::Status status = SetBundleModule("demo", true, v1, {"node-a"}, &first);
  ASSERT_TRUE(status.ok()) << status.error_message();

  std::optional<vigil::v1::ControllerMessage> to_a = a->Next();
  ASSERT_TRUE(to_a.has_value() && to_a->has_modules());
  const vigil::v1::ModuleCommand& command = to_a->modules();
  ASSERT_EQ(command.modules_size(), 1);
  EXPECT_EQ(command.modules(0).name(), "demo");
  EXPECT_TRUE(command.modules(0).enabled());
  EXPECT_EQ(command.modules(0).bundle(), v1);
  ASSERT_EQ(command.bundles_size(), 1);
  vigil::v1::ProbeBundle sent;
  ASSERT_TRUE(sent.ParseFromString(v1_bytes));
  EXPECT_EQ(command.bundles(0).manifest(), sent.manifest());
  EXPECT_EQ(command.bundles(0).object(), sent.object());
  EXPECT_EQ(command.bundles(0).signature().value(), sent.signature().value());
  EXPECT_EQ(command.bundles(0).signature().key_id(), sent.signature().key_id());
  // node-b's settings name no bundle.
  std::optional<vigil::v1::ControllerMessage> to_b = b->Next();
  ASSERT_TRUE(to_b.has_value() && to_b->has_modules());
  EXPECT_EQ(to_b->modules().modules_size(), 0);
  EXPECT_EQ(to_b->modules().bundles_size(), 0);

  // A new version of the bundle is a new plan and command version.
  const std::string v2 = StoreBundle("demo", "2.0");
  vigil::v1::SetProbeModulesResponse second;
  ASSERT_TRUE(SetBundleModule("demo", true, v2, {"node-a"}, &second).ok());
  EXPECT_NE(second.version(), first.version());
  std::optional<vigil::v1::ControllerMessage> again = a->Next();
  ASSERT_TRUE(again.has_value() && again->has_modules());
  EXPECT_NE(again->modules().version(), command.version());
  ASSERT_EQ(again->modules().bundles_size(), 1);
  EXPECT_EQ(again->modules().modules(0).bundle(), v2);
  vigil::v1::BundleManifest manifest;
  ASSERT_TRUE(manifest.ParseFromString(again->modules().bundles(0).manifest()));
  EXPECT_EQ(manifest.version(), "2.0");

  // Disabling the bundle module removes it: its name, no bundle.
  vigil::v1::SetProbeModulesResponse removed;
  ASSERT_TRUE(SetBundleModule("demo", false, "", {"node-a"}, &removed).ok());
  std::optional<vigil::v1::ControllerMessage> last = a->Next();
  ASSERT_TRUE(last.has_value() && last->has_modules());
  ASSERT_EQ(last->modules().modules_size(), 1);
  EXPECT_EQ(last->modules().modules(0).name(), "demo");
  EXPECT_FALSE(last->modules().modules(0).enabled());
  EXPECT_EQ(last->modules().modules(0).bundle(), "");
  EXPECT_EQ(last->modules().bundles_size(), 0);
}

TEST_F(FleetServiceTest, BundleRolloutGoesOutInWavesOfBoundedSize) {
  constexpr size_t kLimit = Fleet::kMaxBundleCommandsInFlight;
  const size_t count = kLimit + 2;
  std::vector<std::unique_ptr<SensorStream>> sensors;
  for (size_t i = 0; i < count; ++i) {
    sensors.push_back(Sensor());
    ASSERT_TRUE(sensors[i]->Hello(absl::StrCat("sensor-", i), absl::StrCat("node-", i)));
    ASSERT_TRUE(sensors[i]->Barrier(1));
  }
  const std::string v1 = StoreBundle("demo", "1.0");
  vigil::v1::SetProbeModulesResponse response;
  ASSERT_TRUE(SetBundleModule("demo", true, v1, {}, &response).ok());

  // Commands already sent arrive before the barrier's ack.
  std::vector<vigil::v1::ModuleCommand> commands(count);
  std::vector<size_t> waiting;
  size_t sent = 0;
  for (size_t i = 0; i < count; ++i) {
    ASSERT_TRUE(sensors[i]->Barrier(2));
    if (!sensors[i]->HasKept()) {
      waiting.push_back(i);
      continue;
    }
    std::optional<vigil::v1::ControllerMessage> m = sensors[i]->Next();
    ASSERT_TRUE(m.has_value() && m->has_modules());
    EXPECT_EQ(m->modules().bundles_size(), 1);
    commands[i] = m->modules();
    ++sent;
  }
  EXPECT_EQ(sent, kLimit);
  ASSERT_EQ(waiting.size(), 2u);

  // An answer frees a slot for the first waiting sensor ...
  size_t answered = 0;
  while (commands[answered].command_id() == 0) ++answered;
  ASSERT_TRUE(sensors[answered]->SendResult(commands[answered].command_id(), true, "",
                                            commands[answered].version()));
  std::optional<vigil::v1::ControllerMessage> next = sensors[waiting[0]]->Next();
  ASSERT_TRUE(next.has_value() && next->has_modules());
  EXPECT_EQ(next->modules().bundles_size(), 1);
  // ... and a sensor that goes away with its command unanswered frees its own.
  size_t leaving = answered + 1;
  while (commands[leaving].command_id() == 0) ++leaving;
  sensors[leaving].reset();
  std::optional<vigil::v1::ControllerMessage> last = sensors[waiting[1]]->Next();
  ASSERT_TRUE(last.has_value() && last->has_modules());
  EXPECT_EQ(last->modules().bundles_size(), 1);
}

TEST_F(FleetServiceTest, SensorThatConnectsLaterIsSentTheBundle) {
  const std::string hash = StoreBundle("demo", "1.0");
  vigil::v1::SetProbeModulesResponse response;
  ASSERT_TRUE(SetBundleModule("demo", true, hash, {}, &response).ok());
  std::unique_ptr<SensorStream> a = Sensor();
  ASSERT_TRUE(a->Hello("sensor-a", "node-z"));
  std::optional<vigil::v1::ControllerMessage> to_a = a->Next();
  ASSERT_TRUE(to_a.has_value() && to_a->has_modules());
  ASSERT_EQ(to_a->modules().bundles_size(), 1);
  EXPECT_EQ(to_a->modules().modules(0).bundle(), hash);
}

TEST_F(FleetServiceTest, ModulesRolloutKeepsEachSensorsError) {
  std::unique_ptr<SensorStream> a = Sensor();
  ASSERT_TRUE(a->Hello("sensor-a", "node-a"));
  ASSERT_TRUE(a->Barrier(1));
  const std::string hash = StoreBundle("demo", "1.0");
  vigil::v1::SetProbeModulesResponse response;
  ASSERT_TRUE(SetBundleModule("demo", true, hash, {}, &response).ok());
  std::optional<vigil::v1::ControllerMessage> to_a = a->Next();
  ASSERT_TRUE(to_a.has_value() && to_a->has_modules());
  const std::string error = "demo: the verifier refused exec: R1 invalid mem access";
  ASSERT_TRUE(a->SendResult(to_a->modules().command_id(), false, error, ""));
  ASSERT_TRUE(a->Barrier(2));

  vigil::v1::GetRolloutRequest request;
  request.set_kind("modules");
  vigil::v1::Rollout rollout;
  ASSERT_TRUE(fleet_->GetRollout(Context(kReaderToken).get(), request, &rollout).ok());
  EXPECT_EQ(rollout.version(), response.version());
  EXPECT_EQ(rollout.failed(), 1u);
  ASSERT_EQ(rollout.per_sensor_size(), 1);
  EXPECT_EQ(rollout.per_sensor(0).state(), vigil::v1::ROLLOUT_STATE_FAILED);
  EXPECT_EQ(rollout.per_sensor(0).error(), error);
  EXPECT_EQ(rollout.summary(), absl::StrCat("version ", response.version(),
                                            ": applied on 0 of 1 sensors, failed on 1"));
}

}  // namespace
}  // namespace vigil::controller::testing

// Unit tests for SqliteStore's FleetStore half (controller/store/sqlite_fleet.cc): sensors,
// rule sets, probe-module bundles, the desired rule set and module settings, and rollout
// status.
#include <memory>
#include <string>
#include <vector>

#include "controller/store/sqlite_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controller/store/sqlite_store_test_util.h"

namespace vigil::controller::sqlite_store_test {
namespace {

using ::testing::ElementsAre;

TEST(SqliteStoreTest, SensorsRoundTrip) {
  auto store = OpenOrDie(":memory:");
  ASSERT_NE(store, nullptr);
  SensorRecord a;
  a.sensor_id = "sensor-a";
  a.node = "node-a";
  a.version = "0.1.0";
  a.kernel = "6.18.0";
  a.attach_modes = "process=tp_btf,file=raw_tp";
  a.last_seen_ns = 100;
  a.connected = true;
  a.health = "spool_bytes=0";
  SensorRecord b = a;
  b.sensor_id = "sensor-b";
  b.node = "node-b";
  b.last_seen_ns = 200;
  ASSERT_OK(store->UpsertSensor(b));
  ASSERT_OK(store->UpsertSensor(a));
  ASSERT_OK_AND_ASSIGN(SensorRecord got, store->GetSensor("sensor-a"));
  EXPECT_EQ(got.node, "node-a");
  EXPECT_EQ(got.version, "0.1.0");
  EXPECT_EQ(got.kernel, "6.18.0");
  EXPECT_EQ(got.attach_modes, "process=tp_btf,file=raw_tp");
  EXPECT_EQ(got.last_seen_ns, 100);
  EXPECT_TRUE(got.connected);
  EXPECT_EQ(got.health, "spool_bytes=0");

  a.version = "0.2.0";
  a.last_seen_ns = 300;
  a.connected = false;
  ASSERT_OK(store->UpsertSensor(a));
  ASSERT_OK_AND_ASSIGN(got, store->GetSensor("sensor-a"));
  EXPECT_EQ(got.version, "0.2.0");
  EXPECT_EQ(got.last_seen_ns, 300);
  EXPECT_FALSE(got.connected);

  ASSERT_OK_AND_ASSIGN(auto all, store->ListSensors());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].sensor_id, "sensor-a");
  EXPECT_EQ(all[1].sensor_id, "sensor-b");
  EXPECT_TRUE(all[1].connected);

  ASSERT_OK(store->MarkAllDisconnected());
  ASSERT_OK_AND_ASSIGN(got, store->GetSensor("sensor-b"));
  EXPECT_FALSE(got.connected);
  EXPECT_EQ(got.last_seen_ns, 200);

  EXPECT_EQ(store->GetSensor("nobody").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store->UpsertSensor(SensorRecord{}).code(), absl::StatusCode::kInvalidArgument);
}

TEST(SqliteStoreTest, RuleSetsRoundTrip) {
  auto store = OpenOrDie(":memory:");
  ASSERT_NE(store, nullptr);
  ASSERT_OK_AND_ASSIGN(std::string desired, store->GetDesiredRuleSet());
  EXPECT_EQ(desired, "");

  const std::string content("rules\0bytes", 11);
  ASSERT_OK_AND_ASSIGN(bool created, store->PutRuleSet({"sha256:01", 100, content}));
  EXPECT_TRUE(created);
  ASSERT_OK_AND_ASSIGN(created, store->PutRuleSet({"sha256:01", 999, content}));
  EXPECT_FALSE(created);  // stored before; created_ns unchanged
  EXPECT_EQ(store->PutRuleSet({"sha256:01", 100, "other"}).status().code(),
            absl::StatusCode::kAlreadyExists);
  ASSERT_OK(store->PutRuleSet({"sha256:03", 300, "three"}).status());
  ASSERT_OK(store->PutRuleSet({"sha256:02", 200, "two"}).status());
  ASSERT_OK(store->PutRuleSet({"sha256:04", 300, ""}).status());  // same time, stored later

  ASSERT_OK_AND_ASSIGN(RuleSetRecord got, store->GetRuleSet("sha256:01"));
  EXPECT_EQ(got.version, "sha256:01");
  EXPECT_EQ(got.created_ns, 100);
  EXPECT_EQ(got.content, content);
  EXPECT_EQ(store->GetRuleSet("sha256:ff").status().code(), absl::StatusCode::kNotFound);

  ASSERT_OK_AND_ASSIGN(auto versions, store->ListRuleSets());
  std::vector<std::string> names;
  for (const RuleSetVersion& v : versions) names.push_back(v.version);
  EXPECT_THAT(names, ElementsAre("sha256:04", "sha256:03", "sha256:02", "sha256:01"));
  EXPECT_EQ(versions[3].size_bytes, content.size());
  EXPECT_EQ(versions[0].size_bytes, 0u);

  EXPECT_EQ(store->SetDesiredRuleSet("sha256:ff").code(), absl::StatusCode::kNotFound);
  ASSERT_OK(store->SetDesiredRuleSet("sha256:02"));
  ASSERT_OK_AND_ASSIGN(desired, store->GetDesiredRuleSet());
  EXPECT_EQ(desired, "sha256:02");
  ASSERT_OK(store->SetDesiredRuleSet("sha256:03"));
  ASSERT_OK_AND_ASSIGN(desired, store->GetDesiredRuleSet());
  EXPECT_EQ(desired, "sha256:03");

  EXPECT_EQ(store->PutRuleSet({"", 1, "x"}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store->PutRuleSet({"big", 1, std::string(FleetStore::kMaxRuleSetBytes + 1, 'x')})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SqliteStoreTest, BundlesRoundTrip) {
  auto store = OpenOrDie(":memory:");
  ASSERT_NE(store, nullptr);
  ASSERT_OK_AND_ASSIGN(auto none, store->ListBundles());
  EXPECT_TRUE(none.empty());

  const std::string bytes("bundle\0bytes", 12);
  const BundleRecord one{"sha256:01", "demo", "1.0", "0123456789abcdef", "manifest-1", bytes, 100};
  ASSERT_OK_AND_ASSIGN(bool created, store->PutBundle(one));
  EXPECT_TRUE(created);
  BundleRecord later = one;
  later.created_ns = 999;
  ASSERT_OK_AND_ASSIGN(created, store->PutBundle(later));
  EXPECT_FALSE(created);  // stored before; created_ns unchanged
  BundleRecord other = one;
  other.bytes = "other";
  EXPECT_EQ(store->PutBundle(other).status().code(), absl::StatusCode::kAlreadyExists);
  ASSERT_OK(
      store->PutBundle({"sha256:03", "demo", "3.0", "", "manifest-3", "three", 300}).status());
  ASSERT_OK(store->PutBundle({"sha256:02", "net2", "0.1", "k", "manifest-2", "two", 300})
                .status());  // same time, stored later

  ASSERT_OK_AND_ASSIGN(BundleRecord got, store->GetBundle("sha256:01"));
  EXPECT_EQ(got.hash, "sha256:01");
  EXPECT_EQ(got.name, "demo");
  EXPECT_EQ(got.version, "1.0");
  EXPECT_EQ(got.key_id, "0123456789abcdef");
  EXPECT_EQ(got.manifest, "manifest-1");
  EXPECT_EQ(got.bytes, bytes);
  EXPECT_EQ(got.created_ns, 100);
  EXPECT_EQ(store->GetBundle("sha256:ff").status().code(), absl::StatusCode::kNotFound);

  ASSERT_OK_AND_ASSIGN(auto listed, store->ListBundles());
  std::vector<std::string> hashes;
  for (const BundleInfo& b : listed) hashes.push_back(b.hash);
  EXPECT_THAT(hashes, ElementsAre("sha256:02", "sha256:03", "sha256:01"));
  EXPECT_EQ(listed[2].size_bytes, bytes.size());
  EXPECT_EQ(listed[2].manifest, "manifest-1");
  EXPECT_EQ(listed[2].key_id, "0123456789abcdef");
  EXPECT_EQ(listed[1].key_id, "");
  EXPECT_EQ(listed[0].name, "net2");
  EXPECT_EQ(listed[0].version, "0.1");
  EXPECT_EQ(listed[0].created_ns, 300);

  EXPECT_EQ(store->PutBundle({"", "demo", "1", "", "m", "x", 1}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store->PutBundle({"sha256:04", "", "1", "", "m", "x", 1}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store
                ->PutBundle({"sha256:05", "demo", "1", "", "m",
                             std::string(FleetStore::kMaxBundleBytes + 1, 'x'), 1})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SqliteStoreTest, DesiredModulesRoundTrip) {
  auto store = OpenOrDie(":memory:");
  ASSERT_NE(store, nullptr);
  ASSERT_OK_AND_ASSIGN(ModuleSettingsRecord modules, store->GetDesiredModules());
  EXPECT_EQ(modules.version, "");
  EXPECT_EQ(modules.settings, "");
  ASSERT_OK(store->SetDesiredModules({"m1", std::string("file\0off", 8), 5}));
  ASSERT_OK(store->SetDesiredModules({"m2", "file=on", 6}));
  ASSERT_OK_AND_ASSIGN(modules, store->GetDesiredModules());
  EXPECT_EQ(modules.version, "m2");
  EXPECT_EQ(modules.settings, "file=on");
  EXPECT_EQ(modules.updated_ns, 6);
  EXPECT_EQ(store->SetDesiredModules({"", "x", 1}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      store->SetDesiredModules({"m3", std::string(FleetStore::kMaxModuleSettingsBytes + 1, 'x'), 1})
          .code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(SqliteStoreTest, RolloutStatusRoundTrip) {
  auto store = OpenOrDie(":memory:");
  ASSERT_NE(store, nullptr);
  for (const char* id : {"s1", "s2", "s3"}) {
    SensorRecord sensor;
    sensor.sensor_id = id;
    ASSERT_OK(store->UpsertSensor(sensor));
  }
  ASSERT_OK(store->SetRollout({"s2", RolloutKind::kRules, "v1", RolloutState::kPending, "", 1}));
  ASSERT_OK(store->SetRollout({"s1", RolloutKind::kRules, "v1", RolloutState::kApplied, "", 2}));
  ASSERT_OK(store->SetRollout(
      {"s3", RolloutKind::kRules, "v1", RolloutState::kFailed, "rules.yaml:3:5: bad", 3}));
  ASSERT_OK(store->SetRollout({"s1", RolloutKind::kModules, "v1", RolloutState::kPending, "", 4}));

  ASSERT_OK_AND_ASSIGN(auto rules_v1, store->ListRollout(RolloutKind::kRules, "v1"));
  ASSERT_EQ(rules_v1.size(), 3u);
  EXPECT_EQ(rules_v1[0].sensor_id, "s1");
  EXPECT_EQ(rules_v1[0].state, RolloutState::kApplied);
  EXPECT_EQ(rules_v1[1].state, RolloutState::kPending);
  EXPECT_EQ(rules_v1[2].state, RolloutState::kFailed);
  EXPECT_EQ(rules_v1[2].error, "rules.yaml:3:5: bad");
  EXPECT_EQ(rules_v1[2].updated_ns, 3);
  ASSERT_OK_AND_ASSIGN(auto modules_v1, store->ListRollout(RolloutKind::kModules, "v1"));
  ASSERT_EQ(modules_v1.size(), 1u);
  EXPECT_EQ(modules_v1[0].kind, RolloutKind::kModules);

  // A new version replaces the sensor's status for that kind.
  ASSERT_OK(store->SetRollout({"s2", RolloutKind::kRules, "v2", RolloutState::kApplied, "", 5}));
  ASSERT_OK_AND_ASSIGN(rules_v1, store->ListRollout(RolloutKind::kRules, "v1"));
  EXPECT_EQ(rules_v1.size(), 2u);
  ASSERT_OK_AND_ASSIGN(auto rules_v2, store->ListRollout(RolloutKind::kRules, "v2"));
  ASSERT_EQ(rules_v2.size(), 1u);
  EXPECT_EQ(rules_v2[0].sensor_id, "s2");

  ASSERT_OK_AND_ASSIGN(auto s1, store->GetRollout("s1"));
  ASSERT_EQ(s1.size(), 2u);
  EXPECT_EQ(s1[0].kind, RolloutKind::kRules);
  EXPECT_EQ(s1[1].kind, RolloutKind::kModules);
  EXPECT_EQ(s1[1].state, RolloutState::kPending);

  // Re-registering a sensor keeps its rollout status.
  SensorRecord again;
  again.sensor_id = "s1";
  again.connected = true;
  ASSERT_OK(store->UpsertSensor(again));
  ASSERT_OK_AND_ASSIGN(s1, store->GetRollout("s1"));
  EXPECT_EQ(s1.size(), 2u);

  ASSERT_OK_AND_ASSIGN(auto nobody, store->GetRollout("nobody"));
  EXPECT_TRUE(nobody.empty());
  EXPECT_EQ(store->SetRollout({"nobody", RolloutKind::kRules, "v1", RolloutState::kPending, "", 1})
                .code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(
      store->SetRollout({"s1", RolloutKind::kRules, "", RolloutState::kPending, "", 1}).code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      store->SetRollout({"", RolloutKind::kRules, "v1", RolloutState::kPending, "", 1}).code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(SqliteStoreTest, RolloutNamesAreTheStoredSpelling) {
  EXPECT_EQ(RolloutKindName(RolloutKind::kRules), "rules");
  EXPECT_EQ(RolloutKindName(RolloutKind::kModules), "modules");
  EXPECT_EQ(RolloutStateName(RolloutState::kPending), "pending");
  EXPECT_EQ(RolloutStateName(RolloutState::kApplied), "applied");
  EXPECT_EQ(RolloutStateName(RolloutState::kFailed), "failed");
}

}  // namespace
}  // namespace vigil::controller::sqlite_store_test

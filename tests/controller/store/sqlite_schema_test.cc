// Unit tests for opening SqliteStore database files (controller/store/sqlite_store.cc and
// sqlite_schema.cc): what survives reopening, the migration of an old schema, the refusal
// of a newer one, and the errors opening reports.
#include <sqlite3.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "controller/store/sqlite_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controller/store/sqlite_store_test_util.h"
#include "tests/support/test_dir.h"

namespace vigil::controller::sqlite_store_test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Runs SQL on a database file directly (to build old schemas and inspect files).
void RawExec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  EXPECT_EQ(rc, SQLITE_OK) << (error != nullptr ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
}

// The text of the first column of the first row of `sql`.
std::string RawQuery(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open(path.c_str(), &db) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt, 0);
      out = text != nullptr ? reinterpret_cast<const char*>(text) : "";
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return out;
}

TEST(SqliteStoreTest, CursorsAreNeverReusedAfterRetentionOrReopening) {
  vigil::testing::TestDir dir("sqlite-store");
  const std::string path = dir.Join("alerts.db");
  {
    auto store = OpenOrDie(path);
    ASSERT_NE(store, nullptr);
    ASSERT_OK(store->Insert({MakeAlert("s", 1), MakeAlert("s", 2), MakeAlert("s", 3)}).status());
    ASSERT_OK_AND_ASSIGN(uint64_t deleted, store->ApplyRetention(0, 1));
    ASSERT_EQ(deleted, 3u);  // the newest included
    ASSERT_OK_AND_ASSIGN(auto r, store->Insert({MakeAlert("s", 4)}));
    EXPECT_EQ(r[0].cursor, 4u);
    ASSERT_OK_AND_ASSIGN(deleted, store->ApplyRetention(0, 1));
    ASSERT_EQ(deleted, 1u);
  }
  auto store = OpenOrDie(path);
  ASSERT_NE(store, nullptr);
  ASSERT_OK_AND_ASSIGN(uint64_t last, store->LastCursor());
  EXPECT_EQ(last, 4u);
  ASSERT_OK_AND_ASSIGN(auto r, store->Insert({MakeAlert("s", 5)}));
  EXPECT_EQ(r[0].cursor, 5u);
}

TEST(SqliteStoreTest, ReopeningAFileKeepsEverything) {
  vigil::testing::TestDir dir("sqlite-store");
  const std::string path = dir.Join("controller.db");
  std::vector<StoredAlert> alerts = FilterFixture();
  {
    auto store = OpenOrDie(path);
    ASSERT_NE(store, nullptr);
    ASSERT_OK(store->Insert(alerts).status());
    SensorRecord sensor;
    sensor.sensor_id = "s";
    sensor.node = "n1";
    ASSERT_OK(store->UpsertSensor(sensor));
    ASSERT_OK(store->PutRuleSet({"sha256:aa", 7, "rules"}).status());
    ASSERT_OK(store->SetDesiredRuleSet("sha256:aa"));
    ASSERT_OK(store->SetDesiredModules({"m1", "settings", 9}));
    ASSERT_OK(
        store->SetRollout({"s", RolloutKind::kRules, "sha256:aa", RolloutState::kApplied, "", 11}));
    // WAL mode: the committed data is in the log until a checkpoint.
    EXPECT_EQ(RawQuery(path, "PRAGMA journal_mode"), "wal");
  }
  auto store = OpenOrDie(path);
  ASSERT_NE(store, nullptr);
  ASSERT_OK_AND_ASSIGN(auto read, store->ReadAfter(0, {}, 100));
  ASSERT_EQ(read.size(), alerts.size());
  for (size_t i = 0; i < read.size(); ++i) {
    EXPECT_EQ(read[i].cursor, i + 1);
    EXPECT_EQ(read[i].sensor_seq, alerts[i].sensor_seq);
    EXPECT_EQ(read[i].tags, alerts[i].tags);
    EXPECT_EQ(read[i].payload, alerts[i].payload);
    EXPECT_EQ(read[i].gap, alerts[i].gap);
  }
  ASSERT_OK_AND_ASSIGN(auto dup, store->Insert({alerts[0]}));
  EXPECT_TRUE(dup[0].duplicate);
  ASSERT_OK_AND_ASSIGN(uint64_t count, store->Count());
  EXPECT_EQ(count, alerts.size());
  ASSERT_OK_AND_ASSIGN(SensorRecord sensor, store->GetSensor("s"));
  EXPECT_EQ(sensor.node, "n1");
  ASSERT_OK_AND_ASSIGN(std::string desired, store->GetDesiredRuleSet());
  EXPECT_EQ(desired, "sha256:aa");
  ASSERT_OK_AND_ASSIGN(ModuleSettingsRecord modules, store->GetDesiredModules());
  EXPECT_EQ(modules.version, "m1");
  EXPECT_EQ(modules.settings, "settings");
  ASSERT_OK_AND_ASSIGN(auto rollout, store->GetRollout("s"));
  ASSERT_EQ(rollout.size(), 1u);
  EXPECT_EQ(rollout[0].state, RolloutState::kApplied);
}

// Version 1 of the schema as the first release created it.
constexpr char kSchemaV1[] = R"sql(
CREATE TABLE alerts (
  cursor INTEGER PRIMARY KEY AUTOINCREMENT,
  sensor_id TEXT NOT NULL,
  sensor_seq INTEGER NOT NULL,
  node TEXT NOT NULL,
  rule TEXT NOT NULL,
  priority INTEGER NOT NULL,
  tags BLOB NOT NULL,
  time_ns INTEGER NOT NULL,
  received_ns INTEGER NOT NULL,
  gap INTEGER NOT NULL,
  lost INTEGER NOT NULL,
  payload BLOB NOT NULL,
  bytes INTEGER NOT NULL
);
CREATE UNIQUE INDEX alerts_by_sensor_seq ON alerts (sensor_id, sensor_seq);
CREATE INDEX alerts_by_time ON alerts (time_ns);
CREATE INDEX alerts_by_rule ON alerts (rule);
CREATE TABLE alert_tags (
  cursor INTEGER NOT NULL REFERENCES alerts (cursor) ON DELETE CASCADE,
  tag TEXT NOT NULL,
  PRIMARY KEY (cursor, tag)
) WITHOUT ROWID;
CREATE TABLE alert_stats (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  count INTEGER NOT NULL,
  bytes INTEGER NOT NULL
);
INSERT INTO alert_stats (id, count, bytes) VALUES (1, 1, 100);
INSERT INTO alerts VALUES (41, 'old', 7, 'n0', 'legacy', 3, x'6100', 70, 71, 0, 0, x'01', 100);
INSERT INTO alert_tags VALUES (41, 'a');
PRAGMA user_version = 1;
)sql";

TEST(SqliteStoreTest, MigratesAVersion1Database) {
  vigil::testing::TestDir dir("sqlite-store");
  const std::string path = dir.Join("v1.db");
  RawExec(path, kSchemaV1);
  ASSERT_EQ(RawQuery(path, "PRAGMA user_version"), "1");
  ASSERT_EQ(RawQuery(path, "SELECT count(*) FROM sqlite_master WHERE name = 'sensors'"), "0");

  auto store = OpenOrDie(path);
  ASSERT_NE(store, nullptr);
  ASSERT_OK_AND_ASSIGN(int version, store->SchemaVersion());
  EXPECT_EQ(version, SqliteStore::kSchemaVersion);
  // The old alert is still there, and new ones continue its cursors.
  ASSERT_OK_AND_ASSIGN(auto read, store->ReadAfter(0, {}, 10));
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].cursor, 41u);
  EXPECT_EQ(read[0].rule, "legacy");
  EXPECT_THAT(read[0].tags, ElementsAre("a"));
  ASSERT_OK_AND_ASSIGN(auto results, store->Insert({MakeAlert("old", 7), MakeAlert("new", 1)}));
  EXPECT_TRUE(results[0].duplicate);
  EXPECT_EQ(results[0].cursor, 41u);
  EXPECT_EQ(results[1].cursor, 42u);
  // Version 2's tables work.
  SensorRecord sensor;
  sensor.sensor_id = "new";
  ASSERT_OK(store->UpsertSensor(sensor));
  ASSERT_OK_AND_ASSIGN(ModuleSettingsRecord modules, store->GetDesiredModules());
  EXPECT_EQ(modules.version, "");
  // Version 4's table works.
  ASSERT_OK_AND_ASSIGN(bool created,
                       store->PutBundle({"sha256:01", "demo", "1.0", "", "m", "bytes", 1}));
  EXPECT_TRUE(created);
  ASSERT_OK_AND_ASSIGN(auto bundles, store->ListBundles());
  EXPECT_EQ(bundles.size(), 1u);
  store.reset();
  EXPECT_EQ(RawQuery(path, "PRAGMA user_version"), absl::StrCat(SqliteStore::kSchemaVersion));
}

TEST(SqliteStoreTest, RefusesADatabaseFromANewerController) {
  vigil::testing::TestDir dir("sqlite-store");
  const std::string path = dir.Join("future.db");
  RawExec(path, absl::StrCat("CREATE TABLE future (x); PRAGMA user_version = ",
                             SqliteStore::kSchemaVersion + 1, ";"));
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition) << store.status();
  EXPECT_THAT(std::string(store.status().message()), HasSubstr("newer"));
  EXPECT_EQ(RawQuery(path, "PRAGMA user_version"), absl::StrCat(SqliteStore::kSchemaVersion + 1));
}

TEST(SqliteStoreTest, OpenErrorsSayWhatFailed) {
  vigil::testing::TestDir dir("sqlite-store");
  absl::StatusOr<std::unique_ptr<SqliteStore>> missing_dir =
      SqliteStore::Open(dir.Join("no/such/dir/x.db"));
  ASSERT_FALSE(missing_dir.ok());
  EXPECT_THAT(std::string(missing_dir.status().message()), HasSubstr("opening"));
  EXPECT_THAT(std::string(missing_dir.status().message()), HasSubstr("no/such/dir/x.db"));

  const std::string garbage = dir.WriteFile("garbage.db", std::string(4096, 'g'));
  absl::StatusOr<std::unique_ptr<SqliteStore>> not_db = SqliteStore::Open(garbage);
  ASSERT_FALSE(not_db.ok());
  EXPECT_EQ(not_db.status().code(), absl::StatusCode::kDataLoss) << not_db.status();
  EXPECT_THAT(std::string(not_db.status().message()), HasSubstr("not a database"));

  EXPECT_EQ(SqliteStore::Open("").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vigil::controller::sqlite_store_test

// The SQLite store's schema: one migration step per version, and Migrate, which applies the
// steps a database lacks.
#include "controller/store/sqlite_schema.h"

#include <iterator>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "controller/store/sqlite_handle.h"
#include "controller/store/sqlite_store.h"

namespace vigil::controller::sqlite_internal {
namespace {

// The schema, one step per version: kMigrations[i] takes a database from version i to
// i + 1. Append new steps; never change a step that has shipped.
constexpr const char* kMigrations[] = {
    // 1: alerts. cursor is the rowid; AUTOINCREMENT keeps the highest cursor ever used
    // (sqlite_sequence), so deleting the newest alerts does not make their cursors reusable.
    R"sql(
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
INSERT INTO alert_stats (id, count, bytes) VALUES (1, 0, 0);
)sql",
    // 2: fleet state.
    R"sql(
CREATE TABLE sensors (
  sensor_id TEXT PRIMARY KEY,
  node TEXT NOT NULL,
  version TEXT NOT NULL,
  kernel TEXT NOT NULL,
  attach_modes TEXT NOT NULL,
  last_seen_ns INTEGER NOT NULL,
  connected INTEGER NOT NULL,
  health TEXT NOT NULL
);
CREATE TABLE rule_sets (
  id INTEGER PRIMARY KEY,
  version TEXT NOT NULL UNIQUE,
  created_ns INTEGER NOT NULL,
  content BLOB NOT NULL
);
CREATE TABLE desired_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  rule_set_version TEXT REFERENCES rule_sets (version),
  modules_version TEXT NOT NULL,
  modules BLOB NOT NULL,
  modules_updated_ns INTEGER NOT NULL
);
INSERT INTO desired_state (id, rule_set_version, modules_version, modules, modules_updated_ns)
  VALUES (1, NULL, '', x'', 0);
CREATE TABLE rollout (
  sensor_id TEXT NOT NULL REFERENCES sensors (sensor_id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('rules', 'modules')),
  version TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'applied', 'failed')),
  error TEXT NOT NULL,
  updated_ns INTEGER NOT NULL,
  PRIMARY KEY (sensor_id, kind)
);
CREATE INDEX rollout_by_version ON rollout (kind, version);
)sql",
    // 3: spool epochs. Sequence numbers are unique per (sensor, epoch); alerts stored
    // before epochs existed keep the empty epoch, which such sensors keep sending.
    R"sql(
ALTER TABLE alerts ADD COLUMN epoch TEXT NOT NULL DEFAULT '';
DROP INDEX alerts_by_sensor_seq;
CREATE UNIQUE INDEX alerts_by_sensor_epoch_seq ON alerts (sensor_id, epoch, sensor_seq);
)sql",
    // 4: probe-module bundles, by the SHA-256 of their bytes. The manifest is kept apart so
    // that listings need not read the bundles.
    R"sql(
CREATE TABLE probe_bundles (
  id INTEGER PRIMARY KEY,
  hash TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  version TEXT NOT NULL,
  key_id TEXT NOT NULL,
  manifest BLOB NOT NULL,
  bytes BLOB NOT NULL,
  created_ns INTEGER NOT NULL
);
)sql",
};
static_assert(std::size(kMigrations) == SqliteStore::kSchemaVersion,
              "kSchemaVersion must count the migration steps");

}  // namespace

absl::StatusOr<int64_t> ReadSchemaVersion(SqliteConnection& conn) {
  return QueryInt(conn, "PRAGMA user_version", "reading the schema version");
}

absl::Status Migrate(SqliteConnection& conn) {
  for (;;) {
    VIGIL_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(conn, "migrating the schema"));
    VIGIL_ASSIGN_OR_RETURN(int64_t version, ReadSchemaVersion(conn));
    if (version > SqliteStore::kSchemaVersion) {
      return absl::FailedPreconditionError(
          absl::StrCat("sqlite store: the database has schema version ", version,
                       ", newer than this controller's ", SqliteStore::kSchemaVersion));
    }
    if (version == SqliteStore::kSchemaVersion) return tx.Commit();
    if (version < 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("sqlite store: the database has schema version ", version));
    }
    const std::string what =
        absl::StrCat("migrating the schema from version ", version, " to ", version + 1);
    VIGIL_RETURN_IF_ERROR(conn.Exec(kMigrations[version], what));
    VIGIL_RETURN_IF_ERROR(
        conn.Exec(absl::StrCat("PRAGMA user_version = ", version + 1).c_str(), what));
    VIGIL_RETURN_IF_ERROR(tx.Commit());
  }
}

}  // namespace vigil::controller::sqlite_internal

// SqliteStore's FleetStore half: the sensors and their last reports, the stored rule sets
// and probe-module bundles, the desired rule set and module settings, and each sensor's
// rollout status.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "controller/store/sqlite_handle.h"
#include "controller/store/sqlite_store.h"
#include "controller/store/sqlite_store_internal.h"

namespace vigil::controller {

using sqlite_internal::ReadAll;
using sqlite_internal::Run;
using sqlite_internal::Statement;
using sqlite_internal::Transaction;

namespace {

// The sensor columns every read returns, in ReadSensorRow's order.
constexpr char kSensorColumns[] =
    "sensor_id, node, version, kernel, attach_modes, last_seen_ns, connected, health";

// One sensor row (columns as in kSensorColumns).
SensorRecord ReadSensorRow(const Statement& row) {
  SensorRecord sensor;
  sensor.sensor_id = row.ColumnText(0);
  sensor.node = row.ColumnText(1);
  sensor.version = row.ColumnText(2);
  sensor.kernel = row.ColumnText(3);
  sensor.attach_modes = row.ColumnText(4);
  sensor.last_seen_ns = row.ColumnInt(5);
  sensor.connected = row.ColumnInt(6) != 0;
  sensor.health = row.ColumnText(7);
  return sensor;
}

// The rollout columns every read returns, in ReadRolloutRow's order.
constexpr char kRolloutColumns[] = "sensor_id, kind, version, state, error, updated_ns";

// One rollout row (columns as in kRolloutColumns); kind and state are stored by name.
RolloutRecord ReadRolloutRow(const Statement& row) {
  RolloutRecord rollout;
  rollout.sensor_id = row.ColumnText(0);
  rollout.kind = row.ColumnText(1) == "modules" ? RolloutKind::kModules : RolloutKind::kRules;
  rollout.version = row.ColumnText(2);
  const std::string state = row.ColumnText(3);
  rollout.state = state == "applied"  ? RolloutState::kApplied
                  : state == "failed" ? RolloutState::kFailed
                                      : RolloutState::kPending;
  rollout.error = row.ColumnText(4);
  rollout.updated_ns = row.ColumnInt(5);
  return rollout;
}

}  // namespace

absl::Status SqliteStore::UpsertSensor(const SensorRecord& sensor) {
  if (sensor.sensor_id.empty()) return absl::InvalidArgumentError("sensor: empty sensor_id");
  return Write([&sensor](SqliteConnection& conn) -> absl::Status {
    // An upsert, not INSERT OR REPLACE: replacing would delete the row and with it the
    // sensor's rollout status.
    VIGIL_ASSIGN_OR_RETURN(
        Statement stmt,
        Statement::Prepare(
            conn,
            "INSERT INTO sensors (sensor_id, node, version, kernel, attach_modes, last_seen_ns, "
            "connected, health) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sensor_id) DO UPDATE "
            "SET node = excluded.node, version = excluded.version, kernel = excluded.kernel, "
            "attach_modes = excluded.attach_modes, last_seen_ns = excluded.last_seen_ns, "
            "connected = excluded.connected, health = excluded.health"));
    return stmt.Text(1, sensor.sensor_id)
        .Text(2, sensor.node)
        .Text(3, sensor.version)
        .Text(4, sensor.kernel)
        .Text(5, sensor.attach_modes)
        .Int(6, sensor.last_seen_ns)
        .Int(7, sensor.connected ? 1 : 0)
        .Text(8, sensor.health)
        .Run(absl::StrCat("storing sensor ", sensor.sensor_id));
  });
}

absl::StatusOr<SensorRecord> SqliteStore::GetSensor(absl::string_view sensor_id) {
  return Read([sensor_id](SqliteConnection& conn) -> absl::StatusOr<SensorRecord> {
    VIGIL_ASSIGN_OR_RETURN(
        Statement stmt,
        Statement::Prepare(
            conn, absl::StrCat("SELECT ", kSensorColumns, " FROM sensors WHERE sensor_id = ?")));
    stmt.Text(1, sensor_id);
    VIGIL_ASSIGN_OR_RETURN(bool row, stmt.Step(absl::StrCat("reading sensor ", sensor_id)));
    if (!row) return absl::NotFoundError(absl::StrCat("no sensor ", sensor_id));
    return ReadSensorRow(stmt);
  });
}

absl::StatusOr<std::vector<SensorRecord>> SqliteStore::ListSensors() {
  return Read([](SqliteConnection& conn) -> absl::StatusOr<std::vector<SensorRecord>> {
    VIGIL_ASSIGN_OR_RETURN(
        Statement stmt, Statement::Prepare(conn, absl::StrCat("SELECT ", kSensorColumns,
                                                              " FROM sensors ORDER BY sensor_id")));
    return ReadAll<SensorRecord>(stmt, "listing sensors", ReadSensorRow);
  });
}

absl::Status SqliteStore::MarkAllDisconnected() {
  return Write([](SqliteConnection& conn) {
    return Run(conn, "UPDATE sensors SET connected = 0 WHERE connected != 0",
               "marking sensors disconnected");
  });
}

absl::StatusOr<bool> SqliteStore::PutRuleSet(const RuleSetRecord& rule_set) {
  if (rule_set.version.empty()) return absl::InvalidArgumentError("rule set: empty version");
  if (rule_set.content.size() > kMaxRuleSetBytes) {
    return absl::InvalidArgumentError(absl::StrCat("rule set ", rule_set.version, ": ",
                                                   rule_set.content.size(), " bytes exceeds ",
                                                   kMaxRuleSetBytes));
  }
  return Write([&rule_set](SqliteConnection& conn) -> absl::StatusOr<bool> {
    const std::string what = absl::StrCat("storing rule set ", rule_set.version);
    VIGIL_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(conn, what));
    {
      VIGIL_ASSIGN_OR_RETURN(
          Statement find,
          Statement::Prepare(conn, "SELECT content FROM rule_sets WHERE version = ?"));
      find.Text(1, rule_set.version);
      VIGIL_ASSIGN_OR_RETURN(bool found, find.Step(what));
      if (found) {
        if (find.ColumnText(0) != rule_set.content) {
          return absl::AlreadyExistsError(
              absl::StrCat("rule set ", rule_set.version, " is stored already with other content"));
        }
        return false;  // rolled back: nothing changed
      }
    }
    {
      VIGIL_ASSIGN_OR_RETURN(
          Statement insert,
          Statement::Prepare(
              conn, "INSERT INTO rule_sets (version, created_ns, content) VALUES (?, ?, ?)"));
      VIGIL_RETURN_IF_ERROR(insert.Text(1, rule_set.version)
                                .Int(2, rule_set.created_ns)
                                .Blob(3, rule_set.content)
                                .Run(what));
    }
    VIGIL_RETURN_IF_ERROR(tx.Commit());
    return true;
  });
}

absl::StatusOr<RuleSetRecord> SqliteStore::GetRuleSet(absl::string_view version) {
  return Read([version](SqliteConnection& conn) -> absl::StatusOr<RuleSetRecord> {
    VIGIL_ASSIGN_OR_RETURN(
        Statement stmt,
        Statement::Prepare(conn,
                           "SELECT version, created_ns, content FROM rule_sets WHERE "
                           "version = ?"));
    stmt.Text(1, version);
    VIGIL_ASSIGN_OR_RETURN(bool row, stmt.Step(absl::StrCat("reading rule set ", version)));
    if (!row) return absl::NotFoundError(absl::StrCat("no rule set ", version));
    RuleSetRecord rule_set;
    rule_set.version = stmt.ColumnText(0);
    rule_set.created_ns = stmt.ColumnInt(1);
    rule_set.content = stmt.ColumnText(2);
    return rule_set;
  });
}

absl::StatusOr<std::vector<RuleSetVersion>> SqliteStore::ListRuleSets() {
  return Read([](SqliteConnection& conn) -> absl::StatusOr<std::vector<RuleSetVersion>> {
    VIGIL_ASSIGN_OR_RETURN(
        Statement stmt,
        Statement::Prepare(conn,
                           "SELECT version, created_ns, length(content) FROM rule_sets "
                           "ORDER BY created_ns DESC, id DESC"));
    return ReadAll<RuleSetVersion>(stmt, "listing rule sets", [](const Statement& row) {
      RuleSetVersion version;
      version.version = row.ColumnText(0);
      version.created_ns = row.ColumnInt(1);
      version.size_bytes = static_cast<uint64_t>(row.ColumnInt(2));
      return version;
    });
  });
}

absl::Status SqliteStore::SetDesiredRuleSet(absl::string_view version) {
  return Write([version](SqliteConnection& conn) -> absl::Status {
    const std::string what = absl::StrCat("setting the desired rule set to ", version);
    VIGIL_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(conn, what));
    {
      VIGIL_ASSIGN_OR_RETURN(Statement find,
                             Statement::Prepare(conn, "SELECT 1 FROM rule_sets WHERE version = ?"));
      find.Text(1, version);
      VIGIL_ASSIGN_OR_RETURN(bool found, find.Step(what));
      if (!found) return absl::NotFoundError(absl::StrCat("no rule set ", version));
    }
    {
      VIGIL_ASSIGN_OR_RETURN(
          Statement update,
          Statement::Prepare(conn, "UPDATE desired_state SET rule_set_version = ? WHERE id = 1"));
      VIGIL_RETURN_IF_ERROR(update.Text(1, version).Run(what));
    }
    return tx.Commit();
  });
}

absl::StatusOr<std::string> SqliteStore::GetDesiredRuleSet() {
  return Read([](SqliteConnection& conn) -> absl::StatusOr<std::string> {
    VIGIL_ASSIGN_OR_RETURN(
        Statement stmt,
        Statement::Prepare(conn, "SELECT rule_set_version FROM desired_state WHERE id = 1"));
    VIGIL_ASSIGN_OR_RETURN(bool row, stmt.Step("reading the desired rule set"));
    return row ? stmt.ColumnText(0) : std::string();
  });
}

absl::StatusOr<bool> SqliteStore::PutBundle(const BundleRecord& bundle) {
  if (bundle.hash.empty()) return absl::InvalidArgumentError("bundle: empty hash");
  if (bundle.name.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("bundle ", bundle.hash, ": empty name"));
  }
  if (bundle.bytes.size() > kMaxBundleBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bundle ", bundle.hash, ": ", bundle.bytes.size(), " bytes exceeds ", kMaxBundleBytes));
  }
  return Write([&bundle](SqliteConnection& conn) -> absl::StatusOr<bool> {
    const std::string what = absl::StrCat("storing bundle ", bundle.hash);
    VIGIL_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(conn, what));
    {
      VIGIL_ASSIGN_OR_RETURN(
          Statement find,
          Statement::Prepare(conn, "SELECT bytes FROM probe_bundles WHERE hash = ?"));
      find.Text(1, bundle.hash);
      VIGIL_ASSIGN_OR_RETURN(bool found, find.Step(what));
      if (found) {
        if (find.ColumnText(0) != bundle.bytes) {
          return absl::AlreadyExistsError(
              absl::StrCat("bundle ", bundle.hash, " is stored already with other bytes"));
        }
        return false;  // rolled back: nothing changed
      }
    }
    {
      VIGIL_ASSIGN_OR_RETURN(
          Statement insert,
          Statement::Prepare(conn,
                             "INSERT INTO probe_bundles (hash, name, version, key_id, manifest, "
                             "bytes, created_ns) VALUES (?, ?, ?, ?, ?, ?, ?)"));
      VIGIL_RETURN_IF_ERROR(insert.Text(1, bundle.hash)
                                .Text(2, bundle.name)
                                .Text(3, bundle.version)
                                .Text(4, bundle.key_id)
                                .Blob(5, bundle.manifest)
                                .Blob(6, bundle.bytes)
                                .Int(7, bundle.created_ns)
                                .Run(what));
    }
    VIGIL_RETURN_IF_ERROR(tx.Commit());
    return true;
  });
}

absl::StatusOr<BundleRecord> SqliteStore::GetBundle(absl::string_view hash) {
  return Read([hash](SqliteConnection& conn) -> absl::StatusOr<BundleRecord> {
    VIGIL_ASSIGN_OR_RETURN(
        Statement stmt,
        Statement::Prepare(conn,
                           "SELECT hash, name, version, key_id, manifest, bytes, created_ns FROM "
                           "probe_bundles WHERE hash = ?"));
    stmt.Text(1, hash);
    VIGIL_ASSIGN_OR_RETURN(bool row, stmt.Step(absl::StrCat("reading bundle ", hash)));
    if (!row) return absl::NotFoundError(absl::StrCat("no stored bundle ", hash));
    BundleRecord bundle;
    bundle.hash = stmt.ColumnText(0);
    bundle.name = stmt.ColumnText(1);
    bundle.version = stmt.ColumnText(2);
    bundle.key_id = stmt.ColumnText(3);
    bundle.manifest = stmt.ColumnText(4);
    bundle.bytes = stmt.ColumnText(5);
    bundle.created_ns = stmt.ColumnInt(6);
    return bundle;
  });
}

absl::StatusOr<std::vector<BundleInfo>> SqliteStore::ListBundles() {
  return Read([](SqliteConnection& conn) -> absl::StatusOr<std::vector<BundleInfo>> {
    VIGIL_ASSIGN_OR_RETURN(
        Statement stmt,
        Statement::Prepare(conn,
                           "SELECT hash, name, version, key_id, manifest, length(bytes), "
                           "created_ns FROM probe_bundles ORDER BY created_ns DESC, id DESC"));
    return ReadAll<BundleInfo>(stmt, "listing bundles", [](const Statement& row) {
      BundleInfo info;
      info.hash = row.ColumnText(0);
      info.name = row.ColumnText(1);
      info.version = row.ColumnText(2);
      info.key_id = row.ColumnText(3);
      info.manifest = row.ColumnText(4);
      info.size_bytes = static_cast<uint64_t>(row.ColumnInt(5));
      info.created_ns = row.ColumnInt(6);
      return info;
    });
  });
}

absl::Status SqliteStore::SetDesiredModules(const ModuleSettingsRecord& modules) {
  if (modules.version.empty()) return absl::InvalidArgumentError("module settings: empty version");
  if (modules.settings.size() > kMaxModuleSettingsBytes) {
    return absl::InvalidArgumentError(absl::StrCat("module settings: ", modules.settings.size(),
                                                   " bytes exceeds ", kMaxModuleSettingsBytes));
  }
  return Write([&modules](SqliteConnection& conn) -> absl::Status {
    VIGIL_ASSIGN_OR_RETURN(
        Statement stmt,
        Statement::Prepare(conn,
                           "UPDATE desired_state SET modules_version = ?, modules = ?, "
                           "modules_updated_ns = ? WHERE id = 1"));
    return stmt.Text(1, modules.version)
        .Blob(2, modules.settings)
        .Int(3, modules.updated_ns)
        .Run("setting the desired module settings");
  });
}

absl::StatusOr<ModuleSettingsRecord> SqliteStore::GetDesiredModules() {
  return Read([](SqliteConnection& conn) -> absl::StatusOr<ModuleSettingsRecord> {
    VIGIL_ASSIGN_OR_RETURN(
        Statement stmt,
        Statement::Prepare(conn,
                           "SELECT modules_version, modules, modules_updated_ns FROM "
                           "desired_state WHERE id = 1"));
    VIGIL_ASSIGN_OR_RETURN(bool row, stmt.Step("reading the desired module settings"));
    ModuleSettingsRecord modules;
    if (!row) return modules;
    modules.version = stmt.ColumnText(0);
    modules.settings = stmt.ColumnText(1);
    modules.updated_ns = stmt.ColumnInt(2);
    return modules;
  });
}

absl::Status SqliteStore::SetRollout(const RolloutRecord& rollout) {
  if (rollout.sensor_id.empty()) return absl::InvalidArgumentError("rollout: empty sensor_id");
  if (rollout.version.empty()) return absl::InvalidArgumentError("rollout: empty version");
  return Write([&rollout](SqliteConnection& conn) -> absl::Status {
    const std::string what = absl::StrCat("storing the ", RolloutKindName(rollout.kind),
                                          " rollout status of sensor ", rollout.sensor_id);
    VIGIL_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(conn, what));
    {
      VIGIL_ASSIGN_OR_RETURN(Statement find,
                             Statement::Prepare(conn, "SELECT 1 FROM sensors WHERE sensor_id = ?"));
      find.Text(1, rollout.sensor_id);
      VIGIL_ASSIGN_OR_RETURN(bool found, find.Step(what));
      if (!found) return absl::NotFoundError(absl::StrCat("no sensor ", rollout.sensor_id));
    }
    {
      VIGIL_ASSIGN_OR_RETURN(
          Statement upsert,
          Statement::Prepare(
              conn,
              "INSERT INTO rollout (sensor_id, kind, version, state, error, updated_ns) VALUES "
              "(?, ?, ?, ?, ?, ?) ON CONFLICT (sensor_id, kind) DO UPDATE SET "
              "version = excluded.version, state = excluded.state, error = excluded.error, "
              "updated_ns = excluded.updated_ns"));
      VIGIL_RETURN_IF_ERROR(upsert.Text(1, rollout.sensor_id)
                                .Text(2, RolloutKindName(rollout.kind))
                                .Text(3, rollout.version)
                                .Text(4, RolloutStateName(rollout.state))
                                .Text(5, rollout.error)
                                .Int(6, rollout.updated_ns)
                                .Run(what));
    }
    return tx.Commit();
  });
}

absl::StatusOr<std::vector<RolloutRecord>> SqliteStore::ListRollout(RolloutKind kind,
                                                                    absl::string_view version) {
  return Read(
      [kind, version](SqliteConnection& conn) -> absl::StatusOr<std::vector<RolloutRecord>> {
        VIGIL_ASSIGN_OR_RETURN(
            Statement stmt,
            Statement::Prepare(conn, absl::StrCat("SELECT ", kRolloutColumns,
                                                  " FROM rollout WHERE kind = ? AND version = ? "
                                                  "ORDER BY sensor_id")));
        stmt.Text(1, RolloutKindName(kind)).Text(2, version);
        return ReadAll<RolloutRecord>(stmt, "listing rollout status", ReadRolloutRow);
      });
}

absl::StatusOr<std::vector<RolloutRecord>> SqliteStore::GetRollout(absl::string_view sensor_id) {
  return Read([sensor_id](SqliteConnection& conn) -> absl::StatusOr<std::vector<RolloutRecord>> {
    VIGIL_ASSIGN_OR_RETURN(
        Statement stmt,
        Statement::Prepare(conn, absl::StrCat("SELECT ", kRolloutColumns,
                                              " FROM rollout WHERE sensor_id = ? ORDER BY "
                                              "CASE kind WHEN 'rules' THEN 0 ELSE 1 END")));
    stmt.Text(1, sensor_id);
    return ReadAll<RolloutRecord>(stmt, "reading rollout status", ReadRolloutRow);
  });
}

}  // namespace vigil::controller

#include "controller/store/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <limits>
#include <utility>
#include <variant>

#include "absl/container/flat_hash_map.h"
#include "absl/memory/memory.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"

namespace vigil::controller {
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
};
static_assert(std::size(kMigrations) == SqliteStore::kSchemaVersion,
              "kSchemaVersion must count the migration steps");

// The alert columns every read returns, in ReadAlertRow's order.
constexpr char kAlertColumns[] =
    "cursor, sensor_id, sensor_seq, node, rule, priority, tags, time_ns, received_ns, gap, "
    "lost, payload, epoch";

// An error from SQLite: what was being done, and SQLite's message.
absl::Status SqliteError(sqlite3* db, int rc, absl::string_view what) {
  const char* message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string text = absl::StrCat("sqlite store: ", what, ": ", message, " (code ", rc, ")");
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return absl::UnavailableError(text);
    case SQLITE_FULL:
    case SQLITE_NOMEM: return absl::ResourceExhaustedError(text);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return absl::DataLossError(text);
    case SQLITE_CONSTRAINT:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY: return absl::FailedPreconditionError(text);
    default: return absl::InternalError(text);
  }
}

}  // namespace

// One SQLite connection and its prepared statements, keyed by their SQL text. Not
// thread-safe: SqliteStore guards each with a mutex.
class SqliteConnection {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  ~SqliteConnection() {
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  sqlite3* db() const { return db_; }

  // The statement for `sql`: the cached one, or a new one cached for later. When the cache
  // is full the statement is not cached and *owned is set: the caller finalizes it.
  absl::StatusOr<sqlite3_stmt*> Prepare(absl::string_view sql, bool* owned) {
    *owned = false;
    auto it = statements_.find(sql);
    if (it != statements_.end()) return it->second;
    const bool cache = statements_.size() < SqliteStore::kMaxCachedStatements;
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      cache ? SQLITE_PREPARE_PERSISTENT : 0, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return SqliteError(db_, rc, absl::StrCat("preparing \"", sql, "\""));
    }
    if (cache) {
      statements_.emplace(std::string(sql), stmt);
    } else {
      *owned = true;
    }
    return stmt;
  }

  // Runs `sql`, which may hold several statements and returns no rows.
  absl::Status Exec(const char* sql, absl::string_view what) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
    sqlite3_free(message);  // sqlite3_errmsg() says the same
    if (rc != SQLITE_OK) return SqliteError(db_, rc, what);
    return absl::OkStatus();
  }

 private:
  sqlite3* const db_;
  absl::flat_hash_map<std::string, sqlite3_stmt*> statements_;
};

namespace {

// A prepared statement in use: bound, stepped, then reset (and its bindings cleared) when
// it goes out of scope. Bound text and blobs are not copied: they must outlive it.
class Statement {
 public:
  static absl::StatusOr<Statement> Prepare(SqliteConnection& conn, absl::string_view sql) {
    bool owned = false;
    VIGIL_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, conn.Prepare(sql, &owned));
    return Statement(stmt, owned);
  }
  Statement(Statement&& other) noexcept
      : stmt_(std::exchange(other.stmt_, nullptr)),
        owned_(other.owned_),
        bind_rc_(other.bind_rc_) {}
  Statement& operator=(Statement&&) = delete;
  ~Statement() {
    if (stmt_ == nullptr) return;
    if (owned_) {
      sqlite3_finalize(stmt_);
      return;
    }
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  // Makes the statement ready to be bound and run again.
  Statement& Reset() {
    sqlite3_reset(stmt_);
    bind_rc_ = SQLITE_OK;
    return *this;
  }

  // Binds parameter `i` (1-based).
  Statement& Int(int i, int64_t value) { return Check(sqlite3_bind_int64(stmt_, i, value)); }
  Statement& Text(int i, absl::string_view value) {
    // An empty view may have no data; SQLite would take that for NULL.
    const char* data = value.empty() ? "" : value.data();
    return Check(sqlite3_bind_text(stmt_, i, data, static_cast<int>(value.size()), SQLITE_STATIC));
  }
  Statement& Blob(int i, absl::string_view value) {
    if (value.empty()) return Check(sqlite3_bind_zeroblob(stmt_, i, 0));
    return Check(
        sqlite3_bind_blob(stmt_, i, value.data(), static_cast<int>(value.size()), SQLITE_STATIC));
  }

  // Steps once: true when a row is ready, false when the statement is done.
  absl::StatusOr<bool> Step(absl::string_view what) {
    if (bind_rc_ != SQLITE_OK) return SqliteError(nullptr, bind_rc_, what);
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return SqliteError(sqlite3_db_handle(stmt_), rc, what);
  }
  // Steps to the end (for statements that return no rows).
  absl::Status Run(absl::string_view what) {
    for (;;) {
      VIGIL_ASSIGN_OR_RETURN(bool row, Step(what));
      if (!row) return absl::OkStatus();
    }
  }

  // Column `i` (0-based) of the current row.
  int64_t ColumnInt(int i) const { return sqlite3_column_int64(stmt_, i); }
  bool ColumnIsNull(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }
  std::string ColumnText(int i) const {
    const void* data = sqlite3_column_blob(stmt_, i);  // as bytes: no text conversion
    const int size = sqlite3_column_bytes(stmt_, i);
    return data == nullptr ? std::string() : std::string(static_cast<const char*>(data), size);
  }

 private:
  Statement(sqlite3_stmt* stmt, bool owned) : stmt_(stmt), owned_(owned) {}
  Statement& Check(int rc) {
    if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
    return *this;
  }

  sqlite3_stmt* stmt_;
  bool owned_;
  int bind_rc_ = SQLITE_OK;
};

// Runs one statement that returns no rows.
absl::Status Run(SqliteConnection& conn, absl::string_view sql, absl::string_view what) {
  VIGIL_ASSIGN_OR_RETURN(Statement stmt, Statement::Prepare(conn, sql));
  return stmt.Run(what);
}

// A write transaction (BEGIN IMMEDIATE: the write lock is taken at once), rolled back
// unless committed.
class Transaction {
 public:
  static absl::StatusOr<Transaction> Begin(SqliteConnection& conn, absl::string_view what) {
    VIGIL_RETURN_IF_ERROR(Run(conn, "BEGIN IMMEDIATE", absl::StrCat(what, ": BEGIN")));
    return Transaction(conn, what);
  }
  Transaction(Transaction&& other) noexcept
      : conn_(other.conn_), what_(other.what_), active_(std::exchange(other.active_, false)) {}
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction() {
    if (active_) (void)Run(*conn_, "ROLLBACK", "ROLLBACK");
  }

  absl::Status Commit() {
    VIGIL_RETURN_IF_ERROR(Run(*conn_, "COMMIT", absl::StrCat(what_, ": COMMIT")));
    active_ = false;
    return absl::OkStatus();
  }

 private:
  Transaction(SqliteConnection& conn, absl::string_view what)
      : conn_(&conn), what_(what), active_(true) {}

  SqliteConnection* conn_;
  std::string what_;
  bool active_;
};

// Tags as stored: each tag followed by '\0'.
std::string EncodeTags(const std::vector<std::string>& tags) {
  std::string out;
  for (const std::string& tag : tags) {
    out += tag;
    out.push_back('\0');
  }
  return out;
}

std::vector<std::string> DecodeTags(const std::string& encoded) {
  std::vector<std::string> tags;
  size_t start = 0;
  for (size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] != '\0') continue;
    tags.emplace_back(encoded, start, i - start);
    start = i + 1;
  }
  return tags;
}

// The bytes SizeBytes counts for one alert: sensor_id, rule and tags are stored twice (in
// the row, and in an index or the tag table).
uint64_t AccountedBytes(const StoredAlert& alert, const std::string& encoded_tags) {
  return alert.payload.size() + alert.node.size() +
         2 * (alert.sensor_id.size() + alert.rule.size() + encoded_tags.size()) +
         SqliteStore::kRowOverheadBytes;
}

absl::Status ValidateAlert(const StoredAlert& alert, size_t index) {
  auto invalid = [index](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("alert ", index, " of the batch: ", why));
  };
  if (alert.sensor_id.empty()) return invalid("empty sensor_id");
  if (alert.priority < 0 || alert.priority > 7) {
    return invalid(absl::StrCat("priority ", alert.priority, " is outside 0..7"));
  }
  if (alert.payload.size() > AlertStore::kMaxPayloadBytes) {
    return invalid(absl::StrCat("payload of ", alert.payload.size(), " bytes exceeds ",
                                AlertStore::kMaxPayloadBytes));
  }
  for (const std::string& tag : alert.tags) {
    if (tag.find('\0') != std::string::npos) return invalid("a tag contains '\\0'");
  }
  return absl::OkStatus();
}

StoredAlert ReadAlertRow(const Statement& row) {
  StoredAlert alert;
  alert.cursor = static_cast<uint64_t>(row.ColumnInt(0));
  alert.sensor_id = row.ColumnText(1);
  alert.sensor_seq = static_cast<uint64_t>(row.ColumnInt(2));
  alert.node = row.ColumnText(3);
  alert.rule = row.ColumnText(4);
  alert.priority = static_cast<int>(row.ColumnInt(5));
  alert.tags = DecodeTags(row.ColumnText(6));
  alert.time_ns = row.ColumnInt(7);
  alert.received_ns = row.ColumnInt(8);
  alert.gap = row.ColumnInt(9) != 0;
  alert.lost = static_cast<uint64_t>(row.ColumnInt(10));
  alert.payload = row.ColumnText(11);
  alert.epoch = row.ColumnText(12);
  return alert;
}

// A SELECT of alerts built from a filter, with its parameters in order.
class AlertQuery {
 public:
  // `bound` is the cursor condition with one parameter (`cursor_value`), or empty.
  AlertQuery(absl::string_view bound, int64_t cursor_value) {
    sql_ = absl::StrCat("SELECT ", kAlertColumns, " FROM alerts WHERE ");
    if (bound.empty()) {
      sql_ += "1";
    } else {
      absl::StrAppend(&sql_, bound);
      params_.emplace_back(cursor_value);
    }
  }

  // Adds the filter's conditions; gap records pass all but the node condition.
  void AddFilter(const AlertFilter& filter) {
    if (!filter.nodes.empty()) {
      sql_ += " AND ";
      AppendIn("node", filter.nodes, &sql_, &params_);
    }
    std::string conditions;
    Params params;
    auto next = [&conditions]() -> std::string* {
      if (!conditions.empty()) conditions += " AND ";
      return &conditions;
    };
    if (filter.max_priority.has_value()) {
      *next() += "priority <= ?";
      params.emplace_back(int64_t{*filter.max_priority});
    }
    if (!filter.rules.empty()) AppendIn("rule", filter.rules, next(), &params);
    if (!filter.tags.empty()) {
      *next() += "EXISTS (SELECT 1 FROM alert_tags t WHERE t.cursor = alerts.cursor AND ";
      AppendIn("t.tag", filter.tags, &conditions, &params);
      conditions += ")";
    }
    if (filter.since_ns != 0) {
      *next() += "time_ns >= ?";
      params.emplace_back(filter.since_ns);
    }
    if (filter.until_ns != 0) {
      *next() += "time_ns < ?";
      params.emplace_back(filter.until_ns);
    }
    if (conditions.empty()) return;
    absl::StrAppend(&sql_, " AND (gap = 1 OR (", conditions, "))");
    params_.insert(params_.end(), params.begin(), params.end());
  }

  // Orders by cursor ("ASC" or "DESC") and limits the rows.
  void Finish(absl::string_view order, size_t limit) {
    absl::StrAppend(&sql_, " ORDER BY cursor ", order, " LIMIT ?");
    params_.emplace_back(static_cast<int64_t>(limit));
  }

  // Runs the query and returns its alerts.
  absl::StatusOr<std::vector<StoredAlert>> Run(SqliteConnection& conn) const {
    VIGIL_ASSIGN_OR_RETURN(Statement stmt, Statement::Prepare(conn, sql_));
    for (size_t i = 0; i < params_.size(); ++i) {
      const int index = static_cast<int>(i) + 1;
      if (const int64_t* value = std::get_if<int64_t>(&params_[i])) {
        stmt.Int(index, *value);
      } else {
        stmt.Text(index, std::get<absl::string_view>(params_[i]));
      }
    }
    std::vector<StoredAlert> alerts;
    for (;;) {
      VIGIL_ASSIGN_OR_RETURN(bool row, stmt.Step("reading alerts"));
      if (!row) break;
      alerts.push_back(ReadAlertRow(stmt));
    }
    return alerts;
  }

 private:
  using Params = std::vector<std::variant<int64_t, absl::string_view>>;

  // Appends "column IN (?, ...)" to *sql and the values to *params.
  static void AppendIn(absl::string_view column, const std::vector<std::string>& values,
                       std::string* sql, Params* params) {
    absl::StrAppend(sql, column, " IN (");
    for (size_t i = 0; i < values.size(); ++i) {
      *sql += i == 0 ? "?" : ", ?";
      params->emplace_back(absl::string_view(values[i]));
    }
    *sql += ")";
  }

  std::string sql_;
  Params params_;
};

// The single integer of a one-row query, or `fallback` when it returns NULL or no row.
absl::StatusOr<int64_t> QueryInt(SqliteConnection& conn, absl::string_view sql,
                                 absl::string_view what, int64_t fallback = 0) {
  VIGIL_ASSIGN_OR_RETURN(Statement stmt, Statement::Prepare(conn, sql));
  VIGIL_ASSIGN_OR_RETURN(bool row, stmt.Step(what));
  if (!row || stmt.ColumnIsNull(0)) return fallback;
  return stmt.ColumnInt(0);
}

// Applies the pending migrations, each in its own transaction.
absl::Status Migrate(SqliteConnection& conn) {
  for (;;) {
    VIGIL_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(conn, "migrating the schema"));
    VIGIL_ASSIGN_OR_RETURN(int64_t version,
                           QueryInt(conn, "PRAGMA user_version", "reading the schema version"));
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

// Opens a connection and sets it up: WAL (the write connection switches the file to it),
// the durability, foreign keys; the read connection is read-only.
absl::StatusOr<std::unique_ptr<SqliteConnection>> OpenConnection(const std::string& path,
                                                                 const SqliteStoreOptions& options,
                                                                 bool reader) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status status = SqliteError(db, rc, absl::StrCat("opening ", path));
    sqlite3_close_v2(db);
    return status;
  }
  auto conn = std::make_unique<SqliteConnection>(db);
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  if (!reader) {
    VIGIL_ASSIGN_OR_RETURN(Statement stmt, Statement::Prepare(*conn, "PRAGMA journal_mode = WAL"));
    VIGIL_ASSIGN_OR_RETURN(bool row, stmt.Step(absl::StrCat("enabling WAL on ", path)));
    const std::string mode = row ? stmt.ColumnText(0) : "";
    if (mode != "wal" && !(path == ":memory:" && mode == "memory")) {
      return absl::FailedPreconditionError(absl::StrCat("sqlite store: cannot enable WAL on ", path,
                                                        " (journal mode is \"", mode, "\")"));
    }
    // Bounds the WAL file left after a checkpoint.
    VIGIL_RETURN_IF_ERROR(
        conn->Exec("PRAGMA journal_size_limit = 67108864", absl::StrCat("setting up ", path)));
  }
  const std::string setup = absl::StrCat(
      "PRAGMA synchronous = ", options.durability == Durability::kPowerLoss ? "FULL" : "NORMAL",
      "; PRAGMA foreign_keys = ON", reader ? "; PRAGMA query_only = ON" : "");
  VIGIL_RETURN_IF_ERROR(conn->Exec(setup.c_str(), absl::StrCat("setting up ", path)));
  return conn;
}

// Reads one sensor row (columns as in kSensorColumns).
constexpr char kSensorColumns[] =
    "sensor_id, node, version, kernel, attach_modes, last_seen_ns, connected, health";

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

constexpr char kRolloutColumns[] = "sensor_id, kind, version, state, error, updated_ns";

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

// Reads every row of `stmt` with `read`.
template <typename T, typename ReadRow>
absl::StatusOr<std::vector<T>> ReadAll(Statement& stmt, absl::string_view what, ReadRow read) {
  std::vector<T> out;
  for (;;) {
    VIGIL_ASSIGN_OR_RETURN(bool row, stmt.Step(what));
    if (!row) return out;
    out.push_back(read(stmt));
  }
}

// One transaction of ApplyRetention: deletes up to kRetentionChunk of the oldest alerts
// that are older than `cutoff_ns` (when `by_age`) or beyond `max_bytes` (when not 0). Sets
// *more when it may have stopped at the chunk size.
absl::StatusOr<uint64_t> RetentionChunk(SqliteConnection& conn, bool by_age, int64_t cutoff_ns,
                                        uint64_t max_bytes, bool* more) {
  *more = false;
  VIGIL_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(conn, "applying retention"));
  VIGIL_ASSIGN_OR_RETURN(int64_t stored_bytes,
                         QueryInt(conn, "SELECT bytes FROM alert_stats WHERE id = 1",
                                  "applying retention: reading the size"));
  uint64_t remaining = static_cast<uint64_t>(stored_bytes);
  uint64_t deleted = 0;
  uint64_t freed = 0;
  int64_t last = 0;
  {
    VIGIL_ASSIGN_OR_RETURN(
        Statement stmt,
        Statement::Prepare(
            conn, "SELECT cursor, received_ns, bytes FROM alerts ORDER BY cursor LIMIT ?"));
    stmt.Int(1, static_cast<int64_t>(SqliteStore::kRetentionChunk));
    size_t rows = 0;
    bool stopped = false;
    for (;;) {
      VIGIL_ASSIGN_OR_RETURN(bool row, stmt.Step("applying retention: reading the oldest"));
      if (!row) break;
      ++rows;
      const bool old = by_age && stmt.ColumnInt(1) < cutoff_ns;
      const bool over = max_bytes != 0 && remaining > max_bytes;
      if (!old && !over) {
        stopped = true;
        break;
      }
      const uint64_t bytes = static_cast<uint64_t>(stmt.ColumnInt(2));
      last = stmt.ColumnInt(0);
      remaining -= std::min(bytes, remaining);
      freed += bytes;
      ++deleted;
    }
    *more = !stopped && rows == SqliteStore::kRetentionChunk;
  }
  if (deleted == 0) return uint64_t{0};  // rolled back: nothing changed
  {
    VIGIL_ASSIGN_OR_RETURN(Statement del,
                           Statement::Prepare(conn, "DELETE FROM alerts WHERE cursor <= ?"));
    VIGIL_RETURN_IF_ERROR(del.Int(1, last).Run("applying retention: deleting alerts"));
  }
  {
    VIGIL_ASSIGN_OR_RETURN(
        Statement stats,
        Statement::Prepare(
            conn, "UPDATE alert_stats SET count = count - ?, bytes = bytes - ? WHERE id = 1"));
    VIGIL_RETURN_IF_ERROR(stats.Int(1, static_cast<int64_t>(deleted))
                              .Int(2, static_cast<int64_t>(freed))
                              .Run("applying retention: updating the counts"));
  }
  VIGIL_RETURN_IF_ERROR(tx.Commit());
  return deleted;
}

}  // namespace

template <typename Fn>
auto SqliteStore::Write(Fn&& fn) {
  absl::MutexLock lock(&write_mu_);
  return fn(*writer_);
}

template <typename Fn>
auto SqliteStore::Read(Fn&& fn) {
  if (reader_ == nullptr) return Write(std::forward<Fn>(fn));
  absl::MutexLock lock(&read_mu_);
  return fn(*reader_);
}

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path,
                                                               const SqliteStoreOptions& options) {
  if (path.empty()) return absl::InvalidArgumentError("sqlite store: empty database path");
  auto store = absl::WrapUnique(new SqliteStore());
  VIGIL_ASSIGN_OR_RETURN(auto writer, OpenConnection(path, options, /*reader=*/false));
  VIGIL_RETURN_IF_ERROR(Migrate(*writer));
  std::unique_ptr<SqliteConnection> reader;
  if (path != ":memory:") {
    VIGIL_ASSIGN_OR_RETURN(reader, OpenConnection(path, options, /*reader=*/true));
  }
  {
    absl::MutexLock write_lock(&store->write_mu_);
    absl::MutexLock read_lock(&store->read_mu_);
    store->writer_ = std::move(writer);
    store->reader_ = std::move(reader);
  }
  return store;
}

SqliteStore::~SqliteStore() = default;

absl::StatusOr<int> SqliteStore::SchemaVersion() {
  return Read([](SqliteConnection& conn) -> absl::StatusOr<int> {
    VIGIL_ASSIGN_OR_RETURN(int64_t version,
                           QueryInt(conn, "PRAGMA user_version", "reading the schema version"));
    return static_cast<int>(version);
  });
}

absl::StatusOr<std::vector<InsertResult>> SqliteStore::Insert(std::vector<StoredAlert> alerts) {
  for (size_t i = 0; i < alerts.size(); ++i) VIGIL_RETURN_IF_ERROR(ValidateAlert(alerts[i], i));
  if (alerts.empty()) return std::vector<InsertResult>();
  return Write([&alerts](SqliteConnection& conn) -> absl::StatusOr<std::vector<InsertResult>> {
    VIGIL_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(conn, "storing alerts"));
    std::vector<InsertResult> results;
    results.reserve(alerts.size());
    int64_t stored = 0;
    uint64_t stored_bytes = 0;
    for (const StoredAlert& alert : alerts) {
      InsertResult result;
      {
        VIGIL_ASSIGN_OR_RETURN(
            Statement find,
            Statement::Prepare(conn,
                               "SELECT cursor FROM alerts WHERE sensor_id = ? AND epoch = ? "
                               "AND sensor_seq = ?"));
        find.Text(1, alert.sensor_id)
            .Text(2, alert.epoch)
            .Int(3, static_cast<int64_t>(alert.sensor_seq));
        VIGIL_ASSIGN_OR_RETURN(bool found, find.Step("storing alerts: looking up duplicates"));
        if (found) {
          result.cursor = static_cast<uint64_t>(find.ColumnInt(0));
          result.duplicate = true;
          results.push_back(result);
          continue;
        }
      }
      const std::string tags = EncodeTags(alert.tags);
      const uint64_t bytes = AccountedBytes(alert, tags);
      {
        VIGIL_ASSIGN_OR_RETURN(
            Statement insert,
            Statement::Prepare(conn,
                               "INSERT INTO alerts (sensor_id, sensor_seq, node, rule, priority, "
                               "tags, time_ns, received_ns, gap, lost, payload, bytes, epoch) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
        insert.Text(1, alert.sensor_id)
            .Int(2, static_cast<int64_t>(alert.sensor_seq))
            .Text(3, alert.node)
            .Text(4, alert.rule)
            .Int(5, alert.priority)
            .Blob(6, tags)
            .Int(7, alert.time_ns)
            .Int(8, alert.received_ns)
            .Int(9, alert.gap ? 1 : 0)
            .Int(10, static_cast<int64_t>(alert.lost))
            .Blob(11, alert.payload)
            .Int(12, static_cast<int64_t>(bytes))
            .Text(13, alert.epoch);
        VIGIL_RETURN_IF_ERROR(insert.Run("storing alerts: inserting"));
      }
      result.cursor = static_cast<uint64_t>(sqlite3_last_insert_rowid(conn.db()));
      if (!alert.tags.empty()) {
        VIGIL_ASSIGN_OR_RETURN(
            Statement tag_insert,
            Statement::Prepare(conn,
                               "INSERT OR IGNORE INTO alert_tags (cursor, tag) VALUES (?, ?)"));
        for (const std::string& tag : alert.tags) {
          VIGIL_RETURN_IF_ERROR(tag_insert.Reset()
                                    .Int(1, static_cast<int64_t>(result.cursor))
                                    .Text(2, tag)
                                    .Run("storing alerts: inserting tags"));
        }
      }
      ++stored;
      stored_bytes += bytes;
      results.push_back(result);
    }
    if (stored > 0) {
      VIGIL_ASSIGN_OR_RETURN(
          Statement stats,
          Statement::Prepare(
              conn, "UPDATE alert_stats SET count = count + ?, bytes = bytes + ? WHERE id = 1"));
      VIGIL_RETURN_IF_ERROR(stats.Int(1, stored)
                                .Int(2, static_cast<int64_t>(stored_bytes))
                                .Run("storing alerts: updating the counts"));
    }
    VIGIL_RETURN_IF_ERROR(tx.Commit());
    return results;
  });
}

absl::StatusOr<std::vector<StoredAlert>> SqliteStore::ReadAfter(uint64_t cursor,
                                                                const AlertFilter& filter,
                                                                size_t limit) {
  limit = std::min(limit, kMaxReadLimit);
  // Cursors are SQLite rowids: none is above INT64_MAX.
  constexpr uint64_t kMaxCursor = std::numeric_limits<int64_t>::max();
  if (limit == 0 || cursor >= kMaxCursor) return std::vector<StoredAlert>();
  AlertQuery query("cursor > ?", static_cast<int64_t>(cursor));
  query.AddFilter(filter);
  query.Finish("ASC", limit);
  return Read([&query](SqliteConnection& conn) { return query.Run(conn); });
}

absl::StatusOr<std::vector<StoredAlert>> SqliteStore::Query(const AlertFilter& filter,
                                                            uint64_t before_cursor, size_t limit) {
  limit = std::min(limit, kMaxReadLimit);
  if (limit == 0) return std::vector<StoredAlert>();
  // Cursors are SQLite rowids: every one is below a bound above INT64_MAX.
  const bool bounded =
      before_cursor != 0 && before_cursor <= uint64_t{std::numeric_limits<int64_t>::max()};
  AlertQuery query(bounded ? "cursor < ?" : "", static_cast<int64_t>(before_cursor));
  query.AddFilter(filter);
  query.Finish("DESC", limit);
  return Read([&query](SqliteConnection& conn) { return query.Run(conn); });
}

absl::StatusOr<uint64_t> SqliteStore::LastCursor() {
  return Read([](SqliteConnection& conn) -> absl::StatusOr<uint64_t> {
    VIGIL_ASSIGN_OR_RETURN(int64_t last,
                           QueryInt(conn, "SELECT seq FROM sqlite_sequence WHERE name = 'alerts'",
                                    "reading the last cursor"));
    return static_cast<uint64_t>(last);
  });
}

absl::StatusOr<uint64_t> SqliteStore::OldestCursor() {
  return Read([](SqliteConnection& conn) -> absl::StatusOr<uint64_t> {
    VIGIL_ASSIGN_OR_RETURN(int64_t oldest, QueryInt(conn, "SELECT min(cursor) FROM alerts",
                                                    "reading the oldest cursor"));
    return static_cast<uint64_t>(oldest);
  });
}

absl::StatusOr<uint64_t> SqliteStore::Count() {
  return Read([](SqliteConnection& conn) -> absl::StatusOr<uint64_t> {
    VIGIL_ASSIGN_OR_RETURN(
        int64_t count,
        QueryInt(conn, "SELECT count FROM alert_stats WHERE id = 1", "counting alerts"));
    return static_cast<uint64_t>(count);
  });
}

absl::StatusOr<uint64_t> SqliteStore::SizeBytes() {
  return Read([](SqliteConnection& conn) -> absl::StatusOr<uint64_t> {
    VIGIL_ASSIGN_OR_RETURN(
        int64_t bytes,
        QueryInt(conn, "SELECT bytes FROM alert_stats WHERE id = 1", "reading the stored size"));
    return static_cast<uint64_t>(bytes);
  });
}

absl::StatusOr<uint64_t> SqliteStore::ApplyRetention(int64_t max_age_ns, uint64_t max_bytes) {
  if (max_age_ns < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("sqlite store: negative retention age ", max_age_ns));
  }
  const bool by_age = max_age_ns > 0;
  const int64_t cutoff_ns = by_age ? absl::GetCurrentTimeNanos() - max_age_ns : 0;
  uint64_t total = 0;
  for (;;) {
    bool more = false;
    VIGIL_ASSIGN_OR_RETURN(uint64_t deleted, Write([&](SqliteConnection& conn) {
                             return RetentionChunk(conn, by_age, cutoff_ns, max_bytes, &more);
                           }));
    total += deleted;
    if (!more) return total;
  }
}

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

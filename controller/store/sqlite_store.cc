// SqliteStore's lifecycle: opening the write and read connections with the configured
// durability, migrating the schema, and reporting the schema version.
#include "controller/store/sqlite_store.h"

#include <sqlite3.h>

#include <memory>
#include <string>
#include <utility>

#include "absl/memory/memory.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "controller/store/sqlite_handle.h"
#include "controller/store/sqlite_schema.h"
#include "controller/store/sqlite_store_internal.h"

namespace vigil::controller {

using sqlite_internal::Migrate;
using sqlite_internal::ReadSchemaVersion;
using sqlite_internal::SqliteError;
using sqlite_internal::Statement;

namespace {

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
  auto conn = std::make_unique<SqliteConnection>(db, SqliteStore::kMaxCachedStatements);
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

}  // namespace

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
    VIGIL_ASSIGN_OR_RETURN(int64_t version, ReadSchemaVersion(conn));
    return static_cast<int>(version);
  });
}

}  // namespace vigil::controller

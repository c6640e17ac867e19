// The SQLite handles behind SqliteStore: the connection with its statement cache, the scoped
// statement and transaction, and the mapping of SQLite result codes to absl::Status.
#include "controller/store/sqlite_handle.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace vigil::controller {

using sqlite_internal::SqliteError;

SqliteConnection::SqliteConnection(sqlite3* db, size_t max_cached_statements)
    : db_(db), max_cached_statements_(max_cached_statements) {}

SqliteConnection::~SqliteConnection() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

absl::StatusOr<sqlite3_stmt*> SqliteConnection::Prepare(absl::string_view sql, bool* owned) {
  *owned = false;
  auto it = statements_.find(sql);
  if (it != statements_.end()) return it->second;
  const bool cache = statements_.size() < max_cached_statements_;
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

absl::Status SqliteConnection::Exec(const char* sql, absl::string_view what) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
  sqlite3_free(message);  // sqlite3_errmsg() says the same
  if (rc != SQLITE_OK) return SqliteError(db_, rc, what);
  return absl::OkStatus();
}

namespace sqlite_internal {

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

absl::StatusOr<Statement> Statement::Prepare(SqliteConnection& conn, absl::string_view sql) {
  bool owned = false;
  VIGIL_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, conn.Prepare(sql, &owned));
  return Statement(stmt, owned);
}

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), owned_(other.owned_), bind_rc_(other.bind_rc_) {}

Statement::~Statement() {
  if (stmt_ == nullptr) return;
  if (owned_) {
    sqlite3_finalize(stmt_);
    return;
  }
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

absl::StatusOr<bool> Statement::Step(absl::string_view what) {
  if (bind_rc_ != SQLITE_OK) return SqliteError(nullptr, bind_rc_, what);
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(sqlite3_db_handle(stmt_), rc, what);
}

absl::Status Statement::Run(absl::string_view what) {
  for (;;) {
    VIGIL_ASSIGN_OR_RETURN(bool row, Step(what));
    if (!row) return absl::OkStatus();
  }
}

absl::Status Run(SqliteConnection& conn, absl::string_view sql, absl::string_view what) {
  VIGIL_ASSIGN_OR_RETURN(Statement stmt, Statement::Prepare(conn, sql));
  return stmt.Run(what);
}

absl::StatusOr<int64_t> QueryInt(SqliteConnection& conn, absl::string_view sql,
                                 absl::string_view what, int64_t fallback) {
  VIGIL_ASSIGN_OR_RETURN(Statement stmt, Statement::Prepare(conn, sql));
  VIGIL_ASSIGN_OR_RETURN(bool row, stmt.Step(what));
  if (!row || stmt.ColumnIsNull(0)) return fallback;
  return stmt.ColumnInt(0);
}

absl::StatusOr<Transaction> Transaction::Begin(SqliteConnection& conn, absl::string_view what) {
  VIGIL_RETURN_IF_ERROR(Run(conn, "BEGIN IMMEDIATE", absl::StrCat(what, ": BEGIN")));
  return Transaction(conn, what);
}

Transaction::Transaction(Transaction&& other) noexcept
    : conn_(other.conn_), what_(other.what_), active_(std::exchange(other.active_, false)) {}

Transaction::~Transaction() {
  if (active_) (void)Run(*conn_, "ROLLBACK", "ROLLBACK");
}

absl::Status Transaction::Commit() {
  VIGIL_RETURN_IF_ERROR(Run(*conn_, "COMMIT", absl::StrCat(what_, ": COMMIT")));
  active_ = false;
  return absl::OkStatus();
}

}  // namespace sqlite_internal
}  // namespace vigil::controller

// The SQLite handles SqliteStore is built on: SqliteConnection owns a sqlite3* and its cached
// prepared statements; Statement binds, steps and resets one of them within a scope;
// Transaction is a write transaction rolled back unless committed; SqliteError turns SQLite
// result codes into absl::Status codes; Run, QueryInt and ReadAll are the one-call forms of
// the common statement shapes. Internal to controller/store: included only by SqliteStore's
// own .cc files, never by its users.
#ifndef VIGIL_CONTROLLER_STORE_SQLITE_HANDLE_H_
#define VIGIL_CONTROLLER_STORE_SQLITE_HANDLE_H_

#include <sqlite3.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"

namespace vigil::controller {

// One SQLite connection and its prepared statements, keyed by their SQL text, so that each
// statement is compiled once per connection. Owns the sqlite3* (closed on destruction). Not
// thread-safe: SqliteStore guards each connection with a mutex.
class SqliteConnection {
 public:
  // Takes ownership of `db`. At most `max_cached_statements` statements are kept prepared;
  // past that, Prepare hands out statements the caller finalizes, so that queries built
  // from filters cannot grow the cache without bound.
  SqliteConnection(sqlite3* db, size_t max_cached_statements);
  // Finalizes the cached statements and closes the connection.
  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  // The raw handle, for the SQLite calls the wrappers do not cover (last_insert_rowid).
  sqlite3* db() const { return db_; }

  // The statement for `sql`: the cached one, or a new one cached for later. When the cache
  // is full the statement is not cached and *owned is set: the caller finalizes it.
  absl::StatusOr<sqlite3_stmt*> Prepare(absl::string_view sql, bool* owned);

  // Runs `sql`, which may hold several statements and returns no rows (the migrations and
  // the connection's PRAGMAs). `what` names the step in the error.
  absl::Status Exec(const char* sql, absl::string_view what);

 private:
  sqlite3* const db_;
  const size_t max_cached_statements_;
  absl::flat_hash_map<std::string, sqlite3_stmt*> statements_;
};

// SqliteStore's building blocks, kept out of vigil::controller's own namespace.
namespace sqlite_internal {

// An error from SQLite: "sqlite store: <what>: <SQLite's message> (code <rc>)", with the
// absl code the caller can act on (busy and locked are UNAVAILABLE, a full disk is
// RESOURCE_EXHAUSTED, a corrupt file DATA_LOSS, constraints and permissions
// FAILED_PRECONDITION, anything else INTERNAL). `db` may be null (then the message is
// SQLite's text for `rc`).
absl::Status SqliteError(sqlite3* db, int rc, absl::string_view what);

// A prepared statement in use: bound, stepped, then reset (and its bindings cleared) when
// it goes out of scope, so that the cached statement is ready for its next user. Bound text
// and blobs are not copied: they must outlive it. A failed bind is reported by the next
// Step, so that calls can be chained.
class Statement {
 public:
  // The statement for `sql` on `conn` (cached there, or owned by this object).
  static absl::StatusOr<Statement> Prepare(SqliteConnection& conn, absl::string_view sql);
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  // Resets the statement and clears its bindings, or finalizes it when it is not cached.
  ~Statement();

  // Makes the statement ready to be bound and run again (for a statement run in a loop).
  Statement& Reset() {
    sqlite3_reset(stmt_);
    bind_rc_ = SQLITE_OK;
    return *this;
  }

  // Binds parameter `i` (1-based) to an integer.
  Statement& Int(int i, int64_t value) { return Check(sqlite3_bind_int64(stmt_, i, value)); }
  // Binds parameter `i` (1-based) to text; an empty view binds '' (never NULL).
  Statement& Text(int i, absl::string_view value) {
    // An empty view may have no data; SQLite would take that for NULL.
    const char* data = value.empty() ? "" : value.data();
    return Check(sqlite3_bind_text(stmt_, i, data, static_cast<int>(value.size()), SQLITE_STATIC));
  }
  // Binds parameter `i` (1-based) to a blob; an empty view binds an empty blob (never NULL).
  Statement& Blob(int i, absl::string_view value) {
    if (value.empty()) return Check(sqlite3_bind_zeroblob(stmt_, i, 0));
    return Check(
        sqlite3_bind_blob(stmt_, i, value.data(), static_cast<int>(value.size()), SQLITE_STATIC));
  }

  // Steps once: true when a row is ready, false when the statement is done. `what` names
  // the step in the error (which is also where a failed bind is reported).
  absl::StatusOr<bool> Step(absl::string_view what);
  // Steps to the end (for statements that return no rows).
  absl::Status Run(absl::string_view what);

  // Column `i` (0-based) of the current row as an integer.
  int64_t ColumnInt(int i) const { return sqlite3_column_int64(stmt_, i); }
  // Whether column `i` (0-based) of the current row is NULL.
  bool ColumnIsNull(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }
  // Column `i` (0-based) of the current row as bytes, text or blob alike (no conversion).
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

// Runs one statement that returns no rows. `what` names the step in the error.
absl::Status Run(SqliteConnection& conn, absl::string_view sql, absl::string_view what);

// The single integer of a one-row query, or `fallback` when it returns NULL or no row (as
// min() or a missing sqlite_sequence row do on an empty table).
absl::StatusOr<int64_t> QueryInt(SqliteConnection& conn, absl::string_view sql,
                                 absl::string_view what, int64_t fallback = 0);

// Every row of `stmt`, each made into a T by `read(const Statement&)`.
template <typename T, typename ReadRow>
absl::StatusOr<std::vector<T>> ReadAll(Statement& stmt, absl::string_view what, ReadRow read) {
  std::vector<T> out;
  for (;;) {
    VIGIL_ASSIGN_OR_RETURN(bool row, stmt.Step(what));
    if (!row) return out;
    out.push_back(read(stmt));
  }
}

// A write transaction (BEGIN IMMEDIATE: the write lock is taken at once, so that a
// read-then-write transaction cannot fail to upgrade its lock), rolled back unless
// committed: an early return on an error leaves the database as it was.
class Transaction {
 public:
  // Begins a transaction on `conn`; `what` names it in the errors of BEGIN and COMMIT.
  static absl::StatusOr<Transaction> Begin(SqliteConnection& conn, absl::string_view what);
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  // Rolls back unless committed.
  ~Transaction();

  // Commits; after an error the transaction is still rolled back on destruction.
  absl::Status Commit();

 private:
  Transaction(SqliteConnection& conn, absl::string_view what)
      : conn_(&conn), what_(what), active_(true) {}

  SqliteConnection* conn_;
  std::string what_;
  bool active_;
};

}  // namespace sqlite_internal
}  // namespace vigil::controller

#endif  // VIGIL_CONTROLLER_STORE_SQLITE_HANDLE_H_

// The SQLite store's schema: the migration steps that build it version by version, and the
// schema version a database records (PRAGMA user_version). Internal to controller/store:
// included only by SqliteStore's own .cc files.
#ifndef VIGIL_CONTROLLER_STORE_SQLITE_SCHEMA_H_
#define VIGIL_CONTROLLER_STORE_SQLITE_SCHEMA_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace vigil::controller {

class SqliteConnection;

namespace sqlite_internal {

// The schema version the database on `conn` records (PRAGMA user_version: 0 for a new
// file), for Migrate and for SqliteStore::SchemaVersion.
absl::StatusOr<int64_t> ReadSchemaVersion(SqliteConnection& conn);

// Takes the database on `conn` to SqliteStore::kSchemaVersion, applying each pending step in
// its own transaction so that a crash leaves the database at a version it had.
// FAILED_PRECONDITION when the database records a newer (or a negative) version: a newer
// controller wrote it, and this one must not write to a schema it does not know.
absl::Status Migrate(SqliteConnection& conn);

}  // namespace sqlite_internal
}  // namespace vigil::controller

#endif  // VIGIL_CONTROLLER_STORE_SQLITE_SCHEMA_H_

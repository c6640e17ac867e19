// SqliteStore: the alert and fleet stores in one embedded SQLite database file.
//
// Durability: the database runs in WAL mode. With the default Durability::kPowerLoss
// (synchronous=FULL) every committed transaction has been fsync'ed to the write-ahead log
// before Insert returns, so an alert the controller acks after storing survives a crash
// of the controller, of the kernel, or a power cut. Durability::kProcessCrash
// (synchronous=NORMAL) syncs only at checkpoints: an acked alert survives a crash or kill
// of the controller process, but the last transactions before a kernel crash or power cut
// may be lost, and the sensors (which deleted them from their spools on the ack) cannot
// send them again. Either way the database itself stays consistent. The price of FULL is
// one fsync per Insert: on a busy 2-vCPU VM, batches of 100 alerts with 300-byte payloads
// went in at about 18,000 alerts/s with FULL and 45,000 with NORMAL
// (SqliteStoreTest.DISABLED_InsertThroughput).
//
// Schema (PRAGMA user_version; migrations are applied in order at Open, each in its own
// transaction, and a database newer than this code is refused):
//   1: alerts (cursor INTEGER PRIMARY KEY AUTOINCREMENT, so cursors are never reused;
//      UNIQUE (sensor_id, sensor_seq); indexes on time_ns and rule), alert_tags (cursor,
//      tag) deleted with their alert, alert_stats (one row: count and accounted bytes).
//   2: sensors, rule_sets, desired_state (one row), rollout (per sensor and kind).
//   3: alerts.epoch (the sending spool's epoch; '' before), and the de-duplication key
//      becomes UNIQUE (sensor_id, epoch, sensor_seq).
//   4: probe_bundles (signed probe-module bundles by content hash: module name, version,
//      signing key id, manifest, bytes, created time).
//
// Cursors are assigned without holes: each stored alert gets the previous highest + 1
// (duplicates take none, and a failed batch's are taken back).
//
// Threads: writes go through one connection guarded by a mutex; reads of a file
// database go through a second connection with its own mutex, so readers do not wait for
// writers (WAL lets them read the last committed state). A ":memory:" database has one
// connection for both.
//
// Code: the members are defined by concern in sqlite_store.cc (opening, connection setup),
// sqlite_alerts.cc (AlertStore) and sqlite_fleet.cc (FleetStore), on the connection,
// statement and transaction handles of sqlite_handle.h; the migration steps are in
// sqlite_schema.cc.
#ifndef VIGIL_CONTROLLER_STORE_SQLITE_STORE_H_
#define VIGIL_CONTROLLER_STORE_SQLITE_STORE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "controller/store/alert_store.h"
#include "controller/store/fleet_store.h"

namespace vigil::controller {

// One SQLite connection and its prepared statements (defined in sqlite_handle.h).
class SqliteConnection;

// How much a committed transaction survives; see the file comment.
enum class Durability {
  kPowerLoss,     // synchronous=FULL: survives power loss and kernel crashes
  kProcessCrash,  // synchronous=NORMAL: survives the controller's crash only
};

// How SqliteStore::Open sets up the database.
struct SqliteStoreOptions {
  // What a committed transaction survives, against what it costs (see the file comment).
  Durability durability = Durability::kPowerLoss;
  // How long a statement waits for another process's lock before failing UNAVAILABLE.
  int busy_timeout_ms = 5000;
};

// The alert store and the fleet store on one SQLite database (see the file comment).
// Thread-safe.
class SqliteStore final : public AlertStore, public FleetStore {
 public:
  // The schema version Open migrates every database to.
  static constexpr int kSchemaVersion = 4;
  // Per alert, what SizeBytes counts besides its payload, texts and tags: the numbers,
  // row and index entry headers, and the pages' free space (measured: see SizeBytes).
  static constexpr uint64_t kRowOverheadBytes = 128;
  // At most this many statements are kept prepared per connection.
  static constexpr size_t kMaxCachedStatements = 128;
  // ApplyRetention deletes at most this many alerts per transaction, letting writers in
  // between.
  static constexpr size_t kRetentionChunk = 5000;

  // Opens (creating it if missing) the database at `path`, or a private in-memory one for
  // ":memory:", and migrates it to kSchemaVersion. FAILED_PRECONDITION when the database
  // has a newer schema or WAL cannot be enabled; other errors name the step that failed.
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(const std::string& path,
                                                           const SqliteStoreOptions& options = {});
  // Closes both connections; closing the last one checkpoints the WAL into the file.
  ~SqliteStore() override;

  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // AlertStore (documented in alert_store.h; defined in sqlite_alerts.cc).
  absl::StatusOr<std::vector<InsertResult>> Insert(std::vector<StoredAlert> alerts) override;
  absl::StatusOr<std::vector<StoredAlert>> ReadAfter(uint64_t cursor, const AlertFilter& filter,
                                                     size_t limit) override;
  absl::StatusOr<std::vector<StoredAlert>> Query(const AlertFilter& filter, uint64_t before_cursor,
                                                 size_t limit) override;
  absl::StatusOr<uint64_t> LastCursor() override;
  absl::StatusOr<uint64_t> OldestCursor() override;
  absl::StatusOr<uint64_t> Count() override;
  // An estimate of the space the stored alerts take in the file: per alert, its payload
  // and node, twice its sensor_id, rule and tags (they are indexed), and
  // kRowOverheadBytes (within a few percent of the file for 300-byte payloads). Not
  // counted: the WAL (up to 64 MiB after a checkpoint) and free pages: the file does not
  // shrink when alerts are deleted, later inserts reuse the space.
  absl::StatusOr<uint64_t> SizeBytes() override;
  absl::StatusOr<uint64_t> ApplyRetention(int64_t max_age_ns, uint64_t max_bytes) override;

  // FleetStore (documented in fleet_store.h; defined in sqlite_fleet.cc).
  absl::Status UpsertSensor(const SensorRecord& sensor) override;
  absl::StatusOr<SensorRecord> GetSensor(absl::string_view sensor_id) override;
  absl::StatusOr<std::vector<SensorRecord>> ListSensors() override;
  absl::Status MarkAllDisconnected() override;
  absl::StatusOr<bool> PutRuleSet(const RuleSetRecord& rule_set) override;
  absl::StatusOr<RuleSetRecord> GetRuleSet(absl::string_view version) override;
  absl::StatusOr<std::vector<RuleSetVersion>> ListRuleSets() override;
  absl::Status SetDesiredRuleSet(absl::string_view version) override;
  absl::StatusOr<std::string> GetDesiredRuleSet() override;
  absl::StatusOr<bool> PutBundle(const BundleRecord& bundle) override;
  absl::StatusOr<BundleRecord> GetBundle(absl::string_view hash) override;
  absl::StatusOr<std::vector<BundleInfo>> ListBundles() override;
  absl::Status SetDesiredModules(const ModuleSettingsRecord& modules) override;
  absl::StatusOr<ModuleSettingsRecord> GetDesiredModules() override;
  absl::Status SetRollout(const RolloutRecord& rollout) override;
  absl::StatusOr<std::vector<RolloutRecord>> ListRollout(RolloutKind kind,
                                                         absl::string_view version) override;
  absl::StatusOr<std::vector<RolloutRecord>> GetRollout(absl::string_view sensor_id) override;

  // The schema version of the open database (kSchemaVersion once Open succeeded).
  absl::StatusOr<int> SchemaVersion();

 private:
  SqliteStore() = default;

  // Runs fn(SqliteConnection&) under the read connection's mutex, or under the write
  // connection's when there is no read connection, and returns what it returns. Read and
  // Write are defined in sqlite_store_internal.h, for every file that defines members.
  template <typename Fn>
  auto Read(Fn&& fn);
  // Runs fn(SqliteConnection&) under the write connection's mutex.
  template <typename Fn>
  auto Write(Fn&& fn);

  absl::Mutex write_mu_;
  std::unique_ptr<SqliteConnection> writer_ ABSL_PT_GUARDED_BY(write_mu_);
  absl::Mutex read_mu_;
  std::unique_ptr<SqliteConnection> reader_ ABSL_PT_GUARDED_BY(read_mu_);  // null: ":memory:"
};

}  // namespace vigil::controller

#endif  // VIGIL_CONTROLLER_STORE_SQLITE_STORE_H_

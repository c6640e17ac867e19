// AlertStore: where the controller keeps the alerts sensors send it, for resumable
// subscriptions and paged history. Independent of the wire format: an alert is stored as
// opaque serialized bytes plus the columns the filters need.
#ifndef VIGIL_CONTROLLER_STORE_ALERT_STORE_H_
#define VIGIL_CONTROLLER_STORE_ALERT_STORE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace vigil::controller {

// One stored alert, or a gap record saying alerts were lost.
struct StoredAlert {
  // Assigned by the store on insert (ignored there): strictly increasing, never reused,
  // not even after retention deleted the newest alerts or the store was reopened.
  uint64_t cursor = 0;
  // The sending sensor (not empty), its spool epoch and its sequence number: the
  // de-duplication key (a sensor whose spool was lost numbers again from 1 in a new epoch).
  std::string sensor_id;
  std::string epoch;
  uint64_t sensor_seq = 0;
  std::string node;
  std::string rule;
  // 0 = emergency ... 7 = debug.
  int priority = 0;
  std::vector<std::string> tags;  // none may contain '\0'
  // When the event happened (the sensor's wall clock), and when the controller received
  // the alert (its own clock; retention by age uses this one).
  int64_t time_ns = 0;
  int64_t received_ns = 0;
  // A gap record: `lost` alerts were lost before this point.
  bool gap = false;
  uint64_t lost = 0;
  // The serialized alert, at most AlertStore::kMaxPayloadBytes.
  std::string payload;
};

// Which alerts a read returns. Every non-empty criterion must hold. Gap records pass every
// criterion except `nodes`, so a filtered subscriber still learns that alerts (which might
// have matched) were lost on the nodes it watches.
struct AlertFilter {
  // Only alerts at least this severe (priority <= max_priority); unset: all.
  std::optional<int> max_priority;
  // Any of these (exact match); empty: all.
  std::vector<std::string> rules;
  std::vector<std::string> tags;  // the alert carries at least one of them
  std::vector<std::string> nodes;
  // time_ns in [since_ns, until_ns); 0 leaves that side unbounded.
  int64_t since_ns = 0;
  int64_t until_ns = 0;
};

// What Insert did with one alert of a batch.
struct InsertResult {
  // The alert's cursor: a new one, or the one stored before for a duplicate.
  uint64_t cursor = 0;
  // The (sensor_id, epoch, sensor_seq) key was stored already (earlier, or earlier in the same
  // batch): nothing was stored.
  bool duplicate = false;
};

// The alert store. Implementations are thread-safe.
//
// Cursors: a subscriber that has seen everything up to cursor c resumes with
// ReadAfter(c). c is in the future when c > LastCursor(); alerts after c were deleted by
// retention when c + 1 < OldestCursor(), or, with the store empty, when c < LastCursor().
// (Cursors are assigned without holes by stores whose documentation says so; SqliteStore
// does.)
class AlertStore {
 public:
  // The largest payload Insert accepts.
  static constexpr size_t kMaxPayloadBytes = size_t{1} << 20;
  // Reads return at most this many alerts, whatever limit asks for.
  static constexpr size_t kMaxReadLimit = 10000;

  virtual ~AlertStore() = default;

  // Stores a batch in one transaction: either all new alerts are stored or none is. Alerts
  // whose (sensor_id, epoch, sensor_seq) is stored already are not stored again. Returns one
  // result per alert, in order. INVALID_ARGUMENT (and nothing stored) when any alert has an
  // empty sensor_id, a priority outside 0..7, a tag containing '\0' or a payload over
  // kMaxPayloadBytes.
  virtual absl::StatusOr<std::vector<InsertResult>> Insert(std::vector<StoredAlert> alerts) = 0;

  // Up to `limit` alerts matching `filter` with a cursor greater than `cursor`, oldest
  // first. Resuming with the last cursor returned continues with no gap and no repeat.
  virtual absl::StatusOr<std::vector<StoredAlert>> ReadAfter(uint64_t cursor,
                                                             const AlertFilter& filter,
                                                             size_t limit) = 0;

  // Up to `limit` alerts matching `filter` with a cursor less than `before_cursor` (0: no
  // bound), newest first. The next page: before_cursor = the last cursor returned.
  virtual absl::StatusOr<std::vector<StoredAlert>> Query(const AlertFilter& filter,
                                                         uint64_t before_cursor, size_t limit) = 0;

  // The highest cursor ever assigned, even if retention deleted it since; 0 when nothing
  // was ever stored.
  virtual absl::StatusOr<uint64_t> LastCursor() = 0;
  // The lowest cursor still stored; 0 when the store is empty.
  virtual absl::StatusOr<uint64_t> OldestCursor() = 0;

  // How many alerts (gap records included) are stored.
  virtual absl::StatusOr<uint64_t> Count() = 0;
  // The stored alerts' size as retention counts it: see the implementation.
  virtual absl::StatusOr<uint64_t> SizeBytes() = 0;

  // Deletes the oldest alerts (lowest cursors) while the oldest one was received more than
  // `max_age_ns` ago or SizeBytes() exceeds `max_bytes` (0 disables either bound). Only a
  // prefix of the cursors is ever deleted. Returns how many alerts were deleted.
  virtual absl::StatusOr<uint64_t> ApplyRetention(int64_t max_age_ns, uint64_t max_bytes) = 0;
};

}  // namespace vigil::controller

#endif  // VIGIL_CONTROLLER_STORE_ALERT_STORE_H_

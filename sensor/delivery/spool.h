// Spool: the sensor's durable, bounded queue of numbered alerts awaiting the controller's ack.
//
// The first half of the delivery contract: the sensor numbers each alert, writes it here
// before sending it, and deletes it only after the controller has acked it. What the spool
// holds survives a sensor restart, a kill -9 and (with fsync on) an OS crash, without loss or
// duplication; when it is full, alerts are refused, counted, and the loss is written into the
// stream as a gap record so the controller sees where and how many were lost.
//
// On disk, a directory:
//   seg-<first seq, 20 digits>.log  append-only segments, in sequence order
//   state                            ack watermark, sequence lease, owed gap (44 bytes)
//   epoch                            the spool's epoch: 32 hex digits and a newline
//   lock                             flock'ed while a Spool has the directory open
// A segment starts with a 16-byte header, "VSPOOL01" and the u64 number of its first record,
// followed by records framed as sensor/delivery/spool_record.h describes (a header with the kind,
// length and number, the payload, a CRC32C); a gap record's payload is the u64 count of
// alerts lost at that point. All integers are little-endian. Inside a segment the numbers
// are consecutive; a segment rolls when the next record would take it past `segment_bytes`
// (one record larger than that gets a segment of its own). Each Open starts a new segment.
// The state file is "VSPSTAT1", u64 acked (every number <= it is acked), u64 sequence
// ceiling (no number >= it was ever handed out), u64 owed gap count, u64 the first number
// the owed gap may take, u32 CRC32C; it is replaced by write-temp, fsync, rename.
//
// Sequence numbers start at 1, increase by one per record (gap records take numbers too)
// and are never reused, across restarts and crashes included: numbers are leased in blocks
// of `sequence_lease`, the lease persisted before any of its numbers is handed out. A clean
// close returns the unused part, so numbering after a clean restart is contiguous; after a
// crash it may jump (by less than one lease). A jump in numbers is therefore no sign of loss:
// losses show as gap records (refused alerts) and in corrupt_records() (damaged data).
//
// Delivery is at least once: an ack whose state write failed, or that a crash overtook, may
// have records sent again after a restart; the controller drops them by (sensor, epoch, sequence).
//
// Durability (SpoolOptions::fsync):
//   kBatch (default)  Sync() makes everything appended before it durable (segment data,
//                     new directory entries, owed gap count). The sender calls Sync() before
//                     sending, so nothing the controller acks can be lost by a crash.
//   kAlways           each Append is durable when it returns.
//   kNever            no fsync at all: survives a process crash, not an OS crash.
// The state file is fsynced on every write unless kNever. Segment removals are not fsynced:
// a removal lost in an OS crash leaves an acked segment, removed again at the next Open.
//
// Overflow: the total size of the segments is kept within `max_bytes`. An Append that does
// not fit, or fails for any other reason, stores nothing, counts the alert in dropped() and
// owes a gap; the next stored alert is preceded by a gap record carrying the owed count. The
// owed count is persisted on the first drop of an overflow, on Sync() and on every drop under
// kAlways, so a restart does not forget it (it may under-count drops after the last Sync()).
//
// Recovery on Open: every record's framing, number and CRC are checked. A torn or corrupt
// tail of the newest segment (a crash mid-write) is truncated away; a corrupt record in an
// older segment makes the rest of that segment unreadable. Either way corrupt_records()
// counts one per such spot, and Open succeeds. Records at or below the persisted ack
// watermark are not sent again; segments holding only acked records are removed.
//
// Epoch: a random 128-bit id made when the spool is created (before its first state
// write), and made anew when the epoch file is unreadable. Sequence numbers are unique
// within an epoch only: a spool that is wiped starts again from 1 under a new epoch, and
// the controller de-duplicates by (sensor, epoch, sequence). A spool written before
// epochs existed (a state file but no epoch file) keeps the empty epoch, under which its
// numbers were stored.
//
// Memory: only an index of segments (numbers, sizes, path) is kept; reads open the files.
// Files are created 0600 and the directory 0700.
//
// Thread-safe. The pipeline thread appends while the sender reads, syncs and acks. Reads
// and Sync() do their I/O outside the lock, and state writes (serialized by a second mutex)
// hold it only to copy values, so an append does not wait for the sender's fsyncs. An append
// itself writes the state file once per lease and on the first drop of an overflow.
#ifndef VIGIL_SENSOR_DELIVERY_SPOOL_H_
#define VIGIL_SENSOR_DELIVERY_SPOOL_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/unique_fd.h"
#include "sensor/delivery/spool_record.h"

namespace vigil::sensor {

// When the spool calls fsync; see the file comment.
enum class FsyncPolicy { kAlways, kBatch, kNever };

// How a spool is run. Open rejects values it cannot work with.
struct SpoolOptions {
  // When to fsync; see the file comment.
  FsyncPolicy fsync = FsyncPolicy::kBatch;
  // A segment rolls when the next record would take it past this size (at least 64).
  uint64_t segment_bytes = 4 << 20;
  // Upper bound of the segments' total size (at least segment_bytes).
  uint64_t max_bytes = 256 << 20;
  // Sequence numbers reserved per state write (at least 1).
  uint64_t sequence_lease = 1 << 16;
};

// One record read back from the spool.
struct SpoolRecord {
  uint64_t seq = 0;  // sequence number
  RecordKind kind = RecordKind::kAlert;
  std::string payload;  // as appended; for a gap, the u64 little-endian count

  // For a gap record, the number of alerts lost at this point; 0 for an alert.
  uint64_t gap_count() const;
};

// The durable alert queue described in the file comment.
class Spool {
 public:
  // Largest alert payload Append accepts.
  static constexpr size_t kMaxPayload = kMaxRecordPayload;

  // Opens (creating it and its parents when missing) the spool in `dir` and recovers its
  // contents. Fails when the options are invalid, when another Spool holds the directory,
  // or on I/O errors; corrupt data is counted, not an error.
  static absl::StatusOr<std::unique_ptr<Spool>> Open(const std::string& dir,
                                                     const SpoolOptions& options = {});

  // Syncs (unless kNever) and records the exact next number, so a restart continues
  // without a jump.
  ~Spool();

  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  // Stores an alert and returns its sequence number; first writes a gap record when alerts
  // were dropped since the last stored one. Errors (the alert is then dropped, counted and
  // owed as a gap): InvalidArgument for a payload over kMaxPayload, ResourceExhausted when
  // it does not fit in max_bytes, others for I/O failures.
  absl::StatusOr<uint64_t> Append(absl::string_view payload) ABSL_LOCKS_EXCLUDED(mu_, state_mu_);

  // Makes everything appended so far durable (a no-op under kNever).
  absl::Status Sync() ABSL_LOCKS_EXCLUDED(mu_, state_mu_);

  // Unacked records numbered `seq` or above (so 0 or 1 means from the first unacked one),
  // in order, each checked against its CRC: at most `max_records`, and no more
  // payload bytes than `max_bytes` unless the first record alone is larger (it is returned
  // then, so a caller always makes progress). Empty when there is nothing to read.
  absl::StatusOr<std::vector<SpoolRecord>> ReadFrom(uint64_t seq, size_t max_records,
                                                    size_t max_bytes) ABSL_LOCKS_EXCLUDED(mu_);

  // Acknowledges every record numbered `seq` or below: persists the watermark and removes
  // the segments (other than the one being appended to) that hold only acked records.
  // Idempotent; numbers at or below the watermark are no-ops. InvalidArgument when `seq`
  // was never handed out (>= next_seq()).
  absl::Status Ack(uint64_t seq) ABSL_LOCKS_EXCLUDED(mu_, state_mu_);

  // The lowest unacked number held, or next_seq() when every record is acked.
  uint64_t first_unacked() const ABSL_LOCKS_EXCLUDED(mu_);
  // The number the next record will take.
  uint64_t next_seq() const ABSL_LOCKS_EXCLUDED(mu_);
  // The ack watermark: every number at or below it is acked.
  uint64_t acked() const ABSL_LOCKS_EXCLUDED(mu_);
  // Bytes the segments take on disk (acked records not yet removed included).
  uint64_t bytes() const ABSL_LOCKS_EXCLUDED(mu_);
  // Unacked records held (gap records included).
  uint64_t records() const ABSL_LOCKS_EXCLUDED(mu_);
  // Segment files held.
  size_t segments() const ABSL_LOCKS_EXCLUDED(mu_);
  // Alerts refused since Open.
  uint64_t dropped() const ABSL_LOCKS_EXCLUDED(mu_);
  // Dropped alerts not yet written as a gap record (carried across restarts).
  uint64_t gap_pending() const ABSL_LOCKS_EXCLUDED(mu_);
  // Corrupt or torn spots found since Open (see the file comment), and a corrupt state file.
  uint64_t corrupt_records() const ABSL_LOCKS_EXCLUDED(mu_);
  // The spool directory.
  const std::string& dir() const { return dir_; }
  // The spool's epoch (see the file comment); fixed once Open returns.
  const std::string& epoch() const { return epoch_; }

 private:
  // One segment file. Records first_seq..last_seq lie in [header, end).
  struct Segment {
    uint64_t first_seq = 0;
    uint64_t last_seq = 0;  // first_seq - 1 when it holds no readable record
    uint64_t size = 0;      // bytes in the file
    uint64_t end = 0;       // offset after the last readable record
    std::string path;
  };
  // What the state file holds.
  struct State {
    uint64_t acked = 0;
    uint64_t ceiling = 1;
    uint64_t gap_owed = 0;
    uint64_t gap_from = 0;
  };
  // Where the last ReadFrom stopped, to resume without rescanning the segment.
  struct ReadHint {
    uint64_t segment = 0;  // first_seq of the segment; 0 when unset
    uint64_t seq = 0;
    uint64_t offset = 0;
  };
  enum class StateWrite { kCurrent, kExtendLease, kExactClose };

  Spool(std::string dir, const SpoolOptions& options, UniqueFd dir_fd, UniqueFd lock_fd);

  absl::Status Recover() ABSL_LOCKS_EXCLUDED(mu_);
  // Reads the epoch file, or makes one unless the spool predates epochs (`legacy`).
  absl::Status LoadEpoch(bool legacy) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Replaces `name` in the spool directory by `data` (write `temp_name`, fsync, rename).
  absl::Status ReplaceFile(const char* temp_name, const char* name, absl::string_view data);
  // Writes the state file from the current values.
  absl::Status WriteState(StateWrite mode) ABSL_LOCKS_EXCLUDED(mu_, state_mu_);
  // Stores `payload` (after the owed gap, if any) in the active segment. Sets `stored` to
  // its number once it is written, even when a later step (kAlways' fsync) fails.
  absl::Status AppendLocked(absl::string_view payload, uint64_t* stored)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status CreateSegment() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Stops appending to the active segment (removing it when fully acked).
  void SealActive() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Unlinks the sealed segments whose records are all acked and drops them from the index.
  void RemoveAckedSegments() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A record failed its checks at `offset` while reading the segment starting at `first`.
  void MarkCorrupt(uint64_t first, uint64_t bad_seq, uint64_t offset)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool HasSegment(uint64_t first) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string dir_;
  const SpoolOptions options_;
  const UniqueFd dir_fd_;   // the spool directory, for the *at() calls and its fsyncs
  const UniqueFd lock_fd_;  // holds the flock on `lock` until the Spool goes away
  bool open_ = false;       // recovered; the destructor may write state
  std::string epoch_;       // set by Recover

  absl::Mutex state_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  mutable absl::Mutex mu_;
  std::deque<Segment> segments_ ABSL_GUARDED_BY(mu_);  // by first_seq
  int active_fd_ ABSL_GUARDED_BY(mu_) = -1;            // segments_.back(), when >= 0
  bool active_dirty_ ABSL_GUARDED_BY(mu_) = false;     // written since the last Sync
  bool dir_dirty_ ABSL_GUARDED_BY(mu_) = false;        // segments created since the last Sync
  // Sealed segments with writes not yet synced: fd and path, closed by Sync.
  std::vector<std::pair<int, std::string>> unsynced_ ABSL_GUARDED_BY(mu_);
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t ceiling_ ABSL_GUARDED_BY(mu_) = 1;  // persisted lease end
  uint64_t acked_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t gap_pending_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t gap_persisted_ ABSL_GUARDED_BY(mu_) = 0;  // gap_pending_ in the state file
  uint64_t corrupt_ ABSL_GUARDED_BY(mu_) = 0;
  ReadHint hint_ ABSL_GUARDED_BY(mu_);
  std::string write_buf_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vigil::sensor

#endif  // VIGIL_SENSOR_DELIVERY_SPOOL_H_

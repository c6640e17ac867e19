// The durable alert spool: recovery, appends, reads, acks and the state and epoch files.
//
// One file by design: recovery, appending, reading and acking keep one set of invariants
// over the segments and the state file (numbers never reused, acked segments removed,
// corruption counted once) under the same locks, and splitting them would spread those
// invariants over several files. The record codec and its CRC are already apart
// (spool_record.h, common/crc32c.h).
#include "sensor/delivery/spool.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/crc32c.h"
#include "common/little_endian.h"
#include "common/random_id.h"
#include "common/status_macros.h"
#include "common/unique_fd.h"
#include "sensor/delivery/spool_record.h"

namespace vigil::sensor {
namespace {

constexpr char kSegmentMagic[] = "VSPOOL01";
constexpr char kStateMagic[] = "VSPSTAT1";
constexpr size_t kMagicSize = 8;
constexpr uint64_t kSegmentHeader = 16;
constexpr size_t kStateSize = kMagicSize + 4 * 8 + 4;
constexpr char kStateName[] = "state";
constexpr char kStateTemp[] = "state.tmp";
constexpr char kEpochName[] = "epoch";
constexpr char kEpochTemp[] = "epoch.tmp";
constexpr size_t kEpochHexDigits = 32;
constexpr size_t kReadChunk = 64 << 10;

std::string SegmentName(uint64_t first_seq) { return absl::StrFormat("seg-%020u.log", first_seq); }

// The first sequence number in a segment file name, or 0 when `name` is not one.
uint64_t ParseSegmentName(absl::string_view name) {
  if (name.size() != 28 || name.substr(0, 4) != "seg-" || name.substr(24) != ".log") return 0;
  uint64_t seq = 0;
  for (char c : name.substr(4, 20)) {
    if (c < '0' || c > '9') return 0;
  }
  if (!absl::SimpleAtoi(name.substr(4, 20), &seq)) return 0;
  return seq;
}

absl::Status ErrnoError(int err, absl::string_view what, absl::string_view path) {
  return absl::ErrnoToStatus(err, absl::StrCat("spool: ", what, " ", path));
}

// Writes all of `data` at `offset`.
absl::Status PWriteAll(int fd, absl::string_view data, uint64_t offset, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "cannot write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  return absl::OkStatus();
}

// Creates `dir` and its missing parents with mode 0700.
absl::Status MakeDirs(const std::string& dir) {
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    const std::string prefix = dir.substr(0, pos);
    if (mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
      return ErrnoError(errno, "cannot create directory", prefix);
    }
  }
  return absl::OkStatus();
}

// Reads consecutive records of one segment between two offsets, checking each.
class SegmentReader {
 public:
  enum class Result { kRecord, kEnd, kTorn, kCorrupt, kIoError };

  SegmentReader(int fd, uint64_t offset, uint64_t end) : fd_(fd), pos_(offset), end_(end) {}

  // Reads the record at offset(), which must be numbered `expected`. On kRecord, `payload`
  // points into the reader's buffer until the next call.
  Result Next(uint64_t expected, RecordHeader* header, absl::string_view* payload) {
    if (pos_ >= end_) return Result::kEnd;
    if (!Fill(kRecordHeaderBytes)) return error_ != 0 ? Result::kIoError : Result::kTorn;
    RecordHeader h;
    if (!DecodeRecordHeader(Buffered(), &h) || h.seq != expected) return Result::kCorrupt;
    const size_t total = h.record_bytes();
    if (!Fill(total)) return error_ != 0 ? Result::kIoError : Result::kTorn;
    if (DecodeRecord(Buffered(), header, payload) != RecordDecode::kOk) return Result::kCorrupt;
    head_ += total;
    pos_ += total;
    return Result::kRecord;
  }

  // Offset of the next record.
  uint64_t offset() const { return pos_; }
  // errno of a kIoError.
  int error() const { return error_; }

 private:
  // The bytes read ahead from pos_ on.
  absl::string_view Buffered() const {
    return absl::string_view(buf_.data() + head_, buf_.size() - head_);
  }

  // Makes `n` bytes from pos_ available at buf_[head_]; false when the range or the file
  // ends first, or on a read error (error_ set).
  bool Fill(size_t n) {
    size_t have = buf_.size() - head_;
    if (have >= n) return true;
    if (end_ - pos_ < n) return false;
    buf_.erase(0, head_);
    head_ = 0;
    const size_t want = std::max<size_t>(n, std::min<uint64_t>(kReadChunk, end_ - pos_));
    buf_.resize(want);
    while (have < want) {
      const ssize_t got =
          pread(fd_, buf_.data() + have, want - have, static_cast<off_t>(pos_ + have));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) error_ = errno;
      if (got <= 0) break;
      have += static_cast<size_t>(got);
    }
    buf_.resize(have);
    return have >= n && error_ == 0;
  }

  int fd_;
  uint64_t pos_;
  uint64_t end_;
  std::string buf_;
  size_t head_ = 0;  // buf_[head_] is the byte at pos_
  int error_ = 0;
};

}  // namespace

uint64_t SpoolRecord::gap_count() const {
  return kind == RecordKind::kGap ? DecodeGapCount(payload) : 0;
}

absl::StatusOr<std::unique_ptr<Spool>> Spool::Open(const std::string& dir,
                                                   const SpoolOptions& options) {
  if (dir.empty()) return absl::InvalidArgumentError("spool: empty directory name");
  if (options.segment_bytes < 64 || options.max_bytes < options.segment_bytes ||
      options.sequence_lease < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "spool ", dir, ": need segment_bytes >= 64 (have ", options.segment_bytes,
        "), max_bytes >= segment_bytes (have ", options.max_bytes, "), sequence_lease >= 1"));
  }
  VIGIL_RETURN_IF_ERROR(MakeDirs(dir));
  UniqueFd dir_fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd.valid()) return ErrnoError(errno, "cannot open directory", dir);
  UniqueFd lock_fd(openat(dir_fd.get(), "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock_fd.valid() || flock(lock_fd.get(), LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    if (err == EWOULDBLOCK) {
      return absl::FailedPreconditionError(
          absl::StrCat("spool ", dir, " is already open (", dir, "/lock is held)"));
    }
    return ErrnoError(err, "cannot lock", dir + "/lock");
  }
  std::unique_ptr<Spool> spool(new Spool(dir, options, std::move(dir_fd), std::move(lock_fd)));
  VIGIL_RETURN_IF_ERROR(spool->Recover());
  spool->open_ = true;
  return spool;
}

Spool::Spool(std::string dir, const SpoolOptions& options, UniqueFd dir_fd, UniqueFd lock_fd)
    : dir_(std::move(dir)),
      options_(options),
      dir_fd_(std::move(dir_fd)),
      lock_fd_(std::move(lock_fd)) {}

Spool::~Spool() {
  if (open_) {
    (void)Sync();
    (void)WriteState(StateWrite::kExactClose);
  }
  absl::MutexLock lock(&mu_);
  if (active_fd_ >= 0) close(active_fd_);
  for (const auto& file : unsynced_) close(file.first);
  // lock_fd_, then dir_fd_, close as the members go.
}

absl::Status Spool::Recover() {
  absl::MutexLock lock(&mu_);
  State state;
  const std::string state_path = absl::StrCat(dir_, "/", kStateName);
  const int state_fd = openat(dir_fd_.get(), kStateName, O_RDONLY | O_CLOEXEC);
  if (state_fd < 0 && errno != ENOENT) return ErrnoError(errno, "cannot open", state_path);
  if (state_fd >= 0) {
    UniqueFd closer(state_fd);
    char buf[kStateSize + 1];
    const ssize_t n = pread(state_fd, buf, sizeof(buf), 0);
    if (n < 0) return ErrnoError(errno, "cannot read", state_path);
    if (static_cast<size_t>(n) == kStateSize && memcmp(buf, kStateMagic, kMagicSize) == 0 &&
        Crc32c(absl::string_view(buf, kStateSize - 4)) == GetLittleEndian32(buf + kStateSize - 4)) {
      state.acked = GetLittleEndian64(buf + 8);
      state.ceiling = GetLittleEndian64(buf + 16);
      state.gap_owed = GetLittleEndian64(buf + 24);
      state.gap_from = GetLittleEndian64(buf + 32);
    } else {
      ++corrupt_;  // resend from the start; numbering continues above what the segments hold
    }
  }
  (void)unlinkat(dir_fd_.get(), kStateTemp, 0);

  std::vector<uint64_t> firsts;
  {
    DIR* d = opendir(dir_.c_str());
    if (d == nullptr) return ErrnoError(errno, "cannot list", dir_);
    while (dirent* entry = readdir(d)) {
      const uint64_t first = ParseSegmentName(entry->d_name);
      if (first != 0) firsts.push_back(first);
    }
    closedir(d);
  }
  std::sort(firsts.begin(), firsts.end());
  VIGIL_RETURN_IF_ERROR(LoadEpoch(/*legacy=*/state_fd >= 0 || !firsts.empty()));

  bool gap_written = false;
  uint64_t next = std::max<uint64_t>(state.ceiling, 1);
  for (size_t i = 0; i < firsts.size(); ++i) {
    const bool newest = i + 1 == firsts.size();
    Segment seg;
    seg.first_seq = firsts[i];
    seg.last_seq = seg.first_seq - 1;
    seg.path = absl::StrCat(dir_, "/", SegmentName(seg.first_seq));
    next = std::max(next, seg.first_seq);
    const int fd = open(seg.path.c_str(), (newest ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (fd < 0) return ErrnoError(errno, "cannot open", seg.path);
    UniqueFd closer(fd);
    struct stat st;
    if (fstat(fd, &st) != 0) return ErrnoError(errno, "cannot stat", seg.path);
    seg.size = static_cast<uint64_t>(st.st_size);

    char header[kSegmentHeader];
    bool header_ok = false;
    if (seg.size >= kSegmentHeader) {
      const ssize_t n = pread(fd, header, sizeof(header), 0);
      if (n < 0) return ErrnoError(errno, "cannot read", seg.path);
      header_ok = n == static_cast<ssize_t>(kSegmentHeader) &&
                  memcmp(header, kSegmentMagic, kMagicSize) == 0 &&
                  GetLittleEndian64(header + kMagicSize) == seg.first_seq;
    }
    // Numbers must rise across segments; an overlapping segment is not trusted.
    if (header_ok && !segments_.empty() && seg.first_seq <= segments_.back().last_seq) {
      header_ok = false;
    }
    bool bad = !header_ok;
    seg.end = kSegmentHeader;
    if (header_ok) {
      SegmentReader reader(fd, kSegmentHeader, seg.size);
      uint64_t expected = seg.first_seq;
      for (;;) {
        RecordHeader h;
        absl::string_view payload;
        const SegmentReader::Result r = reader.Next(expected, &h, &payload);
        if (r == SegmentReader::Result::kRecord) {
          if (h.kind == RecordKind::kGap && h.seq >= state.gap_from) gap_written = true;
          ++expected;
          continue;
        }
        if (r == SegmentReader::Result::kIoError) {
          return ErrnoError(reader.error(), "cannot read", seg.path);
        }
        bad = r != SegmentReader::Result::kEnd;
        break;
      }
      seg.end = reader.offset();
      seg.last_seq = expected - 1;
    }
    // A crash while creating a segment leaves it empty: not corruption.
    if (bad && seg.size > 0) ++corrupt_;
    next = std::max(next, seg.last_seq + 1);
    if (newest && seg.last_seq < seg.first_seq) {
      if (unlink(seg.path.c_str()) != 0) return ErrnoError(errno, "cannot remove", seg.path);
      continue;
    }
    if (newest && bad) {
      if (ftruncate(fd, static_cast<off_t>(seg.end)) != 0) {
        return ErrnoError(errno, "cannot truncate", seg.path);
      }
      if (options_.fsync != FsyncPolicy::kNever && fdatasync(fd) != 0) {
        return ErrnoError(errno, "cannot sync", seg.path);
      }
      seg.size = seg.end;
    }
    next = std::max(next, seg.first_seq + 1);
    bytes_ += seg.size;
    segments_.push_back(std::move(seg));
  }

  acked_ = state.acked;
  next_seq_ = std::max(next, acked_ + 1);
  ceiling_ = next_seq_;
  gap_pending_ = gap_written ? 0 : state.gap_owed;
  gap_persisted_ = state.gap_owed;
  RemoveAckedSegments();
  return absl::OkStatus();
}

absl::Status Spool::LoadEpoch(bool legacy) {
  const std::string path = absl::StrCat(dir_, "/", kEpochName);
  const int fd = openat(dir_fd_.get(), kEpochName, O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno != ENOENT) return ErrnoError(errno, "cannot open", path);
  if (fd >= 0) {
    UniqueFd closer(fd);
    char buf[kEpochHexDigits + 2];
    const ssize_t n = pread(fd, buf, sizeof(buf), 0);
    if (n < 0) return ErrnoError(errno, "cannot read", path);
    const absl::string_view text(buf, static_cast<size_t>(n));
    if (text.size() == kEpochHexDigits + 1 && text.back() == '\n' &&
        IsLowerHex(text.substr(0, kEpochHexDigits))) {
      epoch_ = std::string(text.substr(0, kEpochHexDigits));
      return absl::OkStatus();
    }
    ++corrupt_;  // a new epoch: what is resent may be stored twice, but nothing is lost
  } else if (legacy) {
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> epoch = RandomHexId(kEpochHexDigits / 2);
  if (!epoch.ok()) {
    return absl::UnavailableError(
        absl::StrCat("spool ", dir_, ": cannot make an epoch: ", epoch.status().message()));
  }
  VIGIL_RETURN_IF_ERROR(ReplaceFile(kEpochTemp, kEpochName, *epoch + "\n"));
  epoch_ = *std::move(epoch);
  return absl::OkStatus();
}

absl::Status Spool::ReplaceFile(const char* temp_name, const char* name, absl::string_view data) {
  const bool sync = options_.fsync != FsyncPolicy::kNever;
  const std::string temp = absl::StrCat(dir_, "/", temp_name);
  const int fd = openat(dir_fd_.get(), temp_name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoError(errno, "cannot create", temp);
  absl::Status status = PWriteAll(fd, data, 0, temp);
  if (status.ok() && sync && fsync(fd) != 0) status = ErrnoError(errno, "cannot sync", temp);
  close(fd);
  if (status.ok() && renameat(dir_fd_.get(), temp_name, dir_fd_.get(), name) != 0) {
    status = ErrnoError(errno, "cannot rename", temp);
  }
  if (status.ok() && sync && fsync(dir_fd_.get()) != 0) {
    status = ErrnoError(errno, "cannot sync directory", dir_);
  }
  if (!status.ok()) (void)unlinkat(dir_fd_.get(), temp_name, 0);
  return status;
}

absl::Status Spool::WriteState(StateWrite mode) {
  absl::MutexLock state_lock(&state_mu_);
  State state;
  {
    absl::MutexLock lock(&mu_);
    state.acked = acked_;
    state.gap_owed = gap_pending_;
    state.gap_from = next_seq_;
    switch (mode) {
      case StateWrite::kCurrent: state.ceiling = ceiling_; break;
      case StateWrite::kExtendLease:
        state.ceiling =
            std::max(ceiling_, next_seq_ + std::max<uint64_t>(options_.sequence_lease, 2));
        break;
      case StateWrite::kExactClose: state.ceiling = next_seq_; break;
    }
  }
  char buf[kStateSize];
  memcpy(buf, kStateMagic, kMagicSize);
  PutLittleEndian64(buf + 8, state.acked);
  PutLittleEndian64(buf + 16, state.ceiling);
  PutLittleEndian64(buf + 24, state.gap_owed);
  PutLittleEndian64(buf + 32, state.gap_from);
  PutLittleEndian32(buf + kStateSize - 4, Crc32c(absl::string_view(buf, kStateSize - 4)));

  VIGIL_RETURN_IF_ERROR(ReplaceFile(kStateTemp, kStateName, absl::string_view(buf, kStateSize)));
  absl::MutexLock lock(&mu_);
  if (mode != StateWrite::kExactClose) ceiling_ = std::max(ceiling_, state.ceiling);
  gap_persisted_ = state.gap_owed;
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> Spool::Append(absl::string_view payload) {
  absl::Status failure;
  while (failure.ok()) {
    {
      absl::MutexLock lock(&mu_);
      if (payload.size() > kMaxPayload) {
        failure = absl::InvalidArgumentError(absl::StrCat(
            "spool ", dir_, ": alert of ", payload.size(), " bytes is over ", kMaxPayload));
      } else if (next_seq_ + (gap_pending_ > 0 ? 2 : 1) <= ceiling_) {
        uint64_t stored = 0;
        failure = AppendLocked(payload, &stored);
        if (failure.ok()) return stored;
        if (stored != 0) return failure;  // kept, but its fsync failed: not a drop
      }
    }
    if (failure.ok()) failure = WriteState(StateWrite::kExtendLease);
  }
  bool persist;
  {
    absl::MutexLock lock(&mu_);
    ++dropped_;
    persist = gap_pending_++ == 0 || options_.fsync == FsyncPolicy::kAlways;
  }
  if (persist) (void)WriteState(StateWrite::kCurrent);
  return failure;
}

absl::Status Spool::AppendLocked(absl::string_view payload, uint64_t* stored) {
  const bool gap = gap_pending_ > 0;
  const uint64_t need = kRecordOverheadBytes + payload.size() + (gap ? kGapRecordBytes : 0);
  if (active_fd_ >= 0) {
    const Segment& seg = segments_.back();
    if (seg.size > kSegmentHeader && seg.size + need > options_.segment_bytes) SealActive();
  }
  const uint64_t header = active_fd_ < 0 ? kSegmentHeader : 0;
  if (bytes_ + header + need > options_.max_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat("spool ", dir_, " is full: ", bytes_, " of ",
                                                     options_.max_bytes, " bytes used, ", need,
                                                     " more needed; alert dropped"));
  }
  if (active_fd_ < 0) VIGIL_RETURN_IF_ERROR(CreateSegment());

  Segment& seg = segments_.back();
  uint64_t seq = next_seq_;
  write_buf_.clear();
  if (gap) {
    EncodeGapRecord(seq++, gap_pending_, &write_buf_);
  }
  EncodeRecord(RecordKind::kAlert, seq, payload, &write_buf_);
  absl::Status status = PWriteAll(active_fd_, write_buf_, seg.size, seg.path);
  if (!status.ok()) {
    // Take back a partial write; failing that, the torn tail is skipped at the next Open.
    if (ftruncate(active_fd_, static_cast<off_t>(seg.size)) != 0) SealActive();
    return status;
  }
  seg.size += write_buf_.size();
  seg.end = seg.size;
  seg.last_seq = seq;
  bytes_ += write_buf_.size();
  next_seq_ = seq + 1;
  gap_pending_ = 0;
  active_dirty_ = true;
  *stored = seq;
  if (options_.fsync == FsyncPolicy::kAlways) {
    if (fdatasync(active_fd_) != 0) {
      return ErrnoError(errno, absl::StrCat("stored alert ", seq, " but cannot sync"), seg.path);
    }
    active_dirty_ = false;
  }
  return absl::OkStatus();
}

absl::Status Spool::CreateSegment() {
  const uint64_t first = next_seq_;
  const std::string name = SegmentName(first);
  const std::string path = absl::StrCat(dir_, "/", name);
  const int fd = openat(dir_fd_.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoError(errno, "cannot create", path);
  char header[kSegmentHeader];
  memcpy(header, kSegmentMagic, kMagicSize);
  PutLittleEndian64(header + kMagicSize, first);
  absl::Status status = PWriteAll(fd, absl::string_view(header, sizeof(header)), 0, path);
  if (status.ok() && options_.fsync == FsyncPolicy::kAlways &&
      (fdatasync(fd) != 0 || fsync(dir_fd_.get()) != 0)) {
    status = ErrnoError(errno, "cannot sync new segment", path);
  }
  if (!status.ok()) {
    close(fd);
    (void)unlinkat(dir_fd_.get(), name.c_str(), 0);
    return status;
  }
  if (options_.fsync == FsyncPolicy::kBatch) dir_dirty_ = true;
  Segment seg;
  seg.first_seq = first;
  seg.last_seq = first - 1;
  seg.size = kSegmentHeader;
  seg.end = kSegmentHeader;
  seg.path = path;
  segments_.push_back(std::move(seg));
  bytes_ += kSegmentHeader;
  active_fd_ = fd;
  active_dirty_ = true;
  return absl::OkStatus();
}

void Spool::SealActive() {
  if (active_fd_ < 0) return;
  if (active_dirty_ && options_.fsync == FsyncPolicy::kBatch) {
    unsynced_.emplace_back(active_fd_, segments_.back().path);
  } else {
    close(active_fd_);
  }
  active_fd_ = -1;
  active_dirty_ = false;
  RemoveAckedSegments();
}

void Spool::RemoveAckedSegments() {
  const size_t sealed = segments_.size() - (active_fd_ >= 0 ? 1 : 0);
  size_t removed = 0;
  // Segments are in order and their numbers rise, so the fully acked ones are a prefix.
  while (removed < sealed && segments_.front().last_seq <= acked_) {
    const Segment& seg = segments_.front();
    if (unlink(seg.path.c_str()) != 0 && errno != ENOENT) break;  // retried on the next ack
    if (hint_.segment == seg.first_seq) hint_ = ReadHint();
    bytes_ -= seg.size;
    segments_.pop_front();
    ++removed;
  }
}

bool Spool::HasSegment(uint64_t first) const {
  for (const Segment& seg : segments_) {
    if (seg.first_seq == first) return true;
  }
  return false;
}

void Spool::MarkCorrupt(uint64_t first, uint64_t bad_seq, uint64_t offset) {
  for (size_t i = 0; i < segments_.size(); ++i) {
    Segment& seg = segments_[i];
    if (seg.first_seq != first) continue;
    if (bad_seq - 1 >= seg.last_seq) return;  // already known
    ++corrupt_;
    seg.last_seq = bad_seq - 1;
    seg.end = offset;
    if (i + 1 == segments_.size()) SealActive();
    return;
  }
}

absl::Status Spool::Sync() {
  if (options_.fsync == FsyncPolicy::kNever) return absl::OkStatus();
  std::vector<std::pair<int, std::string>> files;
  bool dir;
  {
    absl::MutexLock lock(&mu_);
    files.swap(unsynced_);
    if (active_fd_ >= 0 && active_dirty_) {
      const int fd = dup(active_fd_);
      if (fd < 0) {
        unsynced_.swap(files);
        return ErrnoError(errno, "cannot dup", segments_.back().path);
      }
      files.emplace_back(fd, segments_.back().path);
      active_dirty_ = false;
    }
    dir = dir_dirty_;
    dir_dirty_ = false;
  }
  absl::Status status;
  std::vector<std::pair<int, std::string>> failed;  // tried again by the next Sync
  for (auto& file : files) {
    if (fdatasync(file.first) == 0) {
      close(file.first);
      continue;
    }
    if (status.ok()) status = ErrnoError(errno, "cannot sync", file.second);
    failed.push_back(std::move(file));
  }
  if (dir && fsync(dir_fd_.get()) != 0 && status.ok()) {
    status = ErrnoError(errno, "cannot sync directory", dir_);
  }
  if (!status.ok()) {
    absl::MutexLock lock(&mu_);
    unsynced_.insert(unsynced_.end(), failed.begin(), failed.end());
    dir_dirty_ = dir_dirty_ || dir;
    return status;
  }
  bool gap_changed;
  {
    absl::MutexLock lock(&mu_);
    gap_changed = gap_pending_ != gap_persisted_;
  }
  return gap_changed ? WriteState(StateWrite::kCurrent) : absl::OkStatus();
}

absl::StatusOr<std::vector<SpoolRecord>> Spool::ReadFrom(uint64_t seq, size_t max_records,
                                                         size_t max_bytes) {
  std::vector<SpoolRecord> out;
  if (max_records == 0) return out;
  // Where to read, taken under the lock; the reading itself is done without it.
  struct Span {
    uint64_t first = 0;
    uint64_t start_seq = 0;
    uint64_t offset = 0;
    uint64_t end = 0;
    std::string path;
  };
  std::vector<Span> spans;
  uint64_t from;
  {
    absl::MutexLock lock(&mu_);
    from = std::max(seq, acked_ + 1);
    for (const Segment& seg : segments_) {
      if (seg.last_seq < from || seg.last_seq < seg.first_seq) continue;
      Span span{seg.first_seq, seg.first_seq, kSegmentHeader, seg.end, seg.path};
      if (hint_.segment == seg.first_seq && hint_.seq <= from && hint_.offset <= seg.end) {
        span.start_seq = hint_.seq;
        span.offset = hint_.offset;
      }
      spans.push_back(std::move(span));
    }
  }

  size_t payload_bytes = 0;
  ReadHint hint;
  bool full = false;
  for (const Span& span : spans) {
    if (full) break;
    const int fd = open(span.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      const int err = errno;
      absl::MutexLock lock(&mu_);
      if (err == ENOENT && !HasSegment(span.first)) continue;  // removed by an ack meanwhile
      return ErrnoError(err, "cannot open", span.path);
    }
    UniqueFd closer(fd);
    SegmentReader reader(fd, span.offset, span.end);
    uint64_t expected = span.start_seq;
    while (!full) {
      RecordHeader h;
      absl::string_view payload;
      const uint64_t at = reader.offset();
      const SegmentReader::Result r = reader.Next(expected, &h, &payload);
      if (r == SegmentReader::Result::kEnd) break;
      if (r == SegmentReader::Result::kIoError) {
        return ErrnoError(reader.error(), "cannot read", span.path);
      }
      if (r != SegmentReader::Result::kRecord) {
        absl::MutexLock lock(&mu_);
        MarkCorrupt(span.first, expected, at);
        break;
      }
      ++expected;
      if (h.seq < from) continue;
      if (!out.empty() && payload_bytes + payload.size() > max_bytes) {
        full = true;
        break;
      }
      out.push_back(SpoolRecord{h.seq, h.kind, std::string(payload)});
      payload_bytes += payload.size();
      hint = ReadHint{span.first, expected, reader.offset()};
      full = out.size() >= max_records;
    }
  }
  if (hint.segment != 0) {
    absl::MutexLock lock(&mu_);
    if (HasSegment(hint.segment)) hint_ = hint;
  }
  return out;
}

absl::Status Spool::Ack(uint64_t seq) {
  {
    absl::MutexLock lock(&mu_);
    if (seq >= next_seq_) {
      return absl::InvalidArgumentError(absl::StrCat(
          "spool ", dir_, ": ack of ", seq, " but the last number handed out is ", next_seq_ - 1));
    }
    if (seq <= acked_) return absl::OkStatus();
    acked_ = seq;
  }
  // The watermark first, so a crash in between cannot resurrect acked records; the
  // segments go even when it fails, to free space (a restart then resends some).
  absl::Status status = WriteState(StateWrite::kCurrent);
  absl::MutexLock lock(&mu_);
  RemoveAckedSegments();
  return status;
}

uint64_t Spool::first_unacked() const {
  absl::MutexLock lock(&mu_);
  for (const Segment& seg : segments_) {
    const uint64_t lo = std::max(seg.first_seq, acked_ + 1);
    if (seg.last_seq >= lo) return lo;
  }
  return next_seq_;
}

uint64_t Spool::next_seq() const {
  absl::MutexLock lock(&mu_);
  return next_seq_;
}

uint64_t Spool::acked() const {
  absl::MutexLock lock(&mu_);
  return acked_;
}

uint64_t Spool::bytes() const {
  absl::MutexLock lock(&mu_);
  return bytes_;
}

uint64_t Spool::records() const {
  absl::MutexLock lock(&mu_);
  uint64_t n = 0;
  for (const Segment& seg : segments_) {
    const uint64_t lo = std::max(seg.first_seq, acked_ + 1);
    if (seg.last_seq >= lo) n += seg.last_seq - lo + 1;
  }
  return n;
}

size_t Spool::segments() const {
  absl::MutexLock lock(&mu_);
  return segments_.size();
}

uint64_t Spool::dropped() const {
  absl::MutexLock lock(&mu_);
  return dropped_;
}

uint64_t Spool::gap_pending() const {
  absl::MutexLock lock(&mu_);
  return gap_pending_;
}

uint64_t Spool::corrupt_records() const {
  absl::MutexLock lock(&mu_);
  return corrupt_;
}

}  // namespace vigil::sensor

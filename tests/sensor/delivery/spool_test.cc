// Unit tests for sensor/delivery/spool.h: the durable alert spool.
#include "sensor/delivery/spool.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "tests/support/test_dir.h"

namespace vigil::sensor {
namespace {

constexpr uint64_t kHeader = 16;    // segment header
constexpr uint64_t kOverhead = 20;  // record framing

std::unique_ptr<Spool> OpenSpool(const std::string& dir, const SpoolOptions& options = {}) {
  absl::StatusOr<std::unique_ptr<Spool>> spool = Spool::Open(dir, options);
  if (!spool.ok()) {
    ADD_FAILURE() << spool.status();
    return nullptr;
  }
  return std::move(spool).value();
}

// 100-byte payloads make 120-byte records.
std::string Payload(uint64_t i) {
  std::string p = absl::StrCat("alert-", i, "-");
  p.resize(100, 'x');
  return p;
}

std::vector<SpoolRecord> ReadAll(Spool& spool, uint64_t from = 1) {
  absl::StatusOr<std::vector<SpoolRecord>> records = spool.ReadFrom(from, 1 << 20, 1 << 30);
  EXPECT_TRUE(records.ok()) << records.status();
  return records.ok() ? *std::move(records) : std::vector<SpoolRecord>();
}

std::vector<uint64_t> Seqs(const std::vector<SpoolRecord>& records) {
  std::vector<uint64_t> out;
  for (const SpoolRecord& r : records) out.push_back(r.seq);
  return out;
}

std::vector<std::string> SegmentFiles(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name.rfind("seg-", 0) == 0) out.push_back(dir + "/" + name);
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

std::string SegmentPath(const std::string& dir, uint64_t first) {
  return absl::StrFormat("%s/seg-%020u.log", dir, first);
}

uint64_t FileSize(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

void FlipByte(const std::string& path, uint64_t offset) {
  const int fd = open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0) << path;
  char c;
  ASSERT_EQ(pread(fd, &c, 1, static_cast<off_t>(offset)), 1);
  c = static_cast<char>(c ^ 0x40);
  ASSERT_EQ(pwrite(fd, &c, 1, static_cast<off_t>(offset)), 1);
  close(fd);
}

void AppendBytes(const std::string& path, const std::string& bytes) {
  const int fd = open(path.c_str(), O_WRONLY | O_APPEND);
  ASSERT_GE(fd, 0) << path;
  ASSERT_EQ(write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  close(fd);
}

// Runs `body` in a child process that then dies without closing anything, as a kill -9
// would leave it.
template <typename Body>
void RunAndCrash(Body body) {
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    body();
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST(SpoolTest, AppendReadAckRoundTrip) {
  vigil::testing::TestDir dir("spool");
  auto spool = OpenSpool(dir.Join("spool"));
  ASSERT_NE(spool, nullptr);
  EXPECT_EQ(spool->next_seq(), 1u);
  EXPECT_EQ(spool->first_unacked(), 1u);
  for (uint64_t i = 1; i <= 3; ++i) {
    absl::StatusOr<uint64_t> seq = spool->Append(Payload(i));
    ASSERT_TRUE(seq.ok()) << seq.status();
    EXPECT_EQ(*seq, i);
  }
  ASSERT_TRUE(spool->Sync().ok());
  EXPECT_EQ(spool->records(), 3u);
  EXPECT_EQ(spool->bytes(), kHeader + 3 * (kOverhead + 100));
  EXPECT_EQ(spool->bytes(), FileSize(SegmentPath(spool->dir(), 1)));

  std::vector<SpoolRecord> all = ReadAll(*spool);
  ASSERT_EQ(all.size(), 3u);
  for (uint64_t i = 1; i <= 3; ++i) {
    EXPECT_EQ(all[i - 1].seq, i);
    EXPECT_EQ(all[i - 1].kind, RecordKind::kAlert);
    EXPECT_EQ(all[i - 1].payload, Payload(i));
    EXPECT_EQ(all[i - 1].gap_count(), 0u);
  }
  EXPECT_EQ(Seqs(ReadAll(*spool, 2)), (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(Seqs(*spool->ReadFrom(1, 2, 1 << 20)), (std::vector<uint64_t>{1, 2}));
  // The byte limit stops before a record that would pass it, but never returns nothing.
  EXPECT_EQ(Seqs(*spool->ReadFrom(1, 10, 150)), (std::vector<uint64_t>{1}));
  EXPECT_EQ(Seqs(*spool->ReadFrom(1, 10, 10)), (std::vector<uint64_t>{1}));
  EXPECT_EQ(Seqs(*spool->ReadFrom(1, 10, 200)), (std::vector<uint64_t>{1, 2}));
  EXPECT_TRUE(spool->ReadFrom(1, 0, 1 << 20)->empty());
  EXPECT_TRUE(ReadAll(*spool, 4).empty());

  ASSERT_TRUE(spool->Ack(2).ok());
  EXPECT_EQ(spool->acked(), 2u);
  EXPECT_EQ(Seqs(ReadAll(*spool)), (std::vector<uint64_t>{3}));
  EXPECT_EQ(spool->first_unacked(), 3u);
  EXPECT_EQ(spool->records(), 1u);
  EXPECT_TRUE(spool->Ack(2).ok());  // again
  EXPECT_TRUE(spool->Ack(1).ok());  // below the watermark
  EXPECT_EQ(spool->acked(), 2u);
  ASSERT_TRUE(spool->Ack(3).ok());
  EXPECT_EQ(spool->records(), 0u);
  EXPECT_EQ(spool->first_unacked(), 4u);
  EXPECT_TRUE(ReadAll(*spool).empty());
}

TEST(SpoolTest, SequenceContinuesAfterReopen) {
  vigil::testing::TestDir dir("spool");
  const std::string path = dir.Join("spool");
  {
    auto spool = OpenSpool(path);
    ASSERT_NE(spool, nullptr);
    for (uint64_t i = 1; i <= 5; ++i) ASSERT_TRUE(spool->Append(Payload(i)).ok());
  }
  {
    auto spool = OpenSpool(path);
    ASSERT_NE(spool, nullptr);
    EXPECT_EQ(spool->next_seq(), 6u);  // a clean close leaves no jump
    std::vector<SpoolRecord> all = ReadAll(*spool);
    ASSERT_EQ(Seqs(all), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
    EXPECT_EQ(all[4].payload, Payload(5));
    EXPECT_EQ(*spool->Append(Payload(6)), 6u);
    ASSERT_TRUE(spool->Ack(6).ok());
    EXPECT_EQ(spool->records(), 0u);
  }
  // Everything acked: the segments go, and numbering still continues above 6.
  {
    auto spool = OpenSpool(path);
    ASSERT_NE(spool, nullptr);
    EXPECT_TRUE(SegmentFiles(path).empty());
    EXPECT_EQ(spool->segments(), 0u);
    EXPECT_EQ(spool->bytes(), 0u);
    EXPECT_EQ(spool->next_seq(), 7u);
    EXPECT_EQ(spool->first_unacked(), 7u);
    EXPECT_TRUE(ReadAll(*spool).empty());
  }
  auto spool = OpenSpool(path);
  ASSERT_NE(spool, nullptr);
  EXPECT_EQ(*spool->Append(Payload(7)), 7u);
  EXPECT_EQ(Seqs(ReadAll(*spool)), (std::vector<uint64_t>{7}));
}

TEST(SpoolTest, PartialAckOfASegmentSurvivesACrash) {
  vigil::testing::TestDir dir("spool");
  const std::string path = dir.Join("spool");
  RunAndCrash([&] {
    auto spool = Spool::Open(path);
    if (!spool.ok()) _exit(1);
    for (uint64_t i = 1; i <= 10; ++i) {
      if (!(*spool)->Append(Payload(i)).ok()) _exit(1);
    }
    if (!(*spool)->Ack(4).ok() || (*spool)->segments() != 1) _exit(1);
    _exit(0);
  });
  auto spool = OpenSpool(path);
  ASSERT_NE(spool, nullptr);
  EXPECT_EQ(SegmentFiles(path).size(), 1u);
  EXPECT_EQ(spool->acked(), 4u);
  EXPECT_EQ(spool->first_unacked(), 5u);
  EXPECT_EQ(spool->records(), 6u);
  EXPECT_EQ(Seqs(ReadAll(*spool)), (std::vector<uint64_t>{5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(Seqs(ReadAll(*spool, 8)), (std::vector<uint64_t>{8, 9, 10}));
}

TEST(SpoolTest, RollsSegmentsAndRemovesAckedOnes) {
  vigil::testing::TestDir dir("spool");
  const std::string path = dir.Join("spool");
  SpoolOptions options;
  options.segment_bytes = kHeader + 2 * (kOverhead + 100);  // two records per segment
  auto spool = OpenSpool(path, options);
  ASSERT_NE(spool, nullptr);
  for (uint64_t i = 1; i <= 10; ++i) ASSERT_TRUE(spool->Append(Payload(i)).ok());
  EXPECT_EQ(
      SegmentFiles(path),
      (std::vector<std::string>{SegmentPath(path, 1), SegmentPath(path, 3), SegmentPath(path, 5),
                                SegmentPath(path, 7), SegmentPath(path, 9)}));
  EXPECT_EQ(spool->segments(), 5u);
  EXPECT_EQ(spool->bytes(), 5 * options.segment_bytes);
  EXPECT_EQ(Seqs(ReadAll(*spool, 4)), (std::vector<uint64_t>{4, 5, 6, 7, 8, 9, 10}));

  ASSERT_TRUE(spool->Ack(5).ok());  // 1-2 and 3-4 go; 5-6 is half acked
  EXPECT_EQ(SegmentFiles(path).size(), 3u);
  EXPECT_EQ(spool->segments(), 3u);
  EXPECT_EQ(spool->bytes(), 3 * options.segment_bytes);
  EXPECT_EQ(Seqs(ReadAll(*spool)), (std::vector<uint64_t>{6, 7, 8, 9, 10}));

  ASSERT_TRUE(spool->Ack(10).ok());  // the segment being appended to stays
  EXPECT_EQ(SegmentFiles(path), (std::vector<std::string>{SegmentPath(path, 9)}));
  EXPECT_EQ(spool->records(), 0u);
  ASSERT_TRUE(spool->Append(Payload(11)).ok());  // rolls, and the acked segment goes
  EXPECT_EQ(SegmentFiles(path), (std::vector<std::string>{SegmentPath(path, 11)}));
  EXPECT_EQ(spool->bytes(), kHeader + kOverhead + 100);
}

TEST(SpoolTest, OverflowIsRefusedCountedAndReportedAsAGap) {
  vigil::testing::TestDir dir("spool");
  SpoolOptions options;
  options.segment_bytes = kHeader + 2 * (kOverhead + 100);
  options.max_bytes = 2 * options.segment_bytes;  // four records
  auto spool = OpenSpool(dir.Join("spool"), options);
  ASSERT_NE(spool, nullptr);
  for (uint64_t i = 1; i <= 4; ++i) ASSERT_TRUE(spool->Append(Payload(i)).ok());
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<uint64_t> seq = spool->Append(Payload(100 + i));
    ASSERT_FALSE(seq.ok());
    EXPECT_EQ(seq.status().code(), absl::StatusCode::kResourceExhausted) << seq.status();
  }
  EXPECT_EQ(spool->dropped(), 3u);
  EXPECT_EQ(spool->gap_pending(), 3u);
  EXPECT_EQ(spool->next_seq(), 5u);  // refused alerts take no number
  EXPECT_EQ(spool->bytes(), options.max_bytes);
  EXPECT_EQ(Seqs(ReadAll(*spool)), (std::vector<uint64_t>{1, 2, 3, 4}));

  ASSERT_TRUE(spool->Ack(4).ok());  // frees the space
  absl::StatusOr<uint64_t> seq = spool->Append(Payload(5));
  ASSERT_TRUE(seq.ok()) << seq.status();
  EXPECT_EQ(*seq, 6u);
  std::vector<SpoolRecord> records = ReadAll(*spool);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].seq, 5u);
  EXPECT_EQ(records[0].kind, RecordKind::kGap);
  EXPECT_EQ(records[0].gap_count(), 3u);
  EXPECT_EQ(records[1].seq, 6u);
  EXPECT_EQ(records[1].kind, RecordKind::kAlert);
  EXPECT_EQ(records[1].payload, Payload(5));
  EXPECT_EQ(spool->gap_pending(), 0u);
  EXPECT_EQ(spool->dropped(), 3u);
  ASSERT_TRUE(spool->Append(Payload(6)).ok());  // one gap record only
  records = ReadAll(*spool);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[2].kind, RecordKind::kAlert);
  EXPECT_EQ(records[2].seq, 7u);
}

TEST(SpoolTest, OwedGapSurvivesRestart) {
  vigil::testing::TestDir dir("spool");
  const std::string path = dir.Join("spool");
  SpoolOptions options;
  options.segment_bytes = kHeader + kOverhead + 100 + kOverhead + 8;  // an alert and a gap
  options.max_bytes = options.segment_bytes;
  {
    auto spool = OpenSpool(path, options);
    ASSERT_NE(spool, nullptr);
    ASSERT_TRUE(spool->Append(Payload(1)).ok());
    EXPECT_FALSE(spool->Append(Payload(2)).ok());
    EXPECT_FALSE(spool->Append(Payload(3)).ok());
  }
  {
    auto spool = OpenSpool(path, options);
    ASSERT_NE(spool, nullptr);
    EXPECT_EQ(spool->gap_pending(), 2u);
    EXPECT_EQ(spool->dropped(), 0u);  // counted by the process that dropped them
    ASSERT_TRUE(spool->Ack(1).ok());
    ASSERT_TRUE(spool->Append(Payload(4)).ok());
    std::vector<SpoolRecord> records = ReadAll(*spool);
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[0].kind, RecordKind::kGap);
    EXPECT_EQ(records[0].gap_count(), 2u);
  }
  auto spool = OpenSpool(path, options);
  ASSERT_NE(spool, nullptr);
  EXPECT_EQ(spool->gap_pending(), 0u);  // written once, not owed again
}

TEST(SpoolTest, OwedGapPersistsPerPolicyAndIsNotRepeatedAfterACrash) {
  vigil::testing::TestDir dir("spool");
  for (FsyncPolicy policy : {FsyncPolicy::kAlways, FsyncPolicy::kBatch}) {
    SCOPED_TRACE(policy == FsyncPolicy::kAlways ? "kAlways" : "kBatch");
    const std::string path = dir.Join(policy == FsyncPolicy::kAlways ? "always" : "batch");
    SpoolOptions options;
    options.fsync = policy;
    options.segment_bytes = kHeader + kOverhead + 100;
    options.max_bytes = options.segment_bytes;
    RunAndCrash([&] {
      auto spool = Spool::Open(path, options);
      if (!spool.ok() || !(*spool)->Append(Payload(1)).ok()) _exit(1);
      for (int i = 0; i < 3; ++i) (void)(*spool)->Append(Payload(2));
      _exit(0);
    });
    auto spool = OpenSpool(path, options);
    ASSERT_NE(spool, nullptr);
    // kAlways persists every drop; kBatch the first one and then on Sync().
    EXPECT_EQ(spool->gap_pending(), policy == FsyncPolicy::kAlways ? 3u : 1u);
  }

  // The gap record made it to the segment but the crash came before the state said so.
  const std::string path = dir.Join("written");
  SpoolOptions options;
  options.segment_bytes = kHeader + kOverhead + 100;
  options.max_bytes = 4 * options.segment_bytes;
  RunAndCrash([&] {
    auto spool = Spool::Open(path, options);
    if (!spool.ok()) _exit(1);
    for (int i = 1; i <= 4; ++i) (void)(*spool)->Append(Payload(i));
    if ((*spool)->Append(Payload(5)).ok() || !(*spool)->Ack(4).ok()) _exit(1);
    if (!(*spool)->Append(Payload(6)).ok()) _exit(1);  // the gap, then the alert
    _exit(0);
  });
  auto spool = OpenSpool(path, options);
  ASSERT_NE(spool, nullptr);
  EXPECT_EQ(spool->gap_pending(), 0u);
  std::vector<SpoolRecord> records = ReadAll(*spool);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].gap_count(), 1u);
}

TEST(SpoolTest, TornTailIsTruncatedWithoutLosingCompleteRecords) {
  vigil::testing::TestDir dir("spool");
  const std::string path = dir.Join("spool");
  const uint64_t full = kHeader + 5 * (kOverhead + 100);
  {
    auto spool = OpenSpool(path);
    ASSERT_NE(spool, nullptr);
    for (uint64_t i = 1; i <= 5; ++i) ASSERT_TRUE(spool->Append(Payload(i)).ok());
  }
  const std::string segment = SegmentPath(path, 1);
  ASSERT_EQ(FileSize(segment), full);
  ASSERT_EQ(truncate(segment.c_str(), static_cast<off_t>(full - 7)), 0);  // inside record 5
  {
    auto spool = OpenSpool(path);
    ASSERT_NE(spool, nullptr);
    EXPECT_EQ(spool->corrupt_records(), 1u);
    EXPECT_EQ(FileSize(segment), full - (kOverhead + 100));
    EXPECT_EQ(spool->bytes(), FileSize(segment));
    EXPECT_EQ(Seqs(ReadAll(*spool)), (std::vector<uint64_t>{1, 2, 3, 4}));
    // The lost number is not handed out again.
    EXPECT_EQ(*spool->Append(Payload(6)), 6u);
    EXPECT_EQ(Seqs(ReadAll(*spool)), (std::vector<uint64_t>{1, 2, 3, 4, 6}));
  }
  // Garbage after the last complete record.
  const std::string newest = SegmentPath(path, 6);
  const uint64_t before = FileSize(newest);
  AppendBytes(newest, std::string("\xA7\x01\0\0garbage that is no record", 30));
  auto spool = OpenSpool(path);
  ASSERT_NE(spool, nullptr);
  EXPECT_EQ(spool->corrupt_records(), 1u);
  EXPECT_EQ(FileSize(newest), before);
  EXPECT_EQ(Seqs(ReadAll(*spool)), (std::vector<uint64_t>{1, 2, 3, 4, 6}));
  EXPECT_EQ(ReadAll(*spool).back().payload, Payload(6));
}

TEST(SpoolTest, EmptyNewestSegmentFromACrashIsRemovedQuietly) {
  vigil::testing::TestDir dir("spool");
  const std::string path = dir.Join("spool");
  {
    auto spool = OpenSpool(path);
    ASSERT_NE(spool, nullptr);
    ASSERT_TRUE(spool->Append(Payload(1)).ok());
  }
  dir.WriteFile("spool/seg-00000000000000000002.log", "");
  auto spool = OpenSpool(path);
  ASSERT_NE(spool, nullptr);
  EXPECT_EQ(spool->corrupt_records(), 0u);
  EXPECT_EQ(SegmentFiles(path), (std::vector<std::string>{SegmentPath(path, 1)}));
  EXPECT_EQ(*spool->Append(Payload(2)), 2u);
}

TEST(SpoolTest, CorruptRecordInAnOlderSegmentIsSkippedAndCounted) {
  vigil::testing::TestDir dir("spool");
  const std::string path = dir.Join("spool");
  SpoolOptions options;
  options.segment_bytes = kHeader + 3 * (kOverhead + 100);  // three records per segment
  {
    auto spool = OpenSpool(path, options);
    ASSERT_NE(spool, nullptr);
    for (uint64_t i = 1; i <= 9; ++i) ASSERT_TRUE(spool->Append(Payload(i)).ok());
  }
  // Record 5 is the second of segment 4-6: one payload byte changes.
  const std::string middle = SegmentPath(path, 4);
  const uint64_t size = FileSize(middle);
  FlipByte(middle, kHeader + (kOverhead + 100) + 16 + 10);
  auto spool = OpenSpool(path, options);
  ASSERT_NE(spool, nullptr);
  EXPECT_EQ(spool->corrupt_records(), 1u);
  EXPECT_EQ(FileSize(middle), size);  // older segments are not rewritten
  EXPECT_EQ(Seqs(ReadAll(*spool)), (std::vector<uint64_t>{1, 2, 3, 4, 7, 8, 9}));
  EXPECT_EQ(spool->records(), 7u);
  EXPECT_EQ(spool->next_seq(), 10u);
  ASSERT_TRUE(spool->Ack(9).ok());
  EXPECT_TRUE(SegmentFiles(path).empty());
}

TEST(SpoolTest, CorruptionFoundWhileReadingIsSkippedAndCountedOnce) {
  vigil::testing::TestDir dir("spool");
  const std::string path = dir.Join("spool");
  SpoolOptions options;
  options.segment_bytes = kHeader + 3 * (kOverhead + 100);
  auto spool = OpenSpool(path, options);
  ASSERT_NE(spool, nullptr);
  for (uint64_t i = 1; i <= 6; ++i) ASSERT_TRUE(spool->Append(Payload(i)).ok());
  // Record 2's CRC breaks under the open spool.
  FlipByte(SegmentPath(path, 1), kHeader + 2 * (kOverhead + 100) - 1);
  EXPECT_EQ(Seqs(ReadAll(*spool)), (std::vector<uint64_t>{1, 4, 5, 6}));
  EXPECT_EQ(spool->corrupt_records(), 1u);
  EXPECT_EQ(Seqs(ReadAll(*spool)), (std::vector<uint64_t>{1, 4, 5, 6}));
  EXPECT_EQ(spool->corrupt_records(), 1u);
  EXPECT_EQ(spool->records(), 4u);
  // In the segment being appended to: appends continue in a new one.
  FlipByte(SegmentPath(path, 4), kHeader + 3);
  EXPECT_EQ(Seqs(ReadAll(*spool)), (std::vector<uint64_t>{1}));
  EXPECT_EQ(spool->corrupt_records(), 2u);
  EXPECT_EQ(*spool->Append(Payload(7)), 7u);
  EXPECT_EQ(Seqs(ReadAll(*spool)), (std::vector<uint64_t>{1, 7}));
  EXPECT_EQ(spool->segments(), 3u);
}

TEST(SpoolTest, CorruptStateFileIsCountedAndEverythingResent) {
  vigil::testing::TestDir dir("spool");
  const std::string path = dir.Join("spool");
  {
    auto spool = OpenSpool(path);
    ASSERT_NE(spool, nullptr);
    for (uint64_t i = 1; i <= 3; ++i) ASSERT_TRUE(spool->Append(Payload(i)).ok());
    ASSERT_TRUE(spool->Ack(2).ok());
  }
  FlipByte(path + "/state", 9);
  auto spool = OpenSpool(path);
  ASSERT_NE(spool, nullptr);
  EXPECT_EQ(spool->corrupt_records(), 1u);
  EXPECT_EQ(Seqs(ReadAll(*spool)), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(*spool->Append(Payload(4)), 4u);
}

TEST(SpoolTest, AckAboveTheLastNumberIsRejected) {
  vigil::testing::TestDir dir("spool");
  auto spool = OpenSpool(dir.Join("spool"));
  ASSERT_NE(spool, nullptr);
  EXPECT_EQ(spool->Ack(1).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(spool->Ack(0).ok());
  ASSERT_TRUE(spool->Append(Payload(1)).ok());
  ASSERT_TRUE(spool->Append(Payload(2)).ok());
  absl::Status status = spool->Ack(3);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_NE(status.message().find(spool->dir()), absl::string_view::npos) << status;
  EXPECT_EQ(spool->acked(), 0u);
  EXPECT_EQ(spool->records(), 2u);
  EXPECT_TRUE(spool->Ack(2).ok());
}

TEST(SpoolTest, OversizedPayloadIsRejectedAndOwedAsAGap) {
  vigil::testing::TestDir dir("spool");
  auto spool = OpenSpool(dir.Join("spool"));
  ASSERT_NE(spool, nullptr);
  absl::StatusOr<uint64_t> seq = spool->Append(std::string(Spool::kMaxPayload + 1, 'a'));
  EXPECT_EQ(seq.status().code(), absl::StatusCode::kInvalidArgument) << seq.status();
  EXPECT_EQ(spool->dropped(), 1u);
  EXPECT_EQ(spool->next_seq(), 1u);
  const std::string largest(Spool::kMaxPayload, 'b');
  seq = spool->Append(largest);
  ASSERT_TRUE(seq.ok()) << seq.status();
  EXPECT_EQ(*seq, 2u);
  std::vector<SpoolRecord> records = ReadAll(*spool);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].gap_count(), 1u);
  EXPECT_EQ(records[1].payload, largest);
}

TEST(SpoolTest, InvalidOptionsAndASecondOpenAreRefused) {
  vigil::testing::TestDir dir("spool");
  const std::string path = dir.Join("spool");
  SpoolOptions tiny;
  tiny.segment_bytes = 10;
  EXPECT_EQ(Spool::Open(path, tiny).status().code(), absl::StatusCode::kInvalidArgument);
  SpoolOptions small_max;
  small_max.max_bytes = small_max.segment_bytes - 1;
  EXPECT_EQ(Spool::Open(path, small_max).status().code(), absl::StatusCode::kInvalidArgument);

  auto first = OpenSpool(path);
  ASSERT_NE(first, nullptr);
  absl::StatusOr<std::unique_ptr<Spool>> second = Spool::Open(path);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition) << second.status();
  first.reset();
  EXPECT_TRUE(Spool::Open(path).ok());
}

TEST(SpoolTest, NumbersAreNeverReusedAfterACrash) {
  vigil::testing::TestDir dir("spool");
  const std::string path = dir.Join("spool");
  SpoolOptions options;
  options.sequence_lease = 4;
  RunAndCrash([&] {
    auto spool = Spool::Open(path, options);
    if (!spool.ok()) _exit(1);
    for (int i = 1; i <= 10; ++i) {
      if (!(*spool)->Append(Payload(i)).ok()) _exit(1);
    }
    if (!(*spool)->Sync().ok() || !(*spool)->Ack(10).ok()) _exit(1);
    _exit(0);
  });
  auto spool = OpenSpool(path, options);
  ASSERT_NE(spool, nullptr);
  EXPECT_EQ(spool->records(), 0u);
  EXPECT_TRUE(SegmentFiles(path).empty());  // acked, removed at Open
  EXPECT_GT(spool->next_seq(), 10u);
  EXPECT_LE(spool->next_seq(), 10u + options.sequence_lease);
  EXPECT_GT(*spool->Append(Payload(11)), 10u);
}

TEST(SpoolTest, NumbersAreNeverReusedWhenUnsyncedSegmentsAreLost) {
  vigil::testing::TestDir dir("spool");
  const std::string path = dir.Join("spool");
  SpoolOptions options;
  options.sequence_lease = 4;
  RunAndCrash([&] {
    auto spool = Spool::Open(path, options);
    if (!spool.ok()) _exit(1);
    for (int i = 1; i <= 10; ++i) {
      if (!(*spool)->Append(Payload(i)).ok()) _exit(1);
    }
    _exit(0);
  });
  // An OS crash may lose segment data that was never synced; the lease was.
  for (const std::string& segment : SegmentFiles(path)) ASSERT_EQ(unlink(segment.c_str()), 0);
  auto spool = OpenSpool(path, options);
  ASSERT_NE(spool, nullptr);
  EXPECT_EQ(spool->records(), 0u);
  EXPECT_GT(spool->next_seq(), 10u);
  EXPECT_LE(spool->next_seq(), 10u + options.sequence_lease);
}

TEST(SpoolTest, KillDuringAppendsLosesNothingSynced) {
  vigil::testing::TestDir dir("spool");
  const std::string path = dir.Join("spool");
  SpoolOptions options;
  options.segment_bytes = 4096;
  options.sequence_lease = 64;
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    auto spool = Spool::Open(path, options);
    if (!spool.ok()) _exit(1);
    for (uint64_t i = 1;; ++i) {
      absl::StatusOr<uint64_t> seq = (*spool)->Append(Payload(i));
      if (!seq.ok() || *seq != i) _exit(1);
      if (i % 10 == 0) {
        if (!(*spool)->Sync().ok()) _exit(1);
        if (write(fds[1], &i, sizeof(i)) != sizeof(i)) _exit(1);
      }
    }
  }
  close(fds[1]);
  uint64_t synced = 0;
  while (synced < 500) {
    ASSERT_EQ(read(fds[0], &synced, sizeof(synced)), static_cast<ssize_t>(sizeof(synced)));
  }
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  close(fds[0]);

  auto spool = OpenSpool(path, options);
  ASSERT_NE(spool, nullptr);
  std::vector<SpoolRecord> records = ReadAll(*spool);
  ASSERT_GE(records.size(), synced);
  for (size_t i = 0; i < records.size(); ++i) {
    ASSERT_EQ(records[i].seq, i + 1);
    ASSERT_EQ(records[i].payload, Payload(i + 1));
  }
  EXPECT_GT(spool->next_seq(), records.size());
  absl::StatusOr<uint64_t> seq = spool->Append(Payload(0));
  ASSERT_TRUE(seq.ok()) << seq.status();
  EXPECT_GT(*seq, records.size());
}

TEST(SpoolTest, ConcurrentAppendAndReadAckDeliverEverythingOnce) {
  vigil::testing::TestDir dir("spool");
  SpoolOptions options;
  options.segment_bytes = 4096;
  options.sequence_lease = 256;
  auto spool = OpenSpool(dir.Join("spool"), options);
  ASSERT_NE(spool, nullptr);
  constexpr uint64_t kCount = 10000;
  std::atomic<bool> append_failed{false};
  std::thread appender([&] {
    for (uint64_t i = 1; i <= kCount; ++i) {
      absl::StatusOr<uint64_t> seq = spool->Append(Payload(i));
      if (!seq.ok() || *seq != i) append_failed = true;
    }
  });
  uint64_t next = 1;
  bool in_order = true;
  while (next <= kCount && !append_failed) {
    absl::StatusOr<std::vector<SpoolRecord>> batch = spool->ReadFrom(next, 100, 64 << 10);
    ASSERT_TRUE(batch.ok()) << batch.status();
    if (batch->empty()) {
      std::this_thread::yield();
      continue;
    }
    for (const SpoolRecord& r : *batch) {
      if (r.seq != next || r.payload != Payload(next)) in_order = false;
      ++next;
    }
    ASSERT_TRUE(in_order) << "at " << next;
    ASSERT_TRUE(spool->Sync().ok());
    ASSERT_TRUE(spool->Ack(batch->back().seq).ok());
  }
  appender.join();
  EXPECT_FALSE(append_failed);
  EXPECT_EQ(next, kCount + 1);
  EXPECT_EQ(spool->records(), 0u);
  EXPECT_EQ(spool->dropped(), 0u);
  EXPECT_LE(spool->segments(), 1u);
  EXPECT_EQ(spool->corrupt_records(), 0u);
}

}  // namespace
}  // namespace vigil::sensor

namespace vigil::sensor {
namespace {

// The epoch file's text, or "" when it is missing.
std::string EpochFile(const std::string& dir) {
  FILE* f = fopen((dir + "/epoch").c_str(), "r");
  if (f == nullptr) return "";
  char buf[128] = {};
  const size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  return std::string(buf, n);
}

TEST(SpoolEpochTest, ANewSpoolHasARandomEpochThatSurvivesReopening) {
  vigil::testing::TestDir dir("spool");
  std::string first;
  {
    auto spool = OpenSpool(dir.Join("a"));
    ASSERT_NE(spool, nullptr);
    first = spool->epoch();
    ASSERT_EQ(first.size(), 32u);
    EXPECT_EQ(first.find_first_not_of("0123456789abcdef"), std::string::npos) << first;
    EXPECT_EQ(EpochFile(dir.Join("a")), first + "\n");
    ASSERT_TRUE(spool->Append(Payload(1)).ok());
  }
  {
    auto spool = OpenSpool(dir.Join("a"));
    ASSERT_NE(spool, nullptr);
    EXPECT_EQ(spool->epoch(), first);
    EXPECT_EQ(spool->next_seq(), 2u);
  }
  auto other = OpenSpool(dir.Join("b"));
  ASSERT_NE(other, nullptr);
  EXPECT_NE(other->epoch(), first);
}

TEST(SpoolEpochTest, AWipedSpoolStartsANewEpochFromSequenceOne) {
  vigil::testing::TestDir dir("spool");
  const std::string path = dir.Join("spool");
  std::string first;
  {
    auto spool = OpenSpool(path);
    ASSERT_NE(spool, nullptr);
    first = spool->epoch();
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(spool->Append(Payload(i)).ok());
  }
  ASSERT_EQ(std::system(absl::StrCat("rm -rf '", path, "'").c_str()), 0);
  auto spool = OpenSpool(path);
  ASSERT_NE(spool, nullptr);
  EXPECT_NE(spool->epoch(), first);
  EXPECT_EQ(spool->next_seq(), 1u);
}

TEST(SpoolEpochTest, ASpoolFromBeforeEpochsKeepsTheEmptyEpoch) {
  vigil::testing::TestDir dir("spool");
  const std::string path = dir.Join("spool");
  {
    auto spool = OpenSpool(path);
    ASSERT_NE(spool, nullptr);
    ASSERT_TRUE(spool->Append(Payload(1)).ok());
  }
  ASSERT_EQ(unlink((path + "/epoch").c_str()), 0);  // as an older sensor left it
  auto spool = OpenSpool(path);
  ASSERT_NE(spool, nullptr);
  EXPECT_EQ(spool->epoch(), "");
  EXPECT_EQ(spool->next_seq(), 2u);
  EXPECT_EQ(EpochFile(path), "");
}

TEST(SpoolEpochTest, ACorruptEpochFileIsReplacedAndCounted) {
  vigil::testing::TestDir dir("spool");
  const std::string path = dir.Join("spool");
  std::string first;
  {
    auto spool = OpenSpool(path);
    ASSERT_NE(spool, nullptr);
    first = spool->epoch();
  }
  for (const std::string& bad : {std::string("xyz\n"), std::string(32, 'A') + "\n", first}) {
    FILE* f = fopen((path + "/epoch").c_str(), "w");
    ASSERT_NE(f, nullptr);
    fputs(bad.c_str(), f);
    fclose(f);
    auto spool = OpenSpool(path);
    ASSERT_NE(spool, nullptr);
    EXPECT_NE(spool->epoch(), first) << bad;
    EXPECT_EQ(spool->epoch().size(), 32u);
    EXPECT_EQ(spool->corrupt_records(), 1u) << bad;
    first = spool->epoch();
  }
}

}  // namespace
}  // namespace vigil::sensor

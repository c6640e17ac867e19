// Unit tests for how sensor/delivery/spool.h recovers: from a process killed mid-append
// or between an ack and its segment's removal, from an OS crash that lost unsynced data,
// and from torn, corrupt or stray files (each counted, nothing complete lost, no sequence
// number handed out twice).
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sensor/delivery/spool.h"
#include "tests/sensor/delivery/spool_helpers.h"
#include "tests/support/test_dir.h"

namespace vigil::sensor {
namespace {

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

}  // namespace
}  // namespace vigil::sensor

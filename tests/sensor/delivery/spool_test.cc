// Unit tests for sensor/delivery/spool.h, the durable alert spool, in ordinary operation:
// appending, reading and acking, numbering across reopening, rolling and removing
// segments, the space limit and the gaps it owes, refused input, and a reader and an
// appender at once. Recovery from crashes and damage is in spool_recovery_test.cc, the
// epoch in spool_epoch_test.cc.
#include "sensor/delivery/spool.h"

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "tests/sensor/delivery/spool_helpers.h"
#include "tests/support/test_dir.h"

namespace vigil::sensor {
namespace {

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

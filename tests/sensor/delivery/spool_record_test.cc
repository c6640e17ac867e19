// Unit tests for sensor/delivery/spool_record.h: framing one spool record and decoding it back.
#include "sensor/delivery/spool_record.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/crc32c.h"
#include "gtest/gtest.h"

namespace vigil::sensor {
namespace {

std::string Encoded(RecordKind kind, uint64_t seq, absl::string_view payload) {
  std::string out;
  EncodeRecord(kind, seq, payload, &out);
  return out;
}

// `record` with the byte at `at` replaced by `value`.
std::string WithByte(std::string record, size_t at, char value) {
  record[at] = value;
  return record;
}

TEST(SpoolRecordTest, EncodesTheDocumentedLayout) {
  const std::string record = Encoded(RecordKind::kAlert, 0x0102030405060708u, "hey");
  ASSERT_EQ(record.size(), kRecordOverheadBytes + 3);
  const std::string header("\xA7\x01\x00\x00\x03\x00\x00\x00\x08\x07\x06\x05\x04\x03\x02\x01", 16);
  EXPECT_EQ(record.substr(0, kRecordHeaderBytes), header);
  EXPECT_EQ(record.substr(kRecordHeaderBytes, 3), "hey");
  const uint32_t crc = Crc32c(record.substr(0, kRecordHeaderBytes + 3));
  const std::string crc_bytes{static_cast<char>(crc), static_cast<char>(crc >> 8),
                              static_cast<char>(crc >> 16), static_cast<char>(crc >> 24)};
  EXPECT_EQ(record.substr(kRecordHeaderBytes + 3), crc_bytes);
}

TEST(SpoolRecordTest, AlertRoundTrips) {
  for (const std::string& payload :
       {std::string(), std::string("x"), std::string("an alert\0with a NUL", 19),
        std::string(kMaxRecordPayload, 'p')}) {
    const std::string record = Encoded(RecordKind::kAlert, 42, payload);
    EXPECT_EQ(record.size(), kRecordOverheadBytes + payload.size());
    RecordHeader header;
    absl::string_view decoded;
    ASSERT_EQ(DecodeRecord(record, &header, &decoded), RecordDecode::kOk) << payload.size();
    EXPECT_EQ(header.kind, RecordKind::kAlert);
    EXPECT_EQ(header.seq, 42u);
    EXPECT_EQ(header.length, payload.size());
    EXPECT_EQ(header.record_bytes(), record.size());
    EXPECT_EQ(decoded, payload);
  }
}

TEST(SpoolRecordTest, GapRoundTripsWithItsCount) {
  std::string record;
  EncodeGapRecord(7, 123456789012u, &record);
  EXPECT_EQ(record.size(), kGapRecordBytes);
  RecordHeader header;
  absl::string_view payload;
  ASSERT_EQ(DecodeRecord(record, &header, &payload), RecordDecode::kOk);
  EXPECT_EQ(header.kind, RecordKind::kGap);
  EXPECT_EQ(header.seq, 7u);
  EXPECT_EQ(DecodeGapCount(payload), 123456789012u);
  EXPECT_EQ(DecodeGapCount("short"), 0u);
}

TEST(SpoolRecordTest, DecodesTheFirstOfConsecutiveRecords) {
  std::string records;
  EncodeRecord(RecordKind::kAlert, 1, "first", &records);
  const size_t first_size = records.size();
  EncodeGapRecord(2, 5, &records);
  RecordHeader header;
  absl::string_view payload;
  ASSERT_EQ(DecodeRecord(records, &header, &payload), RecordDecode::kOk);
  EXPECT_EQ(header.seq, 1u);
  EXPECT_EQ(payload, "first");
  ASSERT_EQ(DecodeRecord(absl::string_view(records).substr(first_size), &header, &payload),
            RecordDecode::kOk);
  EXPECT_EQ(header.seq, 2u);
  EXPECT_EQ(DecodeGapCount(payload), 5u);
}

TEST(SpoolRecordTest, EveryPrefixOfARecordIsTruncated) {
  const std::string record = Encoded(RecordKind::kAlert, 9, "truncate me");
  for (size_t n = 0; n < record.size(); ++n) {
    RecordHeader header;
    absl::string_view payload;
    EXPECT_EQ(DecodeRecord(record.substr(0, n), &header, &payload), RecordDecode::kTruncated) << n;
  }
  RecordHeader header;
  EXPECT_FALSE(DecodeRecordHeader(record.substr(0, kRecordHeaderBytes - 1), &header));
  EXPECT_TRUE(DecodeRecordHeader(record.substr(0, kRecordHeaderBytes), &header));
  EXPECT_EQ(header.seq, 9u);
  EXPECT_EQ(header.record_bytes(), record.size());
}

TEST(SpoolRecordTest, AFlippedBitUnderTheCrcIsCorrupt) {
  const std::string record = Encoded(RecordKind::kAlert, 3, "checked payload");
  // The sequence number, the payload and the CRC itself: the header stays well-formed, so
  // only the CRC can tell.
  for (size_t byte = 8; byte < record.size(); ++byte) {
    std::string bad = record;
    bad[byte] = static_cast<char>(bad[byte] ^ 0x10);
    RecordHeader header;
    absl::string_view payload;
    EXPECT_EQ(DecodeRecord(bad, &header, &payload), RecordDecode::kCorrupt) << byte;
  }
}

TEST(SpoolRecordTest, MalformedHeadersAreCorrupt) {
  const std::string good = Encoded(RecordKind::kAlert, 1, "abcdefgh");
  const std::vector<std::pair<const char*, std::string>> cases = {
      {"magic", WithByte(good, 0, '\x00')},
      {"kind 0", WithByte(good, 1, '\x00')},
      {"kind 3", WithByte(good, 1, '\x03')},
      {"reserved byte 2", WithByte(good, 2, '\x01')},
      {"reserved byte 3", WithByte(good, 3, '\x80')},
      {"length over the max", WithByte(good, 7, '\x01')},
      {"gap of 9 bytes", WithByte(WithByte(good, 1, '\x02'), 4, '\x09')},
  };
  for (const auto& [what, bad] : cases) {
    RecordHeader header;
    absl::string_view payload;
    EXPECT_FALSE(DecodeRecordHeader(bad, &header)) << what;
    EXPECT_EQ(DecodeRecord(bad, &header, &payload), RecordDecode::kCorrupt) << what;
  }
}

}  // namespace
}  // namespace vigil::sensor

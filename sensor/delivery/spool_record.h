// The spool's record codec: how one numbered record is framed in a segment file, and the
// checks that tell a whole record from a torn or corrupt one.
//
// A record, all integers little-endian:
//   u8 magic 0xA7 | u8 kind (1 alert, 2 gap) | u16 zero | u32 payload length | u64 sequence |
//   payload | u32 CRC32C of everything before it
// A gap record's payload is the u64 count of alerts lost at that point. The segment files
// around the records, and what the numbers mean, are the spool's (sensor/delivery/spool.h).
#ifndef VIGIL_SENSOR_DELIVERY_SPOOL_RECORD_H_
#define VIGIL_SENSOR_DELIVERY_SPOOL_RECORD_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace vigil::sensor {

// What a record is.
enum class RecordKind : uint8_t {
  kAlert = 1,  // payload: the alert as the sensor appended it
  kGap = 2,    // alerts lost here; payload: u64 little-endian count
};

// Largest payload a record may carry; a longer length in a header marks it corrupt, so a
// damaged length never makes a reader allocate or wait for more.
inline constexpr size_t kMaxRecordPayload = 1 << 20;
// Bytes before the payload: magic, kind, zeros, length and sequence number.
inline constexpr size_t kRecordHeaderBytes = 16;
// Bytes a record takes besides its payload: the header and the trailing CRC.
inline constexpr size_t kRecordOverheadBytes = kRecordHeaderBytes + 4;
// Bytes a whole gap record takes (its payload is one u64), for the spool's space checks.
inline constexpr size_t kGapRecordBytes = kRecordOverheadBytes + 8;

// The fields of a record header.
struct RecordHeader {
  RecordKind kind = RecordKind::kAlert;
  uint32_t length = 0;  // payload bytes
  uint64_t seq = 0;     // sequence number

  // Bytes of the whole framed record: how much a reader needs before DecodeRecord.
  size_t record_bytes() const { return kRecordOverheadBytes + length; }
};

// Appends the framed record (`kind`, number `seq`, `payload`) to `out`. `payload` is at most
// kMaxRecordPayload bytes (the spool refuses larger alerts before encoding).
void EncodeRecord(RecordKind kind, uint64_t seq, absl::string_view payload, std::string* out);

// Appends a gap record numbered `seq` that says `lost` alerts were lost there.
void EncodeGapRecord(uint64_t seq, uint64_t lost, std::string* out);

// Decodes the header at the start of `data`, so a reader learns the record's number and
// size before reading the rest. False when `data` is shorter than kRecordHeaderBytes or its
// start is no header: a wrong magic, an unknown kind, nonzero reserved bytes, a length over
// kMaxRecordPayload, or a gap record whose payload is not 8 bytes.
bool DecodeRecordHeader(absl::string_view data, RecordHeader* header);

// How DecodeRecord went.
enum class RecordDecode {
  kOk,         // a whole record with a matching CRC
  kTruncated,  // `data` ends before the record does (a torn write, or more to read)
  kCorrupt,    // not a record header, or the CRC does not match
};

// Decodes the record at the start of `data` (bytes after it are ignored). On kOk, `header`
// holds its fields and `payload` points into `data`.
RecordDecode DecodeRecord(absl::string_view data, RecordHeader* header, absl::string_view* payload);

// The number of alerts a gap record's payload says were lost; 0 when the payload is not
// the 8 bytes of a count.
uint64_t DecodeGapCount(absl::string_view payload);

}  // namespace vigil::sensor

#endif  // VIGIL_SENSOR_DELIVERY_SPOOL_RECORD_H_

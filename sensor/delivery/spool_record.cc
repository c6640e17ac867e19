// The spool's record codec: framing, header checks and CRC of one record.
#include "sensor/delivery/spool_record.h"

#include "common/crc32c.h"
#include "common/little_endian.h"

namespace vigil::sensor {
namespace {

constexpr uint8_t kRecordMagic = 0xA7;
constexpr size_t kCrcBytes = kRecordOverheadBytes - kRecordHeaderBytes;
constexpr size_t kGapPayloadBytes = kGapRecordBytes - kRecordOverheadBytes;

}  // namespace

void EncodeRecord(RecordKind kind, uint64_t seq, absl::string_view payload, std::string* out) {
  const size_t start = out->size();
  out->resize(start + kRecordHeaderBytes);
  char* h = out->data() + start;
  h[0] = static_cast<char>(kRecordMagic);
  h[1] = static_cast<char>(kind);
  h[2] = h[3] = 0;
  PutLittleEndian32(h + 4, static_cast<uint32_t>(payload.size()));
  PutLittleEndian64(h + 8, seq);
  out->append(payload.data(), payload.size());
  char crc[kCrcBytes];
  PutLittleEndian32(crc, Crc32c(absl::string_view(out->data() + start, out->size() - start)));
  out->append(crc, kCrcBytes);
}

void EncodeGapRecord(uint64_t seq, uint64_t lost, std::string* out) {
  char count[kGapPayloadBytes];
  PutLittleEndian64(count, lost);
  EncodeRecord(RecordKind::kGap, seq, absl::string_view(count, sizeof(count)), out);
}

bool DecodeRecordHeader(absl::string_view data, RecordHeader* header) {
  if (data.size() < kRecordHeaderBytes) return false;
  const char* p = data.data();
  const uint8_t kind = static_cast<uint8_t>(p[1]);
  if (static_cast<uint8_t>(p[0]) != kRecordMagic || p[2] != 0 || p[3] != 0) return false;
  if (kind != static_cast<uint8_t>(RecordKind::kAlert) &&
      kind != static_cast<uint8_t>(RecordKind::kGap)) {
    return false;
  }
  header->kind = static_cast<RecordKind>(kind);
  header->length = GetLittleEndian32(p + 4);
  header->seq = GetLittleEndian64(p + 8);
  if (header->length > kMaxRecordPayload) return false;
  return header->kind != RecordKind::kGap || header->length == kGapPayloadBytes;
}

RecordDecode DecodeRecord(absl::string_view data, RecordHeader* header,
                          absl::string_view* payload) {
  if (data.size() < kRecordHeaderBytes) return RecordDecode::kTruncated;
  RecordHeader h;
  if (!DecodeRecordHeader(data, &h)) return RecordDecode::kCorrupt;
  const size_t total = h.record_bytes();
  if (data.size() < total) return RecordDecode::kTruncated;
  const size_t crc_at = total - kCrcBytes;
  if (Crc32c(data.substr(0, crc_at)) != GetLittleEndian32(data.data() + crc_at)) {
    return RecordDecode::kCorrupt;
  }
  *header = h;
  *payload = data.substr(kRecordHeaderBytes, h.length);
  return RecordDecode::kOk;
}

uint64_t DecodeGapCount(absl::string_view payload) {
  if (payload.size() != kGapPayloadBytes) return 0;
  return GetLittleEndian64(payload.data());
}

}  // namespace vigil::sensor

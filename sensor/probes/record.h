// What a probe module's user half decodes its ring-buffer records with: the record (its
// common header already checked by the sensor's Decoder), the reasons a record is refused,
// and the description of one record type that a module registers (record_registry.h).
#ifndef VIGIL_SENSOR_PROBES_RECORD_H_
#define VIGIL_SENSOR_PROBES_RECORD_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "event/event.h"

namespace vigil::sensor {

class JsonWriter;

// Why a record was rejected. Each reason is counted separately.
enum class DecodeError : int {
  kTooShort = 0,  // smaller than the common header or than its type's body
  kSizeMismatch,  // header size or variable lengths disagree with the record size
  kBadVersion,    // written by a different ABI version
  kUnknownType,   // type no registered module knows, or an unknown enum value in it
  kBadLength,     // a variable-length field beyond its documented maximum
  kCount,
};

// Stable name of a decode error reason ("too_short", ...), used in metrics and gaps.
absl::string_view DecodeErrorName(DecodeError error);

namespace probes {

// One record of `size` bytes at `data`, at least as long as its type's body.
class Record {
 public:
  Record(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  size_t size() const { return size_; }
  // The record's bytes.
  const uint8_t* data() const { return data_; }
  // Copies the fixed-layout struct T from the record's start (records carry no alignment
  // promise). T must be no larger than the registered body size.
  template <typename T>
  T Load() const {
    T value;
    std::memcpy(&value, data_, sizeof(T));
    return value;
  }
  // `len` bytes at `offset` as text; the caller has checked they are inside the record.
  absl::string_view Text(size_t offset, size_t len) const {
    return absl::string_view(reinterpret_cast<const char*>(data_ + offset), len);
  }

 private:
  const uint8_t* data_;
  size_t size_;
};

// Why a module refused a record: the reason counted, and a detail for the log.
struct DecodeFailure {
  DecodeError error;
  std::string detail;
};
// Nothing when the record was decoded.
using DecodeResult = std::optional<DecodeFailure>;

// Checks that `record` holds exactly `tail` bytes after its `body` bytes.
DecodeResult CheckTail(const Record& record, size_t body, size_t tail);

// One record type as its module registers it.
struct RecordType {
  event::EventType type;
  // Bytes of the fixed part (header included): shorter records are refused before decode.
  size_t body_size;
  // Fills event->task's payload member for this type (the task is already filled); strings
  // point into the record.
  DecodeResult (*decode)(const Record& record, event::Event* event);
  // Writes the payload's members into the event's JSON object (docs/events.md).
  void (*append_json)(const event::Event& event, JsonWriter* json);
};

}  // namespace probes
}  // namespace vigil::sensor

#endif  // VIGIL_SENSOR_PROBES_RECORD_H_

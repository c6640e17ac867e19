// Decoder: turns a raw ring-buffer record (bpf/abi/vigil_event.h) into a typed Event.
#ifndef VIGIL_SENSOR_DECODER_H_
#define VIGIL_SENSOR_DECODER_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "event/event.h"

namespace vigil::sensor {

// Why a record was rejected. Each reason is counted separately.
enum class DecodeError : int {
  kTooShort = 0,  // smaller than the common header or than its type's body
  kSizeMismatch,  // header size or variable lengths disagree with the record size
  kBadVersion,    // written by a different ABI version
  kUnknownType,   // type the decoder does not know
  kBadLength,     // a variable-length field beyond its documented maximum
  kCount,
};

// Stable name of a decode error reason ("too_short", ...), used in metrics and gaps.
absl::string_view DecodeErrorName(DecodeError error);

// Validates and decodes records. A malformed record is rejected with a reason and
// counted; it never reads outside the record. Not thread-safe (one per pipeline).
class Decoder {
 public:
  // Decodes `size` bytes at `data` into *event (whose strings then point into data).
  // Returns InvalidArgument naming the reason when the record is malformed.
  absl::Status Decode(const void* data, size_t size, event::Event* event);

  // Records rejected, per DecodeError.
  const std::array<uint64_t, static_cast<int>(DecodeError::kCount)>& errors() const {
    return errors_;
  }
  // Records decoded successfully.
  uint64_t decoded() const { return decoded_; }

 private:
  absl::Status Reject(DecodeError error, absl::string_view detail);

  std::array<uint64_t, static_cast<int>(DecodeError::kCount)> errors_{};
  uint64_t decoded_ = 0;
};

}  // namespace vigil::sensor

#endif  // VIGIL_SENSOR_DECODER_H_

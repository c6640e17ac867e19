// Decoder: turns a raw ring-buffer record into a typed Event: checks the common header
// (bpf/abi/vigil_event.h), then hands the body to the decoder its module registered.
#ifndef VIGIL_SENSOR_DECODER_H_
#define VIGIL_SENSOR_DECODER_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "event/event.h"
#include "sensor/probes/record.h"

namespace vigil::sensor {

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
  // Records rejected, all reasons together.
  uint64_t total_errors() const {
    uint64_t total = 0;
    for (uint64_t e : errors_) total += e;
    return total;
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

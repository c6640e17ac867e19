// Output: the sensor's JSON-lines stream (stdout or --output FILE), written only by the
// pipeline thread: events, alerts and the sensor's own records, buffered and flushed in
// batches.
#ifndef VIGIL_SENSOR_OUTPUT_OUTPUT_H_
#define VIGIL_SENSOR_OUTPUT_OUTPUT_H_

#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vigil::sensor {

// One output stream. A failed write marks it failed: later writes are dropped and Flush()
// reports the error, which stops the sensor (a consumer that went away is not silent).
class Output {
 public:
  // "-" is stdout; anything else is a file created or truncated. FailedPrecondition naming
  // the path when it cannot be opened.
  static absl::StatusOr<std::unique_ptr<Output>> Open(const std::string& path);
  ~Output();
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  // Writes `line` (which carries its own newline) to the buffer.
  void WriteLine(absl::string_view line);
  // Writes the buffer out; Unavailable once any write failed.
  absl::Status Flush();

 private:
  Output(FILE* out, bool owned) : out_(out), owned_(owned) {}

  FILE* out_;
  bool owned_;
  bool failed_ = false;
};

}  // namespace vigil::sensor

#endif  // VIGIL_SENSOR_OUTPUT_OUTPUT_H_

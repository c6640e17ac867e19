// JsonWriter: appends one flat-or-nested JSON object to a reusable buffer, fast and
// without intermediate allocations. Used for the sensor's JSON-lines output.
#ifndef VIGIL_SENSOR_OUTPUT_JSON_WRITER_H_
#define VIGIL_SENSOR_OUTPUT_JSON_WRITER_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace vigil::sensor {

// Builds JSON text into a caller-owned std::string. The caller is responsible for
// balanced Begin/End calls. Strings are escaped per RFC 8259; bytes that are not valid
// UTF-8 (paths can hold any byte) are written as \u00XX of the byte value, so output is
// always valid JSON and no byte is silently lost.
class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  void BeginObject();
  void EndObject();
  void BeginArray(absl::string_view key);
  void EndArray();

  void Key(absl::string_view key);
  void String(absl::string_view key, absl::string_view value);
  void Uint(absl::string_view key, uint64_t value);
  void Int(absl::string_view key, int64_t value);
  void Bool(absl::string_view key, bool value);
  void Null(absl::string_view key);
  // Begins a nested object under `key`.
  void BeginObject(absl::string_view key);
  // An array element.
  void ArrayString(absl::string_view value);

  // Appends `value` as a quoted, escaped JSON string.
  static void AppendQuoted(absl::string_view value, std::string* out);

 private:
  void Separator();

  std::string* out_;
  bool first_ = true;
};

}  // namespace vigil::sensor

#endif  // VIGIL_SENSOR_OUTPUT_JSON_WRITER_H_

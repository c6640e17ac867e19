// Alerts as JSON lines in the shape of Falco's JSON output (time, rule, priority, output,
// output_fields, hostname, tags, source), so existing consumers read them unchanged.
#ifndef VIGIL_SENSOR_ALERT_JSON_H_
#define VIGIL_SENSOR_ALERT_JSON_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "rules/engine.h"

namespace vigil::sensor {

// Falco's capitalised priority name ("Critical", "Warning", "Informational", ...).
absl::string_view AlertPriorityName(rules::Priority priority);

// RFC 3339 UTC time with nanoseconds ("2026-11-30T06:40:00.123456789Z").
std::string FormatWallTime(uint64_t wall_ns);

// What one alert line says. Rule alerts and the sensor's own alerts share it.
struct AlertLine {
  absl::string_view rule;
  rules::Priority priority = rules::Priority::kWarning;
  absl::string_view output;
  const std::vector<rules::AlertField>* fields = nullptr;  // output_fields; may be null
  const std::vector<std::string>* tags = nullptr;          // may be null
  absl::string_view source = "syscall";
  uint64_t wall_ns = 0;
  // Threshold rules: the events counted (written as "count" when above 1).
  uint64_t count = 1;
  // Container and pod of the event's process when known (empty otherwise): written as
  // output_fields container.id, k8s.pod.name, k8s.ns.name and k8s.pod.uid unless the
  // rule's output already names them.
  absl::string_view container_id;
  absl::string_view pod_name;
  absl::string_view pod_namespace;
  absl::string_view pod_uid;
};

// Appends one JSON object (no newline). Field values keep their types: numbers as
// numbers, booleans as booleans, file.mode-like flags as octal strings, fields that do
// not apply as null.
void AppendAlertJson(const AlertLine& alert, absl::string_view hostname, std::string* out);

}  // namespace vigil::sensor

#endif  // VIGIL_SENSOR_ALERT_JSON_H_

// Alerts in their wire form (vigil.v1.Alert): the one form every alert is converted to,
// which the spool sends to the controller and the JSON output prints.
#ifndef VIGIL_SENSOR_DELIVERY_ALERT_PROTO_H_
#define VIGIL_SENSOR_DELIVERY_ALERT_PROTO_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "rules/engine.h"
#include "vigil/v1/alert.pb.h"

namespace vigil::sensor {

// What one alert says, as the rule engine or the sensor itself raises it. Strings and
// vectors are borrowed for the duration of the conversion.
struct AlertLine {
  absl::string_view rule;
  rules::Priority priority = rules::Priority::kWarning;
  absl::string_view output;
  const std::vector<rules::AlertField>* fields = nullptr;  // output_fields; may be null
  const std::vector<std::string>* tags = nullptr;          // may be null
  absl::string_view source = "syscall";
  uint64_t wall_ns = 0;
  // Threshold rules: the events counted.
  uint64_t count = 1;
  // Container and pod of the event's process when known (empty otherwise).
  absl::string_view container_id;
  absl::string_view pod_name;
  absl::string_view pod_namespace;
  absl::string_view pod_uid;
};

// The wire form of an alert line (no sequence number: the spool assigns it). Field values
// keep their types: text for strings and paths (file.mode-like flags as octal text),
// numbers, booleans; a field that does not apply has no value.
vigil::v1::Alert ToAlertProto(const AlertLine& alert, const std::string& sensor_id,
                              const std::string& node, const std::string& rule_set_version);

}  // namespace vigil::sensor

#endif  // VIGIL_SENSOR_DELIVERY_ALERT_PROTO_H_

// Alerts as JSON lines in the shape of Falco's JSON output (time, rule, priority, output,
// output_fields, hostname, tags, source), so existing consumers read them unchanged. They
// are written from the wire form (delivery/alert_proto.h), the one form an alert takes.
#ifndef VIGIL_SENSOR_OUTPUT_ALERT_JSON_H_
#define VIGIL_SENSOR_OUTPUT_ALERT_JSON_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "rules/engine.h"
#include "vigil/v1/alert.pb.h"

namespace vigil::sensor {

// Falco's capitalised priority name ("Critical", "Warning", "Informational", ...): the
// display name of common/priority.h.
absl::string_view AlertPriorityName(rules::Priority priority);

// RFC 3339 UTC time with nanoseconds ("2026-11-30T06:40:00.123456789Z").
std::string FormatWallTime(uint64_t wall_ns);

// Appends `alert` as one JSON object (no newline); "hostname" is the alert's node. Field
// values keep their wire types: text as strings, numbers as numbers, flags as booleans,
// fields without a value as null. Container and pod are added to output_fields
// (container.id, k8s.pod.name, k8s.ns.name, k8s.pod.uid) when known and not already
// there; "count" only when above 1.
void AppendAlertJson(const vigil::v1::Alert& alert, std::string* out);

}  // namespace vigil::sensor

#endif  // VIGIL_SENSOR_OUTPUT_ALERT_JSON_H_

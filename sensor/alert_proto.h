// Alerts in their wire form (vigil.v1.Alert), as the sensor spools and sends them.
#ifndef VIGIL_SENSOR_ALERT_PROTO_H_
#define VIGIL_SENSOR_ALERT_PROTO_H_

#include <string>

#include "sensor/alert_json.h"
#include "vigil/v1/alert.pb.h"

namespace vigil::sensor {

// The wire form of an alert line (no sequence number: the spool assigns it).
vigil::v1::Alert ToAlertProto(const AlertLine& alert, const std::string& sensor_id,
                              const std::string& node, const std::string& rule_set_version);

}  // namespace vigil::sensor

#endif  // VIGIL_SENSOR_ALERT_PROTO_H_

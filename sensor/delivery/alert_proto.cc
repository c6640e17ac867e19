#include "sensor/delivery/alert_proto.h"

#include "proto/wire_enums.h"
#include "rules/output_template.h"

namespace vigil::sensor {

// The rule language's priorities are the wire table's levels.
static_assert(static_cast<int>(rules::Priority::kEmergency) == 0 &&
              static_cast<int>(rules::Priority::kDebug) == wire::kPriorityLevels - 1);
static_assert(wire::WirePriority(static_cast<int>(rules::Priority::kWarning)) ==
              v1::PRIORITY_WARNING);

vigil::v1::Alert ToAlertProto(const AlertLine& alert, const std::string& sensor_id,
                              const std::string& node, const std::string& rule_set_version) {
  vigil::v1::Alert out;
  out.set_sensor_id(sensor_id);
  out.set_node(node);
  out.set_time_unix_ns(static_cast<int64_t>(alert.wall_ns));
  out.set_rule(std::string(alert.rule));
  out.set_priority(wire::WirePriority(static_cast<int>(alert.priority)));
  out.set_output(std::string(alert.output));
  out.set_source(std::string(alert.source));
  out.set_count(alert.count);
  out.set_rule_set_version(rule_set_version);
  out.set_container_id(std::string(alert.container_id));
  out.set_pod_name(std::string(alert.pod_name));
  out.set_pod_namespace(std::string(alert.pod_namespace));
  out.set_pod_uid(std::string(alert.pod_uid));
  if (alert.tags != nullptr) {
    for (const std::string& tag : *alert.tags) out.add_tags(tag);
  }
  if (alert.fields != nullptr) {
    std::string text;
    for (const rules::AlertField& f : *alert.fields) {
      vigil::v1::AlertField* field = out.add_output_fields();
      field->set_name(f.name);
      if (!f.present) continue;
      switch (f.type) {
        case rules::FieldType::kString:
        case rules::FieldType::kPath:
        case rules::FieldType::kFile:
        case rules::FieldType::kIp: field->set_text(f.str); break;
        case rules::FieldType::kBool: field->set_flag(f.num != 0); break;
        case rules::FieldType::kInt:
        case rules::FieldType::kUid: field->set_number(f.num); break;
        case rules::FieldType::kFlags:
          text.clear();
          rules::AppendFlagsText(f.num, &text);
          field->set_text(text);
          break;
      }
    }
  }
  return out;
}

}  // namespace vigil::sensor

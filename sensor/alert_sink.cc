#include "sensor/alert_sink.h"

#include "common/clock.h"
#include "sensor/output/alert_json.h"

namespace vigil::sensor {

AlertLine SelfAlertLine(absl::string_view rule, rules::Priority priority, absl::string_view output,
                        const std::vector<std::string>* tags) {
  AlertLine line;
  line.rule = rule;
  line.priority = priority;
  line.output = output;
  line.tags = tags;
  line.source = "vigil";
  line.wall_ns = static_cast<uint64_t>(WallNowNs());
  return line;
}

void AlertSink::SetDelivery(std::string sensor_id, Spool* spool, ControllerLink* link) {
  sensor_id_ = std::move(sensor_id);
  spool_ = spool;
  link_ = link;
}

void AlertSink::Publish(const AlertLine& alert, const std::string& rule_set_version) {
  ++published_;
  const vigil::v1::Alert wire = ToAlertProto(alert, sensor_id_, node_, rule_set_version);
  Append(wire);
  if (output_ == nullptr) return;
  line_.clear();
  AppendAlertJson(wire, &line_);
  line_.push_back('\n');
  output_->WriteLine(line_);
}

void AlertSink::SpoolOnly(const AlertLine& alert) {
  Append(ToAlertProto(alert, sensor_id_, node_, ""));
}

void AlertSink::Append(const vigil::v1::Alert& alert) {
  if (spool_ == nullptr) return;
  if (spool_->Append(alert.SerializeAsString()).ok()) {
    spooled_.fetch_add(1, std::memory_order_relaxed);
    link_->Wake();
  }
}

}  // namespace vigil::sensor

// AlertSink: where every alert goes, rule matches and the sensor's own alike. Each alert
// is converted once, to its wire form (delivery/alert_proto.h); the spool keeps it for the
// controller and, with --print-alerts, the output prints it as JSON.
#ifndef VIGIL_SENSOR_ALERT_SINK_H_
#define VIGIL_SENSOR_ALERT_SINK_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "sensor/delivery/alert_proto.h"
#include "sensor/delivery/controller_link.h"
#include "sensor/delivery/spool.h"
#include "sensor/output/output.h"

namespace vigil::sensor {

// One of the sensor's own alerts (source "vigil", time now) with `tags`; the strings and
// the tags are borrowed until the alert is published.
AlertLine SelfAlertLine(absl::string_view rule, rules::Priority priority, absl::string_view output,
                        const std::vector<std::string>* tags);

// Publish() runs on the pipeline thread; SpoolOnly() may run on any thread (the watchdog's):
// the spool and the link's wake-up are thread-safe, the output is the pipeline's.
class AlertSink {
 public:
  // `node` names this machine in every alert; `output` (may be null) prints alerts.
  AlertSink(std::string node, Output* output) : node_(std::move(node)), output_(output) {}

  // Alerts from now on are also spooled for the controller as `sensor_id`; before this
  // (or without a controller) they are only printed. Call before any other thread runs.
  void SetDelivery(std::string sensor_id, Spool* spool, ControllerLink* link);

  // Pipeline thread: spools `alert` (made by rule set `rule_set_version`, empty for the
  // sensor's own) and prints it when the output is set.
  void Publish(const AlertLine& alert, const std::string& rule_set_version);
  // Any thread: spools `alert` only (the pipeline thread may be the one that is stuck).
  void SpoolOnly(const AlertLine& alert);

  // Alerts published (pipeline thread).
  uint64_t published() const { return published_; }
  // Alerts the spool accepted, from every thread.
  uint64_t spooled() const { return spooled_.load(std::memory_order_relaxed); }

 private:
  // Appends the wire form to the spool and wakes the link; a refused append is counted by
  // the spool and reaches the controller as a gap.
  void Append(const vigil::v1::Alert& alert);

  const std::string node_;
  Output* const output_;
  std::string sensor_id_;
  Spool* spool_ = nullptr;
  ControllerLink* link_ = nullptr;
  uint64_t published_ = 0;
  std::atomic<uint64_t> spooled_{0};
  std::string line_;
};

}  // namespace vigil::sensor

#endif  // VIGIL_SENSOR_ALERT_SINK_H_

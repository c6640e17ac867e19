// Sensor: the node's sensor wired together, and its event loop. The parts each do one
// thing: ModuleSet (the probe modules), Pipeline (ring buffer -> decoder -> process table
// -> rules -> alerts), AlertSink (alerts to the spool and the output), FleetAgent (the
// controller's hello, health and commands), HealthMonitor (watchdog, readiness), the run
// records (sensor_start, gap, sensor_stop) and the metrics.
#ifndef VIGIL_SENSOR_SENSOR_H_
#define VIGIL_SENSOR_SENSOR_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bundle/signing.h"
#include "common/metrics_server.h"
#include "event/file_id.h"
#include "sensor/alert_sink.h"
#include "sensor/delivery/spool.h"
#include "sensor/enrich/enricher.h"
#include "sensor/fleet_agent.h"
#include "sensor/health.h"
#include "sensor/metrics.h"
#include "sensor/module_set.h"
#include "sensor/options.h"
#include "sensor/output/output.h"
#include "sensor/pipeline.h"
#include "sensor/probes/kernel_env.h"
#include "sensor/probes/ring_reader.h"
#include "sensor/rules_source.h"
#include "sensor/run_records.h"
#include "sensor/selection.h"

namespace vigil::sensor {

// Everything runs on one pipeline thread except the controller link's threads, the
// watchdog and the metrics server. Rules reload on SIGHUP: the new set is compiled
// between two events and swapped in whole, so every event is evaluated by exactly one
// set; the kernel filter is then moved to what the new set needs (widened before it is
// narrowed). A set that fails to compile changes nothing and raises a "Vigil rules reload
// failed" alert naming the error. Drops (kernel counters, malformed records) are reported
// as "gap" records. Metrics (docs/metrics.md) are copied from the parts' own counters once
// a second.
class Sensor {
 public:
  // Checks the environment, creates the ring buffer, loads and attaches every module
  // and seeds the process table. Errors name what is missing.
  static absl::StatusOr<std::unique_ptr<Sensor>> Create(const SensorOptions& options);
  ~Sensor();

  // Writes the sensor_start record (version, kernel, modules with attach modes).
  absl::Status WriteStartRecord();

  // Consumes events until `signal_fd` (a signalfd) delivers SIGINT or SIGTERM, or the
  // output fails; SIGHUP reloads the rules. Returns the output error, if any.
  absl::Status Run(int signal_fd);

  // Recompiles the rules from their paths and swaps them in (see the class comment).
  // Returns the compile error, after raising the self-alert.
  absl::Status ReloadRules();

  // Detaches the probes, drains what is left in the ring, reports final gaps and the
  // sensor_stop record, and flushes. Safe to call twice.
  absl::Status Shutdown();

  // The port /metrics is served on (0 when not served).
  int metrics_port() const { return metrics_server_ ? metrics_server_->port() : 0; }

 private:
  explicit Sensor(const SensorOptions& options);
  absl::Status Init();
  // Opens the spool and creates the controller link (started by Run).
  absl::Status StartFleetAgent();
  // Runs `compiled` from the next event on and moves the kernel filter to it.
  absl::Status InstallRules(CompiledRules compiled);
  // Moves the probes to `selection` (widened before narrowed).
  absl::Status ApplySelection(const Selection& selection);
  // Re-resolves the paths the rules in force name by identity (fd.file in (...)), under
  // --file-root, and, when the files they name changed, gives the probes the new
  // identities (the files' opens reach user space whatever their path). When a rule set
  // is installed (before it sees an event) and once a second. With `refresh` false the
  // identities are taken as the pipeline last resolved them (after a rename of a listed path).
  absl::Status SyncFileIdentities(bool refresh = true);
  // A pushed rule set or module command from the controller.
  absl::Status ApplyPushedRules(const vigil::v1::RuleSet& pushed);
  absl::Status ApplyModules(const vigil::v1::ModuleCommand& command);
  // Publishes one of the sensor's own alerts (priority error).
  void RaiseSelfAlert(absl::string_view rule, absl::string_view output);
  // Refreshes what the controller is told, the metrics and readiness, from `modules` (a
  // snapshot just taken) or from a fresh one.
  void UpdateStatus(const std::vector<ModuleSnapshot>& modules);
  void UpdateStatus() { UpdateStatus(modules_.Snapshot()); }
  void SyncMetrics();
  // Why the sensor is not ready ("" when it is): probes attached, rules loaded.
  std::string NotReadyReason() const;
  // Writes gap records for the drops in `modules` and the decoder since the last check.
  void ReportGaps(const std::vector<ModuleSnapshot>& modules);
  probes::ModuleOptions ModuleOptionsFor(const Selection& selection) const;

  const SensorOptions options_;
  std::string hostname_;
  std::string sensor_id_;
  std::unique_ptr<Output> output_;
  std::unique_ptr<probes::KernelEnv> env_;
  SensorMetrics metrics_;
  std::unique_ptr<AlertSink> alerts_;
  // Container and pod of events' processes, looked up only for rules and alerts that
  // read them.
  std::unique_ptr<enrich::Enricher> enricher_;
  std::unique_ptr<Pipeline> pipeline_;
  std::unique_ptr<probes::RingReader> ring_;
  ModuleSet modules_;
  Selection selection_;
  // The file identities the probes were last given (SyncFileIdentities), sorted.
  std::vector<event::FileId> kernel_file_ids_;
  GapReporter gaps_;
  // The spool outlives the agent's link (declared first, destroyed last).
  std::unique_ptr<Spool> spool_;
  std::unique_ptr<FleetAgent> fleet_;
  std::unique_ptr<HealthMonitor> health_;
  std::unique_ptr<MetricsServer> metrics_server_;
  std::string modules_version_;
  // The pinned keys of probe-module bundles (--module-keys), loaded at start.
  bundle::KeyRing module_keys_;
  // The rule set the controller pushed last and this sensor runs, if any (recompiled when
  // bundle modules change the fields rules may name).
  std::optional<vigil::v1::RuleSet> pushed_rules_;
  uint64_t reloads_ = 0;
  uint64_t reload_failures_ = 0;
  uint64_t acked_at_start_ = 0;  // the spool's ack watermark when opened
  bool initialized_ = false;     // Init() completed: there is a run to report on
  bool shut_down_ = false;
};

}  // namespace vigil::sensor

#endif  // VIGIL_SENSOR_SENSOR_H_

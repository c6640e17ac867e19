// Sensor: the node pipeline. Probes -> ring buffer -> decoder -> process table -> output.
#ifndef VIGIL_SENSOR_SENSOR_H_
#define VIGIL_SENSOR_SENSOR_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/metrics_server.h"
#include "rules/engine.h"
#include "sensor/alert_json.h"
#include "sensor/controller_link.h"
#include "sensor/decoder.h"
#include "sensor/enrich/enricher.h"
#include "sensor/metrics.h"
#include "sensor/options.h"
#include "sensor/probes/kernel_env.h"
#include "sensor/probes/probe_module.h"
#include "sensor/probes/ring_reader.h"
#include "sensor/process_table.h"
#include "sensor/selection.h"
#include "sensor/spool.h"
#include "sensor/user_names.h"
#include "sensor/watchdog.h"

namespace vigil::sensor {

// Runs the whole user-space path on one thread: the ring reader hands each record, in
// place, to the decoder; the process table is updated; the event is written out and, with
// --rules, evaluated by the rule engine, whose alerts are written out too. Drops (kernel
// counters, malformed records) are reported as "gap" records in the output.
//
// Rules reload on SIGHUP: the new set is compiled on the pipeline thread between two
// events and swapped in whole, so every event is evaluated by exactly one set; the
// kernel filter is then moved to what the new set needs (widened before it is narrowed).
// A set that fails to compile changes nothing and raises a "Vigil rules reload failed"
// alert naming the error.
//
// Metrics (docs/metrics.md) are copied from the pipeline's own counters once a second. A
// watchdog thread checks, also once a second, that the pipeline consumes what the kernel
// produces and that every running module's hooks fire; either failure is a metric and a
// self-alert ("Vigil pipeline stalled", "Vigil probe detached"), raised from the watchdog
// thread straight into the spool, since the pipeline may be the thing that is stuck.
class Sensor : public probes::RecordSink {
 public:
  // Checks the environment, creates the ring buffer, loads and attaches every module
  // and seeds the process table. Errors name what is missing.
  static absl::StatusOr<std::unique_ptr<Sensor>> Create(const SensorOptions& options);
  ~Sensor() override;

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

  void OnRecord(const void* data, size_t size) override;

  // The port /metrics is served on (0 when not served).
  int metrics_port() const { return metrics_server_ ? metrics_server_->port() : 0; }

 private:
  explicit Sensor(const SensorOptions& options);
  absl::Status Init();
  // Emits a gap record for every drop counter that grew since the last check.
  void ReportGaps();
  // Writes one gap record: `count` events lost in `module` for `reason`.
  void WriteGap(absl::string_view module, absl::string_view reason, uint64_t count);
  absl::Status Flush();
  void WriteLine(const std::string& line);
  // A compiled rule set and its version (rules::RuleSetContentVersion).
  struct CompiledRules {
    std::shared_ptr<const rules::RuleSet> set;
    std::string version;
  };
  // Loads and compiles options_.rule_paths.
  absl::StatusOr<CompiledRules> CompileRules() const;
  // Compiles a rule set the controller pushed (and applies --max-rules).
  absl::StatusOr<CompiledRules> CompilePushed(const vigil::v1::RuleSet& pushed) const;
  // Runs `compiled` from the next event on and moves the kernel filter to it.
  absl::Status InstallRules(CompiledRules compiled);
  // Writes (and spools) one of the sensor's own alerts, priority error.
  void RaiseSelfAlert(absl::string_view rule, absl::string_view output);
  // Opens the spool and creates the controller link (started by Run).
  absl::Status StartLink();
  // Refreshes the hello and health the link sends (under link_mu_).
  void UpdateHello();
  // Applies the commands the link queued (rule sets, module settings) and answers them.
  void ApplyCommands();
  absl::Status ApplyModules(const vigil::v1::ModuleCommand& command);
  // Moves the probes to `selection` (prefixes widened before narrowed).
  absl::Status ApplySelection(const Selection& selection);
  // Evaluates one event (with its process already in the table) and writes its alerts.
  void Evaluate(const event::Event& event);
  // Writes one alert line.
  void WriteAlert(const AlertLine& alert);
  // Copies the pipeline's counters into the metrics and refreshes readiness.
  void SyncMetrics();
  // Each module's state and counters (modules_mu_ held).
  std::vector<ModuleSnapshot> ReadModules() ABSL_EXCLUSIVE_LOCKS_REQUIRED(modules_mu_);
  // Why the sensor is not ready ("" when it is): probes attached, rules loaded (the
  // watchdog's stall verdict is checked apart, see Init).
  std::string NotReadyReason() const;
  void StartWatchdog();
  void StopWatchdog();
  void WatchdogLoop();
  // A self-alert from the watchdog thread: to stderr and the spool (stdout belongs to the
  // pipeline thread, which may be the one that is stuck).
  void RaiseWatchdogAlert(absl::string_view rule, absl::string_view output);
  // Nanoseconds to add to a CLOCK_BOOTTIME timestamp to get wall-clock time.
  static int64_t BootToWallOffset();

  SensorOptions options_;
  std::unique_ptr<probes::KernelEnv> env_;
  std::unique_ptr<probes::RingReader> ring_;
  // Every registered module (probes/module_registry.h), in registry order.
  std::vector<std::unique_ptr<probes::ProbeModule>> modules_;
  Decoder decoder_;
  ProcessTable table_;
  UserNames users_;
  // Container and pod of events' processes, looked up only for rules and alerts that
  // read them.
  std::unique_ptr<enrich::Enricher> enricher_;
  std::unique_ptr<rules::Engine> engine_;  // with --rules, or once the controller sent rules
  std::string rule_set_version_;
  std::string modules_version_;
  probes::ModuleOptions module_options_;
  // The controller link: the spool outlives the link (declared first, destroyed last).
  std::string sensor_id_;
  std::unique_ptr<Spool> spool_;
  std::unique_ptr<ControllerLink> link_;
  int command_fd_ = -1;  // eventfd: the link queued commands
  absl::Mutex link_mu_;
  vigil::v1::Hello hello_ ABSL_GUARDED_BY(link_mu_);
  vigil::v1::Health health_ ABSL_GUARDED_BY(link_mu_);
  std::deque<vigil::v1::ControllerMessage> commands_ ABSL_GUARDED_BY(link_mu_);
  Selection selection_;
  std::string hostname_;
  uint64_t alerts_ = 0;
  uint64_t reloads_ = 0;
  uint64_t reload_failures_ = 0;
  FILE* out_ = nullptr;
  bool owns_out_ = false;
  bool output_failed_ = false;
  bool initialized_ = false;  // Init() completed: there is a run to report on
  bool shut_down_ = false;
  std::string line_;
  std::array<uint64_t, event::kEventTypeLimit> events_by_type_{};
  // Last values reported as gaps, per module and counter.
  std::vector<probes::ModuleStats> reported_;
  std::array<uint64_t, static_cast<int>(DecodeError::kCount)> reported_decode_{};

  SensorMetrics metrics_;
  std::unique_ptr<MetricsServer> metrics_server_;
  uint64_t evaluations_ = 0;                 // events evaluated (latency sampling)
  std::atomic<uint64_t> alerts_spooled_{0};  // pipeline and watchdog both spool
  uint64_t acked_at_start_ = 0;              // the spool's ack watermark when opened
  // Serializes module start and stop (pipeline thread) against the watchdog's reads of
  // the modules' state and counters.
  absl::Mutex modules_mu_;
  mutable absl::Mutex ready_mu_;
  std::string not_ready_ ABSL_GUARDED_BY(ready_mu_) = "starting";
  std::atomic<bool> stalled_{false};
  absl::Notification watchdog_stop_;
  std::thread watchdog_;
};

}  // namespace vigil::sensor

#endif  // VIGIL_SENSOR_SENSOR_H_

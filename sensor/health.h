// HealthMonitor: whether the sensor works, seen from outside the pipeline thread. A
// watchdog thread checks once a second that the pipeline consumes what the kernel
// produces and that every running module's hooks fire; either failure is a metric and a
// self-alert ("Vigil pipeline stalled", "Vigil probe detached") spooled from the watchdog
// thread, since the pipeline may be the thing that is stuck. It also keeps readiness, as
// /readyz reports it, and keeps the module metrics current while the pipeline is stuck.
#ifndef VIGIL_SENSOR_HEALTH_H_
#define VIGIL_SENSOR_HEALTH_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "sensor/alert_sink.h"
#include "sensor/metrics.h"
#include "sensor/module_set.h"
#include "sensor/probes/ring_reader.h"

namespace vigil::sensor {

class HealthMonitor {
 public:
  // Raises a stall once records wait for `stall_after_ms` with none consumed.
  HealthMonitor(int64_t stall_after_ms, SensorMetrics* metrics, const probes::RingReader* ring,
                const ModuleSet* modules, AlertSink* alerts);
  ~HealthMonitor();

  // Starts the watchdog thread (once); Stop() joins it.
  void Start();
  void Stop();

  // Why the sensor is not ready ("" when it is): the watchdog's stall verdict first, then
  // the reason the pipeline last set. Any thread (the metrics server's).
  std::string NotReadyReason() const ABSL_LOCKS_EXCLUDED(mu_);
  // The pipeline's own verdict (probes attached, rules loaded).
  void SetNotReady(std::string reason) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Loop();
  // Logs and spools one of the watchdog's self-alerts (priority critical).
  void RaiseAlert(absl::string_view rule, absl::string_view output);

  const int64_t stall_after_ms_;
  SensorMetrics* const metrics_;
  const probes::RingReader* const ring_;
  const ModuleSet* const modules_;
  AlertSink* const alerts_;
  mutable absl::Mutex mu_;
  std::string not_ready_ ABSL_GUARDED_BY(mu_) = "starting";
  std::atomic<bool> stalled_{false};
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace vigil::sensor

#endif  // VIGIL_SENSOR_HEALTH_H_

// ControllerMetrics: vigil-controller's Prometheus series (docs/metrics.md lists them).
#ifndef VIGIL_CONTROLLER_METRICS_H_
#define VIGIL_CONTROLLER_METRICS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/counter_mirror.h"
#include "controller/alert_hub.h"
#include "controller/fleet.h"
#include "controller/link_service.h"
#include "controller/store/sqlite_store.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace vigil::controller {

// Reads the controller's state at each scrape (Collect, called by the metrics server
// before it serializes the registry): sensors known and connected, alerts received and
// stored, subscribers, rollout states and the store's size. Nothing on the alert path
// touches a metric; the counters come from the link's own atomic counters.
class ControllerMetrics {
 public:
  ControllerMetrics(Fleet* fleet, SqliteStore* store, const SensorLinkImpl* link, AlertHub* hub);

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  // Refreshes every series from the controller's state.
  void Collect() ABSL_LOCKS_EXCLUDED(mu_);

  // Readiness: "" when the store answers, else why not.
  std::string NotReadyReason();

 private:
  Fleet* fleet_;
  SqliteStore* store_;
  const LinkCounters* link_;
  const SelfAlerts* self_alerts_;
  AlertHub* hub_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& alerts_;
  prometheus::Family<prometheus::Gauge>& rollout_;
  prometheus::Family<prometheus::Counter>& refusals_;
  prometheus::Family<prometheus::Counter>& self_alerts_total_;
  prometheus::Gauge* sensors_connected_;
  prometheus::Gauge* sensors_known_;
  prometheus::Gauge* subscribers_;
  prometheus::Gauge* store_bytes_;
  prometheus::Gauge* store_alerts_;
  prometheus::Counter* streams_;
  prometheus::Counter* store_errors_;

  absl::Mutex mu_;
  CounterMirror mirror_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vigil::controller

#endif  // VIGIL_CONTROLLER_METRICS_H_

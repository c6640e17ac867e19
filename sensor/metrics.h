// SensorMetrics: vigil-sensor's Prometheus series (docs/metrics.md lists them all).
#ifndef VIGIL_SENSOR_METRICS_H_
#define VIGIL_SENSOR_METRICS_H_

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/counter_mirror.h"
#include "event/event_type.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "sensor/net_summary.h"

namespace vigil::sensor {

// One probe module's state and kernel counters (enum vigil_stat, summed over CPUs).
struct ModuleSnapshot {
  std::string name;
  bool running = false;
  std::string attach_mode;  // "fentry", "tp_btf", "raw_tp", "tracepoint"; empty when not running
  std::array<uint64_t, VIGIL_STAT_MAX> stats{};
  bool stats_read = false;  // false: the counters could not be read (stats are zero)
  // Times the module was started: its kernel counters restart from zero at each start.
  uint64_t starts = 0;
  std::string source = "builtin";  // or "bundle"
  std::string version;             // bundles: the manifest's version
  std::string bundle;              // bundles: "sha256:<hex>"
  // "running", "disabled", "failed" or "rolled_back" (a new version failed; this one runs).
  std::string state;
  std::string error;               // why the last change of this module failed
  std::vector<std::string> hooks;  // attached
};

// Cumulative figures the pipeline owns, copied into the metrics once a second (Sync), so
// the per-event path touches no metric except the sampled latency histogram.
struct MetricsSnapshot {
  std::array<uint64_t, event::kEventTypeLimit> events_by_type{};
  uint64_t decode_errors = 0;
  uint64_t rule_state_evictions = 0;
  uint64_t spool_dropped = 0;
  bool has_spool = false;
  uint64_t spool_bytes = 0;
  uint64_t spool_records = 0;
  uint64_t alerts_spooled = 0;
  uint64_t alerts_sent = 0;
  uint64_t alerts_acked = 0;
  bool has_link = false;
  bool link_connected = false;
  uint64_t link_connects = 0;
  uint64_t process_table_size = 0;
  uint64_t process_table_evictions = 0;
  uint64_t rule_reloads = 0;
  uint64_t rule_reload_failures = 0;
  std::string rule_set_version;  // empty: no rules loaded
  uint64_t rules_loaded = 0;
  // Container and pod enrichment (enrich::EnricherStats), by cache and outcome.
  std::vector<std::pair<std::string, uint64_t>> cgroup_lookups;  // outcome -> count
  std::vector<std::pair<std::string, uint64_t>> pod_lookups;
  uint64_t pod_cache_entries = 0;
  // Probe-module bundles refused (ModuleSet::Refusals), by reason.
  std::vector<std::pair<std::string, uint64_t>> bundles_refused;
};

// Owns the registry and every family. Sync and the alert/latency hooks run on the
// pipeline thread, the stall and probe gauges on the watchdog's, scrapes on the metrics
// server's: prometheus-cpp metrics are atomic, and the label bookkeeping here is locked.
class SensorMetrics {
 public:
  SensorMetrics();

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  // Copies `now` into the series: counters advance by what grew since the last Sync (a
  // counter that went down, such as a restarted module's, counts from zero again).
  void Sync(const MetricsSnapshot& now) ABSL_LOCKS_EXCLUDED(mu_);
  // Copies the modules' kernel counters (drops, filters) and state. The watchdog does
  // this, so kernel drops keep being counted while the pipeline is stuck.
  void SyncModules(const std::vector<ModuleSnapshot>& modules) ABSL_LOCKS_EXCLUDED(mu_);
  // The ring buffer's unconsumed bytes and size (read at each scrape).
  void SetRingFill(uint64_t pending_bytes, uint64_t size_bytes);
  // One alert of `rule` at `priority` (a rule match).
  void CountMatch(absl::string_view rule, absl::string_view priority) ABSL_LOCKS_EXCLUDED(mu_);
  // One sampled rule-evaluation time, in seconds.
  void ObserveEvaluation(double seconds) { evaluation_->Observe(seconds); }
  // The watchdog's verdicts.
  void SetStalled(bool stalled);
  void CountStall() { stalls_->Increment(); }
  void SetProbeAttached(absl::string_view module, bool attached) ABSL_LOCKS_EXCLUDED(mu_);
  void CountProbeDetach(absl::string_view module) ABSL_LOCKS_EXCLUDED(mu_);
  // Refreshes the resident-memory gauge from /proc/self/statm (before each scrape).
  void UpdateResidentMemory();
  // The connection summarizer's totals (windows closed, connections summarised, endpoints
  // evicted at its bound) and the window that just closed: its endpoint count and its
  // kTopEndpoints busiest endpoints as labelled gauges (replacing the previous window's).
  void SetNetSummary(uint64_t windows, uint64_t connections, uint64_t evicted,
                     const std::vector<ConnectionSummary>* closed) ABSL_LOCKS_EXCLUDED(mu_);
  static constexpr size_t kTopEndpoints = 10;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& events_;
  prometheus::Family<prometheus::Counter>& drops_;
  prometheus::Family<prometheus::Counter>& filtered_;
  prometheus::Family<prometheus::Counter>& matches_;
  prometheus::Family<prometheus::Gauge>& rule_set_info_;
  prometheus::Family<prometheus::Gauge>& probe_info_;
  prometheus::Family<prometheus::Gauge>& probe_attached_;
  prometheus::Family<prometheus::Counter>& probe_detaches_;
  prometheus::Family<prometheus::Counter>& enrichment_;
  prometheus::Family<prometheus::Counter>& bundles_refused_;
  prometheus::Gauge* pod_cache_entries_;
  prometheus::Gauge* ringbuf_fill_;
  prometheus::Gauge* ringbuf_size_;
  prometheus::Counter* alerts_spooled_;
  prometheus::Counter* alerts_sent_;
  prometheus::Counter* alerts_acked_;
  prometheus::Gauge* spool_bytes_;
  prometheus::Gauge* spool_records_;
  prometheus::Gauge* link_connected_;
  prometheus::Counter* link_connects_;
  prometheus::Gauge* process_table_;
  prometheus::Counter* process_table_evictions_;
  prometheus::Counter* reloads_;
  prometheus::Counter* reload_failures_;
  prometheus::Gauge* rules_loaded_;
  prometheus::Histogram* evaluation_;
  prometheus::Gauge* resident_;
  prometheus::Gauge* stalled_;
  prometheus::Counter* stalls_;
  prometheus::Counter* net_windows_;
  prometheus::Counter* net_connections_;
  prometheus::Counter* net_evicted_;
  prometheus::Gauge* net_endpoints_;
  prometheus::Family<prometheus::Gauge>& net_top_;

  absl::Mutex mu_;
  CounterMirror mirror_ ABSL_GUARDED_BY(mu_);
  std::string rule_set_version_ ABSL_GUARDED_BY(mu_);
  prometheus::Gauge* rule_set_gauge_ ABSL_GUARDED_BY(mu_) = nullptr;
  // Per module: the info series now set (removed when the mode or state changes).
  std::map<std::string, prometheus::Gauge*> probe_info_set_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> probe_info_key_ ABSL_GUARDED_BY(mu_);
  // The summarizer's totals at the last SetNetSummary, and the top-endpoint series set.
  uint64_t net_totals_[3] ABSL_GUARDED_BY(mu_) = {0, 0, 0};
  std::vector<prometheus::Gauge*> net_top_set_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vigil::sensor

#endif  // VIGIL_SENSOR_METRICS_H_

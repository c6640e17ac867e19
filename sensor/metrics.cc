#include "sensor/metrics.h"

#include <unistd.h>

#include <cstdio>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/read_file.h"
#include "event/event.h"
#include "event/ip.h"
#include "event/schema.h"

namespace vigil::sensor {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

// Drop reasons, as labelled.
constexpr const char* kRingbufFull = "ringbuf_full";
constexpr const char* kNoScratch = "no_scratch";
constexpr const char* kDecoder = "decoder";
constexpr const char* kRuleStateEviction = "rule_state_eviction";
constexpr const char* kSpoolOverflow = "spool_overflow";

// Evaluation-time buckets: 250 ns to 1 ms.
prometheus::Histogram::BucketBoundaries EvaluationBuckets() {
  return {250e-9, 500e-9, 1e-6, 2.5e-6, 5e-6, 10e-6, 25e-6, 50e-6, 100e-6, 250e-6, 1e-3};
}

}  // namespace

SensorMetrics::SensorMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      events_(BuildCounter()
                  .Name("vigil_sensor_events_total")
                  .Help("Kernel events decoded, by type.")
                  .Register(*registry_)),
      drops_(BuildCounter()
                 .Name("vigil_sensor_drops_total")
                 .Help("Events or alerts lost, by reason: ringbuf_full and no_scratch in the "
                       "kernel, decoder (malformed records), rule_state_eviction (stateful "
                       "rule keys forgotten), spool_overflow (alerts refused by a full spool).")
                 .Register(*registry_)),
      filtered_(BuildCounter()
                    .Name("vigil_sensor_kernel_filtered_total")
                    .Help("Events dropped on purpose in the kernel because no rule needs them, "
                          "by module and filter (type, path, self).")
                    .Register(*registry_)),
      matches_(BuildCounter()
                   .Name("vigil_sensor_rule_matches_total")
                   .Help("Alerts raised, by rule and priority.")
                   .Register(*registry_)),
      rule_set_info_(BuildGauge()
                         .Name("vigil_sensor_rule_set_info")
                         .Help("The rule set in force (1), labelled by its content version.")
                         .Register(*registry_)),
      probe_info_(BuildGauge()
                      .Name("vigil_sensor_probe_info")
                      .Help("Each probe module (1), labelled by attach mode and state "
                            "(running, disabled).")
                      .Register(*registry_)),
      probe_attached_(BuildGauge()
                          .Name("vigil_sensor_probe_attached")
                          .Help("1 while the module's hooks are attached and seen firing; 0 when "
                                "it is disabled or the watchdog found it detached.")
                          .Register(*registry_)),
      probe_detaches_(BuildCounter()
                          .Name("vigil_sensor_probe_detaches_total")
                          .Help("Times the watchdog found a running module's hooks silent.")
                          .Register(*registry_)),
      enrichment_(BuildCounter()
                      .Name("vigil_sensor_enrichment_lookups_total")
                      .Help("Container and pod lookups, by cache (cgroup: /proc/<pid>/cgroup "
                            "reads; pod: the container runtime's CRI API) and outcome.")
                      .Register(*registry_)),
      bundles_refused_(BuildCounter()
                           .Name("vigil_sensor_bundles_refused_total")
                           .Help("Probe-module bundle changes refused, by reason (malformed, "
                                 "signature, object, kernel, load, rules); docs/modules.md.")
                           .Register(*registry_)),
      net_top_(BuildGauge()
                   .Name("vigil_sensor_net_top_endpoint_connections")
                   .Help("Connections of the busiest process and remote endpoints in the last "
                         "closed summary window (at most 10 series), by process, direction, "
                         "protocol, remote address and port (remote for outbound, local for "
                         "inbound).")
                   .Register(*registry_)) {
  auto gauge = [&](const char* name, const char* help) {
    return &BuildGauge().Name(name).Help(help).Register(*registry_).Add({});
  };
  auto counter = [&](const char* name, const char* help) {
    return &BuildCounter().Name(name).Help(help).Register(*registry_).Add({});
  };
  ringbuf_fill_ = gauge("vigil_sensor_ringbuf_fill_ratio",
                        "Share of the ring buffer holding records not yet consumed (0..1).");
  ringbuf_size_ = gauge("vigil_sensor_ringbuf_size_bytes", "Size of the shared ring buffer.");
  alerts_spooled_ = counter("vigil_sensor_alerts_spooled_total",
                            "Alerts written to the spool (numbered for delivery).");
  alerts_sent_ = counter("vigil_sensor_alerts_sent_total",
                         "Alerts sent to the controller, resends after a reconnect included.");
  alerts_acked_ = counter("vigil_sensor_alerts_acked_total",
                          "Spool records the controller acknowledged as stored.");
  spool_bytes_ = gauge("vigil_sensor_spool_bytes", "Bytes the spool takes on disk.");
  spool_records_ = gauge("vigil_sensor_spool_records", "Unacknowledged records in the spool.");
  link_connected_ =
      gauge("vigil_sensor_controller_connected", "1 while the stream to the controller is up.");
  link_connects_ = counter("vigil_sensor_controller_connects_total",
                           "Streams to the controller opened (reconnects included).");
  process_table_ = gauge("vigil_sensor_process_table_entries", "Processes the sensor tracks.");
  process_table_evictions_ =
      counter("vigil_sensor_process_table_evictions_total",
              "Processes forgotten to keep the process table within its size.");
  reloads_ = counter("vigil_sensor_rule_reloads_total", "Rule sets put in force.");
  reload_failures_ = counter("vigil_sensor_rule_reload_failures_total",
                             "Rule sets refused (the previous set kept running).");
  rules_loaded_ = gauge("vigil_sensor_rules_loaded", "Rules in the set in force.");
  evaluation_ = &BuildHistogram()
                     .Name("vigil_sensor_rule_evaluation_seconds")
                     .Help("Time to evaluate the rule set on one event (1 in 64 events sampled).")
                     .Register(*registry_)
                     .Add({}, EvaluationBuckets());
  resident_ = gauge("vigil_sensor_resident_memory_bytes", "Resident memory of the sensor.");
  stalled_ = gauge("vigil_sensor_pipeline_stalled",
                   "1 while the kernel produces events that the pipeline does not consume.");
  stalls_ = counter("vigil_sensor_pipeline_stalls_total", "Stalls the watchdog detected.");
  pod_cache_entries_ = gauge("vigil_sensor_pod_cache_entries", "Containers whose pod is cached.");
  net_windows_ =
      counter("vigil_sensor_net_summary_windows_total", "Connection summary windows closed.");
  net_connections_ = counter("vigil_sensor_net_summary_connections_total",
                             "Connections (connects with an outcome, accepts) summarised.");
  net_evicted_ = counter("vigil_sensor_net_summary_evicted_total",
                         "Connections not summarised because the window's endpoint table was "
                         "full (rules still saw them).");
  net_endpoints_ = gauge("vigil_sensor_net_summary_endpoints",
                         "Process and remote endpoints in the last closed summary window.");

  for (const event::EventTypeInfo* type : event::EventTypes()) {
    events_.Add({{"type", std::string(type->name)}});
  }
  for (const char* reason :
       {kRingbufFull, kNoScratch, kDecoder, kRuleStateEviction, kSpoolOverflow}) {
    drops_.Add({{"reason", reason}});
  }
}

void SensorMetrics::Sync(const MetricsSnapshot& now) {
  absl::MutexLock lock(&mu_);
  for (const event::EventTypeInfo* info : event::EventTypes()) {
    const std::string type(info->name);
    mirror_.Advance(events_.Add({{"type", type}}), "events/" + type,
                    now.events_by_type[static_cast<int>(info->type)]);
  }
  mirror_.Advance(drops_.Add({{"reason", kDecoder}}), kDecoder, now.decode_errors);
  mirror_.Advance(drops_.Add({{"reason", kRuleStateEviction}}), kRuleStateEviction,
                  now.rule_state_evictions);
  mirror_.Advance(drops_.Add({{"reason", kSpoolOverflow}}), kSpoolOverflow, now.spool_dropped);

  if (now.has_spool) {
    spool_bytes_->Set(static_cast<double>(now.spool_bytes));
    spool_records_->Set(static_cast<double>(now.spool_records));
    mirror_.Advance(*alerts_spooled_, "spooled", now.alerts_spooled);
  }
  if (now.has_link) {
    link_connected_->Set(now.link_connected ? 1 : 0);
    mirror_.Advance(*link_connects_, "connects", now.link_connects);
    mirror_.Advance(*alerts_sent_, "sent", now.alerts_sent);
    mirror_.Advance(*alerts_acked_, "acked", now.alerts_acked);
  }
  process_table_->Set(static_cast<double>(now.process_table_size));
  mirror_.Advance(*process_table_evictions_, "process_table_evictions",
                  now.process_table_evictions);
  mirror_.Advance(*reloads_, "reloads", now.rule_reloads);
  for (const auto& [reason, count] : now.bundles_refused) {
    mirror_.Advance(bundles_refused_.Add({{"reason", reason}}), "bundles_refused/" + reason, count);
  }
  mirror_.Advance(*reload_failures_, "reload_failures", now.rule_reload_failures);
  rules_loaded_->Set(static_cast<double>(now.rules_loaded));
  for (const auto& [outcome, count] : now.cgroup_lookups) {
    mirror_.Advance(enrichment_.Add({{"cache", "cgroup"}, {"outcome", outcome}}),
                    "cgroup/" + outcome, count);
  }
  for (const auto& [outcome, count] : now.pod_lookups) {
    mirror_.Advance(enrichment_.Add({{"cache", "pod"}, {"outcome", outcome}}), "pod/" + outcome,
                    count);
  }
  pod_cache_entries_->Set(static_cast<double>(now.pod_cache_entries));
  if (now.rule_set_version != rule_set_version_) {
    if (rule_set_gauge_ != nullptr) rule_set_info_.Remove(rule_set_gauge_);
    rule_set_gauge_ = nullptr;
    if (!now.rule_set_version.empty()) {
      rule_set_gauge_ = &rule_set_info_.Add({{"version", now.rule_set_version}});
      rule_set_gauge_->Set(1);
    }
    rule_set_version_ = now.rule_set_version;
  }
}

void SensorMetrics::SyncModules(const std::vector<ModuleSnapshot>& modules) {
  absl::MutexLock lock(&mu_);
  for (const ModuleSnapshot& m : modules) {
    // Per module, so a restarted module (counters from zero) is handled on its own.
    mirror_.Advance(drops_.Add({{"reason", kRingbufFull}}), "ringbuf_full/" + m.name,
                    m.stats[VIGIL_STAT_DROP_RINGBUF_FULL]);
    mirror_.Advance(drops_.Add({{"reason", kNoScratch}}), "no_scratch/" + m.name,
                    m.stats[VIGIL_STAT_DROP_SCRATCH]);
    const std::pair<int, const char*> filters[] = {{VIGIL_STAT_FILTERED_TYPE, "type"},
                                                   {VIGIL_STAT_FILTERED_PATH, "path"},
                                                   {VIGIL_STAT_FILTERED_SELF, "self"}};
    for (const auto& [stat, filter] : filters) {
      mirror_.Advance(filtered_.Add({{"module", m.name}, {"filter", filter}}),
                      absl::StrCat("filtered/", m.name, "/", filter), m.stats[stat]);
    }
    const std::string state = m.running ? "running" : "disabled";
    const std::string key = absl::StrCat(m.attach_mode, "/", state);
    if (probe_info_key_[m.name] != key) {
      if (prometheus::Gauge* old = probe_info_set_[m.name]) probe_info_.Remove(old);
      prometheus::Gauge& g =
          probe_info_.Add({{"module", m.name}, {"attach_mode", m.attach_mode}, {"state", state}});
      g.Set(1);
      probe_info_set_[m.name] = &g;
      probe_info_key_[m.name] = key;
      // A module switched off by command is not attached; the watchdog sets it back.
      if (!m.running) probe_attached_.Add({{"module", m.name}}).Set(0);
    }
  }
}

void SensorMetrics::SetRingFill(uint64_t pending_bytes, uint64_t size_bytes) {
  if (size_bytes == 0) return;
  ringbuf_size_->Set(static_cast<double>(size_bytes));
  ringbuf_fill_->Set(static_cast<double>(pending_bytes) / static_cast<double>(size_bytes));
}

void SensorMetrics::CountMatch(absl::string_view rule, absl::string_view priority) {
  absl::MutexLock lock(&mu_);
  matches_.Add({{"rule", std::string(rule)}, {"priority", std::string(priority)}}).Increment();
}

void SensorMetrics::SetNetSummary(uint64_t windows, uint64_t connections, uint64_t evicted,
                                  const std::vector<ConnectionSummary>* closed) {
  absl::MutexLock lock(&mu_);
  const uint64_t now[3] = {windows, connections, evicted};
  prometheus::Counter* counters[3] = {net_windows_, net_connections_, net_evicted_};
  for (int i = 0; i < 3; ++i) {
    if (now[i] > net_totals_[i])
      counters[i]->Increment(static_cast<double>(now[i] - net_totals_[i]));
    net_totals_[i] = now[i];
  }
  if (closed == nullptr) return;
  net_endpoints_->Set(static_cast<double>(closed->size()));
  for (prometheus::Gauge* g : net_top_set_) net_top_.Remove(g);
  net_top_set_.clear();
  for (size_t i = 0; i < closed->size() && i < kTopEndpoints; ++i) {
    const ConnectionSummary& s = (*closed)[i];
    prometheus::Gauge& g = net_top_.Add({{"process", absl::StrCat(s.comm, "[", s.pid, "]")},
                                         {"direction", s.inbound ? "inbound" : "outbound"},
                                         {"l4proto", std::string(event::L4ProtoName(s.protocol))},
                                         {"remote", event::FormatIp(s.remote())},
                                         {"port", absl::StrCat(s.port)}});
    g.Set(static_cast<double>(s.connections));
    net_top_set_.push_back(&g);
  }
}

void SensorMetrics::SetStalled(bool stalled) { stalled_->Set(stalled ? 1 : 0); }

void SensorMetrics::SetProbeAttached(absl::string_view module, bool attached) {
  absl::MutexLock lock(&mu_);
  probe_attached_.Add({{"module", std::string(module)}}).Set(attached ? 1 : 0);
}

void SensorMetrics::CountProbeDetach(absl::string_view module) {
  absl::MutexLock lock(&mu_);
  probe_detaches_.Add({{"module", std::string(module)}}).Increment();
}

void SensorMetrics::UpdateResidentMemory() {
  // statm: total and resident pages, then more fields.
  absl::StatusOr<std::string> statm = ReadFileHead("/proc/self/statm", 256);
  if (!statm.ok()) return;
  const std::vector<absl::string_view> fields = absl::StrSplit(*statm, ' ');
  uint64_t resident = 0;
  if (fields.size() >= 2 && absl::SimpleAtoi(fields[1], &resident)) {
    resident_->Set(static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)));
  }
}

}  // namespace vigil::sensor

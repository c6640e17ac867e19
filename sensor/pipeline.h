// Pipeline: the hot path. One ring-buffer record -> decoder -> process table -> rule
// engine -> alerts, on the sensor's one pipeline thread, allocating nothing per event
// except what a matching rule's alert needs.
#ifndef VIGIL_SENSOR_PIPELINE_H_
#define VIGIL_SENSOR_PIPELINE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "event/event.h"
#include "rules/engine.h"
#include "sensor/alert_sink.h"
#include "sensor/decoder.h"
#include "sensor/enrich/enricher.h"
#include "sensor/metrics.h"
#include "sensor/net_summary.h"
#include "sensor/options.h"
#include "sensor/output/output.h"
#include "sensor/probes/ring_reader.h"
#include "sensor/process_table.h"
#include "sensor/user_names.h"

namespace vigil::sensor {

// Receives each record in place from the ring reader. Rules see the process as the
// event leaves it (an exec's new image), except at exit, which removes it. With
// --print-events, selected events are printed before they are evaluated.
class Pipeline : public probes::RecordSink {
 public:
  // `output` prints events when --print-events asks; `alerts` takes every match;
  // `enricher` (may be null) answers container and pod fields.
  Pipeline(const SensorOptions& options, Output* output, AlertSink* alerts, SensorMetrics* metrics,
           enrich::Enricher* enricher);

  void OnRecord(const void* data, size_t size) override;

  // Evaluates events with `set` from the next one on (the first call creates the engine).
  void InstallRules(std::shared_ptr<const rules::RuleSet> set, std::string version);

  // The engine (null until rules are installed) and the version of its rule set.
  const rules::Engine* engine() const { return engine_.get(); }
  const std::string& rule_set_version() const { return rule_set_version_; }
  ProcessTable& table() { return table_; }
  const ProcessTable& table() const { return table_; }
  const Decoder& decoder() const { return decoder_; }
  // Closes the connection summary window when `now_boot_ns` is past its end (the status
  // tick calls this, so windows close without events too), or whatever the time with
  // `flush` (at exit): prints its net_summary records with --print-events, and hands it to
  // the metrics and the health report.
  void RollNetSummaries(uint64_t now_boot_ns, bool flush = false);
  const ConnectionSummarizer& net_summarizer() const { return summarizer_; }
  // The busiest endpoints of the last closed window (at most kHealthEndpoints).
  const std::vector<ConnectionSummary>& last_net_summaries() const { return last_summaries_; }
  static constexpr size_t kHealthEndpoints = 16;
  // True once after an event replaced or removed a file the rules name by identity (the
  // user-space set is already re-resolved): the owner then pushes the new identities to
  // the kernel without waiting for its periodic refresh.
  bool TakeIdentityChange() {
    const bool changed = identity_changed_;
    identity_changed_ = false;
    return changed;
  }
  // Events decoded, by event type number.
  const std::array<uint64_t, event::kEventTypeLimit>& events_by_type() const {
    return events_by_type_;
  }

 private:
  // Runs the rules on one event (its process already in the table) and publishes alerts.
  void Evaluate(const event::Event& event);
  // After a rename or removal of a path the rules name by identity (useradd renames a new
  // /etc/passwd into place), re-resolves the identities before the next event: the old
  // file's inode number is free at once and the next new file may get it.
  void FollowIdentities(const event::Event& event);

  const SensorOptions& options_;
  Output* const output_;
  AlertSink* const alerts_;
  SensorMetrics* const metrics_;
  enrich::Enricher* const enricher_;
  Decoder decoder_;
  ProcessTable table_;
  UserNames users_;
  std::unique_ptr<rules::Engine> engine_;
  std::string rule_set_version_;
  std::array<uint64_t, event::kEventTypeLimit> events_by_type_{};
  bool identity_changed_ = false;
  uint64_t evaluations_ = 0;  // events evaluated (latency sampling)
  std::string line_;
  ConnectionSummarizer summarizer_;
  std::vector<ConnectionSummary> last_summaries_;
};

}  // namespace vigil::sensor

#endif  // VIGIL_SENSOR_PIPELINE_H_

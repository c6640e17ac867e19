#include "sensor/pipeline.h"

#include <time.h>

#include "common/clock.h"
#include "sensor/event_view.h"
#include "sensor/output/event_json.h"
#include "sensor/selection.h"

namespace vigil::sensor {
namespace {

// Nanoseconds to add to a CLOCK_BOOTTIME timestamp to get wall-clock time.
int64_t BootToWallOffset() { return WallNowNs() - ClockNs(CLOCK_BOOTTIME); }

}  // namespace

Pipeline::Pipeline(const SensorOptions& options, Output* output, AlertSink* alerts,
                   SensorMetrics* metrics, enrich::Enricher* enricher)
    : options_(options),
      output_(output),
      alerts_(alerts),
      metrics_(metrics),
      enricher_(enricher),
      table_(options.process_table_size),
      users_(options.passwd_path),
      summarizer_(
          ConnectionSummarizer::Options{options.net_summary_seconds * 1'000'000'000, 4096}) {}

void Pipeline::OnRecord(const void* data, size_t size) {
  event::Event event;
  if (!decoder_.Decode(data, size, &event).ok()) return;  // counted, reported as a gap
  ++events_by_type_[static_cast<int>(event.type)];

  if (event.type == event::kExec && !event.exec.creds_before_known) {
    // Kernels without sched_prepare_exec: the table knows the credentials before exec.
    if (const event::ProcessInfo* before = table_.Lookup(event.task.pid)) {
      event.exec.creds_before_known = true;
      event.exec.uid_before = before->uid;
      event.exec.euid_before = before->euid;
      event.exec.gid_before = before->gid;
    }
  }
  // The kernel passes file operations whose names it could not judge (not canonical, or
  // too long to scan); their canonical paths are judged here, rules or not.
  const bool judged_by_kernel =
      engine_ == nullptr && (event::EventBit(event.type) & event::kFileOpEvents) == 0;
  const bool summarized = ConnectionSummarizer::Summarizes(event);
  if (summarized) summarizer_.Add(event);
  if (options_.print_events && (!summarized || options_.net_events_each) &&
      (judged_by_kernel || PrintSelected(options_, event))) {
    line_.clear();
    AppendEventJson(event, table_.Lookup(event.task.ppid), &line_);
    output_->WriteLine(line_);
  }
  if (event.type == event::kExit) {
    Evaluate(event);
    table_.Apply(event);
  } else {
    table_.Apply(event);
    Evaluate(event);
  }
  if (event.type == event::kRename || event.type == event::kUnlink) FollowIdentities(event);
}

void Pipeline::FollowIdentities(const event::Event& event) {
  if (engine_ == nullptr || event.file_op.result != 0) return;
  rules::FileIdentities& files = engine_->rule_set().file_identities();
  if (!files.Lists(event.file_op.path) && !files.Lists(event.file_op.path2)) return;
  files.Refresh(options_.file_root);
  identity_changed_ = true;
}

void Pipeline::RollNetSummaries(uint64_t now_boot_ns, bool flush) {
  std::vector<ConnectionSummary> closed =
      flush ? summarizer_.Flush() : summarizer_.Roll(now_boot_ns);
  if (closed.empty()) {
    metrics_->SetNetSummary(summarizer_.windows(), summarizer_.connections(), summarizer_.evicted(),
                            nullptr);
    return;
  }
  if (options_.print_events && !options_.net_events_each) {
    for (const ConnectionSummary& s : closed) {
      line_.clear();
      AppendNetSummaryJson(s, BootToWallOffset(), &line_);
      output_->WriteLine(line_);
    }
  }
  metrics_->SetNetSummary(summarizer_.windows(), summarizer_.connections(), summarizer_.evicted(),
                          &closed);
  if (closed.size() > kHealthEndpoints) closed.resize(kHealthEndpoints);
  last_summaries_ = std::move(closed);
}

void Pipeline::Evaluate(const event::Event& event) {
  if (engine_ == nullptr) return;
  const SensorEventView view(event, &table_, &users_, enricher_);
  const bool timed = (++evaluations_ & 63) == 0;  // 1 in 64: clock reads cost ~40 ns
  const int64_t start = timed ? ClockNs(CLOCK_MONOTONIC) : 0;
  engine_->Process(view, [&](const rules::Alert& alert) {
    metrics_->CountMatch(alert.rule->name, rules::PriorityName(alert.rule->priority));
    AlertLine line;
    line.rule = alert.rule->name;
    line.priority = alert.rule->priority;
    line.output = alert.output;
    line.fields = &alert.fields;
    line.tags = &alert.rule->tags;
    line.wall_ns =
        static_cast<uint64_t>(static_cast<int64_t>(alert.time_boot_ns) + BootToWallOffset());
    line.count = alert.count;
    line.container_id = view.container_id();
    line.pod_name = view.pod_name();
    line.pod_namespace = view.pod_namespace();
    line.pod_uid = view.pod_uid();
    alerts_->Publish(line, rule_set_version_);
  });
  if (timed) {
    metrics_->ObserveEvaluation(static_cast<double>(ClockNs(CLOCK_MONOTONIC) - start) / 1e9);
  }
}

void Pipeline::InstallRules(std::shared_ptr<const rules::RuleSet> set, std::string version) {
  if (engine_ == nullptr) {
    engine_ = std::make_unique<rules::Engine>(std::move(set));
  } else {
    engine_->Swap(std::move(set));
  }
  rule_set_version_ = std::move(version);
}

}  // namespace vigil::sensor

#include "sensor/sensor.h"

#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "common/unique_fd.h"
#include "sensor/probes/record_registry.h"

namespace vigil::sensor {
namespace {

// Gap checks read the kernel counters; once a second is plenty.
constexpr auto kGapCheckInterval = std::chrono::seconds(1);

// Poll timeout while nothing is arriving. The kernel wakes the reader for the first
// event after a quiet spell, so an idle sensor need not wake on its own more often.
constexpr int kIdlePollMs = 1000;

// The rule name of the sensor's own alert for a refused reload.
constexpr absl::string_view kReloadFailedRule = "Vigil rules reload failed";
// ... and for a rule set the controller pushed that this sensor refused.
constexpr absl::string_view kPushFailedRule = "Vigil rules push failed";
// ... and for a probe-module change (a bundle) this sensor refused.
constexpr absl::string_view kModuleRefusedRule = "Vigil probe module refused";

// The kernel filter of a selection.
vigil_filter_config FilterOf(const Selection& s) {
  vigil_filter_config f{};
  f.type_mask = s.type_mask;
  f.file_flags = (s.all_files ? VIGIL_FILTER_ALL_FILES : 0) | (s.hidden ? VIGIL_FILTER_HIDDEN : 0) |
                 (s.failed_opens ? VIGIL_FILTER_FAILED : 0);
  f.all_paths_mask = s.all_paths_types;
  return f;
}

// The enricher for --cri-socket / --no-cri / --pod-cache-size (docs/enrichment.md).
std::unique_ptr<enrich::Enricher> MakeEnricher(const SensorOptions& options) {
  enrich::EnricherOptions e;
  e.proc_root = options.proc_root;
  e.cri = !options.no_cri;
  e.cri_socket = options.cri_socket;
  e.pod_cache_size = options.pod_cache_size;
  auto enricher = std::make_unique<enrich::Enricher>(std::move(e));
  if (enricher->cri_socket().empty()) {
    Log("no CRI socket", options.no_cri ? " (--no-cri)" : " found", ": k8s.* fields stay empty");
  } else {
    Log("pods from the CRI runtime at ", enricher->cri_socket());
  }
  return enricher;
}

// Adds `fd` to the epoll set `epfd` for reading.
absl::Status Watch(int epfd, int fd) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
    return absl::InternalError(absl::StrCat("epoll_ctl(ADD, ", fd, "): ", strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

Sensor::Sensor(const SensorOptions& options) : options_(options) {}

Sensor::~Sensor() {
  if (metrics_server_ != nullptr) metrics_server_->Stop();  // its callbacks use *this
  (void)Shutdown();
}

absl::StatusOr<std::unique_ptr<Sensor>> Sensor::Create(const SensorOptions& options) {
  std::unique_ptr<Sensor> sensor(new Sensor(options));
  VIGIL_RETURN_IF_ERROR(sensor->Init());
  return sensor;
}

probes::ModuleOptions Sensor::ModuleOptionsFor(const Selection& selection) const {
  probes::ModuleOptions module_options;
  module_options.forced_mode = options_.attach_mode;
  module_options.self_tgid = static_cast<uint32_t>(getpid());
  module_options.wakeup_bytes = options_.wakeup_bytes;
  module_options.wakeup_ns = options_.wakeup_us * 1000;
  module_options.ringbuf_fd = ring_->map_fd();
  module_options.filter = FilterOf(selection);
  if (options_.btf_path != SensorOptions().btf_path) module_options.btf_path = options_.btf_path;
  return module_options;
}

absl::Status Sensor::Init() {
  VIGIL_RETURN_IF_ERROR(probes::CheckRecordRegistry());
  VIGIL_ASSIGN_OR_RETURN(output_, Output::Open(options_.output));
  VIGIL_ASSIGN_OR_RETURN(probes::KernelEnv env, probes::KernelEnv::Probe(options_.btf_path));
  env_ = std::make_unique<probes::KernelEnv>(std::move(env));
  VIGIL_ASSIGN_OR_RETURN(module_keys_, bundle::KeyRing::FromDirectory(options_.module_keys_dir));

  hostname_ = options_.hostname;
  if (hostname_.empty()) {
    char name[256] = {};
    if (gethostname(name, sizeof(name) - 1) == 0) hostname_ = name;
  }
  alerts_ = std::make_unique<AlertSink>(hostname_, options_.print_alerts ? output_.get() : nullptr);
  enricher_ = MakeEnricher(options_);
  pipeline_ = std::make_unique<Pipeline>(options_, output_.get(), alerts_.get(), &metrics_,
                                         enricher_.get());
  VIGIL_ASSIGN_OR_RETURN(ring_,
                         probes::RingReader::Create(options_.ringbuf_bytes, pipeline_.get()));

  const rules::KernelFilter* rules_filter = nullptr;
  if (options_.run_rules) {
    VIGIL_ASSIGN_OR_RETURN(CompiledRules compiled, CompileRuleFiles(options_.rule_paths));
    pipeline_->InstallRules(std::move(compiled.set), std::move(compiled.version));
    rules_filter = &pipeline_->engine()->rule_set().kernel_filter();
  }
  selection_ = ComputeSelection(options_, rules_filter);
  VIGIL_RETURN_IF_ERROR(SyncFileIdentities());
  VIGIL_RETURN_IF_ERROR(
      modules_.StartAll(*env_, ModuleOptionsFor(selection_), selection_.prefix_types));

  // Seed after attaching, so no process can slip between the snapshot and the events.
  absl::Status seeded = pipeline_->table().SeedFromProc(options_.proc_root);
  if (!seeded.ok()) {
    Log("process table not seeded: ", seeded.message());
  }
  health_ = std::make_unique<HealthMonitor>(static_cast<int64_t>(options_.stall_after_ms),
                                            &metrics_, ring_.get(), &modules_, alerts_.get());
  if (!options_.controller.empty()) VIGIL_RETURN_IF_ERROR(StartFleetAgent());
  if (!options_.metrics_address.empty()) {
    VIGIL_ASSIGN_OR_RETURN(metrics_server_, MetricsServer::Start(
                                                options_.metrics_address, metrics_.registry(),
                                                [this] { return health_->NotReadyReason(); },
                                                [this] {
                                                  metrics_.UpdateResidentMemory();
                                                  metrics_.SetRingFill(ring_->Positions().pending(),
                                                                       ring_->size_bytes());
                                                }));
    Log("metrics on ", options_.metrics_address, " (port ", metrics_server_->port(), ")");
  }
  initialized_ = true;
  const std::vector<ModuleSnapshot> modules = modules_.Snapshot();
  metrics_.SyncModules(modules);
  UpdateStatus(modules);
  return absl::OkStatus();
}

absl::Status Sensor::StartFleetAgent() {
  sensor_id_ = options_.sensor_id.empty() ? hostname_ : options_.sensor_id;
  SpoolOptions spool_options;
  spool_options.max_bytes = options_.spool_bytes;
  spool_options.segment_bytes =
      std::min<uint64_t>(spool_options.segment_bytes, options_.spool_bytes / 4);
  VIGIL_ASSIGN_OR_RETURN(spool_, Spool::Open(options_.spool_dir, spool_options));
  acked_at_start_ = spool_->acked();
  FleetAgent::Handlers handlers;
  handlers.rule_set = [this](const vigil::v1::RuleSet& pushed) { return ApplyPushedRules(pushed); };
  handlers.modules = [this](const vigil::v1::ModuleCommand& c) { return ApplyModules(c); };
  handlers.refresh_status = [this] { UpdateStatus(); };
  VIGIL_ASSIGN_OR_RETURN(fleet_, FleetAgent::Create(options_, spool_.get(), std::move(handlers)));
  alerts_->SetDelivery(sensor_id_, spool_.get(), &fleet_->link());
  return absl::OkStatus();
}

absl::Status Sensor::WriteStartRecord() {
  StartInfo info;
  info.kernel = env_->kernel_release();
  info.process_table_size = pipeline_->table().size();
  info.ringbuf_bytes = ring_->size_bytes();
  info.modules = modules_.Attachments();
  info.selection = &selection_;
  info.engine = pipeline_->engine();
  info.rule_paths = &options_.rule_paths;
  output_->WriteLine(SensorStartRecord(info));
  return output_->Flush();
}

absl::Status Sensor::ApplyPushedRules(const vigil::v1::RuleSet& pushed) {
  absl::StatusOr<CompiledRules> compiled = CompilePushedRules(pushed, options_.max_rules);
  absl::Status installed = compiled.ok() ? InstallRules(*std::move(compiled)) : compiled.status();
  if (installed.ok()) pushed_rules_ = pushed;
  if (!installed.ok()) {
    RaiseSelfAlert(kPushFailedRule,
                   absl::StrCat("rule set ", pushed.version(),
                                " refused, previous rules still running: ", installed.message()));
  }
  return installed;
}

absl::Status Sensor::ApplyModules(const vigil::v1::ModuleCommand& command) {
  std::optional<CompiledRules> recompiled;
  ModuleSet::ChangeHooks hooks;
  hooks.keys = &module_keys_;
  hooks.before_stop = [this] { (void)ring_->Consume(); };  // what a module wrote before it goes
  hooks.check_rules = [&]() -> absl::Status {
    if (pipeline_->engine() == nullptr) return absl::OkStatus();
    absl::StatusOr<CompiledRules> compiled =
        pushed_rules_ ? CompilePushedRules(*pushed_rules_, options_.max_rules)
                      : CompileRuleFiles(options_.rule_paths);
    if (!compiled.ok()) return compiled.status();
    recompiled = *std::move(compiled);
    return absl::OkStatus();
  };
  absl::Status applied = modules_.Apply(command, *env_, ModuleOptionsFor(selection_), hooks);
  if (!applied.ok()) {
    RaiseSelfAlert(kModuleRefusedRule,
                   absl::StrCat("probe-module change ", command.version(),
                                " refused, previous modules still running: ", applied.message()));
    UpdateStatus();
    return applied;
  }
  // Rules compiled against the fields the new modules define replace those of the old.
  if (recompiled) VIGIL_RETURN_IF_ERROR(InstallRules(*std::move(recompiled)));
  modules_version_ = command.version();
  return absl::OkStatus();
}

void Sensor::RaiseSelfAlert(absl::string_view rule, absl::string_view output) {
  LogLine(output);
  const std::vector<std::string> tags = {"vigil", "rules"};
  alerts_->Publish(SelfAlertLine(rule, rules::Priority::kError, output, &tags),
                   pipeline_->rule_set_version());
}

absl::Status Sensor::InstallRules(CompiledRules compiled) {
  const Selection next = ComputeSelection(options_, &compiled.set->kernel_filter());
  pipeline_->InstallRules(std::move(compiled.set), std::move(compiled.version));
  ++reloads_;
  const size_t rules = pipeline_->engine()->rule_set().rules().size();
  Log("rules ", pipeline_->rule_set_version(), " in force (", rules, " rules)");
  VIGIL_RETURN_IF_ERROR(ApplySelection(next));
  VIGIL_RETURN_IF_ERROR(SyncFileIdentities());
  UpdateStatus();
  output_->WriteLine(RulesReloadedRecord(pipeline_->rule_set_version(), rules, selection_));
  return absl::OkStatus();
}

absl::Status Sensor::ApplySelection(const Selection& selection) {
  // Widen first: the union of old and new, so no event either set needs is missed.
  Selection wide = selection_;
  wide.type_mask |= selection.type_mask;
  wide.hidden |= selection.hidden;
  wide.all_files |= selection.all_files;
  wide.all_paths_types |= selection.all_paths_types;
  wide.failed_opens |= selection.failed_opens;
  modules_.SetFilter(FilterOf(wide));
  VIGIL_RETURN_IF_ERROR(modules_.SetPathPrefixes(selection.prefix_types));
  modules_.SetFilter(FilterOf(selection));
  selection_ = selection;
  return absl::OkStatus();
}

absl::Status Sensor::SyncFileIdentities(bool refresh) {
  const rules::Engine* engine = pipeline_->engine();
  std::vector<event::FileId> ids;
  if (engine != nullptr) {
    rules::FileIdentities& files = engine->rule_set().file_identities();
    if (refresh) files.Refresh(options_.file_root);
    ids = files.Resolved(selection_.identity_paths);
  }
  if (ids == kernel_file_ids_) return absl::OkStatus();
  VIGIL_RETURN_IF_ERROR(modules_.SetFileIdentities(ids));
  kernel_file_ids_ = std::move(ids);
  return absl::OkStatus();
}

absl::Status Sensor::ReloadRules() {
  if (!options_.run_rules) return absl::OkStatus();
  absl::StatusOr<CompiledRules> compiled = CompileRuleFiles(options_.rule_paths);
  if (!compiled.ok()) {
    ++reload_failures_;
    RaiseSelfAlert(kReloadFailedRule,
                   absl::StrCat("rules reload refused, previous rules still running: ",
                                compiled.status().message()));
    return compiled.status();
  }
  return InstallRules(*std::move(compiled));
}

void Sensor::ReportGaps(const std::vector<ModuleSnapshot>& modules) {
  const std::string lines = gaps_.Report(modules, pipeline_->decoder());
  if (!lines.empty()) output_->WriteLine(lines);
}

absl::Status Sensor::Run(int signal_fd) {
  const int stop_fd = signal_fd;
  UniqueFd epfd(epoll_create1(EPOLL_CLOEXEC));
  if (epfd.get() < 0) return absl::InternalError(absl::StrCat("epoll_create1: ", strerror(errno)));
  VIGIL_RETURN_IF_ERROR(Watch(epfd.get(), ring_->epoll_fd()));
  if (stop_fd >= 0) VIGIL_RETURN_IF_ERROR(Watch(epfd.get(), stop_fd));
  const int command_fd = fleet_ != nullptr ? fleet_->command_fd() : -1;
  if (command_fd >= 0) VIGIL_RETURN_IF_ERROR(Watch(epfd.get(), command_fd));
  if (fleet_ != nullptr) fleet_->link().Start();
  health_->Start();

  auto next_gap_check = std::chrono::steady_clock::now() + kGapCheckInterval;
  absl::Status result = absl::OkStatus();
  // After records arrive, poll again soon for the ones the kernel batched without a
  // wake-up; once a poll finds nothing, sleep until woken.
  const int busy_timeout_ms = static_cast<int>(std::max<uint64_t>(1, options_.wakeup_us / 1000));
  int timeout_ms = busy_timeout_ms;
  for (;;) {
    epoll_event ready[3];
    const int n = epoll_wait(epfd.get(), ready, 3, timeout_ms);
    if (n < 0 && errno != EINTR) {
      result = absl::InternalError(absl::StrCat("epoll_wait: ", strerror(errno)));
      break;
    }
    bool stop = false;
    bool commands = false;
    for (int i = 0; i < n; ++i) {
      if (ready[i].data.fd == command_fd) commands = true;
      if (ready[i].data.fd != stop_fd) continue;
      signalfd_siginfo info;
      while (read(stop_fd, &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info))) {
        if (info.ssi_signo == SIGHUP) {
          // Events before the swap are evaluated by the old set, the rest by the new.
          (void)ring_->Consume();
          (void)ReloadRules();
          (void)output_->Flush();
        } else {
          stop = true;
        }
      }
    }
    // Consume on wake-ups and on timeouts alike: the kernel batches wake-ups, so
    // records may be waiting without one.
    absl::StatusOr<int> consumed = ring_->Consume();
    if (!consumed.ok()) {
      result = consumed.status();
      break;
    }
    timeout_ms = *consumed > 0 ? busy_timeout_ms : kIdlePollMs;
    if (pipeline_->TakeIdentityChange()) {
      absl::Status synced = SyncFileIdentities(/*refresh=*/false);
      if (!synced.ok()) Log("file identities not updated: ", synced.message());
    }
    if (commands) {
      // Events before the swap are evaluated by the old rules, the rest by the new.
      (void)ring_->Consume();
      fleet_->ApplyCommands();
      (void)output_->Flush();
    }
    if (std::chrono::steady_clock::now() >= next_gap_check) {
      // A listed file replaced (passwd renames a new /etc/shadow into place) is followed
      // from here on.
      absl::Status synced = SyncFileIdentities();
      if (!synced.ok()) Log("file identities not updated: ", synced.message());
      const std::vector<ModuleSnapshot> modules = modules_.Snapshot();
      ReportGaps(modules);
      UpdateStatus(modules);
      next_gap_check = std::chrono::steady_clock::now() + kGapCheckInterval;
    }
    if (*consumed > 0 || stop) {
      absl::Status flushed = output_->Flush();
      if (!flushed.ok()) {
        result = flushed;
        break;
      }
    }
    if (stop) break;
  }
  health_->Stop();
  return result;
}

absl::Status Sensor::Shutdown() {
  if (health_ != nullptr) health_->Stop();
  if (shut_down_ || !initialized_) {
    modules_.StopAll();
    return absl::OkStatus();
  }
  shut_down_ = true;
  modules_.DetachAll();
  (void)ring_->Consume();  // what the probes wrote before detaching
  std::vector<ModuleSnapshot> modules = modules_.Snapshot();
  ReportGaps(modules);

  pipeline_->RollNetSummaries(0, /*flush=*/true);
  StopInfo info;
  info.events_by_type = &pipeline_->events_by_type();
  info.modules = std::move(modules);
  info.decoder = &pipeline_->decoder();
  info.process_table_size = pipeline_->table().size();
  info.process_table_evictions = pipeline_->table().evictions();
  if (fleet_ != nullptr) {
    fleet_->link().Stop();  // unacked alerts stay in the spool for the next run
    info.link = &fleet_->link().counters();
    info.spool = spool_.get();
  }
  info.engine = pipeline_->engine();
  info.alerts = alerts_->published();
  info.reloads = reloads_;
  info.reload_failures = reload_failures_;
  output_->WriteLine(SensorStopRecord(info));
  modules_.StopAll();
  return output_->Flush();
}

void Sensor::UpdateStatus(const std::vector<ModuleSnapshot>& modules) {
  pipeline_->RollNetSummaries(static_cast<uint64_t>(ClockNs(CLOCK_BOOTTIME)));
  if (fleet_ != nullptr) {
    SensorStatus status;
    status.sensor_id = sensor_id_;
    status.node = hostname_;
    status.kernel = env_->kernel_release();
    status.rule_set_version = pipeline_->rule_set_version();
    status.modules_version = modules_version_;
    status.modules = modules;
    status.events_by_type = &pipeline_->events_by_type();
    status.alerts = alerts_->published();
    status.decode_errors = pipeline_->decoder().total_errors();
    status.process_table_size = pipeline_->table().size();
    status.engine = pipeline_->engine();
    status.spool = spool_.get();
    status.net_summarizer = &pipeline_->net_summarizer();
    status.net_summaries = &pipeline_->last_net_summaries();
    fleet_->SetStatus(status);
  }
  SyncMetrics();
  health_->SetNotReady(NotReadyReason());
}

void Sensor::SyncMetrics() {
  MetricsSnapshot now;
  now.events_by_type = pipeline_->events_by_type();
  now.decode_errors = pipeline_->decoder().total_errors();
  if (const rules::Engine* engine = pipeline_->engine()) {
    now.rule_state_evictions = engine->evictions();
    now.rule_set_version = pipeline_->rule_set_version();
    now.rules_loaded = engine->rule_set().rules().size();
  }
  if (spool_ != nullptr) {
    now.has_spool = true;
    now.spool_dropped = spool_->dropped();
    now.spool_bytes = spool_->bytes();
    now.spool_records = spool_->records();
    now.alerts_spooled = alerts_->spooled();
    now.alerts_acked = spool_->acked() - acked_at_start_;
  }
  if (fleet_ != nullptr) {
    const ControllerLinkCounters& c = fleet_->link().counters();
    now.has_link = true;
    now.link_connected = c.connected;
    now.link_connects = c.connects;
    now.alerts_sent = c.alerts_sent;
  }
  const auto refusals = modules_.Refusals();
  for (int r = 0; r < static_cast<int>(BundleRefusal::kCount); ++r) {
    now.bundles_refused.emplace_back(BundleRefusalName(static_cast<BundleRefusal>(r)), refusals[r]);
  }
  now.process_table_size = pipeline_->table().size();
  now.process_table_evictions = pipeline_->table().evictions();
  now.rule_reloads = reloads_;
  now.rule_reload_failures = reload_failures_;
  const enrich::EnricherStats e = enricher_->Stats();
  now.cgroup_lookups = {{"hit", e.cgroup.hits},
                        {"read", e.cgroup.reads},
                        {"parent_read", e.cgroup.parent_reads},
                        {"read_failure", e.cgroup.read_failures},
                        {"eviction", e.cgroup.evictions}};
  now.pod_lookups = {{"hit", e.pod.hits},
                     {"negative_hit", e.pod.negative_hits},
                     {"miss", e.pod.misses},
                     {"error", e.pod.errors},
                     {"not_found", e.pod.not_found},
                     {"backoff_skip", e.pod.backoff_skips},
                     {"eviction", e.pod.evictions}};
  now.pod_cache_entries = e.pod.size;
  metrics_.Sync(now);
}

std::string Sensor::NotReadyReason() const {
  if (!initialized_) return "starting";
  if (!modules_.AnyRunning()) return "no probe module attached";
  if (pipeline_->engine() == nullptr && (options_.run_rules || !options_.controller.empty())) {
    return "no rules loaded yet (waiting for the controller's rule set)";
  }
  return "";
}

}  // namespace vigil::sensor

#include "sensor/sensor.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "bpf/abi/vigil_event.h"
#include "common/clock.h"
#include "common/status_macros.h"
#include "event/schema.h"
#include "rules/rule_file.h"
#include "sensor/alert_proto.h"
#include "sensor/event_json.h"
#include "sensor/event_view.h"
#include "sensor/json_writer.h"
#include "sensor/probes/module_registry.h"
#include "sensor/probes/record_registry.h"

namespace vigil::sensor {
namespace {

// Counters whose growth means events were lost (reported as gaps).
constexpr int kDropStats[] = {VIGIL_STAT_DROP_RINGBUF_FULL, VIGIL_STAT_DROP_SCRATCH};

// Gap checks read the kernel counters; once a second is plenty.
constexpr auto kGapCheckInterval = std::chrono::seconds(1);

// Poll timeout while nothing is arriving. The kernel wakes the reader for the first
// event after a quiet spell, so an idle sensor need not wake on its own more often.
constexpr int kIdlePollMs = 1000;

// The rule name of the sensor's own alert for a refused reload.
constexpr absl::string_view kReloadFailedRule = "Vigil rules reload failed";
// ... and for a rule set the controller pushed that this sensor refused.
constexpr absl::string_view kPushFailedRule = "Vigil rules push failed";
// ... and for the watchdog's findings.
constexpr absl::string_view kStalledRule = "Vigil pipeline stalled";
constexpr absl::string_view kDetachedRule = "Vigil probe detached";
// Readiness while stalled.
constexpr absl::string_view kStalledReason =
    "pipeline stalled: events wait in the ring buffer, none consumed";

// The kernel filter of a selection.
vigil_filter_config FilterOf(const Selection& s) {
  vigil_filter_config f{};
  f.type_mask = s.type_mask;
  f.file_flags = (s.all_files ? VIGIL_FILTER_ALL_FILES : 0) | (s.hidden ? VIGIL_FILTER_HIDDEN : 0) |
                 (s.failed_opens ? VIGIL_FILTER_FAILED : 0);
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
    fprintf(stderr, "vigil-sensor: no CRI socket%s: k8s.* fields stay empty\n",
            options.no_cri ? " (--no-cri)" : " found");
  } else {
    fprintf(stderr, "vigil-sensor: pods from the CRI runtime at %s\n",
            enricher->cri_socket().c_str());
  }
  return enricher;
}

}  // namespace

Sensor::Sensor(const SensorOptions& options)
    : options_(options), table_(options.process_table_size), users_(options.passwd_path) {}

Sensor::~Sensor() {
  if (metrics_server_ != nullptr) metrics_server_->Stop();  // its callbacks use *this
  (void)Shutdown();
  link_.reset();
  if (command_fd_ >= 0) close(command_fd_);
  if (owns_out_ && out_ != nullptr) fclose(out_);
}

absl::StatusOr<std::unique_ptr<Sensor>> Sensor::Create(const SensorOptions& options) {
  std::unique_ptr<Sensor> sensor(new Sensor(options));
  VIGIL_RETURN_IF_ERROR(sensor->Init());
  return sensor;
}

absl::Status Sensor::Init() {
  if (options_.output == "-") {
    out_ = stdout;
  } else {
    out_ = fopen(options_.output.c_str(), "we");
    if (out_ == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot open output ", options_.output, ": ", strerror(errno)));
    }
    owns_out_ = true;
  }
  setvbuf(out_, nullptr, _IOFBF, 1 << 20);

  VIGIL_RETURN_IF_ERROR(probes::CheckRecordRegistry());
  VIGIL_ASSIGN_OR_RETURN(probes::KernelEnv env, probes::KernelEnv::Probe(options_.btf_path));
  env_ = std::make_unique<probes::KernelEnv>(std::move(env));
  VIGIL_ASSIGN_OR_RETURN(ring_, probes::RingReader::Create(options_.ringbuf_bytes, this));

  hostname_ = options_.hostname;
  if (hostname_.empty()) {
    char name[256] = {};
    if (gethostname(name, sizeof(name) - 1) == 0) hostname_ = name;
  }
  enricher_ = MakeEnricher(options_);
  const rules::KernelFilter* rules_filter = nullptr;
  if (options_.run_rules) {
    VIGIL_ASSIGN_OR_RETURN(CompiledRules compiled, CompileRules());
    rule_set_version_ = compiled.version;
    engine_ = std::make_unique<rules::Engine>(std::move(compiled.set));
    rules_filter = &engine_->rule_set().kernel_filter();
  }
  selection_ = ComputeSelection(options_, rules_filter);
  const vigil_filter_config filter = FilterOf(selection_);
  probes::ModuleOptions module_options;
  module_options.forced_mode = options_.attach_mode;
  module_options.self_tgid = static_cast<uint32_t>(getpid());
  module_options.wakeup_bytes = options_.wakeup_bytes;
  module_options.wakeup_ns = options_.wakeup_us * 1000;
  module_options.ringbuf_fd = ring_->map_fd();
  module_options.filter = filter;
  if (options_.btf_path != SensorOptions().btf_path) module_options.btf_path = options_.btf_path;
  module_options_ = module_options;

  modules_ = probes::CreateModules();
  for (const auto& module : modules_) {
    VIGIL_RETURN_IF_ERROR(module->SetPathPrefixes(selection_.prefixes));
    VIGIL_RETURN_IF_ERROR(module->Start(*env_, module_options));
    fprintf(stderr, "vigil-sensor: module %s attached (%s)\n", std::string(module->name()).c_str(),
            std::string(probes::AttachModeName(module->mode())).c_str());
    for (const std::string& hook : module->skipped()) {
      fprintf(stderr, "vigil-sensor: module %s: hook %s not in this kernel, skipped\n",
              std::string(module->name()).c_str(), hook.c_str());
    }
  }
  reported_.assign(modules_.size(), probes::ModuleStats{});

  // Seed after attaching, so no process can slip between the snapshot and the events.
  absl::Status seeded = table_.SeedFromProc(options_.proc_root);
  if (!seeded.ok()) {
    fprintf(stderr, "vigil-sensor: process table not seeded: %s\n",
            std::string(seeded.message()).c_str());
  }
  if (!options_.controller.empty()) VIGIL_RETURN_IF_ERROR(StartLink());
  UpdateHello();
  if (!options_.metrics_address.empty()) {
    VIGIL_ASSIGN_OR_RETURN(metrics_server_, MetricsServer::Start(
                                                options_.metrics_address, metrics_.registry(),
                                                [this] {
                                                  // The watchdog's verdict first: a stalled
                                                  // pipeline cannot refresh not_ready_.
                                                  if (stalled_) return std::string(kStalledReason);
                                                  absl::MutexLock lock(&ready_mu_);
                                                  return not_ready_;
                                                },
                                                [this] {
                                                  metrics_.UpdateResidentMemory();
                                                  metrics_.SetRingFill(ring_->Positions().pending(),
                                                                       ring_->size_bytes());
                                                }));
    fprintf(stderr, "vigil-sensor: metrics on %s (port %d)\n", options_.metrics_address.c_str(),
            metrics_server_->port());
  }
  initialized_ = true;
  {
    absl::MutexLock lock(&modules_mu_);
    metrics_.SyncModules(ReadModules());
  }
  SyncMetrics();
  return absl::OkStatus();
}

absl::Status Sensor::StartLink() {
  sensor_id_ = options_.sensor_id.empty() ? hostname_ : options_.sensor_id;
  SpoolOptions spool_options;
  spool_options.max_bytes = options_.spool_bytes;
  spool_options.segment_bytes =
      std::min<uint64_t>(spool_options.segment_bytes, options_.spool_bytes / 4);
  VIGIL_ASSIGN_OR_RETURN(spool_, Spool::Open(options_.spool_dir, spool_options));
  acked_at_start_ = spool_->acked();
  command_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (command_fd_ < 0) return absl::InternalError(absl::StrCat("eventfd: ", strerror(errno)));
  ControllerLinkOptions link_options;
  link_options.address = options_.controller;
  link_options.insecure = options_.controller_insecure;
  link_options.tls_ca = options_.controller_ca;
  link_options.tls_cert = options_.controller_cert;
  link_options.tls_key = options_.controller_key;
  link_options.token_file = options_.controller_token_file;
  link_options.tls_server_name = options_.controller_server_name;
  VIGIL_ASSIGN_OR_RETURN(link_, ControllerLink::Create(
                                    link_options, spool_.get(),
                                    [this] {
                                      absl::MutexLock lock(&link_mu_);
                                      return hello_;
                                    },
                                    [this] {
                                      absl::MutexLock lock(&link_mu_);
                                      return health_;
                                    },
                                    [this](const vigil::v1::ControllerMessage& message) {
                                      {
                                        absl::MutexLock lock(&link_mu_);
                                        commands_.push_back(message);
                                      }
                                      const uint64_t one = 1;
                                      (void)!write(command_fd_, &one, sizeof(one));
                                    }));
  return absl::OkStatus();
}

void Sensor::UpdateHello() {
  vigil::v1::Hello hello;
  hello.set_sensor_id(sensor_id_);
  hello.set_node(hostname_);
  hello.set_version(VIGIL_VERSION);
  hello.set_kernel(env_ != nullptr ? env_->kernel_release() : "");
  hello.set_rule_set_version(rule_set_version_);
  hello.set_modules_version(modules_version_);
  hello.set_engine_version(rules::kEngineVersion);
  if (spool_ != nullptr) hello.set_spool_epoch(spool_->epoch());
  for (const auto& module : modules_) {
    vigil::v1::ModuleState* m = hello.add_modules();
    m->set_name(std::string(module->name()));
    m->set_enabled(module->running());
    m->set_attach_mode(module->running() ? std::string(probes::AttachModeName(module->mode()))
                                         : "");
    m->set_state(module->running() ? "running" : "disabled");
  }
  vigil::v1::Health health;
  auto& c = *health.mutable_counters();
  for (const event::ModuleSchema* schema : event::ModuleSchemas()) {
    for (const event::EventTypeInfo& type : schema->event_types) {
      c[absl::StrCat("events_", type.name)] = events_by_type_[static_cast<int>(type.type)];
    }
  }
  c["alerts"] = alerts_;
  uint64_t decode_errors = 0;
  for (uint64_t e : decoder_.errors()) decode_errors += e;
  c["decode_errors"] = decode_errors;
  c["process_table_size"] = table_.size();
  if (engine_ != nullptr) c["rule_state_evictions"] = engine_->evictions();
  if (spool_ != nullptr) {
    health.set_spool_bytes(spool_->bytes());
    health.set_spool_records(spool_->records());
    c["spool_dropped"] = spool_->dropped();
    c["spool_corrupt"] = spool_->corrupt_records();
  }
  health.set_time_unix_ns(WallNowNs());
  *health.mutable_modules() = hello.modules();
  absl::MutexLock lock(&link_mu_);
  hello_ = std::move(hello);
  health_ = std::move(health);
}

void Sensor::ApplyCommands() {
  uint64_t ignored;
  (void)!read(command_fd_, &ignored, sizeof(ignored));
  std::deque<vigil::v1::ControllerMessage> commands;
  {
    absl::MutexLock lock(&link_mu_);
    commands.swap(commands_);
  }
  std::vector<vigil::v1::CommandResult> results;
  for (const vigil::v1::ControllerMessage& message : commands) {
    vigil::v1::CommandResult result;
    if (message.has_rule_set()) {
      result.set_command_id(message.rule_set().command_id());
      result.set_version(message.rule_set().rule_set().version());
      absl::StatusOr<CompiledRules> compiled = CompilePushed(message.rule_set().rule_set());
      absl::Status installed =
          compiled.ok() ? InstallRules(*std::move(compiled)) : compiled.status();
      result.set_ok(installed.ok());
      if (!installed.ok()) {
        result.set_error(std::string(installed.message()));
        RaiseSelfAlert(kPushFailedRule, absl::StrCat("rule set ", result.version(),
                                                     " refused, previous rules still running: ",
                                                     installed.message()));
      }
    } else if (message.has_modules()) {
      result.set_command_id(message.modules().command_id());
      result.set_version(message.modules().version());
      absl::Status applied = ApplyModules(message.modules());
      result.set_ok(applied.ok());
      if (!applied.ok()) result.set_error(std::string(applied.message()));
    } else {
      continue;
    }
    results.push_back(std::move(result));
  }
  UpdateHello();  // before the answers, so the health report that follows them is current
  for (const vigil::v1::CommandResult& result : results) link_->SendResult(result);
}

absl::Status Sensor::ApplyModules(const vigil::v1::ModuleCommand& command) {
  // Check everything first, so a bad command changes nothing.
  for (const vigil::v1::ModuleSetting& setting : command.modules()) {
    bool known = false;
    for (const auto& module : modules_) known |= module->name() == setting.name();
    if (!known) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown probe module '", setting.name(), "'"));
    }
  }
  for (const vigil::v1::ModuleSetting& setting : command.modules()) {
    for (size_t i = 0; i < modules_.size(); ++i) {
      probes::ProbeModule* module = modules_[i].get();
      if (module->name() != setting.name() || module->running() == setting.enabled()) continue;
      absl::MutexLock lock(&modules_mu_);  // the watchdog reads module state
      if (setting.enabled()) {
        probes::ModuleOptions options = module_options_;
        options.filter = FilterOf(selection_);
        VIGIL_RETURN_IF_ERROR(module->Start(*env_, options));
        reported_[i] = probes::ModuleStats{};
      } else {
        (void)ring_->Consume();  // what it wrote before it goes
        module->Stop();
      }
    }
  }
  modules_version_ = command.version();
  return absl::OkStatus();
}

absl::Status Sensor::WriteStartRecord() {
  std::string line;
  JsonWriter w(&line);
  w.BeginObject();
  w.String("type", "sensor_start");
  w.String("version", VIGIL_VERSION);
  w.String("kernel", env_->kernel_release());
  w.Uint("pid", static_cast<uint64_t>(getpid()));
  w.Uint("process_table_size", table_.size());
  w.Uint("ringbuf_bytes", ring_->size_bytes());
  w.BeginArray("modules");
  for (const auto& module : modules_) {
    w.BeginObject();
    w.String("name", module->name());
    w.String("attach_mode", probes::AttachModeName(module->mode()));
    w.BeginArray("hooks");
    for (const std::string& hook : module->attached()) w.ArrayString(hook);
    w.EndArray();
    w.BeginArray("skipped");
    for (const std::string& hook : module->skipped()) w.ArrayString(hook);
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.BeginArray("file_prefixes");
  for (const std::string& prefix : selection_.prefixes) w.ArrayString(prefix);
  w.EndArray();
  w.Bool("all_files", selection_.all_files);
  w.Bool("hidden", selection_.hidden);
  w.Bool("failed_opens", selection_.failed_opens);
  if (engine_ != nullptr) {
    w.BeginObject("rules");
    w.Uint("rules", engine_->rule_set().rules().size());
    w.BeginArray("paths");
    for (const std::string& path : options_.rule_paths) w.ArrayString(path);
    w.EndArray();
    w.EndObject();
  }
  w.EndObject();
  line.push_back('\n');
  WriteLine(line);
  return Flush();
}

void Sensor::WriteLine(const std::string& line) {
  if (output_failed_) return;
  if (fwrite(line.data(), 1, line.size(), out_) != line.size()) output_failed_ = true;
}

absl::Status Sensor::Flush() {
  if (!output_failed_ && fflush(out_) != 0) output_failed_ = true;
  if (output_failed_) {
    return absl::UnavailableError(absl::StrCat("writing events failed: ", strerror(errno)));
  }
  return absl::OkStatus();
}

void Sensor::OnRecord(const void* data, size_t size) {
  event::Event event;
  absl::Status status = decoder_.Decode(data, size, &event);
  if (!status.ok()) return;  // counted by the decoder, reported as a gap
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
  if (options_.print_events && (engine_ == nullptr || PrintSelected(options_, event))) {
    line_.clear();
    AppendEventJson(event, table_.Lookup(event.task.ppid), &line_);
    WriteLine(line_);
  }
  // Rules see the process as the event leaves it (an exec's new image), except at exit,
  // which removes it.
  if (event.type == event::kExit) {
    Evaluate(event);
    table_.Apply(event);
  } else {
    table_.Apply(event);
    Evaluate(event);
  }
}

void Sensor::Evaluate(const event::Event& event) {
  if (engine_ == nullptr) return;
  const SensorEventView view(event, &table_, &users_, enricher_.get());
  const bool timed = (++evaluations_ & 63) == 0;  // 1 in 64: clock reads cost ~40 ns
  const int64_t start = timed ? ClockNs(CLOCK_MONOTONIC) : 0;
  engine_->Process(view, [&](const rules::Alert& alert) {
    metrics_.CountMatch(alert.rule->name, rules::PriorityName(alert.rule->priority));
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
    WriteAlert(line);
  });
  if (timed)
    metrics_.ObserveEvaluation(static_cast<double>(ClockNs(CLOCK_MONOTONIC) - start) / 1e9);
}

void Sensor::WriteAlert(const AlertLine& alert) {
  ++alerts_;
  if (spool_ != nullptr) {
    const vigil::v1::Alert proto = ToAlertProto(alert, sensor_id_, hostname_, rule_set_version_);
    // A refused append is counted by the spool and reaches the controller as a gap.
    if (spool_->Append(proto.SerializeAsString()).ok()) {
      alerts_spooled_.fetch_add(1, std::memory_order_relaxed);
      link_->Wake();
    }
  }
  if (!options_.print_alerts) return;
  line_.clear();
  AppendAlertJson(alert, hostname_, &line_);
  line_.push_back('\n');
  WriteLine(line_);
}

int64_t Sensor::BootToWallOffset() { return WallNowNs() - ClockNs(CLOCK_BOOTTIME); }

absl::StatusOr<Sensor::CompiledRules> Sensor::CompileRules() const {
  rules::RuleFileSet files;
  VIGIL_RETURN_IF_ERROR(files.AddPaths(options_.rule_paths));
  VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<rules::RuleSet> set, rules::RuleSet::Compile(files));
  // The version names the content as loaded (base names, in load order), as the
  // controller names a pushed set, so the same files are the same version everywhere.
  std::vector<std::pair<std::string, std::string>> parts;
  for (const std::string& path : files.files()) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    parts.emplace_back(std::filesystem::path(path).filename().string(), content.str());
  }
  return CompiledRules{std::shared_ptr<const rules::RuleSet>(std::move(set)),
                       rules::RuleSetContentVersion(parts)};
}

absl::StatusOr<Sensor::CompiledRules> Sensor::CompilePushed(
    const vigil::v1::RuleSet& pushed) const {
  rules::RuleFileSet files;
  for (const vigil::v1::RuleFile& f : pushed.files()) {
    VIGIL_RETURN_IF_ERROR(files.AddText(f.content(), f.name()));
  }
  VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<rules::RuleSet> set, rules::RuleSet::Compile(files));
  if (options_.max_rules > 0 && set->rules().size() > options_.max_rules) {
    return absl::ResourceExhaustedError(
        absl::StrCat("rule set ", pushed.version(), " has ", set->rules().size(),
                     " rules; this sensor accepts at most ", options_.max_rules, " (--max-rules)"));
  }
  return CompiledRules{std::shared_ptr<const rules::RuleSet>(std::move(set)), pushed.version()};
}

void Sensor::RaiseSelfAlert(absl::string_view rule, absl::string_view output) {
  fprintf(stderr, "vigil-sensor: %s\n", std::string(output).c_str());
  const std::vector<std::string> tags = {"vigil", "rules"};
  AlertLine line;
  line.rule = rule;
  line.priority = rules::Priority::kError;
  line.output = output;
  line.tags = &tags;
  line.source = "vigil";
  line.wall_ns = static_cast<uint64_t>(WallNowNs());
  WriteAlert(line);
}

absl::Status Sensor::InstallRules(CompiledRules compiled) {
  const Selection next = ComputeSelection(options_, &compiled.set->kernel_filter());
  if (engine_ == nullptr) {
    engine_ = std::make_unique<rules::Engine>(std::move(compiled.set));
  } else {
    engine_->Swap(std::move(compiled.set));
  }
  rule_set_version_ = compiled.version;
  ++reloads_;
  fprintf(stderr, "vigil-sensor: rules %s in force (%zu rules)\n", rule_set_version_.c_str(),
          engine_->rule_set().rules().size());
  VIGIL_RETURN_IF_ERROR(ApplySelection(next));
  UpdateHello();
  // Record what now runs, and the kernel filter it moved to.
  std::string line;
  JsonWriter w(&line);
  w.BeginObject();
  w.String("type", "rules_reloaded");
  w.String("version", rule_set_version_);
  w.Uint("rules", engine_->rule_set().rules().size());
  w.BeginArray("file_prefixes");
  for (const std::string& prefix : selection_.prefixes) w.ArrayString(prefix);
  w.EndArray();
  w.Bool("all_files", selection_.all_files);
  w.Bool("hidden", selection_.hidden);
  w.EndObject();
  line.push_back('\n');
  WriteLine(line);
  return absl::OkStatus();
}

absl::Status Sensor::ApplySelection(const Selection& selection) {
  // Widen first: the union of old and new, so no event either set needs is missed.
  Selection wide = selection_;
  wide.type_mask |= selection.type_mask;
  wide.hidden |= selection.hidden;
  wide.all_files |= selection.all_files;
  wide.failed_opens |= selection.failed_opens;
  for (const auto& module : modules_) {
    if (module->running()) module->SetFilter(FilterOf(wide));
  }
  for (const auto& module : modules_)
    VIGIL_RETURN_IF_ERROR(module->SetPathPrefixes(selection.prefixes));
  for (const auto& module : modules_) {
    if (module->running()) module->SetFilter(FilterOf(selection));
  }
  selection_ = selection;
  return absl::OkStatus();
}

absl::Status Sensor::ReloadRules() {
  if (!options_.run_rules) return absl::OkStatus();
  absl::StatusOr<CompiledRules> compiled = CompileRules();
  if (!compiled.ok()) {
    ++reload_failures_;
    RaiseSelfAlert(kReloadFailedRule,
                   absl::StrCat("rules reload refused, previous rules still running: ",
                                compiled.status().message()));
    return compiled.status();
  }
  return InstallRules(*std::move(compiled));
}

void Sensor::WriteGap(absl::string_view module, absl::string_view reason, uint64_t count) {
  std::string line;
  JsonWriter w(&line);
  w.BeginObject();
  w.String("type", "gap");
  w.String("module", module);
  w.String("reason", reason);
  w.Uint("count", count);
  w.EndObject();
  line.push_back('\n');
  WriteLine(line);
}

void Sensor::ReportGaps() {
  for (size_t i = 0; i < modules_.size(); ++i) {
    absl::StatusOr<probes::ModuleStats> stats = modules_[i]->ReadStats();
    if (!stats.ok()) continue;
    for (int stat : kDropStats) {
      const uint64_t now = (*stats)[stat];
      if (now > reported_[i][stat]) {
        WriteGap(modules_[i]->name(), probes::StatName(stat), now - reported_[i][stat]);
        reported_[i][stat] = now;
      }
    }
  }
  const auto& errors = decoder_.errors();
  for (size_t e = 0; e < errors.size(); ++e) {
    if (errors[e] > reported_decode_[e]) {
      WriteGap("decoder", DecodeErrorName(static_cast<DecodeError>(e)),
               errors[e] - reported_decode_[e]);
      reported_decode_[e] = errors[e];
    }
  }
}

absl::Status Sensor::Run(int signal_fd) {
  const int stop_fd = signal_fd;
  const int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) return absl::InternalError(absl::StrCat("epoll_create1: ", strerror(errno)));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = ring_->epoll_fd();
  epoll_ctl(epfd, EPOLL_CTL_ADD, ring_->epoll_fd(), &ev);
  ev.data.fd = stop_fd;
  if (stop_fd >= 0) epoll_ctl(epfd, EPOLL_CTL_ADD, stop_fd, &ev);
  if (command_fd_ >= 0) {
    ev.data.fd = command_fd_;
    epoll_ctl(epfd, EPOLL_CTL_ADD, command_fd_, &ev);
  }
  if (link_ != nullptr) link_->Start();
  StartWatchdog();

  auto next_gap_check = std::chrono::steady_clock::now() + kGapCheckInterval;
  absl::Status result = absl::OkStatus();
  // After records arrive, poll again soon for the ones the kernel batched without a
  // wake-up; once a poll finds nothing, sleep until woken.
  const int busy_timeout_ms = static_cast<int>(std::max<uint64_t>(1, options_.wakeup_us / 1000));
  int timeout_ms = busy_timeout_ms;
  for (;;) {
    epoll_event ready[3];
    const int n = epoll_wait(epfd, ready, 3, timeout_ms);
    if (n < 0 && errno != EINTR) {
      result = absl::InternalError(absl::StrCat("epoll_wait: ", strerror(errno)));
      break;
    }
    bool stop = false;
    bool commands = false;
    for (int i = 0; i < n; ++i) {
      if (ready[i].data.fd == command_fd_) commands = true;
      if (ready[i].data.fd != stop_fd) continue;
      signalfd_siginfo info;
      while (read(stop_fd, &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info))) {
        if (info.ssi_signo == SIGHUP) {
          // Events before the swap are evaluated by the old set, the rest by the new.
          (void)ring_->Consume();
          (void)ReloadRules();
          (void)Flush();
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
    if (commands) {
      // Events before the swap are evaluated by the old rules, the rest by the new.
      (void)ring_->Consume();
      ApplyCommands();
      (void)Flush();
    }
    if (std::chrono::steady_clock::now() >= next_gap_check) {
      ReportGaps();
      UpdateHello();
      SyncMetrics();
      next_gap_check = std::chrono::steady_clock::now() + kGapCheckInterval;
    }
    if (*consumed > 0 || stop) {
      absl::Status flushed = Flush();
      if (!flushed.ok()) {
        result = flushed;
        break;
      }
    }
    if (stop) break;
  }
  close(epfd);
  StopWatchdog();
  return result;
}

absl::Status Sensor::Shutdown() {
  StopWatchdog();
  if (shut_down_ || !initialized_) {
    for (const auto& module : modules_) module->Stop();
    return absl::OkStatus();
  }
  shut_down_ = true;
  for (const auto& module : modules_) module->Detach();
  (void)ring_->Consume();  // what the probes wrote before detaching
  ReportGaps();

  std::string line;
  JsonWriter w(&line);
  w.BeginObject();
  w.String("type", "sensor_stop");
  w.BeginObject("events");
  for (const event::ModuleSchema* schema : event::ModuleSchemas()) {
    for (const event::EventTypeInfo& type : schema->event_types) {
      w.Uint(type.name, events_by_type_[static_cast<int>(type.type)]);
    }
  }
  w.EndObject();
  w.BeginObject("modules");
  for (const auto& module : modules_) {
    absl::StatusOr<probes::ModuleStats> stats = module->ReadStats();
    w.BeginObject(module->name());
    if (stats.ok()) {
      for (int s = 0; s < VIGIL_STAT_MAX; ++s) w.Uint(probes::StatName(s), (*stats)[s]);
    }
    w.EndObject();
  }
  w.EndObject();
  w.BeginObject("decoder");
  w.Uint("decoded", decoder_.decoded());
  for (size_t e = 0; e < decoder_.errors().size(); ++e) {
    w.Uint(DecodeErrorName(static_cast<DecodeError>(e)), decoder_.errors()[e]);
  }
  w.EndObject();
  w.Uint("process_table_size", table_.size());
  w.Uint("process_table_evictions", table_.evictions());
  if (link_ != nullptr) {
    link_->Stop();  // unacked alerts stay in the spool for the next run
    const ControllerLinkCounters& c = link_->counters();
    w.BeginObject("controller");
    w.Uint("connects", c.connects);
    w.Uint("alerts_sent", c.alerts_sent);
    w.Uint("acks", c.acks);
    w.Uint("commands", c.commands);
    w.Uint("spool_records", spool_->records());
    w.Uint("spool_dropped", spool_->dropped());
    w.EndObject();
  }
  if (engine_ != nullptr) {
    w.BeginObject("rules");
    w.Uint("alerts", alerts_);
    w.Uint("reloads", reloads_);
    w.Uint("reload_failures", reload_failures_);
    w.Uint("state_evictions", engine_->evictions());
    w.Uint("state_keys", engine_->tracked_keys());
    w.EndObject();
  }
  w.EndObject();
  line.push_back('\n');
  WriteLine(line);
  for (const auto& module : modules_) module->Stop();
  return Flush();
}

}  // namespace vigil::sensor

namespace vigil::sensor {

void Sensor::SyncMetrics() {
  MetricsSnapshot now;
  now.events_by_type = events_by_type_;
  for (uint64_t e : decoder_.errors()) now.decode_errors += e;
  if (engine_ != nullptr) {
    now.rule_state_evictions = engine_->evictions();
    now.rule_set_version = rule_set_version_;
    now.rules_loaded = engine_->rule_set().rules().size();
  }
  if (spool_ != nullptr) {
    now.has_spool = true;
    now.spool_dropped = spool_->dropped();
    now.spool_bytes = spool_->bytes();
    now.spool_records = spool_->records();
    now.alerts_spooled = alerts_spooled_.load(std::memory_order_relaxed);
    now.alerts_acked = spool_->acked() - acked_at_start_;
  }
  if (link_ != nullptr) {
    const ControllerLinkCounters& c = link_->counters();
    now.has_link = true;
    now.link_connected = c.connected;
    now.link_connects = c.connects;
    now.alerts_sent = c.alerts_sent;
  }
  now.process_table_size = table_.size();
  now.process_table_evictions = table_.evictions();
  now.rule_reloads = reloads_;
  now.rule_reload_failures = reload_failures_;
  if (enricher_ != nullptr) {
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
  }
  metrics_.Sync(now);
  std::string why = NotReadyReason();
  absl::MutexLock lock(&ready_mu_);
  not_ready_ = std::move(why);
}

std::vector<ModuleSnapshot> Sensor::ReadModules() {
  std::vector<ModuleSnapshot> out;
  for (const auto& module : modules_) {
    ModuleSnapshot m;
    m.name = std::string(module->name());
    m.running = module->running();
    if (m.running) m.attach_mode = std::string(probes::AttachModeName(module->mode()));
    absl::StatusOr<probes::ModuleStats> stats = module->ReadStats();
    if (stats.ok()) m.stats = *stats;
    out.push_back(std::move(m));
  }
  return out;
}

std::string Sensor::NotReadyReason() const {
  if (!initialized_) return "starting";
  bool attached = false;
  for (const auto& module : modules_) attached |= module->running();
  if (!attached) return "no probe module attached";
  if (engine_ == nullptr && (options_.run_rules || !options_.controller.empty())) {
    return "no rules loaded yet (waiting for the controller's rule set)";
  }
  return "";
}

void Sensor::StartWatchdog() {
  if (watchdog_.joinable() || watchdog_stop_.HasBeenNotified()) return;
  watchdog_ = std::thread([this] { WatchdogLoop(); });
}

void Sensor::StopWatchdog() {
  if (!watchdog_.joinable()) return;
  watchdog_stop_.Notify();
  watchdog_.join();
}

void Sensor::WatchdogLoop() {
  Watchdog dog(Watchdog::Options{static_cast<int64_t>(options_.stall_after_ms) * 1'000'000, 2});
  while (!watchdog_stop_.WaitForNotificationWithTimeout(absl::Seconds(1))) {
    // The canary: an open and a thread start that each module's hooks see, and count as
    // the sensor's own activity.
    if (const int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC); fd >= 0) close(fd);
    std::thread([] {}).join();

    WatchdogSample sample;
    sample.now_ns = ClockNs(CLOCK_MONOTONIC);
    const probes::RingPositions positions = ring_->Positions();
    sample.ring_consumer = positions.consumer;
    sample.ring_producer = positions.producer;
    {
      absl::MutexLock lock(&modules_mu_);
      const std::vector<ModuleSnapshot> modules = ReadModules();
      metrics_.SyncModules(modules);
      for (const ModuleSnapshot& m : modules) {
        if (!m.running) continue;
        uint64_t sum = 0;
        for (uint64_t v : m.stats) sum += v;
        sample.module_activity[m.name] = sum;
      }
    }
    const WatchdogVerdict verdict = dog.Check(sample);
    stalled_ = dog.stalled();
    metrics_.SetStalled(dog.stalled());
    for (const auto& [name, activity] : sample.module_activity) {
      metrics_.SetProbeAttached(name, !dog.detached(name));
    }
    if (verdict.stall_started) {
      metrics_.CountStall();
      RaiseWatchdogAlert(
          kStalledRule,
          absl::StrCat("pipeline stalled: ", verdict.pending_bytes,
                       " bytes of events wait in the ring buffer and none was consumed for ",
                       verdict.stalled_for_ns / 1'000'000,
                       " ms; events will be dropped (and "
                       "counted) once the ring is full"));
    }
    if (verdict.stall_ended) fprintf(stderr, "vigil-sensor: pipeline consuming again\n");
    for (const std::string& module : verdict.detached) {
      metrics_.CountProbeDetach(module);
      RaiseWatchdogAlert(kDetachedRule,
                         absl::StrCat("probe module ", module,
                                      " detached: its hooks did not "
                                      "fire for the sensor's own canary activity; events of "
                                      "this module are not being seen"));
    }
    for (const std::string& module : verdict.reattached) {
      fprintf(stderr, "vigil-sensor: probe module %s firing again\n", module.c_str());
    }
  }
}

void Sensor::RaiseWatchdogAlert(absl::string_view rule, absl::string_view output) {
  fprintf(stderr, "vigil-sensor: %s\n", std::string(output).c_str());
  if (spool_ == nullptr) return;
  const std::vector<std::string> tags = {"vigil", "health"};
  AlertLine line;
  line.rule = rule;
  line.priority = rules::Priority::kCritical;
  line.output = output;
  line.tags = &tags;
  line.source = "vigil";
  line.wall_ns = static_cast<uint64_t>(WallNowNs());
  const vigil::v1::Alert proto = ToAlertProto(line, sensor_id_, hostname_, "");
  if (spool_->Append(proto.SerializeAsString()).ok()) {
    alerts_spooled_.fetch_add(1, std::memory_order_relaxed);
    link_->Wake();
  }
}

}  // namespace vigil::sensor

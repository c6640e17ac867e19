#include "sensor/sensor.h"

#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <csignal>

#include <cerrno>
#include <algorithm>
#include <chrono>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "bpf/abi/vigil_event.h"
#include "common/status_macros.h"
#include "rules/rule_file.h"
#include "sensor/event_json.h"
#include "sensor/event_view.h"
#include "sensor/json_writer.h"

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

}  // namespace

Sensor::Sensor(const SensorOptions& options)
    : options_(options), table_(options.process_table_size), users_(options.passwd_path) {}

Sensor::~Sensor() {
  (void)Shutdown();
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

  VIGIL_ASSIGN_OR_RETURN(probes::KernelEnv env, probes::KernelEnv::Probe(options_.btf_path));
  env_ = std::make_unique<probes::KernelEnv>(std::move(env));
  VIGIL_ASSIGN_OR_RETURN(ring_, probes::RingReader::Create(options_.ringbuf_bytes, this));

  hostname_ = options_.hostname;
  if (hostname_.empty()) {
    char name[256] = {};
    if (gethostname(name, sizeof(name) - 1) == 0) hostname_ = name;
  }
  const rules::KernelFilter* rules_filter = nullptr;
  if (options_.run_rules) {
    VIGIL_ASSIGN_OR_RETURN(std::shared_ptr<const rules::RuleSet> set, CompileRules());
    engine_ = std::make_unique<rules::Engine>(std::move(set));
    rules_filter = &engine_->rule_set().kernel_filter();
  }
  selection_ = ComputeSelection(options_, rules_filter);
  vigil_filter_config filter{};
  filter.type_mask = selection_.type_mask;
  filter.file_flags = (selection_.all_files ? VIGIL_FILTER_ALL_FILES : 0) |
                      (selection_.hidden ? VIGIL_FILTER_HIDDEN : 0) |
                      (selection_.failed_opens ? VIGIL_FILTER_FAILED : 0);
  probes::ModuleOptions module_options;
  module_options.forced_mode = options_.attach_mode;
  module_options.self_tgid = static_cast<uint32_t>(getpid());
  module_options.wakeup_bytes = options_.wakeup_bytes;
  module_options.wakeup_ns = options_.wakeup_us * 1000;
  module_options.ringbuf_fd = ring_->map_fd();
  module_options.filter = filter;
  if (options_.btf_path != SensorOptions().btf_path) module_options.btf_path = options_.btf_path;

  VIGIL_RETURN_IF_ERROR(file_probe_.SetPrefixes(selection_.prefixes));
  modules_ = {&process_probe_, &file_probe_};
  for (probes::ProbeModule* module : modules_) {
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
  initialized_ = true;
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
  for (probes::ProbeModule* module : modules_) {
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
  for (const std::string& prefix : file_probe_.prefixes()) w.ArrayString(prefix);
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
  Event event;
  absl::Status status = decoder_.Decode(data, size, &event);
  if (!status.ok()) return;  // counted by the decoder, reported as a gap
  ++events_by_type_[static_cast<int>(event.type)];

  if (event.type == EventType::kExec && !event.exec.creds_before_known) {
    // Kernels without sched_prepare_exec: the table knows the credentials before exec.
    if (const ProcessInfo* before = table_.Lookup(event.task.pid)) {
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
  if (event.type == EventType::kExit) {
    Evaluate(event);
    table_.Apply(event);
  } else {
    table_.Apply(event);
    Evaluate(event);
  }
}

void Sensor::Evaluate(const Event& event) {
  if (engine_ == nullptr) return;
  const SensorEventView view(event, &table_, &users_);
  engine_->Process(view, [&](const rules::Alert& alert) {
    AlertLine line;
    line.rule = alert.rule->name;
    line.priority = alert.rule->priority;
    line.output = alert.output;
    line.fields = &alert.fields;
    line.tags = &alert.rule->tags;
    line.wall_ns = static_cast<uint64_t>(static_cast<int64_t>(alert.time_boot_ns) +
                                         BootToWallOffset());
    line.count = alert.count;
    WriteAlert(line);
  });
}

void Sensor::WriteAlert(const AlertLine& alert) {
  ++alerts_;
  if (!options_.print_alerts) return;
  line_.clear();
  AppendAlertJson(alert, hostname_, &line_);
  line_.push_back('\n');
  WriteLine(line_);
}

int64_t Sensor::BootToWallOffset() {
  timespec boot;
  timespec wall;
  clock_gettime(CLOCK_BOOTTIME, &boot);
  clock_gettime(CLOCK_REALTIME, &wall);
  return (static_cast<int64_t>(wall.tv_sec) - boot.tv_sec) * 1000000000LL +
         (static_cast<int64_t>(wall.tv_nsec) - boot.tv_nsec);
}

absl::StatusOr<std::shared_ptr<const rules::RuleSet>> Sensor::CompileRules() const {
  rules::RuleFileSet files;
  VIGIL_RETURN_IF_ERROR(files.AddPaths(options_.rule_paths));
  VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<rules::RuleSet> set, rules::RuleSet::Compile(files));
  return std::shared_ptr<const rules::RuleSet>(std::move(set));
}

absl::Status Sensor::ApplySelection(const Selection& selection) {
  // Widen first: the union of old and new, so no event either set needs is missed.
  Selection wide = selection_;
  wide.type_mask |= selection.type_mask;
  wide.hidden |= selection.hidden;
  wide.all_files |= selection.all_files;
  wide.failed_opens |= selection.failed_opens;
  auto filter_of = [](const Selection& s) {
    vigil_filter_config f{};
    f.type_mask = s.type_mask;
    f.file_flags = (s.all_files ? VIGIL_FILTER_ALL_FILES : 0) |
                   (s.hidden ? VIGIL_FILTER_HIDDEN : 0) |
                   (s.failed_opens ? VIGIL_FILTER_FAILED : 0);
    return f;
  };
  for (probes::ProbeModule* module : modules_) module->SetFilter(filter_of(wide));
  VIGIL_RETURN_IF_ERROR(file_probe_.SetPrefixes(selection.prefixes));
  for (probes::ProbeModule* module : modules_) module->SetFilter(filter_of(selection));
  selection_ = selection;
  return absl::OkStatus();
}

absl::Status Sensor::ReloadRules() {
  if (engine_ == nullptr) return absl::OkStatus();
  absl::StatusOr<std::shared_ptr<const rules::RuleSet>> set = CompileRules();
  if (!set.ok()) {
    ++reload_failures_;
    const std::string output =
        absl::StrCat("rules reload refused, previous rules still running: ",
                     set.status().message());
    fprintf(stderr, "vigil-sensor: %s\n", output.c_str());
    const std::vector<std::string> tags = {"vigil", "rules"};
    AlertLine line;
    line.rule = kReloadFailedRule;
    line.priority = rules::Priority::kError;
    line.output = output;
    line.tags = &tags;
    line.source = "vigil";
    timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    line.wall_ns = static_cast<uint64_t>(wall.tv_sec) * 1000000000ull +
                   static_cast<uint64_t>(wall.tv_nsec);
    WriteAlert(line);
    return set.status();
  }
  const Selection next = ComputeSelection(options_, &(*set)->kernel_filter());
  engine_->Swap(*std::move(set));
  ++reloads_;
  fprintf(stderr, "vigil-sensor: rules reloaded (%zu rules)\n",
          engine_->rule_set().rules().size());
  VIGIL_RETURN_IF_ERROR(ApplySelection(next));
  // Record what now runs, and the kernel filter it moved to.
  std::string line;
  JsonWriter w(&line);
  w.BeginObject();
  w.String("type", "rules_reloaded");
  w.Uint("rules", engine_->rule_set().rules().size());
  w.BeginArray("file_prefixes");
  for (const std::string& prefix : file_probe_.prefixes()) w.ArrayString(prefix);
  w.EndArray();
  w.Bool("all_files", selection_.all_files);
  w.Bool("hidden", selection_.hidden);
  w.EndObject();
  line.push_back('\n');
  WriteLine(line);
  return absl::OkStatus();
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

  auto next_gap_check = std::chrono::steady_clock::now() + kGapCheckInterval;
  absl::Status result = absl::OkStatus();
  // After records arrive, poll again soon for the ones the kernel batched without a
  // wake-up; once a poll finds nothing, sleep until woken.
  const int busy_timeout_ms = static_cast<int>(std::max<uint64_t>(1, options_.wakeup_us / 1000));
  int timeout_ms = busy_timeout_ms;
  for (;;) {
    epoll_event ready[2];
    const int n = epoll_wait(epfd, ready, 2, timeout_ms);
    if (n < 0 && errno != EINTR) {
      result = absl::InternalError(absl::StrCat("epoll_wait: ", strerror(errno)));
      break;
    }
    bool stop = false;
    for (int i = 0; i < n; ++i) {
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
    if (std::chrono::steady_clock::now() >= next_gap_check) {
      ReportGaps();
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
  return result;
}

absl::Status Sensor::Shutdown() {
  if (shut_down_ || !initialized_) {
    for (probes::ProbeModule* module : modules_) module->Stop();
    return absl::OkStatus();
  }
  shut_down_ = true;
  for (probes::ProbeModule* module : modules_) module->Detach();
  (void)ring_->Consume();  // what the probes wrote before detaching
  ReportGaps();

  std::string line;
  JsonWriter w(&line);
  w.BeginObject();
  w.String("type", "sensor_stop");
  w.BeginObject("events");
  for (int t = VIGIL_EVENT_FORK; t < VIGIL_EVENT_TYPE_MAX; ++t) {
    w.Uint(EventTypeName(static_cast<EventType>(t)), events_by_type_[t]);
  }
  w.EndObject();
  w.BeginObject("modules");
  for (probes::ProbeModule* module : modules_) {
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
  for (probes::ProbeModule* module : modules_) module->Stop();
  return Flush();
}

}  // namespace vigil::sensor

#include "sensor/sensor.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <chrono>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "bpf/abi/vigil_event.h"
#include "common/status_macros.h"
#include "sensor/event_json.h"
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

}  // namespace

Sensor::Sensor(const SensorOptions& options)
    : options_(options), table_(options.process_table_size) {}

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

  vigil_filter_config filter{};
  filter.type_mask = options_.type_mask;
  filter.file_flags = (options_.all_files ? VIGIL_FILTER_ALL_FILES : 0) |
                      (options_.hidden ? VIGIL_FILTER_HIDDEN : 0) |
                      (options_.failed_opens ? VIGIL_FILTER_FAILED : 0);
  probes::ModuleOptions module_options;
  module_options.forced_mode = options_.attach_mode;
  module_options.self_tgid = static_cast<uint32_t>(getpid());
  module_options.wakeup_bytes = options_.wakeup_bytes;
  module_options.wakeup_ns = options_.wakeup_us * 1000;
  module_options.ringbuf_fd = ring_->map_fd();
  module_options.filter = filter;
  if (options_.btf_path != SensorOptions().btf_path) module_options.btf_path = options_.btf_path;

  VIGIL_RETURN_IF_ERROR(file_probe_.SetPrefixes(options_.file_prefixes));
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
  w.Bool("all_files", options_.all_files);
  w.Bool("hidden", options_.hidden);
  w.Bool("failed_opens", options_.failed_opens);
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
  if (options_.print_events) {
    line_.clear();
    AppendEventJson(event, table_.Lookup(event.task.ppid), &line_);
    WriteLine(line_);
  }
  table_.Apply(event);
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

absl::Status Sensor::Run(int stop_fd) {
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
      if (ready[i].data.fd == stop_fd) stop = true;
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
  w.EndObject();
  line.push_back('\n');
  WriteLine(line);
  for (probes::ProbeModule* module : modules_) module->Stop();
  return Flush();
}

}  // namespace vigil::sensor

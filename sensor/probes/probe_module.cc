#include "sensor/probes/probe_module.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "sensor/probes/libbpf_log.h"

namespace vigil::sensor::probes {
namespace {

// The hook a program attaches to, from its section: "tp_btf/sched_process_exec" gives
// "sched_process_exec"; "tracepoint/sched/sched_process_exec" gives
// category "sched" and name "sched_process_exec".
struct Hook {
  std::string category;  // classic tracepoints only
  std::string name;
};

Hook HookOf(absl::string_view section) {
  Hook hook;
  size_t slash = section.find('/');
  absl::string_view rest = slash == absl::string_view::npos ? "" : section.substr(slash + 1);
  size_t second = rest.find('/');
  if (second != absl::string_view::npos) {
    hook.category = std::string(rest.substr(0, second));
    hook.name = std::string(rest.substr(second + 1));
  } else {
    hook.name = std::string(rest);
  }
  return hook;
}

}  // namespace

absl::string_view StatName(int stat) {
  switch (stat) {
    case VIGIL_STAT_EMITTED: return "emitted";
    case VIGIL_STAT_DROP_RINGBUF_FULL: return "drop_ringbuf_full";
    case VIGIL_STAT_DROP_SCRATCH: return "drop_scratch";
    case VIGIL_STAT_FILTERED_TYPE: return "filtered_type";
    case VIGIL_STAT_FILTERED_PATH: return "filtered_path";
    case VIGIL_STAT_FILTERED_SELF: return "filtered_self";
    case VIGIL_STAT_PATH_TRUNCATED: return "path_truncated";
    case VIGIL_STAT_FD_LOOKUP_FAILED: return "fd_lookup_failed";
    case VIGIL_STAT_WAKEUPS: return "wakeups";
    default: return "unknown";
  }
}

ProbeModule::~ProbeModule() = default;

absl::Status ProbeModule::Start(KernelEnv& env, const ModuleOptions& options) {
  Stop();
  std::vector<std::string> errors;
  for (AttachMode mode : kAttachModeOrder) {
    if (options.forced_mode && *options.forced_mode != mode) continue;
    absl::Status status = TryMode(env, mode, options);
    if (status.ok()) {
      mode_ = mode;
      running_ = true;
      return absl::OkStatus();
    }
    errors.push_back(absl::StrCat(AttachModeName(mode), ": ", status.message()));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "probe module '", name_, "' could not be attached in any mode: ",
      absl::StrJoin(errors, "; ")));
}

absl::Status ProbeModule::TryMode(KernelEnv& env, AttachMode mode,
                                  const ModuleOptions& options) {
  if (mode == AttachMode::kTracepoint) {
    absl::StatusOr<std::string> tracefs = env.EnsureTracefs();
    if (!tracefs.ok()) return tracefs.status();
  }
  absl::Status status = OpenSkeleton(options.btf_path);
  if (!status.ok()) return status;
  ModuleGlobals initial = globals();
  *initial.self_tgid = options.self_tgid;
  *initial.wakeup_bytes = options.wakeup_bytes;
  *initial.wakeup_ns = options.wakeup_ns;
  *initial.filter = options.filter;
  if (bpf_map__reuse_fd(initial.events, options.ringbuf_fd) != 0) {
    const int err = errno;
    DestroySkeleton();
    return absl::InternalError(absl::StrCat("cannot share the ring buffer: ", strerror(err)));
  }

  // Keep this mode's programs whose hooks exist; everything else is not loaded.
  const absl::string_view prefix = AttachModeProgramPrefix(mode);
  std::vector<bpf_program*> chosen;
  skipped_.clear();
  bpf_program* prog;
  bpf_object__for_each_program(prog, object()) {
    const bool mine = absl::StartsWith(bpf_program__name(prog), prefix);
    bool keep = mine;
    if (mine) {
      const Hook hook = HookOf(bpf_program__section_name(prog));
      const bool exists = mode == AttachMode::kTracepoint
                              ? env.HasTracepoint(hook.category, hook.name)
                              : env.HasBtfTracepoint(hook.name);
      if (!exists) {
        if (!IsOptionalHook(hook.name)) {
          DestroySkeleton();
          return absl::NotFoundError(absl::StrCat("kernel has no hook ",
                                                  bpf_program__section_name(prog)));
        }
        skipped_.push_back(bpf_program__section_name(prog));
        keep = false;
      }
    }
    bpf_program__set_autoload(prog, keep);
    if (keep) chosen.push_back(prog);
  }

  TakeLibbpfLogTail();
  if (const int rc = LoadSkeleton(); rc != 0) {
    const int err = -rc;
    std::string log = TakeLibbpfLogTail();
    DestroySkeleton();
    return absl::FailedPreconditionError(absl::StrCat(
        "the kernel refused the programs (", strerror(err), "): ", absl::StripSuffix(log, "\n")));
  }
  globals_ = globals();  // after load: .bss now points at the kernel's memory
  status = AfterLoad();
  if (!status.ok()) {
    DestroySkeleton();
    return status;
  }
  attached_.clear();
  for (bpf_program* p : chosen) {
    bpf_link* link = bpf_program__attach(p);
    if (link == nullptr) {
      const int err = errno;
      std::string section = bpf_program__section_name(p);
      DetachAll();
      DestroySkeleton();
      return absl::FailedPreconditionError(
          absl::StrCat("cannot attach ", section, ": ", strerror(err)));
    }
    links_.push_back(link);
    attached_.push_back(bpf_program__section_name(p));
  }
  return absl::OkStatus();
}

void ProbeModule::DetachAll() {
  for (bpf_link* link : links_) bpf_link__destroy(link);
  links_.clear();
}

void ProbeModule::Detach() { DetachAll(); }

void ProbeModule::Stop() {
  if (!running_) return;
  DetachAll();
  DestroySkeleton();
  running_ = false;
}

void ProbeModule::SetFilter(const vigil_filter_config& filter) {
  if (!running_) return;
  // The .bss is mmap'd: the programs see the new value on their next run.
  *globals_.filter = filter;
}

absl::StatusOr<ModuleStats> ProbeModule::ReadStats() const {
  ModuleStats totals{};
  if (!running_) return totals;
  const int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) return absl::InternalError("cannot count possible CPUs");
  std::vector<uint64_t> values(static_cast<size_t>(ncpu));
  const int fd = bpf_map__fd(globals_.stats);
  for (uint32_t key = 0; key < VIGIL_STAT_MAX; ++key) {
    if (bpf_map_lookup_elem(fd, &key, values.data()) != 0) {
      return absl::InternalError(
          absl::StrCat("reading ", name_, " counters: ", strerror(errno)));
    }
    for (uint64_t v : values) totals[key] += v;
  }
  return totals;
}

}  // namespace vigil::sensor::probes

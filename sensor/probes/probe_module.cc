#include "sensor/probes/probe_module.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "sensor/probes/libbpf_log.h"

namespace vigil::sensor::probes {
namespace {

// Stand-in programs: <prefix><slot>__<kind> (this mode only) or any_<slot>__<kind> (any
// mode) take the place of a mode's <prefix><slot> program when the kernel cannot run it
// (its hook is missing, or something it calls).
constexpr absl::string_view kStandInPrefix = "any_";
constexpr absl::string_view kStandInSeparator = "__";

// Marks per-mode errors that mean "this kernel lacks a hook or hook type", as opposed
// to a refusal of the module's own programs.
constexpr absl::string_view kUnsupported = "unsupported by this kernel: ";

// The hook a program attaches to, from its section: "tp_btf/sched_process_exec" gives
// kind "tp_btf" and name "sched_process_exec"; "tracepoint/sched/sched_process_exec"
// gives category "sched" too.
struct Hook {
  std::string kind;
  std::string category;  // classic tracepoints only
  std::string name;
};

Hook HookOf(absl::string_view section) {
  Hook hook;
  size_t slash = section.find('/');
  hook.kind = std::string(section.substr(0, slash));
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

// Whether the running kernel offers `hook`: OK, or Unimplemented naming what is missing.
absl::Status HookAvailable(KernelEnv& env, const Hook& hook, absl::string_view section) {
  bool exists = false;
  if (hook.kind == "tracepoint") {
    exists = env.HasTracepoint(hook.category, hook.name);
  } else if (hook.kind == "tp_btf" || hook.kind == "raw_tp") {
    exists = env.HasBtfTracepoint(hook.name);
  } else if (hook.kind == "fentry" || hook.kind == "fexit") {
    return env.CanAttachTracing(hook.name, hook.kind == "fexit");
  } else if (hook.kind == "lsm") {
    return env.CanAttachLsm(hook.name);
  }
  if (exists) return absl::OkStatus();
  return absl::UnimplementedError(absl::StrCat("kernel has no hook ", section));
}

// The slot a program fills: its name without its prefix and any "__<kind>" suffix.
absl::string_view SlotOf(absl::string_view name, absl::string_view prefix) {
  name.remove_prefix(prefix.size());
  return name.substr(0, name.find(kStandInSeparator));
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

absl::StatusOr<std::vector<AttachMode>> ProbeModule::OfferedModes() {
  std::vector<AttachMode> offered;
  if (absl::Status opened = OpenSkeleton(""); !opened.ok()) return opened;
  for (AttachMode mode : kAttachModeOrder) {
    bpf_program* prog;
    bpf_object__for_each_program(prog, object()) {
      if (absl::StartsWith(bpf_program__name(prog), AttachModeProgramPrefix(mode))) {
        offered.push_back(mode);
        break;
      }
    }
  }
  DestroySkeleton();
  return offered;
}

absl::Status ProbeModule::Start(KernelEnv& env, const ModuleOptions& options) {
  Stop();
  std::vector<std::string> errors;
  bool all_unsupported = true;
  absl::StatusOr<std::vector<AttachMode>> offered = OfferedModes();
  if (!offered.ok()) return offered.status();
  std::vector<AttachMode> modes = *std::move(offered);
  const bool forced = options.forced_mode &&
                      std::find(modes.begin(), modes.end(), *options.forced_mode) != modes.end();
  if (forced) modes = {*options.forced_mode};
  for (AttachMode mode : modes) {
    absl::Status status = TryMode(env, mode, options);
    if (status.ok()) {
      mode_ = mode;
      running_ = true;
      return absl::OkStatus();
    }
    const bool unsupported = absl::IsUnimplemented(status);
    all_unsupported = all_unsupported && unsupported;
    errors.push_back(absl::StrCat(AttachModeName(mode), ": ", unsupported ? kUnsupported : "",
                                  status.message()));
  }
  const std::string message =
      absl::StrCat("probe module '", name_, "' could not be attached in ",
                   forced ? "the forced mode" : "any mode", ": ", absl::StrJoin(errors, "; "));
  return all_unsupported ? absl::UnimplementedError(message)
                         : absl::FailedPreconditionError(message);
}

absl::StatusOr<std::vector<bpf_program*>> ProbeModule::SelectPrograms(KernelEnv& env,
                                                                      AttachMode mode) {
  // Keep, for each of this mode's programs, the program itself when the kernel can run
  // it, else the first stand-in for its slot that the kernel can run; load nothing else.
  const absl::string_view prefix = AttachModeProgramPrefix(mode);
  std::vector<bpf_program*> primaries;
  std::vector<bpf_program*> mode_stand_ins;
  std::vector<bpf_program*> any_stand_ins;
  bpf_program* prog;
  bpf_object__for_each_program(prog, object()) {
    bpf_program__set_autoload(prog, false);
    const absl::string_view name = bpf_program__name(prog);
    if (absl::StartsWith(name, prefix)) {
      (absl::StrContains(name, kStandInSeparator) ? mode_stand_ins : primaries).push_back(prog);
    } else if (absl::StartsWith(name, kStandInPrefix)) {
      any_stand_ins.push_back(prog);
    }
  }
  std::vector<bpf_program*> stand_ins = mode_stand_ins;
  stand_ins.insert(stand_ins.end(), any_stand_ins.begin(), any_stand_ins.end());
  auto runnable = [&](bpf_program* p) {
    const std::string section = bpf_program__section_name(p);
    absl::Status status = HookAvailable(env, HookOf(section), section);
    if (status.ok()) status = ProgramSupported(bpf_program__name(p), env);
    return status.ok() ? status
                       : absl::UnimplementedError(absl::StrCat(bpf_program__name(p), " (", section,
                                                               "): ", status.message()));
  };
  std::vector<bpf_program*> chosen;
  skipped_.clear();
  for (bpf_program* primary : primaries) {
    const std::string section = bpf_program__section_name(primary);
    const Hook hook = HookOf(section);
    absl::Status available = runnable(primary);
    bpf_program* pick = available.ok() ? primary : nullptr;
    std::vector<std::string> missing = {std::string(available.message())};
    const absl::string_view slot = SlotOf(bpf_program__name(primary), prefix);
    for (bpf_program* alt : stand_ins) {
      if (pick != nullptr) break;
      const absl::string_view alt_name = bpf_program__name(alt);
      const absl::string_view alt_prefix =
          absl::StartsWith(alt_name, kStandInPrefix) ? kStandInPrefix : prefix;
      if (SlotOf(alt_name, alt_prefix) != slot) continue;
      absl::Status alt_available = runnable(alt);
      if (alt_available.ok()) {
        pick = alt;
      } else {
        missing.push_back(std::string(alt_available.message()));
      }
    }
    if (pick == nullptr) {
      const std::string why = absl::StrJoin(missing, "; ");
      if (!IsOptionalHook(hook.name)) return absl::UnimplementedError(why);
      skipped_.push_back(section);
      continue;
    }
    bpf_program__set_autoload(pick, true);
    chosen.push_back(pick);
  }
  return chosen;
}

absl::Status ProbeModule::TryMode(KernelEnv& env, AttachMode mode, const ModuleOptions& options) {
  if (mode == AttachMode::kTracepoint) {
    absl::StatusOr<std::string> tracefs = env.EnsureTracefs();
    if (!tracefs.ok()) return tracefs.status();
  }
  absl::Status status = OpenSkeleton(options.btf_path);
  if (!status.ok()) return status;
  ModuleGlobals initial = globals();
  if (initial.self_tgid == nullptr || initial.wakeup_bytes == nullptr ||
      initial.wakeup_ns == nullptr || initial.filter == nullptr || initial.events == nullptr ||
      initial.stats == nullptr) {
    DestroySkeleton();
    return absl::FailedPreconditionError(
        "the object lacks the globals and maps every Vigil module shares (common.bpf.h)");
  }
  *initial.self_tgid = options.self_tgid;
  *initial.wakeup_bytes = options.wakeup_bytes;
  *initial.wakeup_ns = options.wakeup_ns;
  *initial.filter = options.filter;
  if (bpf_map__reuse_fd(initial.events, options.ringbuf_fd) != 0) {
    const int err = errno;
    DestroySkeleton();
    return absl::InternalError(absl::StrCat("cannot share the ring buffer: ", strerror(err)));
  }

  absl::StatusOr<std::vector<bpf_program*>> chosen = SelectPrograms(env, mode);
  if (!chosen.ok()) {
    DestroySkeleton();
    return chosen.status();
  }

  TakeLibbpfLog();
  if (const int rc = LoadSkeleton(); rc != 0) {
    const int err = -rc;
    const std::string log = TakeLibbpfLog();
    KeepRefusalLog(absl::StrCat(name_, "/", AttachModeName(mode)), log);
    DestroySkeleton();
    return absl::FailedPreconditionError(absl::StrCat("the kernel refused the programs (",
                                                      strerror(err), "): ", SummarizeLoadLog(log)));
  }
  globals_ = globals();  // after load: .bss now points at the kernel's memory
  status = AfterLoad();
  if (!status.ok()) {
    DestroySkeleton();
    return status;
  }
  attached_.clear();
  for (bpf_program* p : *chosen) {
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
      return absl::InternalError(absl::StrCat("reading ", name_, " counters: ", strerror(errno)));
    }
    for (uint64_t v : values) totals[key] += v;
  }
  return totals;
}

}  // namespace vigil::sensor::probes

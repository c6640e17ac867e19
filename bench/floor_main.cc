// vigil-bench-floor: attaches EMPTY BPF programs (bench/floor.bpf.c) on the hooks that
// vigil-sensor's file and process modules use in one attach mode, and holds them until
// SIGTERM or SIGINT. run_overhead.sh --modes runs the workloads under it to measure the
// floor of each mode: what the kernel charges for calling any program at those hooks.
// The sensor's ratio minus this floor's is the part Vigil's own code costs.
//
// Usage: vigil-bench-floor [--check] [--verbose] MODE
//
//   MODE       fentry, tp_btf, raw_tp or tracepoint (as vigil-sensor --attach-mode)
//   --check    attach, print, detach and exit (tells whether the kernel supports MODE)
//   --verbose  print libbpf's debug output
//
// Hooks are chosen the way the sensor chooses them (sensor/probes/probe_module.cc):
//   fentry      fexit on __x64_sys_{open,creat,openat,openat2,open_by_handle_at} and their
//               __ia32_ twins, raw_tp/sys_exit for the other file operations
//               (bpf/file_ops.bpf.h), + tp_btf/io_uring_submit_req and io_uring_complete;
//               the process module has no fentry mode, so it is attached in its cheapest
//               mode that works (tp_btf, else raw_tp, else tracepoint), as the sensor does.
//   tp_btf      tp_btf/sys_exit, io_uring_submit_req/complete + sched_process_fork/exec/exit
//   raw_tp      raw_tp/sys_exit, io_uring_submit_req/complete + sched_process_fork/exec/exit
//   tracepoint  raw_syscalls/sys_exit, io_uring/io_uring_submit_req/complete + task/
//               task_newtask, sched/sched_process_exec/exit
// plus sched_prepare_exec in the mode, or where the kernel lacks it (before 6.10) a
// stand-in (lsm/bprm_committing_creds, else fentry/security_bprm_committing_creds), or
// nothing. The file module's hooks that the sensor may go without (the __ia32_ ones,
// io_uring_*) are skipped when the kernel lacks them. The net module (no fentry mode either)
// adds inet_sock_set_state, its own sys_exit program and io_uring_complete (optional).
//
// Output (stdout): one "vigil-bench-floor: hook SECTION" line per attached program, one
// "vigil-bench-floor: skipped SECTION (why)" per optional hook left out, then
// "vigil-bench-floor: MODE: attached N programs (file MODE, process MODE)" once all are
// attached. Exit status: 0 after SIGTERM/SIGINT (or --check), 1 on an error, 2 on bad
// arguments, 3 when the kernel does not support MODE (a hook or hook type is missing, or
// loading/attaching is refused with EPERM, ENOTSUPP, EOPNOTSUPP); the message then says
// "unsupported by this kernel".
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/capability.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "common/kernel_release.h"
#include "floor.skel.h"

namespace {

constexpr int kExitError = 1;
constexpr int kExitUsage = 2;
constexpr int kExitUnsupported = 3;

// The kernel's "operation not supported" (include/linux/errno.h), not in user headers.
constexpr int kEnotsupp = 524;

constexpr char kProg[] = "vigil-bench-floor";

// ---- Errors -------------------------------------------------------------------------------

// Why something failed, and whether that is a lack of kernel support (exit 3) or a real
// error (exit 1).
struct Error {
  bool unsupported = false;
  std::string message;
};
using MaybeError = std::optional<Error>;

Error Unsupported(std::string message) { return Error{true, std::move(message)}; }
Error Failure(std::string message) { return Error{false, std::move(message)}; }

std::string ErrnoText(int err) {
  if (err == kEnotsupp) return "ENOTSUPP (524)";
  return std::string(strerror(err));
}

// Errors a kernel gives for a program type or hook it does not offer (or refuses to all,
// e.g. fexit under some lockdown or trampoline-less configurations).
bool IsSupportErrno(int err) {
  return err == EPERM || err == kEnotsupp || err == EOPNOTSUPP || err == ENOSYS || err == ENOENT ||
         err == ESRCH;
}

// ---- libbpf's messages: kept, and shown only when something fails ------------------------

bool g_verbose = false;
std::string g_libbpf_log;

int LibbpfPrint(libbpf_print_level level, const char* format, va_list args) {
  if (level == LIBBPF_DEBUG && !g_verbose) return 0;
  char line[1024];
  const int n = vsnprintf(line, sizeof(line), format, args);
  if (g_verbose) {
    fputs(line, stderr);
  } else {
    g_libbpf_log.append(line);
  }
  return n;
}

// ---- Modes and the hooks they use ---------------------------------------------------------

enum class Mode { kFentry, kTpBtf, kRawTp, kTracepoint };

struct ModeInfo {
  Mode mode;
  const char* name;    // as vigil-sensor --attach-mode spells it
  const char* prefix;  // program-name prefix in floor.bpf.c
};

constexpr ModeInfo kModes[] = {
    {Mode::kFentry, "fentry", "fe_"},
    {Mode::kTpBtf, "tp_btf", "btf_"},
    {Mode::kRawTp, "raw_tp", "raw_"},
    {Mode::kTracepoint, "tracepoint", "tp_"},
};

const ModeInfo& InfoOf(Mode mode) {
  for (const ModeInfo& info : kModes) {
    if (info.mode == mode) return info;
  }
  return kModes[0];
}

// One hook a module needs: the programs that can fill it, first usable one wins.
struct Slot {
  std::vector<std::string> programs;
  bool optional = false;
};

// The process module's slots in `mode` (tp_btf, raw_tp or tracepoint).
std::vector<Slot> ProcessSlots(Mode mode) {
  const std::string p = InfoOf(mode).prefix;
  return {
      Slot{{mode == Mode::kTracepoint ? "tp_newtask" : p + "fork"}, false},
      Slot{{p + "prepare_exec", "any_prepare_exec__lsm", "any_prepare_exec__fentry"}, true},
      Slot{{p + "exec"}, false},
      Slot{{p + "exit"}, false},
  };
}

// The net module's slots in `mode` (tp_btf, raw_tp or tracepoint): TCP state changes, its
// own program on the exit of every syscall, and io_uring completions (optional).
std::vector<Slot> NetSlots(Mode mode) {
  const std::string p = InfoOf(mode).prefix;
  return {Slot{{p + "inet_sock_set_state"}, false}, Slot{{p + "net_sys_exit"}, false},
          Slot{{p + "net_uring_complete"}, true}};
}

// A program's hook, from its section: "tracepoint/sched/sched_process_exec" gives kind
// "tracepoint", category "sched", name "sched_process_exec".
struct Hook {
  std::string kind;
  std::string category;
  std::string name;
};

Hook HookOf(const std::string& section) {
  Hook hook;
  const size_t slash = section.find('/');
  hook.kind = section.substr(0, slash);
  std::string rest = slash == std::string::npos ? "" : section.substr(slash + 1);
  const size_t second = rest.find('/');
  if (second != std::string::npos) {
    hook.category = rest.substr(0, second);
    rest = rest.substr(second + 1);
  }
  hook.name = rest;
  return hook;
}

// ---- What the kernel offers ---------------------------------------------------------------

bool IsDir(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool HasEffectiveCap(int cap) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &header, data) != 0) return false;
  return data[cap / 32].effective & (1u << (cap % 32));
}

class Kernel {
 public:
  Kernel() : btf_(btf__load_vmlinux_btf()) {}
  ~Kernel() { btf__free(btf_); }
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;

  // OK when the kernel has the hook of `section` at all (not yet whether it accepts a
  // program there; Trial() tells that for trampolines and LSM hooks).
  MaybeError HookExists(const std::string& section) {
    const Hook hook = HookOf(section);
    if (hook.kind == "tp_btf" || hook.kind == "raw_tp") {
      if (HasBtf("btf_trace_" + hook.name, BTF_KIND_TYPEDEF)) return std::nullopt;
      return Unsupported("kernel has no tracepoint " + hook.name);
    }
    if (hook.kind == "fentry" || hook.kind == "fexit") {
      if (HasBtf(hook.name, BTF_KIND_FUNC)) return std::nullopt;
      return Unsupported("kernel has no function " + hook.name);
    }
    if (hook.kind == "lsm") {
      if (!HasBtf("bpf_lsm_" + hook.name, BTF_KIND_FUNC)) {
        return Unsupported("kernel has no BPF LSM hook " + hook.name + " (CONFIG_BPF_LSM)");
      }
      if (!BpfLsmActive()) return Unsupported("the BPF LSM is not active (lsm=...,bpf)");
      return std::nullopt;
    }
    if (hook.kind == "tracepoint") {
      if (MaybeError error = EnsureTracefs()) return error;
      if (IsDir(tracefs_events_ + "/" + hook.category + "/" + hook.name)) return std::nullopt;
      return Unsupported("kernel has no tracepoint " + hook.category + "/" + hook.name);
    }
    return Failure("unknown hook kind in section " + section);
  }

 private:
  bool HasBtf(const std::string& name, int kind) const {
    return btf_ != nullptr && btf__find_by_name_kind(btf_, name.c_str(), kind) > 0;
  }

  static bool BpfLsmActive() {
    std::ifstream in("/sys/kernel/security/lsm");
    std::string list;
    if (!std::getline(in, list)) return false;
    std::stringstream items(list);
    std::string item;
    while (std::getline(items, item, ',')) {
      if (item == "bpf") return true;
    }
    return false;
  }

  // Finds tracefs (libbpf looks in the same two places), mounting it when it is missing,
  // as the sensor does.
  MaybeError EnsureTracefs() {
    if (!tracefs_events_.empty()) return std::nullopt;
    for (const char* root : {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"}) {
      if (IsDir(std::string(root) + "/events")) {
        tracefs_events_ = std::string(root) + "/events";
        return std::nullopt;
      }
    }
    if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, nullptr) != 0) {
      return Failure("tracefs is not mounted and mounting it at /sys/kernel/tracing failed: " +
                     ErrnoText(errno));
    }
    tracefs_events_ = "/sys/kernel/tracing/events";
    return std::nullopt;
  }

  btf* btf_;
  std::string tracefs_events_;
};

// ---- The skeleton -------------------------------------------------------------------------

// An opened (not yet loaded) skeleton with only `programs` set to load.
class Skeleton {
 public:
  Skeleton() = default;
  ~Skeleton() { Close(); }
  Skeleton(const Skeleton&) = delete;
  Skeleton& operator=(const Skeleton&) = delete;

  MaybeError Open(const std::vector<std::string>& programs) {
    skel_ = floor_bpf__open();
    if (skel_ == nullptr) return Failure("opening the floor BPF object: " + ErrnoText(errno));
    bpf_program* prog;
    bpf_object__for_each_program(prog, skel_->obj) { bpf_program__set_autoload(prog, false); }
    for (const std::string& name : programs) {
      prog = bpf_object__find_program_by_name(skel_->obj, name.c_str());
      if (prog == nullptr) return Failure("floor.bpf.c has no program " + name);
      bpf_program__set_autoload(prog, true);
      chosen_.push_back(prog);
    }
    return std::nullopt;
  }

  // Loads the chosen programs and attaches each; `what` names them in errors.
  MaybeError LoadAndAttach(const std::string& what) {
    g_libbpf_log.clear();
    if (const int rc = floor_bpf__load(skel_); rc != 0) {
      const int err = rc < 0 ? -rc : rc;
      std::string message = "the kernel refused " + what + " (" + ErrnoText(err) + ")";
      return IsSupportErrno(err) ? Unsupported(message) : Failure(message);
    }
    for (bpf_program* prog : chosen_) {
      bpf_link* link = bpf_program__attach(prog);
      if (link == nullptr) {
        const int err = errno;
        std::string message = "cannot attach " + std::string(bpf_program__section_name(prog)) +
                              " (" + ErrnoText(err) + ")";
        return IsSupportErrno(err) ? Unsupported(message) : Failure(message);
      }
      links_.push_back(link);
    }
    return std::nullopt;
  }

  const std::vector<bpf_program*>& chosen() const { return chosen_; }

  void Close() {
    for (bpf_link* link : links_) bpf_link__destroy(link);
    links_.clear();
    chosen_.clear();
    floor_bpf__destroy(skel_);
    skel_ = nullptr;
  }

 private:
  floor_bpf* skel_ = nullptr;
  std::vector<bpf_program*> chosen_;
  std::vector<bpf_link*> links_;
};

// The section of a program in floor.bpf.c ("" when there is no such program). Reads a
// skeleton that is opened once and never loaded.
std::string SectionOf(const std::string& program) {
  struct Names {
    floor_bpf* skel = floor_bpf__open();
    ~Names() { floor_bpf__destroy(skel); }
  };
  static Names names;
  if (names.skel == nullptr) return "";
  bpf_program* prog = bpf_object__find_program_by_name(names.skel->obj, program.c_str());
  return prog == nullptr ? "" : bpf_program__section_name(prog);
}

// Whether the sensor's file module goes without a hook the kernel lacks, as
// FileProbe::IsOptionalHook (sensor/probes/file/file_module.cc) decides from its section.
bool IsOptionalFileHook(const std::string& hook) {
  return hook.rfind("__ia32_", 0) == 0 || hook.rfind("io_uring_", 0) == 0 ||
         hook.rfind("security_path_", 0) == 0 || hook.find("ctime") != std::string::npos;
}

// The file module's programs in `mode` (floor.bpf.c names, without the mode's prefix):
// fentry mode, fexit on the open syscalls (bpf/file.bpf.c), the exit of every syscall and
// the security_path_* hooks for the other file operations (bpf/file_ops.bpf.h); the
// others, the exit of every syscall, and in tp_btf and raw_tp the inode-timestamp
// tracepoints (bpf/file_ctime.bpf.h); all, io_uring submission and completion
// (bpf/file_uring.bpf.h).
std::vector<std::string> FilePrograms(Mode mode) {
  std::vector<std::string> programs;
  if (mode == Mode::kFentry) {
    for (const char* call : {"open", "creat", "openat", "openat2", "open_by_handle_at"}) {
      programs.push_back(call);
    }
    for (const char* call : {"open", "creat", "openat", "openat2", "open_by_handle_at"}) {
      programs.push_back(std::string("ia32_") + call);
    }
    programs.push_back("sys_exit_ops");
    for (const char* op :
         {"unlink", "rmdir", "mkdir", "rename", "link", "symlink", "chmod", "chown", "truncate"}) {
      programs.push_back(std::string("path_") + op);
    }
  } else {
    programs.push_back("sys_exit");
    if (mode != Mode::kTracepoint) {
      for (const char* event : {"inode_set_ctime_to_ts", "ctime_ns_xchg", "ctime_xchg_skip"}) {
        programs.push_back(event);
      }
    }
  }
  programs.push_back("uring_submit_req");
  programs.push_back("uring_complete");
  return programs;
}

// The file module's slots in `mode`, each optional when the sensor's is.
std::vector<Slot> FileSlots(Mode mode) {
  std::vector<Slot> slots;
  for (const std::string& name : FilePrograms(mode)) {
    const std::string program = InfoOf(mode).prefix + name;
    Slot slot{{program}, IsOptionalFileHook(HookOf(SectionOf(program)).name)};
    // Before io_uring_submit_req, Linux 6.0 and later submit through io_uring_submit_sqe
    // (FileProbe::ProgramSupported; the floor does not tell its two argument lists apart).
    struct utsname uts {};
    if (name == "uring_submit_req" && mode != Mode::kTracepoint && uname(&uts) == 0 &&
        vigil::ReleaseAtLeast(uts.release, 6, 0)) {
      slot.programs.push_back(program + "__sqe");
    }
    slots.push_back(slot);
  }
  return slots;
}

// Whether one program loads and attaches on its own. The sensor checks trampoline and LSM
// hooks this way (an empty program) before choosing them; so does the floor. Any refusal
// of an empty program means the kernel does not take programs there: unsupported.
MaybeError Trial(const std::string& program) {
  Skeleton trial;
  if (MaybeError error = trial.Open({program})) return error;
  MaybeError error = trial.LoadAndAttach("an empty program there");
  if (error) error->unsupported = true;
  return error;
}

// ---- Choosing the programs ----------------------------------------------------------------

struct Plan {
  std::vector<std::string> programs;
  std::vector<std::string> skipped;  // "SECTION (why)"
};

// Fills every slot with its first usable program; an optional slot with none is skipped.
// Fails (unsupported) when a required slot has none.
MaybeError Choose(Kernel& kernel, const std::vector<Slot>& slots, Plan* plan) {
  for (const Slot& slot : slots) {
    std::string why;
    bool filled = false;
    for (const std::string& program : slot.programs) {
      const std::string section = SectionOf(program);
      if (section.empty()) return Failure("floor.bpf.c has no program " + program);
      MaybeError problem = kernel.HookExists(section);
      const std::string kind = HookOf(section).kind;
      if (!problem && (kind == "fentry" || kind == "fexit" || kind == "lsm")) {
        problem = Trial(program);
      }
      if (!problem) {
        plan->programs.push_back(program);
        filled = true;
        break;
      }
      if (!problem->unsupported) return problem;
      why += (why.empty() ? "" : "; ") + section + ": " + problem->message;
    }
    if (filled) continue;
    if (!slot.optional) return Unsupported(why);
    plan->skipped.push_back(SectionOf(slot.programs.front()) + " (" + why + ")");
  }
  return std::nullopt;
}

int Usage(const char* message) {
  if (message != nullptr) fprintf(stderr, "%s: %s\n", kProg, message);
  fprintf(message != nullptr ? stderr : stdout,
          "usage: %s [--check] [--verbose] MODE\n"
          "  MODE: fentry, tp_btf, raw_tp or tracepoint (as vigil-sensor --attach-mode)\n",
          kProg);
  return kExitUsage;
}

// Prints an error and returns its exit status. libbpf's messages are shown for errors
// (they hold the verifier's verdict); for a mode the kernel lacks, --verbose shows them.
int Report(const std::string& mode, const Error& error) {
  if (!error.unsupported && !g_libbpf_log.empty()) {
    fprintf(stderr, "--- libbpf ---\n%s---\n", g_libbpf_log.c_str());
  }
  fprintf(stderr, "%s: %s: %s%s\n", kProg, mode.c_str(),
          error.unsupported ? "unsupported by this kernel: " : "", error.message.c_str());
  return error.unsupported ? kExitUnsupported : kExitError;
}

}  // namespace

int main(int argc, char** argv) {
  bool check = false;
  const ModeInfo* mode = nullptr;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--check") {
      check = true;
    } else if (arg == "--verbose") {
      g_verbose = true;
    } else if (arg == "-h" || arg == "--help") {
      Usage(nullptr);  // to stdout
      return 0;
    } else if (!arg.empty() && arg[0] == '-') {
      return Usage(("unknown option '" + arg + "'").c_str());
    } else if (mode != nullptr) {
      return Usage("more than one MODE given");
    } else {
      for (const ModeInfo& info : kModes) {
        if (arg == info.name) mode = &info;
      }
      if (mode == nullptr) return Usage(("unknown mode '" + arg + "'").c_str());
    }
  }
  if (mode == nullptr) return Usage("MODE missing");

  // Taken synchronously below; blocked from the start so none is lost while loading.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  sigprocmask(SIG_BLOCK, &stop, nullptr);
  setvbuf(stdout, nullptr, _IOLBF, 0);
  libbpf_set_print(LibbpfPrint);

  // Without privileges every bpf() call fails with EPERM, which would read as "fentry
  // unsupported": tell that apart first.
  if (!HasEffectiveCap(CAP_SYS_ADMIN) && !HasEffectiveCap(39 /* CAP_BPF */)) {
    fprintf(stderr, "%s: must run as root (or with CAP_BPF and CAP_PERFMON)\n", kProg);
    return kExitError;
  }

  Kernel kernel;
  Plan plan;
  std::string process_mode;
  if (MaybeError error = Choose(kernel, FileSlots(mode->mode), &plan)) {
    return Report(mode->name, *error);
  }
  // The process and net modules have no fentry programs: in fentry mode, each its cheapest
  // mode that works; otherwise the mode asked for.
  std::string net_mode;
  for (auto [slots, chosen, module] :
       {std::tuple{&ProcessSlots, &process_mode, "process"}, {&NetSlots, &net_mode, "net"}}) {
    if (mode->mode != Mode::kFentry) {
      if (MaybeError error = Choose(kernel, slots(mode->mode), &plan)) {
        return Report(mode->name, *error);
      }
      *chosen = mode->name;
      continue;
    }
    std::string why;
    for (Mode candidate : {Mode::kTpBtf, Mode::kRawTp, Mode::kTracepoint}) {
      Plan part;
      MaybeError error = Choose(kernel, slots(candidate), &part);
      if (error && !error->unsupported) return Report(mode->name, *error);
      if (error) {
        why +=
            (why.empty() ? "" : "; ") + std::string(InfoOf(candidate).name) + ": " + error->message;
        continue;
      }
      *chosen = InfoOf(candidate).name;
      plan.programs.insert(plan.programs.end(), part.programs.begin(), part.programs.end());
      plan.skipped.insert(plan.skipped.end(), part.skipped.begin(), part.skipped.end());
      break;
    }
    if (chosen->empty()) {
      return Report(mode->name, Unsupported(std::string(module) + " module: " + why));
    }
  }

  Skeleton skel;
  if (MaybeError error = skel.Open(plan.programs)) return Report(mode->name, *error);
  if (MaybeError error = skel.LoadAndAttach(std::string(mode->name) + " programs")) {
    return Report(mode->name, *error);
  }
  for (bpf_program* prog : skel.chosen()) {
    printf("%s: hook %s\n", kProg, bpf_program__section_name(prog));
  }
  for (const std::string& skipped : plan.skipped)
    printf("%s: skipped %s\n", kProg, skipped.c_str());
  printf("%s: %s: attached %zu programs (file %s, process %s, net %s)\n", kProg, mode->name,
         skel.chosen().size(), mode->name, process_mode.c_str(), net_mode.c_str());
  if (check) return 0;

  int sig = 0;
  while (sigwait(&stop, &sig) != 0) {
  }
  skel.Close();
  return 0;
}

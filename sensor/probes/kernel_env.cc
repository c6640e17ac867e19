#include "sensor/probes/kernel_env.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/kernel_release.h"
#include "common/read_file.h"
#include "common/unique_fd.h"

namespace vigil::sensor::probes {
namespace {

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

bool HasEffectiveCap(int cap) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &header, data) != 0) return false;
  return data[cap / 32].effective & (1u << (cap % 32));
}

bool IsDir(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Loads "r0 = 0; exit" as `type`/`attach` against BTF id `btf_id` and attaches it; the
// link is dropped at once. Returns the first failure as Unimplemented.
absl::Status LoadAndAttachEmpty(bpf_prog_type type, bpf_attach_type attach, int btf_id,
                                absl::string_view what) {
  const bpf_insn insns[] = {
      {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .src_reg = 0, .off = 0, .imm = 0},
      {.code = BPF_JMP | BPF_EXIT, .dst_reg = 0, .src_reg = 0, .off = 0, .imm = 0},
  };
  LIBBPF_OPTS(bpf_prog_load_opts, opts);
  opts.expected_attach_type = attach;
  opts.attach_btf_id = static_cast<__u32>(btf_id);
  UniqueFd prog(bpf_prog_load(type, "vigil_probe", "GPL", insns, 2, &opts));
  if (!prog.valid()) {
    return absl::UnimplementedError(
        absl::StrCat("the kernel refuses ", what, " programs (", strerror(errno), ")"));
  }
  UniqueFd link(bpf_raw_tracepoint_open(nullptr, prog.get()));
  if (!link.valid()) {
    return absl::UnimplementedError(
        absl::StrCat("the kernel cannot attach ", what, " programs (", strerror(errno), ")"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<KernelEnv> KernelEnv::Probe(const std::string& btf_path) {
  const bool admin = HasEffectiveCap(CAP_SYS_ADMIN);
  if (!admin && !(HasEffectiveCap(CAP_BPF) && HasEffectiveCap(CAP_PERFMON))) {
    return absl::PermissionDeniedError(
        "needs root, or the capabilities CAP_BPF and CAP_PERFMON "
        "(plus CAP_SYS_RESOURCE for the ring buffer and CAP_SYS_PTRACE to read other "
        "processes); run it as root or grant them");
  }
  if (access(btf_path.c_str(), R_OK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("kernel BTF not found at ", btf_path, " (", strerror(errno),
                     "): Vigil's CO-RE probes need a kernel built with CONFIG_DEBUG_INFO_BTF=y"));
  }
  KernelEnv env;
  env.btf_ = btf__parse(btf_path.c_str(), nullptr);
  if (env.btf_ == nullptr) {
    char reason[256];
    libbpf_strerror(errno, reason, sizeof(reason));
    return absl::FailedPreconditionError(
        absl::StrCat("cannot parse kernel BTF at ", btf_path, ": ", reason));
  }
  struct utsname uts;
  if (uname(&uts) == 0) env.release_ = uts.release;
  return env;
}

KernelEnv::KernelEnv(KernelEnv&& other) noexcept { *this = std::move(other); }

KernelEnv& KernelEnv::operator=(KernelEnv&& other) noexcept {
  if (this != &other) {
    btf__free(btf_);
    btf_ = other.btf_;
    other.btf_ = nullptr;
    release_ = std::move(other.release_);
    tracefs_events_ = std::move(other.tracefs_events_);
    attach_verdicts_ = std::move(other.attach_verdicts_);
  }
  return *this;
}

KernelEnv::~KernelEnv() { btf__free(btf_); }

bool KernelEnv::HasBtfTracepoint(absl::string_view name) const {
  if (btf_ == nullptr) return false;
  const std::string type = absl::StrCat("btf_trace_", name);
  return btf__find_by_name_kind(btf_, type.c_str(), BTF_KIND_TYPEDEF) > 0;
}

int KernelEnv::BtfTracepointArgs(absl::string_view name) const {
  if (btf_ == nullptr) return -1;
  const std::string type = absl::StrCat("btf_trace_", name);
  const int id = btf__find_by_name_kind(btf_, type.c_str(), BTF_KIND_TYPEDEF);
  if (id <= 0) return -1;
  // typedef -> pointer -> function prototype, whose first parameter is the probe's data.
  const btf_type* t = btf__type_by_id(btf_, btf__type_by_id(btf_, id)->type);
  if (t == nullptr || !btf_is_ptr(t)) return -1;
  t = btf__type_by_id(btf_, t->type);
  if (t == nullptr || !btf_is_func_proto(t) || btf_vlen(t) < 1) return -1;
  return btf_vlen(t) - 1;
}

int KernelEnv::UringRequestTracepoint() const {
  if (HasBtfTracepoint("io_uring_submit_req")) return 0;
  if (!vigil::ReleaseAtLeast(kernel_release(), 6, 0)) return -1;
  const int args = BtfTracepointArgs("io_uring_submit_sqe");
  return args == 2 || args == 7 ? args : -1;
}

absl::StatusOr<std::string> KernelEnv::EnsureTracefs() {
  if (!tracefs_events_.empty()) return tracefs_events_;
  for (const char* root : {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"}) {
    const std::string events = absl::StrCat(root, "/events");
    if (IsDir(events)) {
      tracefs_events_ = events;
      return tracefs_events_;
    }
  }
  if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, nullptr) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "tracefs is not mounted and mounting it at /sys/kernel/tracing failed: ", strerror(errno)));
  }
  tracefs_events_ = "/sys/kernel/tracing/events";
  return tracefs_events_;
}

bool KernelEnv::HasTracepoint(absl::string_view category, absl::string_view name) const {
  if (tracefs_events_.empty()) return false;
  return IsDir(absl::StrCat(tracefs_events_, "/", category, "/", name));
}

bool KernelEnv::HasFunction(absl::string_view name) const {
  if (btf_ == nullptr) return false;
  return btf__find_by_name_kind(btf_, std::string(name).c_str(), BTF_KIND_FUNC) > 0;
}

absl::Status KernelEnv::CanAttachTracing(absl::string_view function, bool exit) {
  const char* kind = exit ? "fexit" : "fentry";
  const std::string key = absl::StrCat(kind, "/", function);
  if (auto it = attach_verdicts_.find(key); it != attach_verdicts_.end()) return it->second;
  absl::Status verdict;
  const int id = btf_ == nullptr
                     ? -1
                     : btf__find_by_name_kind(btf_, std::string(function).c_str(), BTF_KIND_FUNC);
  if (id <= 0) {
    verdict = absl::UnimplementedError(absl::StrCat("kernel has no function ", function));
  } else {
    verdict = LoadAndAttachEmpty(BPF_PROG_TYPE_TRACING, exit ? BPF_TRACE_FEXIT : BPF_TRACE_FENTRY,
                                 id, kind);
  }
  attach_verdicts_.emplace(key, verdict);
  return verdict;
}

absl::Status KernelEnv::CanAttachLsm(absl::string_view hook) {
  const std::string key = absl::StrCat("lsm/", hook);
  if (auto it = attach_verdicts_.find(key); it != attach_verdicts_.end()) return it->second;
  absl::Status verdict;
  const std::string function = absl::StrCat("bpf_lsm_", hook);
  const int id =
      btf_ == nullptr ? -1 : btf__find_by_name_kind(btf_, function.c_str(), BTF_KIND_FUNC);
  absl::StatusOr<std::string> active = ReadSmallFile("/sys/kernel/security/lsm", 4096);
  bool bpf_active = false;
  if (active.ok()) {
    for (absl::string_view lsm : absl::StrSplit(absl::StripAsciiWhitespace(*active), ',')) {
      bpf_active = bpf_active || lsm == "bpf";
    }
  }
  if (id <= 0) {
    verdict = absl::UnimplementedError(
        absl::StrCat("kernel has no BPF LSM hook ", hook, " (CONFIG_BPF_LSM)"));
  } else if (!active.ok()) {
    verdict = absl::UnimplementedError(
        absl::StrCat("cannot read the active LSM list: ", active.status().message()));
  } else if (!bpf_active) {
    verdict = absl::UnimplementedError(
        absl::StrCat("the BPF LSM is not active (boot with lsm=...,bpf; active: ",
                     absl::StripAsciiWhitespace(*active), ")"));
  } else {
    verdict = LoadAndAttachEmpty(BPF_PROG_TYPE_LSM, BPF_LSM_MAC, id, "BPF LSM");
  }
  attach_verdicts_.emplace(key, verdict);
  return verdict;
}

}  // namespace vigil::sensor::probes

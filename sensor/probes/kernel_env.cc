#include "sensor/probes/kernel_env.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

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
    return absl::FailedPreconditionError(absl::StrCat(
        "kernel BTF not found at ", btf_path, " (", strerror(errno),
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
  }
  return *this;
}

KernelEnv::~KernelEnv() { btf__free(btf_); }

bool KernelEnv::HasBtfTracepoint(absl::string_view name) const {
  if (btf_ == nullptr) return false;
  const std::string type = absl::StrCat("btf_trace_", name);
  return btf__find_by_name_kind(btf_, type.c_str(), BTF_KIND_TYPEDEF) > 0;
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
        "tracefs is not mounted and mounting it at /sys/kernel/tracing failed: ",
        strerror(errno)));
  }
  tracefs_events_ = "/sys/kernel/tracing/events";
  return tracefs_events_;
}

bool KernelEnv::HasTracepoint(absl::string_view category, absl::string_view name) const {
  if (tracefs_events_.empty()) return false;
  return IsDir(absl::StrCat(tracefs_events_, "/", category, "/", name));
}

}  // namespace vigil::sensor::probes

// KernelEnv: what this kernel offers the probes, checked once at start.
#ifndef VIGIL_SENSOR_PROBES_KERNEL_ENV_H_
#define VIGIL_SENSOR_PROBES_KERNEL_ENV_H_

#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct btf;

namespace vigil::sensor::probes {

// Facts about the running kernel and the sensor's privileges, with clear errors that
// name what is missing. Owns the kernel's BTF, used to check which hooks exist.
class KernelEnv {
 public:
  // Checks privileges (root, or CAP_BPF + CAP_PERFMON) and loads the kernel BTF from
  // `btf_path`. Fails with FailedPrecondition naming the missing piece.
  static absl::StatusOr<KernelEnv> Probe(const std::string& btf_path = "/sys/kernel/btf/vmlinux");

  KernelEnv(KernelEnv&& other) noexcept;
  KernelEnv& operator=(KernelEnv&& other) noexcept;
  KernelEnv(const KernelEnv&) = delete;
  KernelEnv& operator=(const KernelEnv&) = delete;
  ~KernelEnv();

  // True when the kernel has a BTF-typed tracepoint of this name (tp_btf/raw_tp hooks).
  bool HasBtfTracepoint(absl::string_view name) const;

  // The number of arguments the BTF-typed tracepoint `name` passes its programs, or -1 when
  // the kernel has no such tracepoint. Tells apart versions of a tracepoint whose arguments
  // changed under the same name.
  int BtfTracepointArgs(absl::string_view name) const;

  // The argument count of io_uring_submit_sqe when it carries the request as Linux 6.0 lays
  // it out (7 in 6.0 and 6.1, the request second; 2 after, the request first), 0 when
  // io_uring_submit_req carries it instead (the newer kernels that renamed it), or -1 when the
  // kernel's io_uring tracepoints carry no such request (before 6.0). The io_uring programs
  // of the file and network modules read that layout.
  int UringRequestTracepoint() const;

  // Mounts tracefs at /sys/kernel/tracing when no tracefs is reachable. Returns the
  // events directory ("<tracefs>/events").
  absl::StatusOr<std::string> EnsureTracefs();

  // True when classic tracepoint "<category>/<name>" exists (tracefs must be mounted).
  bool HasTracepoint(absl::string_view category, absl::string_view name) const;

  // True when the kernel's BTF describes a function of this name (fentry/fexit targets,
  // kfuncs such as bpf_rdonly_cast).
  bool HasFunction(absl::string_view name) const;

  // Whether a BPF trampoline (fentry/fexit) can be attached to `function`: OK, or
  // Unimplemented saying why not (no such function; the kernel refuses trampolines, e.g.
  // built without DYNAMIC_FTRACE_WITH_DIRECT_CALLS). Checked once per function and
  // kind by loading and attaching an empty program, so a later refusal of a real
  // program is a verifier verdict on that program, not a missing kernel feature.
  absl::Status CanAttachTracing(absl::string_view function, bool exit);

  // Whether a BPF LSM program can be attached to LSM hook `hook` ("bprm_committing_creds"):
  // OK, or Unimplemented naming why not (no CONFIG_BPF_LSM, "bpf" missing from the active
  // LSM list in /sys/kernel/security/lsm, or the kernel refuses). Checked once per hook.
  absl::Status CanAttachLsm(absl::string_view hook);

  // "6.18.44-..." from uname.
  const std::string& kernel_release() const { return release_; }

 private:
  KernelEnv() = default;

  struct btf* btf_ = nullptr;
  std::string release_;
  std::string tracefs_events_;
  // Verdicts of CanAttachTracing / CanAttachLsm, by "kind/name".
  std::map<std::string, absl::Status> attach_verdicts_;
};

}  // namespace vigil::sensor::probes

#endif  // VIGIL_SENSOR_PROBES_KERNEL_ENV_H_

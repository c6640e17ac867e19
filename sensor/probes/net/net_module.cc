#include "sensor/probes/net/net_module.h"

#include "absl/strings/match.h"
#include "bpf/abi/net.h"
#include "bpf/net.skel.h"
#include "sensor/probes/skeleton_module.h"

namespace vigil::sensor::probes {

NetProbe::NetProbe()
    : SkeletonModule("net", {net_bpf__open_opts, net_bpf__load, net_bpf__destroy}) {}

NetProbe::~NetProbe() { Stop(); }

bool NetProbe::IsOptionalHook(absl::string_view hook) const {
  return absl::StartsWith(hook, "io_uring_");
}

absl::Status NetProbe::ProgramSupported(absl::string_view program, KernelEnv& env) {
  if (absl::StrContains(program, "uring_") && env.UringRequestTracepoint() < 0) {
    return absl::UnimplementedError("needs io_uring's request layout of Linux 6.0 or newer");
  }
  return absl::OkStatus();
}

std::unique_ptr<ProbeModule> net::Create() { return std::make_unique<NetProbe>(); }

}  // namespace vigil::sensor::probes

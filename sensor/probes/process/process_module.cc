#include "sensor/probes/process/process_module.h"

#include "bpf/abi/process.h"
#include "bpf/process.skel.h"
#include "sensor/probes/skeleton_module.h"

namespace vigil::sensor::probes {

ProcessProbe::ProcessProbe()
    : SkeletonModule("process", {process_bpf__open_opts, process_bpf__load, process_bpf__destroy}) {
}

ProcessProbe::~ProcessProbe() { Stop(); }

bool ProcessProbe::IsOptionalHook(absl::string_view hook) const {
  return hook == "sched_prepare_exec";
}

std::unique_ptr<ProbeModule> process::Create() { return std::make_unique<ProcessProbe>(); }

}  // namespace vigil::sensor::probes

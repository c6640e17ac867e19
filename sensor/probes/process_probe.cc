#include "sensor/probes/process_probe.h"

#include "bpf/abi/vigil_event.h"
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

}  // namespace vigil::sensor::probes

#include "sensor/probes/net/net_module.h"

#include "bpf/abi/net.h"
#include "bpf/net.skel.h"
#include "sensor/probes/skeleton_module.h"

namespace vigil::sensor::probes {

NetProbe::NetProbe()
    : SkeletonModule("net", {net_bpf__open_opts, net_bpf__load, net_bpf__destroy}) {}

NetProbe::~NetProbe() { Stop(); }

std::unique_ptr<ProbeModule> net::Create() { return std::make_unique<NetProbe>(); }

}  // namespace vigil::sensor::probes

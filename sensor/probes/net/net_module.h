// NetProbe: user-space twin of bpf/net.bpf.c (TCP and UDP connections). Its records are
// decoded by net_records.cc.
#ifndef VIGIL_SENSOR_PROBES_NET_NET_MODULE_H_
#define VIGIL_SENSOR_PROBES_NET_NET_MODULE_H_

#include <memory>

#include "sensor/probes/skeleton_module.h"

struct net_bpf;

namespace vigil::sensor::probes {

// The network module: TCP state changes (sock:inet_sock_set_state), the exits of the
// socket syscalls and io_uring completions (accepts), in the tp_btf, raw_tp and tracepoint
// modes. Only the io_uring hook is optional: it reads the request as Linux 6.0 lays it out.
class NetProbe : public SkeletonModule<net_bpf> {
 public:
  NetProbe();
  ~NetProbe() override;

 protected:
  bool IsOptionalHook(absl::string_view hook) const override;
  absl::Status ProgramSupported(absl::string_view program, KernelEnv& env) override;
};

namespace net {
// The registry's factory for the network module.
std::unique_ptr<ProbeModule> Create();
}  // namespace net

}  // namespace vigil::sensor::probes

#endif  // VIGIL_SENSOR_PROBES_NET_NET_MODULE_H_

// ProcessProbe: user-space twin of bpf/process.bpf.c (fork, exec, exit). Its records are
// decoded by process_records.cc.
#ifndef VIGIL_SENSOR_PROBES_PROCESS_PROCESS_MODULE_H_
#define VIGIL_SENSOR_PROBES_PROCESS_PROCESS_MODULE_H_

#include <memory>

#include "sensor/probes/skeleton_module.h"

struct process_bpf;

namespace vigil::sensor::probes {

// The process module. The credentials before exec come from sched_prepare_exec (Linux
// 6.10+) or, where it is missing, from the bprm_committing_creds BPF LSM hook or an
// fentry program on security_bprm_committing_creds. Only when none of them can be
// attached do exec events lack the kernel's view of the credentials before exec, which
// the sensor then takes from its process table.
class ProcessProbe : public SkeletonModule<process_bpf> {
 public:
  ProcessProbe();
  ~ProcessProbe() override;

 protected:
  bool IsOptionalHook(absl::string_view hook) const override;
};

namespace process {
// The registry's factory for the process module.
std::unique_ptr<ProbeModule> Create();
}  // namespace process

}  // namespace vigil::sensor::probes

#endif  // VIGIL_SENSOR_PROBES_PROCESS_PROCESS_MODULE_H_

// ProcessProbe: user-space twin of bpf/process.bpf.c (fork, exec, exit).
#ifndef VIGIL_SENSOR_PROBES_PROCESS_PROBE_H_
#define VIGIL_SENSOR_PROBES_PROCESS_PROBE_H_

#include "sensor/probes/probe_module.h"

struct process_bpf;

namespace vigil::sensor::probes {

// The process module. sched_prepare_exec (Linux 6.10+) is optional: without it exec
// events lack the kernel's view of the credentials before exec, which the sensor then
// takes from its process table.
class ProcessProbe : public ProbeModule {
 public:
  ProcessProbe() : ProbeModule("process") {}
  ~ProcessProbe() override;

 protected:
  absl::Status OpenSkeleton(const std::string& btf_path) override;
  int LoadSkeleton() override;
  void DestroySkeleton() override;
  bpf_object* object() override;
  ModuleGlobals globals() override;
  bool IsOptionalHook(absl::string_view hook) const override;

 private:
  process_bpf* skel_ = nullptr;
};

}  // namespace vigil::sensor::probes

#endif  // VIGIL_SENSOR_PROBES_PROCESS_PROBE_H_

#include "sensor/probes/module_registry.h"

#include "event/modules.h"

// Each registered module defines vigil::sensor::probes::<name>::Create() in
// sensor/probes/<name>/<name>_module.cc.
#define VIGIL_DECLARE_FACTORY(module)       \
  namespace vigil::sensor::probes::module { \
  std::unique_ptr<ProbeModule> Create();    \
  }
VIGIL_PROBE_MODULES(VIGIL_DECLARE_FACTORY)
#undef VIGIL_DECLARE_FACTORY

namespace vigil::sensor::probes {

std::vector<std::unique_ptr<ProbeModule>> CreateModules() {
  std::vector<std::unique_ptr<ProbeModule>> modules;
#define VIGIL_CREATE_MODULE(module) modules.push_back(module::Create());
  VIGIL_PROBE_MODULES(VIGIL_CREATE_MODULE)
#undef VIGIL_CREATE_MODULE
  return modules;
}

}  // namespace vigil::sensor::probes

// The loaders of every registered probe module (event/modules.h): what the sensor starts,
// lists in --check, health reports and metrics, and turns on or off on the controller's
// module commands.
#ifndef VIGIL_SENSOR_PROBES_MODULE_REGISTRY_H_
#define VIGIL_SENSOR_PROBES_MODULE_REGISTRY_H_

#include <memory>
#include <vector>

#include "sensor/probes/probe_module.h"

namespace vigil::sensor::probes {

// A fresh, stopped instance of every registered module, in registry order.
std::vector<std::unique_ptr<ProbeModule>> CreateModules();

}  // namespace vigil::sensor::probes

#endif  // VIGIL_SENSOR_PROBES_MODULE_REGISTRY_H_

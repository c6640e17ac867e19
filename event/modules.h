// The probe-module registry: every module Vigil builds, in the order they are started,
// listed once here. Each entry names a module whose files follow the recipe in
// docs/adding-a-probe-module.md: its events in event/modules/<name>.{h,cc} (namespace
// vigil::event::<name>), its user half in sensor/probes/<name>/ (namespace
// vigil::sensor::probes::<name>), its kernel half in bpf/<name>.bpf.c. Everything that
// lists modules (the event model, the sensor, docs checks) expands VIGIL_PROBE_MODULES.
#ifndef VIGIL_EVENT_MODULES_H_
#define VIGIL_EVENT_MODULES_H_

#include "event/modules/file.h"
#include "event/modules/net.h"
#include "event/modules/process.h"

// X(name) once per module.
#define VIGIL_PROBE_MODULES(X) X(process) X(file) X(net)

#endif  // VIGIL_EVENT_MODULES_H_

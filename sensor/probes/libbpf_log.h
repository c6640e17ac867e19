// Routes libbpf's messages: debug output only when verbose, and the most recent
// warnings kept so that a failed load can name the verifier's reason.
#ifndef VIGIL_SENSOR_PROBES_LIBBPF_LOG_H_
#define VIGIL_SENSOR_PROBES_LIBBPF_LOG_H_

#include <string>

namespace vigil::sensor::probes {

// Installs the libbpf print callback. `verbose` also prints debug messages to stderr.
void InstallLibbpfLog(bool verbose);
// Returns and clears the tail (last few KiB) of warnings libbpf printed since the last
// call, for error messages.
std::string TakeLibbpfLogTail();

}  // namespace vigil::sensor::probes

#endif  // VIGIL_SENSOR_PROBES_LIBBPF_LOG_H_

// Routes libbpf's messages: debug output only when verbose; warnings (the verifier's log
// of a refused program among them) kept whole so that a failed load names the failing
// instruction and source line, and `--check` can print the whole log.
#ifndef VIGIL_SENSOR_PROBES_LIBBPF_LOG_H_
#define VIGIL_SENSOR_PROBES_LIBBPF_LOG_H_

#include <string>

#include "absl/strings/string_view.h"

namespace vigil::sensor::probes {

// Installs the libbpf print callback. `verbose` also prints debug messages to stderr.
void InstallLibbpfLog(bool verbose);

// Returns and clears the warnings libbpf printed since the last call (at most 64 MiB; an
// older excess is dropped from the front, keeping the verifier's verdict at the end).
std::string TakeLibbpfLog();

// The lines of a failed load's log that say what failed: libbpf's error lines and, from
// the verifier's log, the last source line ("; code @ file.c:N"), the last instructions
// and the verifier's reason. Bounded (about 40 lines).
std::string SummarizeLoadLog(absl::string_view log);

// Keeps the whole log of a refused load under `label` ("file/tp_btf") for
// TakeRefusalLogs(); at most 64 MiB in all (later logs are dropped past that).
void KeepRefusalLog(absl::string_view label, absl::string_view log);

// Returns and clears the kept refusal logs, each headed by its label.
std::string TakeRefusalLogs();

}  // namespace vigil::sensor::probes

#endif  // VIGIL_SENSOR_PROBES_LIBBPF_LOG_H_

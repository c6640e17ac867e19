// How a probe module's programs are attached to their kernel hooks.
#ifndef VIGIL_SENSOR_PROBES_ATTACH_MODE_H_
#define VIGIL_SENSOR_PROBES_ATTACH_MODE_H_

#include <array>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vigil::sensor::probes {

// Attach modes, cheapest first. Each program in bpf/*.bpf.c exists once per mode that
// its module offers; its name prefix says which (fe_, btf_, raw_, tp_).
enum class AttachMode {
  kFentry,      // BPF trampolines on the hooked kernel functions themselves (fentry/fexit)
  kTpBtf,       // BTF-typed raw tracepoint (tp_btf)
  kRawTp,       // raw tracepoint, untyped arguments
  kTracepoint,  // classic tracepoint through tracefs
};

// The order in which modes are tried when none is forced.
inline constexpr std::array<AttachMode, 4> kAttachModeOrder = {
    AttachMode::kFentry, AttachMode::kTpBtf, AttachMode::kRawTp, AttachMode::kTracepoint};

// "fentry", "tp_btf", "raw_tp" or "tracepoint".
absl::string_view AttachModeName(AttachMode mode);
// Program-name prefix of the mode: "fe_", "btf_", "raw_" or "tp_".
absl::string_view AttachModeProgramPrefix(AttachMode mode);
// Parses a name as printed by AttachModeName.
absl::StatusOr<AttachMode> ParseAttachMode(absl::string_view name);

}  // namespace vigil::sensor::probes

#endif  // VIGIL_SENSOR_PROBES_ATTACH_MODE_H_

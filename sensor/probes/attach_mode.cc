#include "sensor/probes/attach_mode.h"

#include "absl/strings/str_cat.h"

namespace vigil::sensor::probes {

absl::string_view AttachModeName(AttachMode mode) {
  switch (mode) {
    case AttachMode::kFentry: return "fentry";
    case AttachMode::kTpBtf: return "tp_btf";
    case AttachMode::kRawTp: return "raw_tp";
    case AttachMode::kTracepoint: return "tracepoint";
  }
  return "unknown";
}

absl::string_view AttachModeProgramPrefix(AttachMode mode) {
  switch (mode) {
    case AttachMode::kFentry: return "fe_";
    case AttachMode::kTpBtf: return "btf_";
    case AttachMode::kRawTp: return "raw_";
    case AttachMode::kTracepoint: return "tp_";
  }
  return "";
}

absl::StatusOr<AttachMode> ParseAttachMode(absl::string_view name) {
  for (AttachMode mode : kAttachModeOrder) {
    if (name == AttachModeName(mode)) return mode;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--attach-mode: unknown attach mode '", name,
                   "' (expected fentry, tp_btf, raw_tp or tracepoint)"));
}

}  // namespace vigil::sensor::probes

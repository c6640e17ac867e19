#include "sensor/bundle_admission.h"

#include <bpf/libbpf.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "bundle/event_schema.h"
#include "bundle/object_check.h"

namespace vigil::sensor {
namespace {

absl::Status Refuse(BundleRefusal reason, const absl::Status& status, absl::string_view what,
                    RefusedBundle* refusal) {
  absl::Status named(status.code(), absl::StrCat(what, " refused: ", status.message()));
  *refusal = RefusedBundle{reason, named};
  return named;
}

}  // namespace

absl::string_view BundleRefusalName(BundleRefusal refusal) {
  switch (refusal) {
    case BundleRefusal::kMalformed: return "malformed";
    case BundleRefusal::kSignature: return "signature";
    case BundleRefusal::kObject: return "object";
    case BundleRefusal::kKernel: return "kernel";
    case BundleRefusal::kLoad: return "load";
    case BundleRefusal::kRules: return "rules";
    case BundleRefusal::kCount: break;
  }
  return "unknown";
}

absl::Status CheckKernelFeature(absl::string_view feature) {
  int probe = 1;
  if (feature == "ringbuf") {
    probe = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, nullptr);
  } else if (feature == "tp_btf" || feature == "fentry") {
    probe = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_TRACING, nullptr);
  } else if (feature == "raw_tp") {
    probe = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_RAW_TRACEPOINT, nullptr);
  } else if (feature == "tracepoint") {
    probe = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_TRACEPOINT, nullptr);
  } else if (feature == "lsm") {
    probe = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_LSM, nullptr);
  } else if (feature == "bpf_loop") {
    probe = libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_loop, nullptr);
  } else if (feature != "btf") {  // the sensor runs only where the kernel has BTF
    return absl::InvalidArgumentError(absl::StrCat("unknown kernel feature '", feature, "'"));
  }
  if (probe == 1) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("this kernel lacks the feature '", feature, "' the module needs"));
}

absl::StatusOr<AdmittedBundle> AdmitBundle(absl::string_view bytes, absl::string_view hash,
                                           const bundle::KeyRing& keys, RefusedBundle* refusal) {
  const std::string what = absl::StrCat("bundle ", hash);
  absl::StatusOr<bundle::ParsedBundle> parsed = bundle::ParseBundle(bytes);
  if (!parsed.ok()) return Refuse(BundleRefusal::kMalformed, parsed.status(), what, refusal);
  if (absl::Status verified = keys.Verify(parsed->bundle); !verified.ok()) {
    return Refuse(BundleRefusal::kSignature, verified, what, refusal);
  }
  if (absl::Status checked = bundle::CheckObject(parsed->manifest, parsed->bundle.object());
      !checked.ok()) {
    return Refuse(BundleRefusal::kObject, checked, what, refusal);
  }
  for (const std::string& feature : parsed->manifest.kernel_features()) {
    if (absl::Status has = CheckKernelFeature(feature); !has.ok()) {
      return Refuse(BundleRefusal::kKernel, has, what, refusal);
    }
  }
  absl::StatusOr<std::shared_ptr<const event::BundleSchema>> schema =
      bundle::EventSchemaOf(parsed->manifest, parsed->hash);
  if (!schema.ok()) return Refuse(BundleRefusal::kMalformed, schema.status(), what, refusal);
  return AdmittedBundle{*std::move(parsed), *std::move(schema)};
}

}  // namespace vigil::sensor

// Admission of probe-module bundles at the sensor: everything a pushed bundle must pass
// before any of it reaches the kernel (the pinned signature, the manifest, the object
// against the manifest, the kernel features it needs), with the reason it was refused.
#ifndef VIGIL_SENSOR_BUNDLE_ADMISSION_H_
#define VIGIL_SENSOR_BUNDLE_ADMISSION_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bundle/bundle.h"
#include "bundle/signing.h"
#include "event/bundle_schema.h"
#include "vigil/v1/bundle.pb.h"

namespace vigil::sensor {

// Why a bundle was refused: the label of vigil_sensor_bundles_refused_total.
enum class BundleRefusal {
  kMalformed = 0,  // not a bundle, oversized, or an invalid manifest
  kSignature,      // unsigned, unknown key, bad signature
  kObject,         // the object does not match its manifest
  kKernel,         // a kernel feature it needs is missing
  kLoad,           // the kernel refused or could not attach it
  kRules,          // the rules in force need fields the change would remove
  kCount,
};

// "malformed", "signature", "object", "kernel", "load", "rules".
absl::string_view BundleRefusalName(BundleRefusal refusal);

// A refusal: the reason counted and the error reported.
struct RefusedBundle {
  BundleRefusal reason;
  absl::Status status;
};

// A bundle that passed admission, ready to load.
struct AdmittedBundle {
  bundle::ParsedBundle parsed;
  std::shared_ptr<const event::BundleSchema> schema;
};

// Admits `bytes` (a serialized ProbeBundle), which a module setting named by `hash`; the
// caller has checked that the bytes hash to it (bundle::BundleHash). They must parse,
// verify against `keys`, match their object and need only features this kernel has.
// Returns the refusal otherwise (the status names the bundle and the reason).
absl::StatusOr<AdmittedBundle> AdmitBundle(absl::string_view bytes, absl::string_view hash,
                                           const bundle::KeyRing& keys, RefusedBundle* refusal);

// OK when this kernel has `feature` (BundleManifest.kernel_features); FailedPrecondition
// naming it otherwise.
absl::Status CheckKernelFeature(absl::string_view feature);

}  // namespace vigil::sensor

#endif  // VIGIL_SENSOR_BUNDLE_ADMISSION_H_

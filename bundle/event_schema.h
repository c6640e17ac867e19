// A manifest's records in the event model's terms (event/bundle_schema.h): what the sensor
// decodes a loaded bundle's records by, and what makes "<module>.<field>" a field that
// rules may name.
#ifndef VIGIL_BUNDLE_EVENT_SCHEMA_H_
#define VIGIL_BUNDLE_EVENT_SCHEMA_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "event/bundle_schema.h"
#include "vigil/v1/bundle.pb.h"

namespace vigil::bundle {

// The event schema of a valid manifest (ValidateManifest), for the bundle `hash`.
absl::StatusOr<std::shared_ptr<const event::BundleSchema>> EventSchemaOf(
    const vigil::v1::BundleManifest& manifest, const std::string& hash);

// Makes the fields of `manifests` (the newest of each module name should come first; a
// later manifest of a name already given is skipped) the bundle fields rules may name in
// this process (event::SetActiveBundleSchemas). For the controller, which validates rule
// sets against every bundle it stores. The first manifest that cannot be converted is
// skipped and named in the returned error; the others still apply.
absl::Status PublishManifestFields(const std::vector<vigil::v1::BundleManifest>& manifests);

}  // namespace vigil::bundle

#endif  // VIGIL_BUNDLE_EVENT_SCHEMA_H_

// Probe-module bundles as bytes: the size limits, parsing a received bundle (bounded, with
// its manifest validated), its content hash and the exact bytes its signature covers.
// Verification is signing.h's; checking the object against the manifest, object_check.h's.
#ifndef VIGIL_BUNDLE_BUNDLE_H_
#define VIGIL_BUNDLE_BUNDLE_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "vigil/v1/bundle.pb.h"

namespace vigil::bundle {

// Largest serialized bundle, manifest and object accepted anywhere (CLI, controller,
// sensor): parsing stays bounded whatever is received.
inline constexpr size_t kMaxBundleBytes = 4u << 20;
inline constexpr size_t kMaxManifestBytes = 64u << 10;
inline constexpr size_t kMaxObjectBytes = (4u << 20) - (80u << 10);

// A bundle parsed from bytes, its manifest decoded and valid (ValidateManifest). Not yet
// verified: a signature is only checked by KeyRing::Verify.
struct ParsedBundle {
  vigil::v1::ProbeBundle bundle;
  vigil::v1::BundleManifest manifest;
  std::string hash;  // BundleHash of the bytes parsed
};

// Parses a serialized ProbeBundle: InvalidArgument naming the reason when it is larger
// than the limits, not a ProbeBundle, has no object or an object that is not an ELF
// file, or a manifest that does not decode or is invalid.
absl::StatusOr<ParsedBundle> ParseBundle(absl::string_view bytes);

// "sha256:<hex>" of a serialized bundle: the name it is stored and rolled out by.
std::string BundleHash(absl::string_view bytes);

// The bytes a bundle signature covers: a fixed domain string, then the SHA-256 of the
// manifest bytes and of the object bytes (so neither can be moved into the other).
std::string SignedMessage(absl::string_view manifest, absl::string_view object);

}  // namespace vigil::bundle

#endif  // VIGIL_BUNDLE_BUNDLE_H_

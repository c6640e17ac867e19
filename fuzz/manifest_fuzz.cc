// libFuzzer target: bytes -> ParseManifestText (the text form of a probe-module manifest,
// as vigilctl reads it). Any crash, leak or undefined behaviour is a bug; so is a manifest
// that parses but that ValidateManifest refuses, or that does not survive a round trip
// through its serialized form.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "bundle/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto manifest = vigil::bundle::ParseManifestText(text, "fuzz.textproto");
  if (!manifest.ok()) return 0;
  if (!vigil::bundle::ValidateManifest(*manifest).ok()) abort();
  vigil::v1::BundleManifest again;
  if (!again.ParseFromString(manifest->SerializeAsString())) abort();
  if (!vigil::bundle::ValidateManifest(again).ok()) abort();
  return 0;
}

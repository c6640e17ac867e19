#include "bundle/bundle.h"

#include <openssl/evp.h>

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "bundle/manifest.h"
#include "common/sha256.h"

namespace vigil::bundle {
namespace {

// Domain separation: a bundle signature is never valid for anything else the key signs.
constexpr absl::string_view kSignedMessageDomain = "vigil-probe-bundle-v1\n";
constexpr absl::string_view kElfMagic =
    "\x7f"
    "ELF";

absl::Status TooLarge(absl::string_view what, size_t bytes, size_t limit) {
  return absl::InvalidArgumentError(
      absl::StrCat(what, " is ", bytes, " bytes, more than the ", limit, " allowed"));
}

// Appends the raw 32-byte SHA-256 of `data` to `out`.
void AppendSha256(absl::string_view data, std::string* out) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  out->append(reinterpret_cast<const char*>(digest), len);
}

}  // namespace

absl::StatusOr<ParsedBundle> ParseBundle(absl::string_view bytes) {
  if (bytes.size() > kMaxBundleBytes) return TooLarge("bundle", bytes.size(), kMaxBundleBytes);
  ParsedBundle parsed;
  if (!parsed.bundle.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError("bundle is not a serialized ProbeBundle");
  }
  const std::string& manifest = parsed.bundle.manifest();
  const std::string& object = parsed.bundle.object();
  if (manifest.size() > kMaxManifestBytes) {
    return TooLarge("bundle manifest", manifest.size(), kMaxManifestBytes);
  }
  if (object.empty()) return absl::InvalidArgumentError("bundle has no object");
  if (object.size() > kMaxObjectBytes) {
    return TooLarge("bundle object", object.size(), kMaxObjectBytes);
  }
  if (!absl::StartsWith(object, kElfMagic)) {
    return absl::InvalidArgumentError("bundle object is not an ELF file");
  }
  if (!parsed.manifest.ParseFromString(manifest)) {
    return absl::InvalidArgumentError("bundle manifest is not a serialized BundleManifest");
  }
  if (absl::Status valid = ValidateManifest(parsed.manifest); !valid.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("bundle manifest: ", valid.message()));
  }
  parsed.hash = BundleHash(bytes);
  return parsed;
}

std::string BundleHash(absl::string_view bytes) { return "sha256:" + Sha256Hex(bytes); }

std::string SignedMessage(absl::string_view manifest, absl::string_view object) {
  std::string message(kSignedMessageDomain);
  AppendSha256(manifest, &message);
  AppendSha256(object, &message);
  return message;
}

}  // namespace vigil::bundle

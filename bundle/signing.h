// Bundle signatures (Ed25519, OpenSSL): making key pairs, signing on the admin's machine,
// and the sensor's ring of pinned public keys that verifies before anything is loaded.
#ifndef VIGIL_BUNDLE_SIGNING_H_
#define VIGIL_BUNDLE_SIGNING_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/openssl_ptr.h"
#include "vigil/v1/bundle.pb.h"

namespace vigil::bundle {

// A new Ed25519 key pair as PEM: PKCS#8 private key and SubjectPublicKeyInfo public key.
struct KeyPairPem {
  std::string private_pem;
  std::string public_pem;
};
absl::StatusOr<KeyPairPem> GenerateKeyPair();

// The key id of a public (or private) Ed25519 key: the first 16 hex digits of the SHA-256
// of the raw 32-byte public key.
absl::StatusOr<std::string> KeyId(EVP_PKEY* key);

// Reads a PEM private key (Ed25519 only); InvalidArgument naming the file otherwise.
absl::StatusOr<EvpPkeyPtr> PrivateKeyFromPem(absl::string_view pem, absl::string_view source);

// Signs SignedMessage(manifest, object) with `private_key`.
absl::StatusOr<vigil::v1::BundleSignature> Sign(absl::string_view manifest,
                                                absl::string_view object, EVP_PKEY* private_key);

// The public keys a sensor trusts, by key id. Immutable once built.
class KeyRing {
 public:
  KeyRing() = default;
  KeyRing(KeyRing&&) = default;
  KeyRing& operator=(KeyRing&&) = default;

  // Every "*.pem" file in `dir` (each one Ed25519 public key), in name order; symlinks are
  // followed and names starting with '.' skipped (a mounted Kubernetes Secret's "..data").
  // InvalidArgument "<path>: not an Ed25519 public key (PEM)" for one that is not;
  // FailedPrecondition naming the path for one that cannot be read or is over 64 KiB. An
  // empty or missing directory gives an empty ring.
  static absl::StatusOr<KeyRing> FromDirectory(const std::string& dir);
  // The keys in `pems` (`sources` name them in errors; same length). The same key twice is
  // kept once; two different keys with one key id are refused.
  static absl::StatusOr<KeyRing> FromPems(const std::vector<std::string>& pems,
                                          const std::vector<std::string>& sources);

  // OK when the bundle carries a signature whose key id is in the ring and whose value
  // verifies over SignedMessage(manifest, object). PermissionDenied otherwise, one of:
  // "bundle is unsigned" (no signature or an empty value), "unsupported signature
  // algorithm '<algorithm>'", "bundle signed by unknown key <key id>", "bad signature (the
  // bundle was changed after signing, or signed by another key with the same id)".
  // Bundle-supplied text in these is escaped and cut to 64 characters.
  absl::Status Verify(const vigil::v1::ProbeBundle& bundle) const;

  size_t size() const { return keys_.size(); }
  // The key ids, sorted.
  std::vector<std::string> KeyIds() const;

 private:
  std::map<std::string, EvpPkeyPtr> keys_;
};

}  // namespace vigil::bundle

#endif  // VIGIL_BUNDLE_SIGNING_H_

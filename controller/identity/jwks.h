// JwkSet: the public keys that sign the cluster's service-account tokens.
//
// The keys come as a JWKS document (RFC 7517; what the API server serves at
// /openid/v1/jwks) or as a PEM file of one or more "PUBLIC KEY" blocks (what
// --service-account-key-file holds). Vigil verifies RS256 and ES256 tokens only, so the
// set keeps RSA keys of 2048 to 8192 bits and EC keys on P-256; other keys (other types,
// curves, algorithms, or a "use" other than "sig") are skipped and counted, not errors.
#ifndef VIGIL_CONTROLLER_IDENTITY_JWKS_H_
#define VIGIL_CONTROLLER_IDENTITY_JWKS_H_

#include <openssl/evp.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/openssl_ptr.h"
#include "google/protobuf/struct.pb.h"

namespace vigil::controller {

// Owner of an EVP_PKEY: the one from common/openssl_ptr.h, named here too because Jwk
// holds one and callers spell it through this header.
using EvpPkeyPtr = ::vigil::EvpPkeyPtr;

// The kinds of key a token may be verified with.
enum class JwkType { kRsa, kEcP256 };

// One verification key.
struct Jwk {
  JwkType type = JwkType::kRsa;
  std::string kid;  // the document's "kid"; empty when it gave none (always for PEM keys)
  std::string alg;  // the "alg" the document pinned the key to ("RS256"/"ES256"), or ""
  EvpPkeyPtr key;   // the public key; never null
};

// An immutable set of verification keys, safe to share between threads.
class JwkSet {
 public:
  // Largest document Parse accepts, and most keys (counting skipped ones) in it.
  static constexpr size_t kMaxDocumentBytes = 1 << 20;
  static constexpr size_t kMaxKeys = 100;

  // Parses a JWKS JSON document or a PEM file (told apart by content). Errors name the
  // offending key; a document without any usable key is an error.
  static absl::StatusOr<std::shared_ptr<const JwkSet>> Parse(absl::string_view text);

  // The keys that may verify a token whose header says `alg` ("RS256" or "ES256") and
  // `kid`: keys of the algorithm's type not pinned to another algorithm, and, when `kid`
  // is not empty, only those with that kid or with no kid at all (PEM keys carry none).
  // Empty for any other algorithm.
  std::vector<const Jwk*> Candidates(absl::string_view alg, absl::string_view kid) const;

  // The usable keys, in document order.
  const std::vector<Jwk>& keys() const { return keys_; }
  // Number of usable keys.
  size_t size() const { return keys_.size(); }
  // Number of keys the document held that Vigil cannot use (see the file comment).
  size_t skipped() const { return skipped_; }

 private:
  JwkSet() = default;

  std::vector<Jwk> keys_;
  size_t skipped_ = 0;
};

// Decodes unpadded base64url (RFC 7515 section 2) strictly: any padding, character
// outside the alphabet or non-canonical encoding is an InvalidArgument error. Shared by the
// JWKS and the token parsers.
absl::StatusOr<std::string> DecodeBase64Url(absl::string_view text);

// Parses `text`, which must be a JSON object, into a Struct (InvalidArgument otherwise).
// Shared by the JWKS and the token parsers.
absl::StatusOr<google::protobuf::Struct> ParseJsonObject(absl::string_view text);

}  // namespace vigil::controller

#endif  // VIGIL_CONTROLLER_IDENTITY_JWKS_H_

// TestIssuer: a stand-in for the Kubernetes service-account token issuer, with a real
// key pair generated at run time, for the tests of token verification.
#ifndef VIGIL_TESTS_SUPPORT_TEST_ISSUER_H_
#define VIGIL_TESTS_SUPPORT_TEST_ISSUER_H_

#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"

namespace vigil::testing {

// Mints compact JWS tokens shaped like Kubernetes bound service-account tokens. Copies
// share the key. Aborts the test program when OpenSSL fails.
class TestIssuer {
 public:
  enum class Alg { kRS256, kES256 };

  // A fresh key pair (RSA 2048 or P-256) published under `kid` by `issuer`.
  static TestIssuer Create(Alg alg = Alg::kRS256, std::string kid = "test-key",
                           std::string issuer = "https://kubernetes.default.svc.cluster.local");

  // A JWKS document holding the public key, as /openid/v1/jwks serves it.
  std::string Jwks() const;
  // The public key as a PEM "PUBLIC KEY" block.
  std::string PublicPem() const;
  // The issuer ("iss") tokens carry by default.
  const std::string& issuer() const { return issuer_; }
  // The key id ("kid") tokens carry.
  const std::string& kid() const { return kid_; }

  // What to put in a token. The defaults make a valid pod-bound token for Vigil's
  // controller; an empty pod or node leaves that binding out.
  struct Claims {
    std::string audience = "vigil-controller";
    std::string ns = "vigil-system";
    std::string service_account = "vigil-sensor";
    std::string service_account_uid = "4c8f1a52-2d0e-4b5e-9d1c-7a3e5b9f0c11";
    std::string pod = "vigil-sensor-abcde";
    std::string pod_uid = "0b7d9e44-61a3-4f0c-8e2b-5d1f3c7a9e22";
    std::string node = "node-a";
    std::string node_uid = "9e2c4b17-3f8a-4d6e-b0a5-1c7d2e8f4a33";
    int64_t issued_at = 0;   // unix seconds; 0: now
    int64_t not_before = 0;  // 0: issued_at
    int64_t lifetime_s = 3600;
    std::string jti;               // empty: random
    std::string issuer_override;   // non-empty: "iss" instead of issuer()
    std::string subject_override;  // non-empty: "sub" instead of system:serviceaccount:...
    std::string alg_override;      // non-empty: header "alg"; "none" leaves the signature
                                   // empty and "HS256" MACs with the public PEM as secret
  };

  // The claims (payload) JSON of a token.
  std::string ClaimsJson(const Claims& claims) const;
  // A compact JWS of `claims`.
  std::string Sign(const Claims& claims) const;
  // A compact JWS of arbitrary header and payload text, signed with the key as the
  // issuer's algorithm does (for malformed-token tests).
  std::string SignRaw(absl::string_view header_json, absl::string_view payload_json) const;

 private:
  TestIssuer() = default;

  Alg alg_ = Alg::kRS256;
  std::string kid_;
  std::string issuer_;
  std::shared_ptr<EVP_PKEY> key_;
};

// Issuers made on first use and kept for the life of the test program, for tests that
// need a valid issuer but not a key of their own (generating one, RSA above all, is too slow
// to repeat in every test): RS256 under kid "test-key", and ES256 under kid "ec-key", both
// with the default issuer name.
const TestIssuer& RsaIssuer();
const TestIssuer& EcIssuer();

}  // namespace vigil::testing

#endif  // VIGIL_TESTS_SUPPORT_TEST_ISSUER_H_

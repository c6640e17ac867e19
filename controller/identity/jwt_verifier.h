// TokenVerifier: checks that a sensor's bearer token is a Kubernetes bound
// service-account token the cluster issued for the controller, and tells which service
// account, pod and node it speaks for.
//
// Tokens are compact JWS (RFC 7515) signed RS256 or ES256, verified offline against the
// cluster's signing keys (JwkSet). Every token failure is UNAUTHENTICATED with a message
// that says what was wrong and never repeats the token itself.
#ifndef VIGIL_CONTROLLER_IDENTITY_JWT_VERIFIER_H_
#define VIGIL_CONTROLLER_IDENTITY_JWT_VERIFIER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "controller/identity/jwks.h"

namespace vigil::controller {

// What the controller requires of a token.
struct TokenPolicy {
  // The token's "iss" must equal it. Empty until known: Verify then fails UNAVAILABLE.
  std::string issuer;
  // Must be one of the token's "aud" (a string or an array of strings).
  std::string audience;
  // Clock skew allowed on exp, nbf and iat (clamped to [0, 86400]).
  int64_t leeway_s = 60;
  // Longest lifetime (exp - iat, and exp - nbf) accepted: long-lived tokens are legacy
  // secret-based tokens, not bound ones.
  int64_t max_lifetime_s = 86400;
};

// The claims of a verified Kubernetes service-account token. Pod and node fields are
// empty when the token is not bound to them; the caller decides what it requires.
struct ServiceAccountClaims {
  std::string issuer;               // "iss"
  std::string subject;              // "sub": system:serviceaccount:<namespace>:<name>
  std::string id;                   // "jti", or "" when absent
  int64_t issued_at = 0;            // "iat", unix seconds
  int64_t not_before = 0;           // "nbf", unix seconds; 0 when absent
  int64_t expires = 0;              // "exp", unix seconds
  std::string namespace_name;       // kubernetes.io.namespace
  std::string service_account;      // kubernetes.io.serviceaccount.name
  std::string service_account_uid;  // kubernetes.io.serviceaccount.uid
  std::string pod_name, pod_uid;    // kubernetes.io.pod (Kubernetes binds tokens to pods)
  std::string node_name, node_uid;  // kubernetes.io.node (pod-bound tokens, Kubernetes >= 1.30)
};

// Verifies service-account tokens against the current key set; thread-safe. Keys and
// issuer may be replaced at any time (key rotation, late discovery).
class TokenVerifier {
 public:
  // Largest token Verify looks at.
  static constexpr size_t kMaxTokenBytes = 16 * 1024;

  explicit TokenVerifier(TokenPolicy policy);

  // Replaces the signing keys; tokens verified afterwards use only the new set.
  void SetKeys(std::shared_ptr<const JwkSet> keys);
  // Sets the issuer tokens must name (when it is discovered after construction).
  void SetIssuer(std::string issuer);
  // True once SetKeys gave a key set.
  bool has_keys() const;
  // The issuer tokens must currently name.
  std::string issuer() const;

  // Verifies the compact JWS `token` at time `now_s` (unix seconds) and returns its
  // claims. UNAUTHENTICATED for any fault of the token; UNAVAILABLE while no keys or no
  // issuer are known; FAILED_PRECONDITION when the policy has no audience.
  absl::StatusOr<ServiceAccountClaims> Verify(absl::string_view token, int64_t now_s) const;

 private:
  const std::string audience_;
  const int64_t leeway_s_;
  const int64_t max_lifetime_s_;
  mutable absl::Mutex mu_;
  std::string issuer_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const JwkSet> keys_ ABSL_GUARDED_BY(mu_);
};

// True when `text` has the shape of a compact JWS: three non-empty base64url parts
// separated by dots, the first decoding to a JSON object. Lets a caller tell a JWT from an
// opaque bearer token without verifying it.
bool LooksLikeJwt(absl::string_view text);

}  // namespace vigil::controller

#endif  // VIGIL_CONTROLLER_IDENTITY_JWT_VERIFIER_H_

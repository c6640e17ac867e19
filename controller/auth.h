// Authorizer: who is calling the controller, what they may do, and which sensor they may
// speak for.
//
// Identities come from the TLS client certificate (its subject common name, or any DNS
// or URI subject-alternative name) or from a bearer token in the `authorization`
// metadata ("Bearer <token>"): an opaque token known by its SHA-256, or a Kubernetes
// service-account token (a JWT) verified against the cluster's signing keys. Roles:
//  - sensor: may call SensorLink.Connect only, as the one node its credential names;
//  - reader: AlertService (Subscribe, Query) and FleetService's read methods;
//  - admin: everything a reader may, plus PutRuleSet, SetProbeModules and PutProbeBundle.
//
// The access file grants roles, one grant per line ("#" starts a comment):
//   admin      cert            vigilctl-admin     # a certificate identity (CN or SAN)
//   reader     token           sha256:9f86d08...  # a token, by the SHA-256 of its text
//   sensor     serviceaccount  vigil/vigil-sensor # that service account's tokens, each
//                                                 # speaking for the node it names
//   sensor     cert            node:*             # a certificate named node:<N> speaks for N
//   sensor-any cert            vigil-sensor       # DOWNGRADE: may speak for every sensor
// Tokens are stored hashed, so the file holds no secret. A `sensor` grant always binds
// to one node; a credential shared by many sensors needs `sensor-any`, which lets any
// holder speak for every node (docs/certificates.md). Without an access file, a plaintext
// (--insecure) controller grants admin and sensor-any to every caller — local use only —
// and a TLS controller grants `sensor cert node:*` and nothing else.
#ifndef VIGIL_CONTROLLER_AUTH_H_
#define VIGIL_CONTROLLER_AUTH_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "controller/identity/jwt_verifier.h"
#include "grpcpp/grpcpp.h"

namespace vigil::controller {

enum class Role { kNone = 0, kSensor = 1, kReader = 2, kAdmin = 3 };

// "sensor", "reader", "admin" or "none".
const char* RoleName(Role role);

// The sensor a principal may speak for, as its credentials prove it.
struct SensorBinding {
  // The one node (and sensor id) the principal speaks for; empty when `any` or unbound.
  std::string node;
  // A shared credential granted `sensor-any`: may speak for every sensor (a downgrade).
  bool any = false;
  // When the credential that proves `node` expires (unix seconds; 0: it lives with the TLS
  // session, like a certificate).
  int64_t expires_s = 0;
  // A token's pod and issue time, so a superseded pod's token can be told from its
  // successor's.
  std::string pod_uid;
  int64_t issued_at_s = 0;
  // What proved it, for errors and self-alerts ("cert:node:a", "serviceaccount:ns/sa").
  std::string credential;
};

// Who called: the identities that matched, and the roles they hold.
struct Principal {
  std::string identity;  // "cert:<name>", "token:<sha256 prefix>", "serviceaccount:<ns>/<name>",
                         // "anonymous" or ""
  uint32_t roles = 0;    // bit (1 << Role) per role held
  SensorBinding sensor;  // meaningful when the sensor role is held
  // Why a credential that was presented gave no role (a refused token), for the error.
  std::string refusal;

  // True when the principal may act as `needed` (admin implies reader).
  bool Holds(Role needed) const;
};

class Authorizer {
 public:
  // Grants from an access file; `tls` tells which default applies without one.
  static absl::StatusOr<Authorizer> FromFile(const std::string& path, bool tls);
  // Grants parsed from text; `name` is used in errors ("name:line: reason").
  static absl::StatusOr<Authorizer> FromText(absl::string_view text, const std::string& name,
                                             bool tls);
  // No access file: see the file comment.
  static Authorizer Default(bool tls);

  // Verifies service-account tokens for the `serviceaccount` grants; must outlive this.
  void SetTokenVerifier(const TokenVerifier* verifier) { verifier_ = verifier; }
  // True when some grant names a service account (and so needs a token verifier).
  bool HasServiceAccountGrants() const { return has_service_account_grants_; }

  // The caller's principal (every role its identities hold).
  Principal Authenticate(const grpc::ServerContextBase& context) const;

  // OK when the caller holds `needed` (admin implies reader; sensor is separate), else
  // UNAUTHENTICATED (no identity) or PERMISSION_DENIED naming the method and role. The
  // caller's principal goes to `who` when not null.
  grpc::Status Require(const grpc::ServerContextBase& context, Role needed,
                       absl::string_view method, Principal* who = nullptr) const;

 private:
  enum class Kind { kCert, kToken, kServiceAccount };
  struct Grant {
    Role role;
    Kind kind;
    std::string value;        // identity or pattern, token hash (hex), or "namespace/name"
    bool any_sensor = false;  // sensor-any
  };

  // Add to `who` what the certificate identity `name`, a bearer token, or a verified
  // service-account token is granted, and the sensors it may speak for to `bindings`.
  void AddCertificate(const std::string& name, Principal* who,
                      std::vector<SensorBinding>* bindings) const;
  void AddToken(absl::string_view token, Principal* who,
                std::vector<SensorBinding>* bindings) const;
  void AddServiceAccountToken(absl::string_view token, Principal* who,
                              std::vector<SensorBinding>* bindings) const;

  std::vector<Grant> grants_;
  bool allow_all_admin_ = false;
  bool has_service_account_grants_ = false;  // set while parsing, read per call
  const TokenVerifier* verifier_ = nullptr;
};

}  // namespace vigil::controller

#endif  // VIGIL_CONTROLLER_AUTH_H_

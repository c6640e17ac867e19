// Authorizer: who is calling the controller, and what they may do.
//
// Identities come from the TLS client certificate (its subject common name, or any DNS
// or URI subject-alternative name) or from a bearer token in the `authorization`
// metadata ("Bearer <token>"). Roles:
//  - sensor: may call SensorLink.Connect only;
//  - reader: AlertService (Subscribe, Query) and FleetService's read methods;
//  - admin: everything a reader may, plus PutRuleSet and SetProbeModules.
//
// The access file grants roles, one grant per line ("#" starts a comment):
//   admin  cert   vigilctl-admin        # a certificate identity (CN or SAN)
//   reader token  sha256:9f86d08...     # a token, by the SHA-256 of its text
//   sensor cert   *                     # any certificate the CA signed
// Tokens are stored hashed, so the file holds no secret. Without an access file, a
// plaintext (--insecure) controller grants admin to every caller — local use only — and
// a TLS controller grants the sensor role to every verified certificate and nothing else.
#ifndef VIGIL_CONTROLLER_AUTH_H_
#define VIGIL_CONTROLLER_AUTH_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"

namespace vigil::controller {

enum class Role { kNone = 0, kSensor = 1, kReader = 2, kAdmin = 3 };

// "sensor", "reader", "admin" or "none".
const char* RoleName(Role role);

// Who called: the identities that matched, and the roles they hold.
struct Principal {
  std::string identity;  // "cert:<name>", "token:<sha256 prefix>", "anonymous" or ""
  uint32_t roles = 0;    // bit (1 << Role) per role held

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

  // The caller's principal (the strongest role among its identities).
  Principal Authenticate(const grpc::ServerContextBase& context) const;

  // OK when the caller holds `needed` (admin implies reader; sensor is separate), else
  // UNAUTHENTICATED (no identity) or PERMISSION_DENIED naming the method and role.
  grpc::Status Require(const grpc::ServerContextBase& context, Role needed,
                       absl::string_view method) const;

 private:
  struct Grant {
    Role role;
    bool token;         // false: certificate identity
    std::string value;  // identity, "*", or token hash (hex)
  };

  // Roles (bitmask) granted to a certificate identity or a token hash.
  uint32_t RolesOf(bool token, absl::string_view value) const;

  std::vector<Grant> grants_;
  bool allow_all_admin_ = false;
  bool any_cert_is_sensor_ = false;
};

}  // namespace vigil::controller

#endif  // VIGIL_CONTROLLER_AUTH_H_

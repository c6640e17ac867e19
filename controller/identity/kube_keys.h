// In-cluster discovery of the Kubernetes service-account issuer and its signing keys.
//
// The controller verifies sensors' service-account tokens offline; for that it needs the
// cluster's issuer and public keys, which the API server publishes at
// /.well-known/openid-configuration and /openid/v1/jwks. Reading them requires `get` on
// those non-resource URLs (the ClusterRole system:service-account-issuer-discovery).
#ifndef VIGIL_CONTROLLER_IDENTITY_KUBE_KEYS_H_
#define VIGIL_CONTROLLER_IDENTITY_KUBE_KEYS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace vigil::controller {

// Where the in-cluster API server and this pod's credentials are.
struct KubeApiEndpoint {
  std::string host;  // name or IP literal (IPv6 without brackets)
  int port = 443;
  std::string ca_file = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
  // Re-read on every fetch: the kubelet rotates the token.
  std::string token_file = "/var/run/secrets/kubernetes.io/serviceaccount/token";
  // The name the API server's certificate is verified against (it is issued for the
  // service name and IP, not for whatever host the environment names).
  std::string server_name = "kubernetes.default.svc";
  absl::Duration timeout = absl::Seconds(10);  // per request

  // From KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT (the other fields keep their
  // defaults); FAILED_PRECONDITION naming the variable when unset or invalid.
  static absl::StatusOr<KubeApiEndpoint> FromEnvironment();
};

// The cluster's service-account issuer and its signing keys (JWKS JSON text).
struct ClusterSigningKeys {
  std::string issuer;
  std::string jwks;
};

// Fetches /.well-known/openid-configuration (for its "issuer") and then /openid/v1/jwks
// from the endpoint, authenticated with the token file's current content. The JWKS is
// returned verbatim once it is known to be a JSON object with a "keys" list. Errors name
// the URL and the cause; a 403 adds which permission the controller lacks.
absl::StatusOr<ClusterSigningKeys> FetchClusterSigningKeys(const KubeApiEndpoint& endpoint);

}  // namespace vigil::controller

#endif  // VIGIL_CONTROLLER_IDENTITY_KUBE_KEYS_H_

#include "controller/identity/kube_keys.h"

#include <algorithm>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/read_file.h"
#include "common/status_macros.h"
#include "controller/identity/https_get.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace vigil::controller {
namespace {

constexpr char kHostVariable[] = "KUBERNETES_SERVICE_HOST";
constexpr char kPortVariable[] = "KUBERNETES_SERVICE_PORT";
constexpr char kDiscoveryPath[] = "/.well-known/openid-configuration";
constexpr char kJwksPath[] = "/openid/v1/jwks";
// Projected service-account tokens are a few KiB; the documents are small JSON.
constexpr size_t kMaxTokenBytes = 64 * 1024;
constexpr size_t kMaxDiscoveryBytes = 64 * 1024;
constexpr size_t kMaxJwksBytes = 1 << 20;
// How much of a bad environment value is quoted in an error.
constexpr size_t kQuotedValueBytes = 64;

// Letters, digits, '.', '-', '_', ':' (IPv6) and '%' (IPv6 zone).
bool IsHost(absl::string_view host) {
  return !host.empty() && host.size() <= 255 && std::all_of(host.begin(), host.end(), [](char c) {
    return absl::ascii_isalnum(c) || c == '.' || c == '-' || c == '_' || c == ':' || c == '%';
  });
}

// `value` cut short and with anything unprintable replaced, for quoting in errors.
std::string Quote(absl::string_view value) {
  std::string out(value.substr(0, kQuotedValueBytes));
  for (char& c : out) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  return absl::StrCat("\"", out, value.size() > kQuotedValueBytes ? "...\"" : "\"");
}

// The URL of `path` on the endpoint, as HttpsGet names it in errors.
std::string Url(const KubeApiEndpoint& endpoint, absl::string_view path) {
  bool ipv6 = endpoint.host.find(':') != std::string::npos;
  return absl::StrCat("https://", ipv6 ? "[" : "", endpoint.host, ipv6 ? "]" : "", ":",
                      endpoint.port, path);
}

// The JSON object in `text`; FAILED_PRECONDITION naming `url` when it is not one.
absl::StatusOr<google::protobuf::Struct> ParseObject(const std::string& text,
                                                     const std::string& url) {
  google::protobuf::Struct object;
  auto parsed = google::protobuf::util::JsonStringToMessage(text, &object);
  if (!parsed.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat(url, ": response is not a JSON object: ", parsed.ToString()));
  }
  return object;
}

// GET `path` with the token; PERMISSION_DENIED and UNAUTHENTICATED errors say what to fix.
absl::StatusOr<std::string> Get(const KubeApiEndpoint& endpoint, const std::string& token,
                                const char* path, size_t max_body_bytes) {
  HttpsGetRequest request;
  request.host = endpoint.host;
  request.port = endpoint.port;
  request.path = path;
  request.ca_file = endpoint.ca_file;
  request.server_name = endpoint.server_name;
  request.bearer_token = token;
  request.max_body_bytes = max_body_bytes;
  request.timeout = endpoint.timeout;
  absl::StatusOr<std::string> body = HttpsGet(request);
  if (absl::IsPermissionDenied(body.status())) {
    return absl::PermissionDeniedError(
        absl::StrCat(body.status().message(),
                     " (the controller's service account needs `get` on the "
                     "non-resource URLs ",
                     kDiscoveryPath, " and ", kJwksPath,
                     ": bind it to the ClusterRole system:service-account-issuer-discovery)"));
  }
  if (absl::IsUnauthenticated(body.status())) {
    return absl::UnauthenticatedError(absl::StrCat(body.status().message(),
                                                   " (the API server did not accept the token in ",
                                                   endpoint.token_file, ")"));
  }
  return body;
}

}  // namespace

absl::StatusOr<KubeApiEndpoint> KubeApiEndpoint::FromEnvironment() {
  const char* host = std::getenv(kHostVariable);
  if (host == nullptr || *host == '\0') {
    return absl::FailedPreconditionError(absl::StrCat(
        kHostVariable, " is not set (is the controller running in a Kubernetes pod?)"));
  }
  absl::string_view host_view = host;
  if (host_view.size() > 2 && host_view.front() == '[' && host_view.back() == ']') {
    host_view = host_view.substr(1, host_view.size() - 2);
  }
  if (!IsHost(host_view)) {
    return absl::FailedPreconditionError(
        absl::StrCat(kHostVariable, " is not a host name or IP address: ", Quote(host)));
  }
  const char* port = std::getenv(kPortVariable);
  if (port == nullptr || *port == '\0') {
    return absl::FailedPreconditionError(absl::StrCat(
        kPortVariable, " is not set (is the controller running in a Kubernetes pod?)"));
  }
  absl::string_view port_view = port;
  int port_number = 0;
  if (port_view.size() > 5 ||
      !std::all_of(port_view.begin(), port_view.end(), absl::ascii_isdigit) ||
      !absl::SimpleAtoi(port_view, &port_number) || port_number < 1 || port_number > 65535) {
    return absl::FailedPreconditionError(
        absl::StrCat(kPortVariable, " is not a port number: ", Quote(port)));
  }
  KubeApiEndpoint endpoint;
  endpoint.host = std::string(host_view);
  endpoint.port = port_number;
  return endpoint;
}

absl::StatusOr<ClusterSigningKeys> FetchClusterSigningKeys(const KubeApiEndpoint& endpoint) {
  absl::StatusOr<std::string> token_file = ReadSmallFile(endpoint.token_file, kMaxTokenBytes);
  if (!token_file.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("service-account token: ", token_file.status().message()));
  }
  std::string token(absl::StripAsciiWhitespace(*token_file));
  if (token.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("service-account token: ", endpoint.token_file, " is empty"));
  }

  VIGIL_ASSIGN_OR_RETURN(std::string discovery,
                         Get(endpoint, token, kDiscoveryPath, kMaxDiscoveryBytes));
  std::string discovery_url = Url(endpoint, kDiscoveryPath);
  VIGIL_ASSIGN_OR_RETURN(google::protobuf::Struct document, ParseObject(discovery, discovery_url));
  auto issuer = document.fields().find("issuer");
  if (issuer == document.fields().end() ||
      issuer->second.kind_case() != google::protobuf::Value::kStringValue ||
      issuer->second.string_value().empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(discovery_url, ": the discovery document has no \"issuer\" string"));
  }

  VIGIL_ASSIGN_OR_RETURN(std::string jwks, Get(endpoint, token, kJwksPath, kMaxJwksBytes));
  std::string jwks_url = Url(endpoint, kJwksPath);
  VIGIL_ASSIGN_OR_RETURN(google::protobuf::Struct key_set, ParseObject(jwks, jwks_url));
  auto keys = key_set.fields().find("keys");
  if (keys == key_set.fields().end() ||
      keys->second.kind_case() != google::protobuf::Value::kListValue) {
    return absl::FailedPreconditionError(
        absl::StrCat(jwks_url, ": the key set has no \"keys\" list"));
  }
  return ClusterSigningKeys{issuer->second.string_value(), std::move(jwks)};
}

}  // namespace vigil::controller

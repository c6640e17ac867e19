// HttpsGet: a minimal, strict HTTPS GET client (OpenSSL, one request per connection).
//
// It exists so that the controller can fetch small JSON documents (the cluster's
// service-account discovery document and signing keys) from the Kubernetes API server
// without a general HTTP library. It speaks HTTP/1.1 over TLS 1.2 or later, verifies the
// server's certificate against one CA bundle and the expected host name or IP address, and
// parses the response strictly and within fixed bounds. The whole exchange (name lookup
// aside) is bounded by one timeout.
#ifndef VIGIL_CONTROLLER_IDENTITY_HTTPS_GET_H_
#define VIGIL_CONTROLLER_IDENTITY_HTTPS_GET_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace vigil::controller {

// One GET request, and the limits that apply to it.
struct HttpsGetRequest {
  std::string host;                 // name or IP literal (IPv6 without brackets)
  int port = 443;                   // 1..65535
  std::string path;                 // starting with '/'; printable ASCII, no spaces
  std::string ca_file;              // PEM bundle the server's certificate must chain to (required)
  std::string server_name;          // name (or IP) to verify, and SNI, when it differs from host
  std::string bearer_token;         // sent as "Authorization: Bearer ..." when not empty
  size_t max_body_bytes = 1 << 20;  // a larger body is an error
  absl::Duration timeout = absl::Seconds(10);  // whole request: connect + TLS + read
};

// The body of a 200 response. Errors start with the URL ("https://host:port/path: ") and
// name the step that failed: INVALID_ARGUMENT for a malformed request (checked before any
// connection), FAILED_PRECONDITION for an unusable CA file, UNAVAILABLE for connection,
// TLS and malformed-response failures, DEADLINE_EXCEEDED past the timeout,
// RESOURCE_EXHAUSTED for a body over max_body_bytes or headers over 64 KiB. A status other
// than 200 is an error naming it and the start of the body ("HTTP 403: {...}"), with the
// code UNAUTHENTICATED (401), PERMISSION_DENIED (403), NOT_FOUND (404), UNAVAILABLE (429,
// 5xx) or FAILED_PRECONDITION (any other).
//
// Name lookup (getaddrinfo) is not covered by the timeout; IP literals need none.
absl::StatusOr<std::string> HttpsGet(const HttpsGetRequest& request);

}  // namespace vigil::controller

#endif  // VIGIL_CONTROLLER_IDENTITY_HTTPS_GET_H_

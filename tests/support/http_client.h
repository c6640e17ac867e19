// HttpGet: a minimal HTTP/1.1 GET over loopback for tests (metrics endpoints, the
// Prometheus server's API), with a deadline so a broken server fails the test.
#ifndef VIGIL_TESTS_SUPPORT_HTTP_CLIENT_H_
#define VIGIL_TESTS_SUPPORT_HTTP_CLIENT_H_

#include <string>

#include "absl/status/statusor.h"

namespace vigil::testing {

struct HttpResponse {
  int status = 0;    // e.g. 200
  std::string body;  // after the headers
};

// GETs `path` from 127.0.0.1:`port` (Connection: close), waiting at most `timeout_ms`.
absl::StatusOr<HttpResponse> HttpGet(int port, const std::string& path, int timeout_ms = 5000);

// Sends `raw` as is and returns everything the server answered (for malformed requests).
absl::StatusOr<std::string> HttpRaw(int port, const std::string& raw, int timeout_ms = 5000);

}  // namespace vigil::testing

#endif  // VIGIL_TESTS_SUPPORT_HTTP_CLIENT_H_

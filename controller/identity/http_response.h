// ReadHttpResponse: the response half of HttpsGet (https_get.h), apart from the TLS
// connection it reads from.
//
// It reads one HTTP/1.1 (or 1.0) response to a GET request strictly and within fixed
// bounds: the status line and header fields, at most 7 interim (1xx) responses, and the body
// framed by Content-Length, chunked transfer coding (trailers checked and dropped) or the
// end of the connection.
#ifndef VIGIL_CONTROLLER_IDENTITY_HTTP_RESPONSE_H_
#define VIGIL_CONTROLLER_IDENTITY_HTTP_RESPONSE_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vigil::controller {

// The most the header blocks of one response may take together (interim responses and
// chunked trailers included).
inline constexpr size_t kMaxResponseHeaderBytes = 64 * 1024;

// Where the response's bytes come from.
class ResponseSource {
 public:
  virtual ~ResponseSource() = default;

  // Reads up to `size` bytes into `buffer`: how many were read, 0 once the server has
  // closed the connection cleanly, or an error (which ends the response).
  virtual absl::StatusOr<size_t> Read(char* buffer, size_t size) = 0;
};

// The body of a 200 response read from `source`. Errors: UNAVAILABLE for a malformed or
// incomplete response (and whatever `source` fails with), RESOURCE_EXHAUSTED for a body
// over max_body_bytes or header blocks over kMaxResponseHeaderBytes (a chunked trailer
// line longer than what is left of it is malformed). A status other than 200 is an error
// naming it and the start of the body ("HTTP 403: {...}"), or its reason phrase when there
// is no body, with the code UNAUTHENTICATED (401), PERMISSION_DENIED (403), NOT_FOUND
// (404), UNAVAILABLE (429, 5xx) or FAILED_PRECONDITION (any other).
absl::StatusOr<std::string> ReadHttpResponse(ResponseSource& source, size_t max_body_bytes);

// `text` made safe to quote in an error message: printable ASCII kept, CR, LF and tab
// turned into spaces, any other byte into '?'.
std::string SanitizeForMessage(absl::string_view text);

}  // namespace vigil::controller

#endif  // VIGIL_CONTROLLER_IDENTITY_HTTP_RESPONSE_H_

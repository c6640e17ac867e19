// The HTTP/1.1 response stage of HttpsGet: the status line and header fields, interim
// responses, and the body framed by Content-Length, chunked transfer coding or the end of
// the connection, all parsed strictly and within fixed bounds.
#include "controller/identity/http_response.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"

namespace vigil::controller {
namespace {

// Bounds on what the server may send besides the body.
constexpr size_t kMaxHeaderBytes = kMaxResponseHeaderBytes;
constexpr size_t kMaxChunkLineBytes = 4096;
constexpr int kMaxInterimResponses = 8;
// How much of an error response's body is read, and how much is quoted in the error.
constexpr size_t kMaxErrorBodyBytes = 4096;
constexpr size_t kQuotedBodyBytes = 200;
// The source is read at most this much at a time.
constexpr size_t kReadChunk = 16 * 1024;

// Buffered, bounded reads of an HTTP response off a ResponseSource.
class ResponseReader {
 public:
  explicit ResponseReader(ResponseSource& source) : source_(source) {}

  // The next header block (status line and fields, without the blank line ending it);
  // RESOURCE_EXHAUSTED when it would be longer than `max_bytes`.
  absl::StatusOr<std::string> ReadHead(size_t max_bytes) {
    size_t searched = 0;  // bytes after pos_ known not to start the terminator
    for (;;) {
      size_t end = buffer_.find("\r\n\r\n", pos_ + searched);
      if (end != std::string::npos) {
        if (end - pos_ > max_bytes) break;
        std::string head = buffer_.substr(pos_, end - pos_);
        pos_ = end + 4;
        return head;
      }
      size_t available = buffer_.size() - pos_;
      if (available > max_bytes + 3) break;
      searched = available < 3 ? 0 : available - 3;
      VIGIL_ASSIGN_OR_RETURN(bool more, Fill());
      if (!more) {
        return absl::UnavailableError(available == 0
                                          ? "connection closed without a response"
                                          : "connection closed inside the response headers");
      }
    }
    return absl::ResourceExhaustedError(
        absl::StrCat("response headers larger than ", kMaxHeaderBytes, " bytes"));
  }

  // One CRLF-terminated line (without the CRLF) of at most `max_bytes`.
  absl::StatusOr<std::string> ReadLine(size_t max_bytes) {
    for (;;) {
      size_t end = buffer_.find("\r\n", pos_);
      if (end != std::string::npos && end - pos_ <= max_bytes) {
        std::string line = buffer_.substr(pos_, end - pos_);
        pos_ = end + 2;
        if (line.find_first_of("\r\n") != std::string::npos) {
          return absl::UnavailableError("malformed response: bare CR or LF");
        }
        return line;
      }
      if (buffer_.size() - pos_ > max_bytes + 1) {
        return absl::UnavailableError(
            absl::StrCat("malformed response: line longer than ", max_bytes, " bytes"));
      }
      VIGIL_ASSIGN_OR_RETURN(bool more, Fill());
      if (!more) return absl::UnavailableError("connection closed inside the body");
    }
  }

  // Appends exactly `count` bytes to `out`.
  absl::Status ReadExact(size_t count, std::string* out) {
    while (count > 0) {
      size_t take = std::min(count, buffer_.size() - pos_);
      out->append(buffer_, pos_, take);
      pos_ += take;
      count -= take;
      if (count == 0) break;
      VIGIL_ASSIGN_OR_RETURN(bool more, Fill());
      if (!more) return absl::UnavailableError("connection closed inside the body");
    }
    return absl::OkStatus();
  }

  // Appends everything until the server closes the session, at most `max_bytes` in all
  // (RESOURCE_EXHAUSTED past that, with `out` holding the first `max_bytes`).
  absl::Status ReadToClose(size_t max_bytes, std::string* out) {
    for (;;) {
      size_t take = std::min(buffer_.size() - pos_, max_bytes - out->size());
      out->append(buffer_, pos_, take);
      pos_ += take;
      if (pos_ < buffer_.size()) {
        return absl::ResourceExhaustedError(absl::StrCat("body larger than ", max_bytes, " bytes"));
      }
      VIGIL_ASSIGN_OR_RETURN(bool more, Fill());
      if (!more) return absl::OkStatus();
    }
  }

 private:
  // Reads more from the source; false once the server has closed the connection.
  absl::StatusOr<bool> Fill() {
    if (pos_ == buffer_.size()) {
      buffer_.clear();
      pos_ = 0;
    } else if (pos_ >= kReadChunk) {
      buffer_.erase(0, pos_);
      pos_ = 0;
    }
    size_t old_size = buffer_.size();
    buffer_.resize(old_size + kReadChunk);
    absl::StatusOr<size_t> got = source_.Read(buffer_.data() + old_size, kReadChunk);
    buffer_.resize(old_size + (got.ok() ? *got : 0));
    if (!got.ok()) return got.status();
    return *got > 0;
  }

  ResponseSource& source_;
  std::string buffer_;
  size_t pos_ = 0;
};

// What the header block says about the response.
struct ResponseHead {
  int status = 0;
  std::string reason;
  std::optional<uint64_t> content_length;
  bool chunked = false;
};

// RFC 9110 token characters (header field names).
bool IsToken(absl::string_view text) {
  static constexpr absl::string_view kSpecials = "!#$%&'*+-.^_`|~";
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return absl::ascii_isalnum(c) || kSpecials.find(c) != absl::string_view::npos;
  });
}

// Field values: visible characters, spaces, tabs and obs-text; no other control bytes.
bool IsFieldValue(absl::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    unsigned char u = static_cast<unsigned char>(c);
    return u == '\t' || (u >= 0x20 && u != 0x7f);
  });
}

// Splits a "name: value" line; the value without surrounding spaces and tabs.
absl::Status ParseField(absl::string_view line, absl::string_view* name, absl::string_view* value) {
  if (line.find_first_of("\r\n") != absl::string_view::npos) {
    return absl::UnavailableError("malformed response: bare CR or LF in a header");
  }
  if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
    return absl::UnavailableError("malformed response: folded header line");
  }
  size_t colon = line.find(':');
  if (colon == absl::string_view::npos || !IsToken(line.substr(0, colon))) {
    return absl::UnavailableError(absl::StrCat("malformed response: bad header line \"",
                                               SanitizeForMessage(line.substr(0, 64)), "\""));
  }
  *name = line.substr(0, colon);
  *value = line.substr(colon + 1);
  while (!value->empty() && (value->front() == ' ' || value->front() == '\t')) {
    value->remove_prefix(1);
  }
  while (!value->empty() && (value->back() == ' ' || value->back() == '\t')) {
    value->remove_suffix(1);
  }
  if (!IsFieldValue(*value)) {
    return absl::UnavailableError(
        absl::StrCat("malformed response: control character in header ", *name));
  }
  return absl::OkStatus();
}

// Parses a header block strictly: status line, then "name: value" fields.
absl::StatusOr<ResponseHead> ParseHead(absl::string_view head) {
  std::vector<absl::string_view> lines = absl::StrSplit(head, "\r\n");
  absl::string_view status_line = lines[0];
  bool http10 = absl::StartsWith(status_line, "HTTP/1.0 ");
  if (!http10 && !absl::StartsWith(status_line, "HTTP/1.1 ")) {
    return absl::UnavailableError(absl::StrCat(
        "malformed response: status line \"", SanitizeForMessage(status_line.substr(0, 64)), "\""));
  }
  absl::string_view code = status_line.substr(9, 3);
  absl::string_view rest = status_line.substr(std::min<size_t>(12, status_line.size()));
  if (code.size() != 3 || !std::all_of(code.begin(), code.end(), absl::ascii_isdigit) ||
      code[0] < '1' || code[0] > '5' || (!rest.empty() && rest[0] != ' ') || !IsFieldValue(rest)) {
    return absl::UnavailableError(absl::StrCat(
        "malformed response: status line \"", SanitizeForMessage(status_line.substr(0, 64)), "\""));
  }
  ResponseHead parsed;
  parsed.status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  parsed.reason = std::string(absl::StripLeadingAsciiWhitespace(rest));

  bool has_transfer_encoding = false;
  for (size_t i = 1; i < lines.size(); ++i) {
    absl::string_view name, value;
    VIGIL_RETURN_IF_ERROR(ParseField(lines[i], &name, &value));
    if (absl::EqualsIgnoreCase(name, "Content-Length")) {
      if (value.empty() || value.size() > 18 ||
          !std::all_of(value.begin(), value.end(), absl::ascii_isdigit)) {
        return absl::UnavailableError(
            absl::StrCat("malformed response: Content-Length \"", SanitizeForMessage(value), "\""));
      }
      uint64_t length = 0;
      for (char c : value) length = length * 10 + static_cast<uint64_t>(c - '0');
      if (parsed.content_length.has_value() && *parsed.content_length != length) {
        return absl::UnavailableError("malformed response: conflicting Content-Length headers");
      }
      parsed.content_length = length;
    } else if (absl::EqualsIgnoreCase(name, "Transfer-Encoding")) {
      if (has_transfer_encoding || !absl::EqualsIgnoreCase(value, "chunked")) {
        return absl::UnavailableError(absl::StrCat("unsupported response: Transfer-Encoding \"",
                                                   SanitizeForMessage(value.substr(0, 64)), "\""));
      }
      has_transfer_encoding = true;
      parsed.chunked = true;
    }
  }
  if (parsed.chunked && (http10 || parsed.content_length.has_value())) {
    return absl::UnavailableError(
        "malformed response: chunked with HTTP/1.0 or together with Content-Length");
  }
  return parsed;
}

// A chunk-size line: hex digits, optional whitespace, and an optional (ignored) extension.
absl::StatusOr<uint64_t> ParseChunkSize(absl::string_view line) {
  size_t digits = 0;
  uint64_t size = 0;
  while (digits < line.size() && absl::ascii_isxdigit(line[digits])) {
    if (digits == 15) return absl::UnavailableError("malformed response: chunk too large");
    char c = absl::ascii_tolower(line[digits]);
    size = size * 16 + static_cast<uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
    ++digits;
  }
  absl::string_view rest = absl::StripLeadingAsciiWhitespace(line.substr(digits));
  if (digits == 0 || (!rest.empty() && rest[0] != ';') || !IsFieldValue(rest)) {
    return absl::UnavailableError(absl::StrCat("malformed response: chunk size \"",
                                               SanitizeForMessage(line.substr(0, 64)), "\""));
  }
  return size;
}

// Decodes a chunked body into `out`. Past `max_bytes`: RESOURCE_EXHAUSTED, or (when
// `truncate`) success with the first `max_bytes`.
absl::Status ReadChunked(ResponseReader& reader, size_t max_bytes, bool truncate,
                         size_t trailer_budget, std::string* out) {
  for (;;) {
    VIGIL_ASSIGN_OR_RETURN(std::string line, reader.ReadLine(kMaxChunkLineBytes));
    VIGIL_ASSIGN_OR_RETURN(uint64_t size, ParseChunkSize(line));
    if (size == 0) break;
    if (size > max_bytes - out->size()) {
      if (!truncate) {
        return absl::ResourceExhaustedError(absl::StrCat("body larger than ", max_bytes, " bytes"));
      }
      return reader.ReadExact(max_bytes - out->size(), out);
    }
    VIGIL_RETURN_IF_ERROR(reader.ReadExact(static_cast<size_t>(size), out));
    std::string crlf;
    VIGIL_RETURN_IF_ERROR(reader.ReadExact(2, &crlf));
    if (crlf != "\r\n") {
      return absl::UnavailableError("malformed response: chunk data not followed by CRLF");
    }
  }
  for (;;) {
    VIGIL_ASSIGN_OR_RETURN(std::string line, reader.ReadLine(trailer_budget));
    if (line.empty()) return absl::OkStatus();
    trailer_budget -= std::min(trailer_budget, line.size() + 2);
    absl::string_view name, value;
    VIGIL_RETURN_IF_ERROR(ParseField(line, &name, &value));
  }
}

// Reads the body that `head` announces. Past `max_bytes`: RESOURCE_EXHAUSTED, or (when
// `truncate`) success with the first `max_bytes`.
absl::Status ReadBody(ResponseReader& reader, const ResponseHead& head, size_t max_bytes,
                      bool truncate, size_t trailer_budget, std::string* body) {
  if (head.status == 204 || head.status == 304) return absl::OkStatus();
  if (head.chunked) return ReadChunked(reader, max_bytes, truncate, trailer_budget, body);
  if (head.content_length.has_value()) {
    uint64_t length = *head.content_length;
    if (length > max_bytes) {
      if (!truncate) {
        return absl::ResourceExhaustedError(
            absl::StrCat("body of ", length, " bytes is larger than ", max_bytes));
      }
      length = max_bytes;
    }
    return reader.ReadExact(static_cast<size_t>(length), body);
  }
  absl::Status read = reader.ReadToClose(max_bytes, body);
  if (truncate && absl::IsResourceExhausted(read)) return absl::OkStatus();
  return read;
}

// The error for a non-200 response.
absl::Status StatusError(const ResponseHead& head, absl::string_view body) {
  std::string message = absl::StrCat("HTTP ", head.status);
  if (!body.empty()) {
    absl::StrAppend(&message, ": ", SanitizeForMessage(body.substr(0, kQuotedBodyBytes)));
  } else if (!head.reason.empty()) {
    absl::StrAppend(&message, " ", SanitizeForMessage(head.reason.substr(0, kQuotedBodyBytes)));
  }
  switch (head.status) {
    case 401: return absl::UnauthenticatedError(message);
    case 403: return absl::PermissionDeniedError(message);
    case 404: return absl::NotFoundError(message);
    case 429: return absl::UnavailableError(message);
    default:
      if (head.status >= 500) return absl::UnavailableError(message);
      return absl::FailedPreconditionError(message);
  }
}

}  // namespace

std::string SanitizeForMessage(absl::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\n' || c == '\r' || c == '\t') {
      c = ' ';
    } else if (c < 0x20 || c > 0x7e) {
      c = '?';
    }
  }
  return out;
}

absl::StatusOr<std::string> ReadHttpResponse(ResponseSource& source, size_t max_body_bytes) {
  ResponseReader reader(source);
  size_t header_budget = kMaxHeaderBytes;
  ResponseHead head;
  for (int interim = 0;; ++interim) {
    VIGIL_ASSIGN_OR_RETURN(std::string block, reader.ReadHead(header_budget));
    header_budget -= std::min(header_budget, block.size() + 4);
    VIGIL_ASSIGN_OR_RETURN(head, ParseHead(block));
    if (head.status >= 200) break;
    if (head.status == 101 || interim + 1 >= kMaxInterimResponses) {
      return absl::UnavailableError(absl::StrCat("unexpected HTTP ", head.status));
    }
  }
  std::string body;
  if (head.status != 200) {
    ReadBody(reader, head, std::min(max_body_bytes, kMaxErrorBodyBytes),
             /*truncate=*/true, header_budget, &body)
        .IgnoreError();  // the status is the error; the body only illustrates it
    return StatusError(head, body);
  }
  VIGIL_RETURN_IF_ERROR(
      ReadBody(reader, head, max_body_bytes, /*truncate=*/false, header_budget, &body));
  return body;
}

}  // namespace vigil::controller

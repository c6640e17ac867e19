#include "controller/identity/https_get.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/openssl_ptr.h"
#include "common/status_macros.h"
#include "common/unique_fd.h"

namespace vigil::controller {
namespace {

// Bounds on what the server may send besides the body.
constexpr size_t kMaxHeaderBytes = 64 * 1024;
constexpr size_t kMaxChunkLineBytes = 4096;
constexpr int kMaxInterimResponses = 8;
// How much of an error response's body is read, and how much is quoted in the error.
constexpr size_t kMaxErrorBodyBytes = 4096;
constexpr size_t kQuotedBodyBytes = 200;
// Bounds on the request (a path or a token past these is a mistake, not a request).
constexpr size_t kMaxHostBytes = 255;
constexpr size_t kMaxPathBytes = 8192;
constexpr size_t kMaxTokenBytes = 16 * 1024;
// Socket reads and writes move at most this much at a time.
constexpr size_t kIoChunk = 16 * 1024;

struct AddrinfoDeleter {
  void operator()(addrinfo* list) const { freeaddrinfo(list); }
};
using AddrinfoPtr = std::unique_ptr<addrinfo, AddrinfoDeleter>;

// The monotonic instant past which the request fails.
class Deadline {
 public:
  explicit Deadline(absl::Duration timeout)
      : timeout_(timeout),
        end_(std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(timeout)) {}

  // Milliseconds left, rounded up; 0 once expired.
  int RemainingMs() const {
    auto left = end_ - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return 0;
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
    return static_cast<int>(std::min<int64_t>(ms, INT_MAX));
  }

  // The error for `step` running out of time.
  absl::Status Expired(absl::string_view step) const {
    return absl::DeadlineExceededError(
        absl::StrCat(step, ": timed out after ", absl::FormatDuration(timeout_)));
  }

 private:
  absl::Duration timeout_;
  std::chrono::steady_clock::time_point end_;
};

// Printable ASCII kept, whitespace turned into spaces, anything else into '?'.
std::string Sanitize(absl::string_view text) {
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

// True when every byte is printable ASCII other than the space.
bool IsVisibleAscii(absl::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

// True when `text` is an IPv4 or IPv6 address literal.
bool IsIpLiteral(const std::string& text) {
  in_addr v4;
  in6_addr v6;
  return inet_pton(AF_INET, text.c_str(), &v4) == 1 || inet_pton(AF_INET6, text.c_str(), &v6) == 1;
}

// Letters, digits, '.', '-', '_', ':' (IPv6) and '%' (IPv6 zone).
bool IsValidHost(absl::string_view host) {
  if (host.empty() || host.size() > kMaxHostBytes) return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return absl::ascii_isalnum(c) || c == '.' || c == '-' || c == '_' || c == ':' || c == '%';
  });
}

// The host as it appears in a URL or a Host header: IPv6 literals in brackets.
std::string UrlHost(const std::string& host) {
  return absl::StrContains(host, ':') ? absl::StrCat("[", host, "]") : host;
}

// Checked before anything touches the network. Never quotes the token.
absl::Status ValidateRequest(const HttpsGetRequest& request) {
  if (!IsValidHost(request.host)) {
    return absl::InvalidArgumentError("host is empty or not a host name or IP address");
  }
  if (request.port < 1 || request.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("port ", request.port, " is out of range"));
  }
  if (!absl::StartsWith(request.path, "/") || request.path.size() > kMaxPathBytes ||
      !IsVisibleAscii(request.path)) {
    return absl::InvalidArgumentError(
        "path must start with '/' and hold only printable ASCII (no spaces, CR or LF)");
  }
  if (request.ca_file.empty()) return absl::InvalidArgumentError("no CA file given");
  if (!request.server_name.empty() && !IsValidHost(request.server_name)) {
    return absl::InvalidArgumentError("server name is not a host name or IP address");
  }
  if (request.bearer_token.size() > kMaxTokenBytes || !IsVisibleAscii(request.bearer_token)) {
    return absl::InvalidArgumentError(
        "bearer token is too long or holds spaces, CR, LF or other control characters");
  }
  if (request.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("timeout must be positive");
  }
  return absl::OkStatus();
}

// The reason of the earliest error on OpenSSL's error queue (which is then emptied).
std::string OpenSslError() {
  unsigned long first = ERR_get_error();
  while (ERR_get_error() != 0) {
  }
  if (first == 0) return "unknown error";
  const char* reason = ERR_reason_error_string(first);
  if (reason != nullptr) return reason;
  char text[256];
  ERR_error_string_n(first, text, sizeof(text));
  return text;
}

// Waits until `fd` is ready for `events` (or in error, which the next call reports).
absl::Status WaitFor(int fd, short events, const Deadline& deadline, absl::string_view step) {
  for (;;) {
    int remaining = deadline.RemainingMs();
    if (remaining <= 0) return deadline.Expired(step);
    pollfd entry{fd, events, 0};
    int ready = poll(&entry, 1, remaining);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return absl::UnavailableError(absl::StrCat(step, ": poll: ", strerror(errno)));
    }
    if (ready > 0) return absl::OkStatus();
  }
}

// The addresses of `host` (a name or an IP literal) for TCP to `port`.
absl::StatusOr<AddrinfoPtr> Resolve(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* list = nullptr;
  int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &list);
  if (rc != 0) {
    std::string reason = rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc);
    return absl::UnavailableError(absl::StrCat("resolve: ", reason));
  }
  return AddrinfoPtr(list);
}

// A non-blocking TCP connection to the first address that accepts one.
absl::StatusOr<UniqueFd> Connect(const addrinfo* list, const Deadline& deadline) {
  int last_error = EHOSTUNREACH;
  for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    UniqueFd fd(
        socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
    if (!fd.valid()) {
      last_error = errno;
      continue;
    }
    if (connect(fd.get(), ai->ai_addr, ai->ai_addrlen) == 0) return fd;
    if (errno != EINPROGRESS && errno != EINTR) {
      last_error = errno;
      continue;
    }
    VIGIL_RETURN_IF_ERROR(WaitFor(fd.get(), POLLOUT, deadline, "connect"));
    int so_error = 0;
    socklen_t length = sizeof(so_error);
    if (getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &so_error, &length) != 0) so_error = errno;
    if (so_error == 0) return fd;
    last_error = so_error;
  }
  return absl::UnavailableError(absl::StrCat("connect: ", strerror(last_error)));
}

// A client TLS session over a connected socket. OpenSSL works on memory BIOs and this
// class moves the bytes, so that every wait honours the deadline and no write can raise
// SIGPIPE (send with MSG_NOSIGNAL).
class TlsConnection {
 public:
  TlsConnection(UniqueFd fd, SslPtr ssl, BIO* rbio, BIO* wbio, const Deadline& deadline)
      : fd_(std::move(fd)), ssl_(std::move(ssl)), rbio_(rbio), wbio_(wbio), deadline_(deadline) {}

  absl::Status Handshake() {
    VIGIL_ASSIGN_OR_RETURN(int done,
                           Drive([this] { return SSL_connect(ssl_.get()); }, "TLS handshake"));
    if (done <= 0) return absl::UnavailableError("TLS handshake: connection closed");
    return absl::OkStatus();
  }

  absl::Status WriteAll(absl::string_view data) {
    while (!data.empty()) {
      int size = static_cast<int>(std::min<size_t>(data.size(), INT_MAX));
      VIGIL_ASSIGN_OR_RETURN(
          int written,
          Drive([&] { return SSL_write(ssl_.get(), data.data(), size); }, "sending request"));
      if (written <= 0) {
        return absl::UnavailableError("sending request: connection closed by the server");
      }
      data.remove_prefix(static_cast<size_t>(written));
    }
    return absl::OkStatus();
  }

  // Bytes read into `buffer`; 0 once the server has closed the TLS session cleanly.
  absl::StatusOr<size_t> Read(char* buffer, size_t size) {
    int want = static_cast<int>(std::min<size_t>(size, INT_MAX));
    VIGIL_ASSIGN_OR_RETURN(
        int got, Drive([&] { return SSL_read(ssl_.get(), buffer, want); }, "reading response"));
    return static_cast<size_t>(got);
  }

 private:
  // Runs `op` (an SSL call) until it succeeds (its result), the server closes the session
  // cleanly (0) or it fails.
  template <typename Op>
  absl::StatusOr<int> Drive(Op op, absl::string_view step) {
    for (;;) {
      if (deadline_.RemainingMs() <= 0) return deadline_.Expired(step);
      ERR_clear_error();
      int result = op();
      int error = result > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_.get(), result);
      absl::Status flushed = Flush(step);
      switch (error) {
        case SSL_ERROR_NONE: VIGIL_RETURN_IF_ERROR(flushed); return result;
        case SSL_ERROR_ZERO_RETURN: return 0;
        case SSL_ERROR_WANT_READ:
          VIGIL_RETURN_IF_ERROR(flushed);
          VIGIL_RETURN_IF_ERROR(Receive(step));
          break;
        case SSL_ERROR_WANT_WRITE: VIGIL_RETURN_IF_ERROR(flushed); break;
        default: return Failure(step, error);
      }
    }
  }

  // Sends whatever OpenSSL has produced.
  absl::Status Flush(absl::string_view step) {
    char buffer[kIoChunk];
    while (BIO_ctrl_pending(wbio_) > 0) {
      int got = BIO_read(wbio_, buffer, sizeof(buffer));
      if (got <= 0) return absl::InternalError(absl::StrCat(step, ": BIO_read failed"));
      size_t sent = 0;
      while (sent < static_cast<size_t>(got)) {
        ssize_t n = send(fd_.get(), buffer + sent, got - sent, MSG_NOSIGNAL);
        if (n >= 0) {
          sent += static_cast<size_t>(n);
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
          VIGIL_RETURN_IF_ERROR(WaitFor(fd_.get(), POLLOUT, deadline_, step));
        } else if (errno != EINTR) {
          return absl::UnavailableError(absl::StrCat(step, ": send: ", strerror(errno)));
        }
      }
    }
    return absl::OkStatus();
  }

  // Hands OpenSSL the next bytes from the socket (or the end of the stream).
  absl::Status Receive(absl::string_view step) {
    if (eof_) return absl::UnavailableError(absl::StrCat(step, ": connection closed"));
    VIGIL_RETURN_IF_ERROR(WaitFor(fd_.get(), POLLIN, deadline_, step));
    char buffer[kIoChunk];
    ssize_t n = recv(fd_.get(), buffer, sizeof(buffer), 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) return absl::OkStatus();
      return absl::UnavailableError(absl::StrCat(step, ": recv: ", strerror(errno)));
    }
    if (n == 0) {
      eof_ = true;
      BIO_set_mem_eof_return(rbio_, 0);
      return absl::OkStatus();
    }
    if (BIO_write(rbio_, buffer, static_cast<int>(n)) != n) {
      return absl::InternalError(absl::StrCat(step, ": BIO_write failed"));
    }
    return absl::OkStatus();
  }

  absl::Status Failure(absl::string_view step, int error) {
    long verify = SSL_get_verify_result(ssl_.get());
    if (verify != X509_V_OK) {
      ERR_clear_error();
      return absl::UnavailableError(absl::StrCat(step, ": certificate verify failed (",
                                                 X509_verify_cert_error_string(verify), ")"));
    }
    unsigned long queued = ERR_peek_error();
    bool unexpected_eof = error == SSL_ERROR_SYSCALL ||
                          (ERR_GET_LIB(queued) == ERR_LIB_SSL &&
                           ERR_GET_REASON(queued) == SSL_R_UNEXPECTED_EOF_WHILE_READING);
    if (eof_ && unexpected_eof) {
      ERR_clear_error();
      return absl::UnavailableError(
          absl::StrCat(step, ": connection closed by the server (no TLS close_notify)"));
    }
    if (error == SSL_ERROR_SYSCALL && queued == 0) {
      return absl::UnavailableError(absl::StrCat(step, ": connection failed"));
    }
    return absl::UnavailableError(absl::StrCat(step, ": ", OpenSslError()));
  }

  UniqueFd fd_;
  SslPtr ssl_;
  BIO* rbio_;  // owned by ssl_
  BIO* wbio_;  // owned by ssl_
  const Deadline& deadline_;
  bool eof_ = false;
};

// A client context: TLS 1.2 or later, peers verified against `ca_file` only.
absl::StatusOr<SslCtxPtr> MakeContext(const std::string& ca_file) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (ctx == nullptr) return absl::InternalError(absl::StrCat("SSL_CTX_new: ", OpenSslError()));
  if (SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION) != 1) {
    return absl::InternalError(absl::StrCat("TLS 1.2 minimum: ", OpenSslError()));
  }
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  if (SSL_CTX_load_verify_locations(ctx.get(), ca_file.c_str(), nullptr) != 1) {
    return absl::FailedPreconditionError(absl::StrCat("CA file ", ca_file, ": ", OpenSslError()));
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  return ctx;
}

// A session set up to verify `verify_name` (a DNS name, sent as SNI, or an IP address).
absl::StatusOr<std::unique_ptr<TlsConnection>> MakeConnection(SSL_CTX* ctx, UniqueFd fd,
                                                              const std::string& verify_name,
                                                              const Deadline& deadline) {
  SslPtr ssl(SSL_new(ctx));
  BioPtr rbio(BIO_new(BIO_s_mem()));
  BioPtr wbio(BIO_new(BIO_s_mem()));
  if (ssl == nullptr || rbio == nullptr || wbio == nullptr) {
    return absl::InternalError(absl::StrCat("TLS setup: ", OpenSslError()));
  }
  BIO* rbio_raw = rbio.get();
  BIO* wbio_raw = wbio.get();
  SSL_set_bio(ssl.get(), rbio.release(), wbio.release());
  SSL_set_connect_state(ssl.get());

  X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (IsIpLiteral(verify_name)) {
    if (X509_VERIFY_PARAM_set1_ip_asc(param, verify_name.c_str()) != 1) {
      return absl::InvalidArgumentError(absl::StrCat("cannot verify IP ", verify_name));
    }
  } else {
    if (X509_VERIFY_PARAM_set1_host(param, verify_name.c_str(), verify_name.size()) != 1) {
      return absl::InvalidArgumentError(absl::StrCat("cannot verify name ", verify_name));
    }
    if (SSL_set_tlsext_host_name(ssl.get(), verify_name.c_str()) != 1) {
      return absl::InvalidArgumentError(absl::StrCat("cannot send SNI ", verify_name));
    }
  }
  static constexpr unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  if (SSL_set_alpn_protos(ssl.get(), kAlpn, sizeof(kAlpn)) != 0) {  // 0 is success here
    return absl::InternalError(absl::StrCat("ALPN: ", OpenSslError()));
  }
  return std::make_unique<TlsConnection>(std::move(fd), std::move(ssl), rbio_raw, wbio_raw,
                                         deadline);
}

// Buffered, bounded reads of an HTTP response off a TLS connection.
class ResponseReader {
 public:
  explicit ResponseReader(TlsConnection& connection) : connection_(connection) {}

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
  // Reads more from the connection; false once the server has closed it.
  absl::StatusOr<bool> Fill() {
    if (pos_ == buffer_.size()) {
      buffer_.clear();
      pos_ = 0;
    } else if (pos_ >= kIoChunk) {
      buffer_.erase(0, pos_);
      pos_ = 0;
    }
    size_t old_size = buffer_.size();
    buffer_.resize(old_size + kIoChunk);
    absl::StatusOr<size_t> got = connection_.Read(buffer_.data() + old_size, kIoChunk);
    buffer_.resize(old_size + (got.ok() ? *got : 0));
    if (!got.ok()) return got.status();
    return *got > 0;
  }

  TlsConnection& connection_;
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
    return absl::UnavailableError(
        absl::StrCat("malformed response: bad header line \"", Sanitize(line.substr(0, 64)), "\""));
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
    return absl::UnavailableError(absl::StrCat("malformed response: status line \"",
                                               Sanitize(status_line.substr(0, 64)), "\""));
  }
  absl::string_view code = status_line.substr(9, 3);
  absl::string_view rest = status_line.substr(std::min<size_t>(12, status_line.size()));
  if (code.size() != 3 || !std::all_of(code.begin(), code.end(), absl::ascii_isdigit) ||
      code[0] < '1' || code[0] > '5' || (!rest.empty() && rest[0] != ' ') || !IsFieldValue(rest)) {
    return absl::UnavailableError(absl::StrCat("malformed response: status line \"",
                                               Sanitize(status_line.substr(0, 64)), "\""));
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
            absl::StrCat("malformed response: Content-Length \"", Sanitize(value), "\""));
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
                                                   Sanitize(value.substr(0, 64)), "\""));
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
    return absl::UnavailableError(
        absl::StrCat("malformed response: chunk size \"", Sanitize(line.substr(0, 64)), "\""));
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
    absl::StrAppend(&message, ": ", Sanitize(body.substr(0, kQuotedBodyBytes)));
  } else if (!head.reason.empty()) {
    absl::StrAppend(&message, " ", Sanitize(head.reason.substr(0, kQuotedBodyBytes)));
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

// HttpsGet without the URL in its errors.
absl::StatusOr<std::string> Get(const HttpsGetRequest& request) {
  VIGIL_RETURN_IF_ERROR(ValidateRequest(request));
  Deadline deadline(std::min(request.timeout, absl::Hours(24)));
  VIGIL_ASSIGN_OR_RETURN(SslCtxPtr ctx, MakeContext(request.ca_file));
  VIGIL_ASSIGN_OR_RETURN(AddrinfoPtr addresses, Resolve(request.host, request.port));
  VIGIL_ASSIGN_OR_RETURN(UniqueFd fd, Connect(addresses.get(), deadline));
  const std::string& verify_name = request.server_name.empty() ? request.host : request.server_name;
  VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<TlsConnection> connection,
                         MakeConnection(ctx.get(), std::move(fd), verify_name, deadline));
  VIGIL_RETURN_IF_ERROR(connection->Handshake());

  std::string host_header = UrlHost(request.host);
  if (request.port != 443) absl::StrAppend(&host_header, ":", request.port);
  std::string message = absl::StrCat("GET ", request.path, " HTTP/1.1\r\nHost: ", host_header,
                                     "\r\nUser-Agent: vigil-controller\r\n"
                                     "Accept: application/json\r\n");
  if (!request.bearer_token.empty()) {
    absl::StrAppend(&message, "Authorization: Bearer ", request.bearer_token, "\r\n");
  }
  absl::StrAppend(&message, "Connection: close\r\n\r\n");
  VIGIL_RETURN_IF_ERROR(connection->WriteAll(message));

  ResponseReader reader(*connection);
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
    ReadBody(reader, head, std::min(request.max_body_bytes, kMaxErrorBodyBytes),
             /*truncate=*/true, header_budget, &body)
        .IgnoreError();  // the status is the error; the body only illustrates it
    return StatusError(head, body);
  }
  VIGIL_RETURN_IF_ERROR(
      ReadBody(reader, head, request.max_body_bytes, /*truncate=*/false, header_budget, &body));
  return body;
}

}  // namespace

absl::StatusOr<std::string> HttpsGet(const HttpsGetRequest& request) {
  std::string url = absl::StrCat("https://", UrlHost(Sanitize(request.host)), ":", request.port,
                                 Sanitize(request.path.substr(0, kMaxPathBytes)));
  absl::StatusOr<std::string> body = Get(request);
  if (body.ok()) return body;
  return absl::Status(body.status().code(), absl::StrCat(url, ": ", body.status().message()));
}

}  // namespace vigil::controller

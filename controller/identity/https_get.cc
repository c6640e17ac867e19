// HttpsGet: the request checks, name lookup, connection, TLS session and request; the
// response is read by ReadHttpResponse (http_response.h).
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

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/openssl_ptr.h"
#include "common/status_macros.h"
#include "common/unique_fd.h"
#include "controller/identity/http_response.h"

namespace vigil::controller {
namespace {

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
class TlsConnection : public ResponseSource {
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
  absl::StatusOr<size_t> Read(char* buffer, size_t size) override {
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
  return ReadHttpResponse(*connection, request.max_body_bytes);
}

}  // namespace

absl::StatusOr<std::string> HttpsGet(const HttpsGetRequest& request) {
  std::string url =
      absl::StrCat("https://", UrlHost(SanitizeForMessage(request.host)), ":", request.port,
                   SanitizeForMessage(request.path.substr(0, kMaxPathBytes)));
  absl::StatusOr<std::string> body = Get(request);
  if (body.ok()) return body;
  return absl::Status(body.status().code(), absl::StrCat(url, ": ", body.status().message()));
}

}  // namespace vigil::controller

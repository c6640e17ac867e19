// Tests of HttpsGet (controller/identity/https_get.h) against a real TLS server on
// 127.0.0.1, with a CA and server certificates generated for each test: response framing
// (Content-Length, chunked, read-to-close), status errors, size limits, certificate and
// name verification, the timeout, connection failures and request validation.
#include "controller/identity/https_get.h"

#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/unique_fd.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_dir.h"

namespace vigil::controller {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct SslCtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
struct SslFree {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;
using SslPtr = std::unique_ptr<SSL, SslFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

// A certificate and its private key.
struct Credential {
  PkeyPtr key;
  X509Ptr cert;
};

// A P-256 certificate for `common_name` with the given extensions (nid, config value),
// signed by `issuer` (self-signed when null). Null members (and a test failure) on error.
Credential MakeCredential(const std::string& common_name, const Credential* issuer,
                          const std::vector<std::pair<int, std::string>>& extensions) {
  static std::atomic<long> serial{1};
  Credential made;
  PkeyPtr key(EVP_EC_gen("P-256"));
  X509Ptr cert(X509_new());
  if (key == nullptr || cert == nullptr) {
    ADD_FAILURE() << "cannot allocate a key or certificate";
    return made;
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  bool ok = X509_set_version(cert.get(), X509_VERSION_3) == 1 &&
            ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++) == 1 &&
            X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr &&
            X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400) != nullptr &&
            X509_set_pubkey(cert.get(), key.get()) == 1 &&
            X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                       reinterpret_cast<const unsigned char*>(common_name.c_str()),
                                       -1, -1, 0) == 1;
  X509* issuer_cert = issuer != nullptr ? issuer->cert.get() : cert.get();
  EVP_PKEY* issuer_key = issuer != nullptr ? issuer->key.get() : key.get();
  ok = ok && X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer_cert)) == 1;
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer_cert, cert.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] : extensions) {
    X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
    ok = ok && extension != nullptr && X509_add_ext(cert.get(), extension, -1) == 1;
    X509_EXTENSION_free(extension);
  }
  ok = ok && X509_sign(cert.get(), issuer_key, EVP_sha256()) > 0;
  if (!ok) {
    ADD_FAILURE() << "cannot build the certificate for " << common_name;
    return made;
  }
  made.key = std::move(key);
  made.cert = std::move(cert);
  return made;
}

Credential MakeCa(const std::string& common_name) {
  return MakeCredential(common_name, nullptr,
                        {{NID_basic_constraints, "critical,CA:TRUE"},
                         {NID_key_usage, "critical,keyCertSign,cRLSign"}});
}

// A server certificate; `san` like "DNS:kubernetes.default.svc,IP:127.0.0.1".
Credential MakeServer(const Credential& ca, const std::string& san) {
  return MakeCredential("vigil-test-server", &ca,
                        {{NID_basic_constraints, "CA:FALSE"},
                         {NID_key_usage, "critical,digitalSignature"},
                         {NID_ext_key_usage, "serverAuth"},
                         {NID_subject_alt_name, san}});
}

void WritePem(const Credential& credential, const std::string& path) {
  BioPtr file(BIO_new_file(path.c_str(), "w"));
  ASSERT_NE(file, nullptr) << path;
  ASSERT_EQ(PEM_write_bio_X509(file.get(), credential.cert.get()), 1) << path;
}

// A listening TCP socket on 127.0.0.1 (ephemeral port); `listening` false: bound only.
UniqueFd BindLoopback(bool listening, int* port) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (!fd.valid() || bind(fd.get(), reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      (listening && listen(fd.get(), 16) != 0) ||
      getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ADD_FAILURE() << "cannot bind 127.0.0.1: " << strerror(errno);
    return UniqueFd();
  }
  *port = ntohs(address.sin_port);
  return fd;
}

// A TLS server on 127.0.0.1 that answers each connection's request with the raw bytes its
// responder returns, then closes the session cleanly. It records the last request and the
// SNI name it carried.
class TlsTestServer {
 public:
  using Responder = std::function<std::string(const std::string& request)>;

  // `close_notify` false: the server drops the TCP connection without closing TLS.
  TlsTestServer(const Credential& credential, Responder responder, bool close_notify = true)
      : responder_(std::move(responder)), close_notify_(close_notify) {
    listener_ = BindLoopback(/*listening=*/true, &port_);
    ctx_.reset(SSL_CTX_new(TLS_server_method()));
    if (ctx_ == nullptr || SSL_CTX_use_certificate(ctx_.get(), credential.cert.get()) != 1 ||
        SSL_CTX_use_PrivateKey(ctx_.get(), credential.key.get()) != 1) {
      ADD_FAILURE() << "cannot set up the server's TLS context";
      return;
    }
    thread_ = std::thread([this] { Run(); });
  }

  ~TlsTestServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

  int port() const { return port_; }

  std::string last_request() const {
    absl::MutexLock lock(&mu_);
    return last_request_;
  }

  std::string last_sni() const {
    absl::MutexLock lock(&mu_);
    return last_sni_;
  }

 private:
  void Run() {
    sigset_t pipe;  // writes to a client that went away fail with EPIPE instead
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
    while (!stop_) {
      pollfd entry{listener_.get(), POLLIN, 0};
      if (poll(&entry, 1, 20) <= 0) continue;
      UniqueFd client(accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!client.valid()) continue;
      timeval limit{5, 0};
      setsockopt(client.get(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
      setsockopt(client.get(), SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof(limit));
      Serve(client.get());
    }
  }

  void Serve(int fd) {
    SslPtr ssl(SSL_new(ctx_.get()));
    if (ssl == nullptr || SSL_set_fd(ssl.get(), fd) != 1 || SSL_accept(ssl.get()) != 1) return;
    const char* sni = SSL_get_servername(ssl.get(), TLSEXT_NAMETYPE_host_name);
    std::string request;
    char buffer[4096];
    while (request.find("\r\n\r\n") == std::string::npos && request.size() < 65536) {
      int got = SSL_read(ssl.get(), buffer, sizeof(buffer));
      if (got <= 0) return;
      request.append(buffer, static_cast<size_t>(got));
    }
    {
      absl::MutexLock lock(&mu_);
      last_request_ = request;
      last_sni_ = sni != nullptr ? sni : "";
    }
    std::string response = responder_(request);
    size_t sent = 0;
    while (sent < response.size()) {
      int wrote = SSL_write(ssl.get(), response.data() + sent,
                            static_cast<int>(std::min<size_t>(response.size() - sent, 16384)));
      if (wrote <= 0) return;
      sent += static_cast<size_t>(wrote);
    }
    if (close_notify_) SSL_shutdown(ssl.get());
  }

  Responder responder_;
  bool close_notify_;
  UniqueFd listener_;
  int port_ = 0;
  SslCtxPtr ctx_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable absl::Mutex mu_;
  std::string last_request_;
  std::string last_sni_;
};

// A responder that always answers `response`.
TlsTestServer::Responder Always(std::string response) {
  return [response = std::move(response)](const std::string&) { return response; };
}

std::string Ok(const std::string& body) {
  return absl::StrCat("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ",
                      body.size(), "\r\n\r\n", body);
}

class HttpsGetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ca_ = MakeCa("vigil-test-ca");
    ASSERT_NE(ca_.cert, nullptr);
    ca_file_ = dir_.Join("ca.crt");
    WritePem(ca_, ca_file_);
    server_ = MakeServer(ca_, "DNS:kubernetes.default.svc,IP:127.0.0.1");
    ASSERT_NE(server_.cert, nullptr);
  }

  HttpsGetRequest Request(int port, const std::string& path = "/doc") const {
    HttpsGetRequest request;
    request.host = "127.0.0.1";
    request.port = port;
    request.path = path;
    request.ca_file = ca_file_;
    request.timeout = absl::Seconds(5);
    return request;
  }

  vigil::testing::TestDir dir_{"https-get"};
  Credential ca_;
  Credential server_;
  std::string ca_file_;
};

TEST_F(HttpsGetTest, ReturnsContentLengthBody) {
  TlsTestServer server(server_, Always(Ok("{\"a\":1}")));
  absl::StatusOr<std::string> body = HttpsGet(Request(server.port(), "/v1/doc?x=1"));
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, "{\"a\":1}");
  std::string request = server.last_request();
  EXPECT_THAT(request, StartsWith("GET /v1/doc?x=1 HTTP/1.1\r\n"));
  EXPECT_THAT(request, HasSubstr(absl::StrCat("\r\nHost: 127.0.0.1:", server.port(), "\r\n")));
  EXPECT_THAT(request, HasSubstr("\r\nAccept: application/json\r\n"));
  EXPECT_THAT(request, HasSubstr("\r\nConnection: close\r\n"));
  EXPECT_THAT(request, Not(HasSubstr("Authorization")));
  EXPECT_EQ(server.last_sni(), "");  // no SNI for an IP address
}

TEST_F(HttpsGetTest, DecodesChunkedBody) {
  TlsTestServer server(server_, Always("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                       "5\r\nhello\r\n"
                                       "1;ext=\"x\"\r\n,\r\n"
                                       "A\r\n chunked!!\r\n"
                                       "0\r\nX-Trailer: yes\r\n\r\n"));
  absl::StatusOr<std::string> body = HttpsGet(Request(server.port()));
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, "hello, chunked!!");
}

TEST_F(HttpsGetTest, ReadsBodyUntilClose) {
  std::string big(100000, 'z');
  TlsTestServer server(server_, Always("HTTP/1.0 200 OK\r\nServer: old\r\n\r\n" + big));
  absl::StatusOr<std::string> body = HttpsGet(Request(server.port()));
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, big);
}

TEST_F(HttpsGetTest, ReadToCloseNeedsTlsCloseNotify) {
  TlsTestServer truncated(server_, Always("HTTP/1.1 200 OK\r\n\r\n{\"cut\":"),
                          /*close_notify=*/false);
  absl::StatusOr<std::string> body = HttpsGet(Request(truncated.port()));
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(body.status().message()),
              HasSubstr("reading response: connection closed by the server (no TLS close_notify)"));

  TlsTestServer framed(server_, Always(Ok("{}")), /*close_notify=*/false);
  absl::StatusOr<std::string> complete = HttpsGet(Request(framed.port()));
  ASSERT_TRUE(complete.ok()) << complete.status();
  EXPECT_EQ(*complete, "{}");
}

TEST_F(HttpsGetTest, ForbiddenNamesStatusAndBody) {
  std::string json = "{\"kind\":\"Status\",\"message\":\"forbidden\"}";
  TlsTestServer server(server_, Always(absl::StrCat("HTTP/1.1 403 Forbidden\r\nContent-Length: ",
                                                    json.size(), "\r\n\r\n", json)));
  absl::StatusOr<std::string> body = HttpsGet(Request(server.port(), "/secret"));
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(body.status().message(),
            absl::StrCat("https://127.0.0.1:", server.port(), "/secret: HTTP 403: ", json));
}

TEST_F(HttpsGetTest, ErrorBodyIsSanitizedAndCut) {
  std::string raw = "line one\r\nline\x01two" + std::string(500, 'x');
  TlsTestServer server(
      server_,
      Always(absl::StrCat("HTTP/1.1 500 Oops\r\nContent-Length: ", raw.size(), "\r\n\r\n", raw)));
  absl::StatusOr<std::string> body = HttpsGet(Request(server.port()));
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().code(), absl::StatusCode::kUnavailable);
  std::string quoted = "line one  line?two" + std::string(200 - 18, 'x');
  EXPECT_THAT(std::string(body.status().message()), EndsWith("HTTP 500: " + quoted));
}

TEST_F(HttpsGetTest, RefusesBodyOverLimit) {
  std::string body(5000, 'b');
  std::vector<std::string> responses = {
      Ok(body),
      absl::StrCat("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "9c4\r\n",
                   body.substr(0, 2500), "\r\n9c4\r\n", body.substr(0, 2500), "\r\n0\r\n\r\n"),
      "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + body};
  for (const std::string& response : responses) {
    TlsTestServer server(server_, Always(response));
    HttpsGetRequest request = Request(server.port());
    request.max_body_bytes = 4000;
    absl::StatusOr<std::string> got = HttpsGet(request);
    ASSERT_FALSE(got.ok()) << response.substr(0, 60);
    EXPECT_EQ(got.status().code(), absl::StatusCode::kResourceExhausted) << got.status();
    EXPECT_THAT(std::string(got.status().message()), HasSubstr("4000"));
  }
}

TEST_F(HttpsGetTest, AcceptsBodyExactlyAtLimit) {
  TlsTestServer server(server_, Always(Ok(std::string(4000, 'b'))));
  HttpsGetRequest request = Request(server.port());
  request.max_body_bytes = 4000;
  absl::StatusOr<std::string> body = HttpsGet(request);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(body->size(), 4000u);
}

TEST_F(HttpsGetTest, RefusesHeadersOverLimit) {
  std::string headers;
  for (int i = 0; i < 1200; ++i)
    absl::StrAppend(&headers, "X-Filler-", i, ": ", std::string(50, 'h'), "\r\n");
  TlsTestServer server(server_,
                       Always("HTTP/1.1 200 OK\r\n" + headers + "Content-Length: 2\r\n\r\n{}"));
  absl::StatusOr<std::string> body = HttpsGet(Request(server.port()));
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(body.status().message()), HasSubstr("headers larger than 65536 bytes"));
}

TEST_F(HttpsGetTest, RefusesMalformedResponses) {
  std::vector<std::pair<std::string, std::string>> cases = {
      {"HTTP/2 200 OK\r\nContent-Length: 2\r\n\r\n{}", "status line"},
      {"HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\n{}", "status line"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", "conflicting"},
      {"HTTP/1.1 200 OK\r\nContent-Length: -2\r\n\r\n{}", "Content-Length"},
      {"HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n{}", "bad header line"},
      {"HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n{}", "folded"},
      {"HTTP/1.1 200 OK\r\nX-A: 1\nX-B: 2\r\n\r\n{}", "bare CR or LF"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", "Transfer-Encoding"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n0\r\n\r\n",
       "together with Content-Length"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "chunk size"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n", "CRLF"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", "closed inside the body"},
      {"", "without a response"},
  };
  for (const auto& [response, expected] : cases) {
    TlsTestServer server(server_, Always(response));
    absl::StatusOr<std::string> body = HttpsGet(Request(server.port()));
    ASSERT_FALSE(body.ok()) << response;
    EXPECT_EQ(body.status().code(), absl::StatusCode::kUnavailable) << body.status();
    EXPECT_THAT(std::string(body.status().message()), HasSubstr(expected)) << response;
  }
}

TEST_F(HttpsGetTest, SkipsInterimResponses) {
  TlsTestServer server(server_, Always("HTTP/1.1 100 Continue\r\n\r\n" + Ok("[]")));
  absl::StatusOr<std::string> body = HttpsGet(Request(server.port()));
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, "[]");
}

TEST_F(HttpsGetTest, RefusesCertificateFromAnotherCa) {
  Credential other_ca = MakeCa("other-ca");
  ASSERT_NE(other_ca.cert, nullptr);
  Credential stranger = MakeServer(other_ca, "DNS:kubernetes.default.svc,IP:127.0.0.1");
  ASSERT_NE(stranger.cert, nullptr);
  TlsTestServer server(stranger, Always(Ok("{}")));
  absl::StatusOr<std::string> body = HttpsGet(Request(server.port()));
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(body.status().message(),
            absl::StrCat("https://127.0.0.1:", server.port(),
                         "/doc: TLS handshake: certificate verify failed (unable to get local "
                         "issuer certificate)"));
}

TEST_F(HttpsGetTest, VerifiesServerName) {
  Credential named = MakeServer(ca_, "DNS:kubernetes.default.svc");
  ASSERT_NE(named.cert, nullptr);
  TlsTestServer server(named, Always(Ok("{}")));

  absl::StatusOr<std::string> by_ip = HttpsGet(Request(server.port()));
  ASSERT_FALSE(by_ip.ok());
  EXPECT_THAT(std::string(by_ip.status().message()),
              HasSubstr("certificate verify failed (IP address mismatch)"));

  HttpsGetRequest wrong = Request(server.port());
  wrong.server_name = "kubernetes.example";
  absl::StatusOr<std::string> wrong_name = HttpsGet(wrong);
  ASSERT_FALSE(wrong_name.ok());
  EXPECT_THAT(std::string(wrong_name.status().message()),
              HasSubstr("certificate verify failed (hostname mismatch)"));

  HttpsGetRequest right = Request(server.port());
  right.server_name = "kubernetes.default.svc";
  absl::StatusOr<std::string> body = HttpsGet(right);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, "{}");
  EXPECT_EQ(server.last_sni(), "kubernetes.default.svc");
}

TEST_F(HttpsGetTest, ResolvesHostNames) {
  TlsTestServer server(server_, Always(Ok("{\"named\":true}")));
  HttpsGetRequest request = Request(server.port());
  request.host = "localhost";  // may resolve to ::1 first, which refuses: the next is tried
  request.server_name = "kubernetes.default.svc";
  absl::StatusOr<std::string> body = HttpsGet(request);
  if (absl::IsUnavailable(body.status()) &&
      absl::StrContains(body.status().message(), "resolve:")) {
    GTEST_SKIP() << "localhost does not resolve here: " << body.status();
  }
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, "{\"named\":true}");
  EXPECT_THAT(server.last_request(),
              HasSubstr(absl::StrCat("\r\nHost: localhost:", server.port(), "\r\n")));
}

TEST_F(HttpsGetTest, AcceptsIpSubjectAltName) {
  Credential by_ip = MakeServer(ca_, "IP:127.0.0.1");
  ASSERT_NE(by_ip.cert, nullptr);
  TlsTestServer server(by_ip, Always(Ok("{\"ip\":true}")));
  absl::StatusOr<std::string> body = HttpsGet(Request(server.port()));
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, "{\"ip\":true}");
}

TEST_F(HttpsGetTest, TimesOutWhenServerNeverAnswers) {
  int port = 0;
  UniqueFd silent = BindLoopback(/*listening=*/true, &port);  // never accepted
  ASSERT_TRUE(silent.valid());
  HttpsGetRequest request = Request(port);
  request.timeout = absl::Seconds(1);
  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::string> body = HttpsGet(request);
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(std::string(body.status().message()), HasSubstr("TLS handshake: timed out after 1s"));
  EXPECT_GE(elapsed, std::chrono::milliseconds(900));
  EXPECT_LT(elapsed, std::chrono::seconds(4));
}

TEST_F(HttpsGetTest, ReportsConnectionRefused) {
  int port = 0;
  UniqueFd closed = BindLoopback(/*listening=*/false, &port);  // bound, so nobody else listens
  ASSERT_TRUE(closed.valid());
  absl::StatusOr<std::string> body = HttpsGet(Request(port, "/x"));
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(body.status().message(),
            absl::StrCat("https://127.0.0.1:", port, "/x: connect: Connection refused"));
}

TEST_F(HttpsGetTest, SendsBearerToken) {
  TlsTestServer server(server_, [](const std::string& request) {
    return request.find("\r\nAuthorization: Bearer tok.en-123\r\n") != std::string::npos
               ? Ok("{\"authorized\":true}")
               : std::string("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n");
  });
  HttpsGetRequest request = Request(server.port());
  request.bearer_token = "tok.en-123";
  absl::StatusOr<std::string> body = HttpsGet(request);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, "{\"authorized\":true}");

  request.bearer_token = "other";
  absl::StatusOr<std::string> refused = HttpsGet(request);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("HTTP 401 Unauthorized"));
}

TEST_F(HttpsGetTest, RefusesLineBreaksBeforeConnecting) {
  int port = 0;
  UniqueFd listener = BindLoopback(/*listening=*/true, &port);
  ASSERT_TRUE(listener.valid());
  std::vector<HttpsGetRequest> requests(3, Request(port));
  requests[0].bearer_token = "secret\r\nX-Injected: 1";
  requests[1].path = "/doc HTTP/1.1\r\nX-Injected: 1\r\n";
  requests[2].server_name = "kubernetes.default.svc\n";
  for (const HttpsGetRequest& request : requests) {
    absl::StatusOr<std::string> body = HttpsGet(request);
    ASSERT_FALSE(body.ok());
    EXPECT_EQ(body.status().code(), absl::StatusCode::kInvalidArgument) << body.status();
    EXPECT_THAT(std::string(body.status().message()), Not(HasSubstr("secret")));
  }
  pollfd entry{listener.get(), POLLIN, 0};
  EXPECT_EQ(poll(&entry, 1, 100), 0) << "a connection was made";
}

TEST_F(HttpsGetTest, RefusesInvalidRequests) {
  HttpsGetRequest no_slash = Request(443, "doc");
  HttpsGetRequest no_ca = Request(443);
  no_ca.ca_file.clear();
  HttpsGetRequest bad_port = Request(70000);
  HttpsGetRequest bad_host = Request(443);
  bad_host.host = "evil.example/path";
  for (const HttpsGetRequest& request : {no_slash, no_ca, bad_port, bad_host}) {
    EXPECT_EQ(HttpsGet(request).status().code(), absl::StatusCode::kInvalidArgument);
  }
  HttpsGetRequest missing_ca = Request(443);
  missing_ca.ca_file = dir_.Join("missing.crt");
  absl::StatusOr<std::string> body = HttpsGet(missing_ca);
  EXPECT_EQ(body.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(body.status().message()), HasSubstr(missing_ca.ca_file));
}

}  // namespace
}  // namespace vigil::controller

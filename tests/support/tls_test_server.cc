#include "tests/support/tls_test_server.h"

#include <netinet/in.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace vigil::testing {
namespace {

// Bounds on one request head, and on one TLS write of the response.
constexpr size_t kMaxRequestBytes = 65536;
constexpr size_t kWriteChunk = 16384;

}  // namespace

TlsCredential MakeTlsCredential(const std::string& common_name, const TlsCredential* issuer,
                                const std::vector<std::pair<int, std::string>>& extensions) {
  static std::atomic<long> serial{1};
  TlsCredential made;
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
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
    X509ExtensionPtr extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str()));
    ok = ok && extension != nullptr && X509_add_ext(cert.get(), extension.get(), -1) == 1;
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

TlsCredential MakeTestCa(const std::string& common_name) {
  return MakeTlsCredential(common_name, nullptr,
                           {{NID_basic_constraints, "critical,CA:TRUE"},
                            {NID_key_usage, "critical,keyCertSign,cRLSign"}});
}

TlsCredential MakeTestServerCert(const TlsCredential& ca, const std::string& san) {
  return MakeTlsCredential("vigil-test-server", &ca,
                           {{NID_basic_constraints, "CA:FALSE"},
                            {NID_key_usage, "critical,digitalSignature"},
                            {NID_ext_key_usage, "serverAuth"},
                            {NID_subject_alt_name, san}});
}

void WriteCertificatePem(const TlsCredential& credential, const std::string& path) {
  BioPtr file(BIO_new_file(path.c_str(), "w"));
  ASSERT_NE(file, nullptr) << path;
  ASSERT_EQ(PEM_write_bio_X509(file.get(), credential.cert.get()), 1) << path;
}

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

std::string JsonResponse(const std::string& body, const std::string& status) {
  return absl::StrCat("HTTP/1.1 ", status,
                      "\r\nContent-Type: application/json\r\nContent-Length: ", body.size(),
                      "\r\n\r\n", body);
}

TlsResponder Always(std::string response) {
  return [response = std::move(response)](const std::string&) { return response; };
}

TlsResponder ByPath(std::map<std::string, std::string> responses) {
  return [responses = std::move(responses)](const std::string& request) {
    size_t path_start = request.find(' ') + 1;
    std::string path = request.substr(path_start, request.find(' ', path_start) - path_start);
    auto found = responses.find(path);
    return found != responses.end() ? found->second
                                    : "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
  };
}

TlsTestServer::TlsTestServer(const TlsCredential& credential, TlsResponder responder,
                             bool close_notify)
    : responder_(std::move(responder)), close_notify_(close_notify) {
  listener_ = BindLoopback(/*listening=*/true, &port_);
  if (!listener_.valid()) return;
  ctx_.reset(SSL_CTX_new(TLS_server_method()));
  if (ctx_ == nullptr || credential.cert == nullptr || credential.key == nullptr ||
      SSL_CTX_use_certificate(ctx_.get(), credential.cert.get()) != 1 ||
      SSL_CTX_use_PrivateKey(ctx_.get(), credential.key.get()) != 1) {
    ADD_FAILURE() << "cannot set up the server's TLS context";
    return;
  }
  thread_ = std::thread([this] { Run(); });
}

TlsTestServer::~TlsTestServer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::vector<std::string> TlsTestServer::requests() const {
  absl::MutexLock lock(&mu_);
  return requests_;
}

std::string TlsTestServer::last_request() const {
  absl::MutexLock lock(&mu_);
  return requests_.empty() ? std::string() : requests_.back();
}

std::string TlsTestServer::last_sni() const {
  absl::MutexLock lock(&mu_);
  return last_sni_;
}

void TlsTestServer::Run() {
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

void TlsTestServer::Serve(int fd) {
  SslPtr ssl(SSL_new(ctx_.get()));
  if (ssl == nullptr || SSL_set_fd(ssl.get(), fd) != 1 || SSL_accept(ssl.get()) != 1) return;
  const char* sni = SSL_get_servername(ssl.get(), TLSEXT_NAMETYPE_host_name);
  std::string request;
  char buffer[4096];
  while (request.find("\r\n\r\n") == std::string::npos && request.size() < kMaxRequestBytes) {
    int got = SSL_read(ssl.get(), buffer, sizeof(buffer));
    if (got <= 0) return;
    request.append(buffer, static_cast<size_t>(got));
  }
  {
    absl::MutexLock lock(&mu_);
    requests_.push_back(request);
    last_sni_ = sni != nullptr ? sni : "";
  }
  std::string response = responder_(request);
  size_t sent = 0;
  while (sent < response.size()) {
    int wrote = SSL_write(ssl.get(), response.data() + sent,
                          static_cast<int>(std::min(response.size() - sent, kWriteChunk)));
    if (wrote <= 0) return;
    sent += static_cast<size_t>(wrote);
  }
  if (close_notify_) SSL_shutdown(ssl.get());
}

}  // namespace vigil::testing

// TlsTestServer: a real TLS server on 127.0.0.1 for the tests of Vigil's HTTPS client, and
// the in-memory certificates (a CA, server certificates signed by it, self-signed ones) it
// presents.
#ifndef VIGIL_TESTS_SUPPORT_TLS_TEST_SERVER_H_
#define VIGIL_TESTS_SUPPORT_TLS_TEST_SERVER_H_

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/openssl_ptr.h"
#include "common/unique_fd.h"

namespace vigil::testing {

// A certificate and its private key. Both null when making them failed.
struct TlsCredential {
  EvpPkeyPtr key;
  X509Ptr cert;
};

// A P-256 certificate for `common_name`, valid from an hour ago for a day, with the given
// X.509v3 extensions (nid, OpenSSL config value such as "critical,CA:TRUE"), signed by
// `issuer` or self-signed when `issuer` is null. On error: a test failure and null members.
TlsCredential MakeTlsCredential(const std::string& common_name, const TlsCredential* issuer,
                                const std::vector<std::pair<int, std::string>>& extensions);

// A self-signed CA certificate (basic constraints CA:TRUE, may sign certificates).
TlsCredential MakeTestCa(const std::string& common_name);

// A server certificate signed by `ca` for the subject alternative names `san`, in
// OpenSSL's config syntax: "DNS:kubernetes.default.svc,IP:127.0.0.1".
TlsCredential MakeTestServerCert(const TlsCredential& ca, const std::string& san);

// Writes `credential`'s certificate as PEM to `path` (a CA bundle for the client). Fails
// the test (fatally, so call it through ASSERT_NO_FATAL_FAILURE where it matters) on error.
void WriteCertificatePem(const TlsCredential& credential, const std::string& path);

// A TCP socket bound to 127.0.0.1 on an ephemeral port, stored in `*port`; listening too
// when `listening` (a socket that is only bound refuses connections while keeping the port).
// On error: a test failure and an invalid descriptor.
UniqueFd BindLoopback(bool listening, int* port);

// An HTTP/1.1 response carrying `body` as application/json with a Content-Length.
std::string JsonResponse(const std::string& body, const std::string& status = "200 OK");

// Produces the raw response (status line, headers, body) to one request head.
using TlsResponder = std::function<std::string(const std::string& request)>;

// A responder that always answers `response`.
TlsResponder Always(std::string response);

// A responder that answers each request with the response registered for its path
// (exactly as the request line spells it, query included), or with 404 otherwise.
TlsResponder ByPath(std::map<std::string, std::string> responses);

// A TLS server on 127.0.0.1 (ephemeral port) that serves one connection at a time on its
// own thread: it reads a request head, answers with the raw bytes its responder returns and
// then closes the TLS session cleanly. It records every request and the SNI name of the
// last one. Stops (and joins its thread) on destruction.
class TlsTestServer {
 public:
  // Serves with `credential`'s certificate and key. `close_notify` false: the server drops
  // the TCP connection without closing TLS, as a truncating peer would. On error (no
  // socket, a bad credential): a test failure and a server that never answers.
  TlsTestServer(const TlsCredential& credential, TlsResponder responder, bool close_notify = true);
  ~TlsTestServer();
  TlsTestServer(const TlsTestServer&) = delete;
  TlsTestServer& operator=(const TlsTestServer&) = delete;

  // The port the server listens on.
  int port() const { return port_; }
  // Every request head received so far, in order.
  std::vector<std::string> requests() const;
  // The most recent request head ("" before the first).
  std::string last_request() const;
  // The SNI name the most recent request's client sent ("" when none).
  std::string last_sni() const;

 private:
  void Run();
  void Serve(int fd);

  TlsResponder responder_;
  bool close_notify_;
  UniqueFd listener_;
  int port_ = 0;
  SslCtxPtr ctx_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable absl::Mutex mu_;
  std::vector<std::string> requests_ ABSL_GUARDED_BY(mu_);
  std::string last_sni_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vigil::testing

#endif  // VIGIL_TESTS_SUPPORT_TLS_TEST_SERVER_H_

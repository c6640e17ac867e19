// Tests of the in-cluster key discovery (controller/identity/kube_keys.h): the endpoint
// read from the environment, and FetchClusterSigningKeys against a TLS server on 127.0.0.1
// that plays the API server (a self-signed certificate for kubernetes.default.svc, which
// the test also uses as the CA bundle).
#include "controller/identity/kube_keys.h"

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
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/unique_fd.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_dir.h"

namespace vigil::controller {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kDiscoveryPath[] = "/.well-known/openid-configuration";
constexpr char kJwksPath[] = "/openid/v1/jwks";
constexpr char kJwks[] =
    "{\"keys\":[{\"use\":\"sig\",\"kty\":\"RSA\",\"kid\":\"k1\",\"alg\":\"RS256\","
    "\"n\":\"AQAB\",\"e\":\"AQAB\"}]}";

// Sets (or, for nullopt, unsets) an environment variable and restores it afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    Apply(value);
  }
  ~ScopedEnv() { Apply(old_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  void Apply(const std::optional<std::string>& value) {
    int rc = value.has_value() ? setenv(name_, value->c_str(), 1) : unsetenv(name_);
    EXPECT_EQ(rc, 0) << name_;
  }

  const char* name_;
  std::optional<std::string> old_;
};

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

// A TLS server on 127.0.0.1 with a self-signed certificate for kubernetes.default.svc,
// answering each request with the response registered for its path (404 otherwise) and
// recording the requests it saw.
class FakeApiServer {
 public:
  explicit FakeApiServer(std::map<std::string, std::string> responses)
      : responses_(std::move(responses)) {
    Start();
  }

  ~FakeApiServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

  int port() const { return port_; }

  // Writes the server's certificate (its own CA) to `path`.
  void WriteCa(const std::string& path) const {
    std::unique_ptr<BIO, BioFree> file(BIO_new_file(path.c_str(), "w"));
    ASSERT_NE(file, nullptr) << path;
    ASSERT_EQ(PEM_write_bio_X509(file.get(), cert_.get()), 1) << path;
  }

  std::vector<std::string> requests() const {
    absl::MutexLock lock(&mu_);
    return requests_;
  }

 private:
  void Start() {
    std::unique_ptr<EVP_PKEY, PkeyFree> key(EVP_EC_gen("P-256"));
    cert_.reset(X509_new());
    ctx_.reset(SSL_CTX_new(TLS_server_method()));
    ASSERT_NE(key, nullptr);
    ASSERT_NE(cert_, nullptr);
    ASSERT_NE(ctx_, nullptr);
    X509_NAME* name = X509_get_subject_name(cert_.get());
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, cert_.get(), cert_.get(), nullptr, nullptr, 0);
    X509_EXTENSION* san =
        X509V3_EXT_conf_nid(nullptr, &context, NID_subject_alt_name, "DNS:kubernetes.default.svc");
    ASSERT_NE(san, nullptr);
    bool ok = X509_set_version(cert_.get(), X509_VERSION_3) == 1 &&
              ASN1_INTEGER_set(X509_get_serialNumber(cert_.get()), 1) == 1 &&
              X509_gmtime_adj(X509_getm_notBefore(cert_.get()), -3600) != nullptr &&
              X509_gmtime_adj(X509_getm_notAfter(cert_.get()), 86400) != nullptr &&
              X509_set_pubkey(cert_.get(), key.get()) == 1 &&
              X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                         reinterpret_cast<const unsigned char*>("kubernetes"), -1,
                                         -1, 0) == 1 &&
              X509_set_issuer_name(cert_.get(), name) == 1 &&
              X509_add_ext(cert_.get(), san, -1) == 1 &&
              X509_sign(cert_.get(), key.get(), EVP_sha256()) > 0 &&
              SSL_CTX_use_certificate(ctx_.get(), cert_.get()) == 1 &&
              SSL_CTX_use_PrivateKey(ctx_.get(), key.get()) == 1;
    X509_EXTENSION_free(san);
    ASSERT_TRUE(ok) << "cannot build the server's certificate";

    listener_.reset(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    ASSERT_TRUE(listener_.valid());
    ASSERT_EQ(bind(listener_.get(), reinterpret_cast<sockaddr*>(&address), length), 0);
    ASSERT_EQ(listen(listener_.get(), 16), 0);
    ASSERT_EQ(getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&address), &length), 0);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { Run(); });
  }

  void Run() {
    sigset_t pipe;  // a client that went away makes writes fail with EPIPE instead
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
    std::unique_ptr<SSL, SslFree> ssl(SSL_new(ctx_.get()));
    if (ssl == nullptr || SSL_set_fd(ssl.get(), fd) != 1 || SSL_accept(ssl.get()) != 1) return;
    std::string request;
    char buffer[4096];
    while (request.find("\r\n\r\n") == std::string::npos && request.size() < 65536) {
      int got = SSL_read(ssl.get(), buffer, sizeof(buffer));
      if (got <= 0) return;
      request.append(buffer, static_cast<size_t>(got));
    }
    {
      absl::MutexLock lock(&mu_);
      requests_.push_back(request);
    }
    size_t path_start = request.find(' ') + 1;
    std::string path = request.substr(path_start, request.find(' ', path_start) - path_start);
    auto found = responses_.find(path);
    std::string response = found != responses_.end()
                               ? found->second
                               : "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    SSL_write(ssl.get(), response.data(), static_cast<int>(response.size()));
    SSL_shutdown(ssl.get());
  }

  std::map<std::string, std::string> responses_;
  std::unique_ptr<X509, X509Free> cert_;
  std::unique_ptr<SSL_CTX, SslCtxFree> ctx_;
  UniqueFd listener_;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable absl::Mutex mu_;
  std::vector<std::string> requests_;
};

std::string Json(const std::string& body, const std::string& status = "200 OK") {
  return absl::StrCat("HTTP/1.1 ", status,
                      "\r\nContent-Type: application/json\r\nContent-Length: ", body.size(),
                      "\r\n\r\n", body);
}

std::string Discovery(const std::string& issuer) {
  return Json(absl::StrCat("{\"issuer\":\"", issuer,
                           "\",\"jwks_uri\":\"https://10.0.0.1:443/openid/v1/jwks\","
                           "\"response_types_supported\":[\"id_token\"]}"));
}

class KubeKeysTest : public ::testing::Test {
 protected:
  // An endpoint for `server` with the test's CA and token files.
  KubeApiEndpoint Endpoint(const FakeApiServer& server) {
    server.WriteCa(dir_.Join("ca.crt"));
    KubeApiEndpoint endpoint;
    endpoint.host = "127.0.0.1";
    endpoint.port = server.port();
    endpoint.ca_file = dir_.Join("ca.crt");
    endpoint.token_file = dir_.WriteFile("token", "sa-token-1\n");
    endpoint.timeout = absl::Seconds(5);
    return endpoint;
  }

  vigil::testing::TestDir dir_{"kube-keys"};
};

TEST(KubeApiEndpointTest, ReadsHostAndPortFromEnvironment) {
  {
    ScopedEnv host("KUBERNETES_SERVICE_HOST", "10.96.0.1");
    ScopedEnv port("KUBERNETES_SERVICE_PORT", "6443");
    absl::StatusOr<KubeApiEndpoint> endpoint = KubeApiEndpoint::FromEnvironment();
    ASSERT_TRUE(endpoint.ok()) << endpoint.status();
    EXPECT_EQ(endpoint->host, "10.96.0.1");
    EXPECT_EQ(endpoint->port, 6443);
    EXPECT_EQ(endpoint->server_name, "kubernetes.default.svc");
    EXPECT_EQ(endpoint->ca_file, "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt");
    EXPECT_EQ(endpoint->token_file, "/var/run/secrets/kubernetes.io/serviceaccount/token");
  }
  {
    ScopedEnv host("KUBERNETES_SERVICE_HOST", "fd00:10:96::1");
    ScopedEnv port("KUBERNETES_SERVICE_PORT", "443");
    absl::StatusOr<KubeApiEndpoint> endpoint = KubeApiEndpoint::FromEnvironment();
    ASSERT_TRUE(endpoint.ok()) << endpoint.status();
    EXPECT_EQ(endpoint->host, "fd00:10:96::1");
    EXPECT_EQ(endpoint->port, 443);
  }
}

TEST(KubeApiEndpointTest, NamesMissingOrInvalidVariable) {
  struct Case {
    std::optional<std::string> host;
    std::optional<std::string> port;
    std::string named;
  };
  std::vector<Case> cases = {
      {std::nullopt, "443", "KUBERNETES_SERVICE_HOST is not set"},
      {"", "443", "KUBERNETES_SERVICE_HOST is not set"},
      {"10.96.0.1\nHost: evil", "443", "KUBERNETES_SERVICE_HOST is not a host"},
      {"10.96.0.1", std::nullopt, "KUBERNETES_SERVICE_PORT is not set"},
      {"10.96.0.1", "https", "KUBERNETES_SERVICE_PORT is not a port number: \"https\""},
      {"10.96.0.1", "70000", "KUBERNETES_SERVICE_PORT is not a port number"},
      {"10.96.0.1", "-1", "KUBERNETES_SERVICE_PORT is not a port number"},
  };
  for (const Case& test : cases) {
    ScopedEnv host("KUBERNETES_SERVICE_HOST", test.host);
    ScopedEnv port("KUBERNETES_SERVICE_PORT", test.port);
    absl::StatusOr<KubeApiEndpoint> endpoint = KubeApiEndpoint::FromEnvironment();
    ASSERT_FALSE(endpoint.ok()) << test.named;
    EXPECT_EQ(endpoint.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(std::string(endpoint.status().message()), HasSubstr(test.named));
  }
}

TEST_F(KubeKeysTest, FetchesIssuerAndKeys) {
  FakeApiServer server({{kDiscoveryPath, Discovery("https://kubernetes.default.svc.cluster.local")},
                        {kJwksPath, Json(kJwks)}});
  absl::StatusOr<ClusterSigningKeys> keys = FetchClusterSigningKeys(Endpoint(server));
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(keys->issuer, "https://kubernetes.default.svc.cluster.local");
  EXPECT_EQ(keys->jwks, kJwks);
  std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_THAT(requests[0], ::testing::StartsWith(absl::StrCat("GET ", kDiscoveryPath, " ")));
  EXPECT_THAT(requests[1], ::testing::StartsWith(absl::StrCat("GET ", kJwksPath, " ")));
  for (const std::string& request : requests) {
    EXPECT_THAT(request, HasSubstr("\r\nAuthorization: Bearer sa-token-1\r\n"));
  }
}

TEST_F(KubeKeysTest, RereadsTokenOnEachFetch) {
  FakeApiServer server(
      {{kDiscoveryPath, Discovery("https://issuer.example")}, {kJwksPath, Json(kJwks)}});
  KubeApiEndpoint endpoint = Endpoint(server);
  ASSERT_TRUE(FetchClusterSigningKeys(endpoint).ok());
  dir_.WriteFile("token", "  sa-token-2\r\n");
  ASSERT_TRUE(FetchClusterSigningKeys(endpoint).ok());
  std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_THAT(requests[3], HasSubstr("\r\nAuthorization: Bearer sa-token-2\r\n"));
}

TEST_F(KubeKeysTest, RefusesDiscoveryWithoutIssuer) {
  FakeApiServer server({{kDiscoveryPath, Json("{\"jwks_uri\":\"https://x/openid/v1/jwks\"}")},
                        {kJwksPath, Json(kJwks)}});
  absl::StatusOr<ClusterSigningKeys> keys = FetchClusterSigningKeys(Endpoint(server));
  ASSERT_FALSE(keys.ok());
  EXPECT_EQ(keys.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(keys.status().message(),
            absl::StrCat("https://127.0.0.1:", server.port(), kDiscoveryPath,
                         ": the discovery document has no \"issuer\" string"));
  EXPECT_EQ(server.requests().size(), 1u);  // the keys were not fetched
}

TEST_F(KubeKeysTest, RefusesDocumentsThatAreNotJsonObjects) {
  FakeApiServer bad_discovery({{kDiscoveryPath, Json("[1,2]")}, {kJwksPath, Json(kJwks)}});
  absl::StatusOr<ClusterSigningKeys> keys = FetchClusterSigningKeys(Endpoint(bad_discovery));
  EXPECT_THAT(std::string(keys.status().message()), HasSubstr("not a JSON object"));

  FakeApiServer bad_jwks({{kDiscoveryPath, Discovery("https://issuer.example")},
                          {kJwksPath, Json("{\"keys\":\"none\"}")}});
  keys = FetchClusterSigningKeys(Endpoint(bad_jwks));
  EXPECT_THAT(std::string(keys.status().message()),
              HasSubstr(absl::StrCat(kJwksPath, ": the key set has no \"keys\" list")));
}

TEST_F(KubeKeysTest, ForbiddenHintsAtIssuerDiscoveryRole) {
  FakeApiServer server(
      {{kDiscoveryPath, Json("{\"kind\":\"Status\",\"reason\":\"Forbidden\"}", "403 Forbidden")}});
  absl::StatusOr<ClusterSigningKeys> keys = FetchClusterSigningKeys(Endpoint(server));
  ASSERT_FALSE(keys.ok());
  EXPECT_EQ(keys.status().code(), absl::StatusCode::kPermissionDenied);
  std::string message(keys.status().message());
  EXPECT_THAT(message, HasSubstr(absl::StrCat(kDiscoveryPath, ": HTTP 403: {\"kind\"")));
  EXPECT_THAT(message, HasSubstr("system:service-account-issuer-discovery"));
}

TEST_F(KubeKeysTest, RefusesMissingOrEmptyToken) {
  FakeApiServer server({{kDiscoveryPath, Discovery("https://issuer.example")}});
  KubeApiEndpoint endpoint = Endpoint(server);
  endpoint.token_file = dir_.Join("no-token");
  absl::StatusOr<ClusterSigningKeys> keys = FetchClusterSigningKeys(endpoint);
  EXPECT_EQ(keys.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(keys.status().message()), HasSubstr(endpoint.token_file));

  endpoint.token_file = dir_.WriteFile("empty-token", " \n");
  keys = FetchClusterSigningKeys(endpoint);
  EXPECT_EQ(keys.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(keys.status().message()), HasSubstr("is empty"));
  EXPECT_THAT(server.requests(), ElementsAre());  // nothing was sent without a token
}

}  // namespace
}  // namespace vigil::controller

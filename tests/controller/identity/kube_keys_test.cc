// Tests of the in-cluster key discovery (controller/identity/kube_keys.h): the endpoint
// read from the environment, and FetchClusterSigningKeys against a TLS server on 127.0.0.1
// that plays the API server (a self-signed certificate for kubernetes.default.svc, which
// the test also uses as the CA bundle).
#include "controller/identity/kube_keys.h"

#include <openssl/x509v3.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_dir.h"
#include "tests/support/tls_test_server.h"

namespace vigil::controller {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::vigil::testing::JsonResponse;

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

// The API server: a TLS server on 127.0.0.1 with a self-signed certificate for
// kubernetes.default.svc, answering each request with the response registered for its path
// (404 otherwise) and recording the requests it saw.
class FakeApiServer {
 public:
  explicit FakeApiServer(std::map<std::string, std::string> responses)
      : credential_(vigil::testing::MakeTlsCredential(
            "kubernetes", /*issuer=*/nullptr,
            {{NID_subject_alt_name, "DNS:kubernetes.default.svc"}})),
        server_(credential_, vigil::testing::ByPath(std::move(responses))) {}

  int port() const { return server_.port(); }

  // Writes the server's certificate (its own CA) to `path`.
  void WriteCa(const std::string& path) const {
    vigil::testing::WriteCertificatePem(credential_, path);
  }

  std::vector<std::string> requests() const { return server_.requests(); }

 private:
  vigil::testing::TlsCredential credential_;  // before server_, which serves it
  vigil::testing::TlsTestServer server_;
};

std::string Discovery(const std::string& issuer) {
  return JsonResponse(absl::StrCat("{\"issuer\":\"", issuer,
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
                        {kJwksPath, JsonResponse(kJwks)}});
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
      {{kDiscoveryPath, Discovery("https://issuer.example")}, {kJwksPath, JsonResponse(kJwks)}});
  KubeApiEndpoint endpoint = Endpoint(server);
  ASSERT_TRUE(FetchClusterSigningKeys(endpoint).ok());
  dir_.WriteFile("token", "  sa-token-2\r\n");
  ASSERT_TRUE(FetchClusterSigningKeys(endpoint).ok());
  std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_THAT(requests[3], HasSubstr("\r\nAuthorization: Bearer sa-token-2\r\n"));
}

TEST_F(KubeKeysTest, RefusesDiscoveryWithoutIssuer) {
  FakeApiServer server(
      {{kDiscoveryPath, JsonResponse("{\"jwks_uri\":\"https://x/openid/v1/jwks\"}")},
       {kJwksPath, JsonResponse(kJwks)}});
  absl::StatusOr<ClusterSigningKeys> keys = FetchClusterSigningKeys(Endpoint(server));
  ASSERT_FALSE(keys.ok());
  EXPECT_EQ(keys.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(keys.status().message(),
            absl::StrCat("https://127.0.0.1:", server.port(), kDiscoveryPath,
                         ": the discovery document has no \"issuer\" string"));
  EXPECT_EQ(server.requests().size(), 1u);  // the keys were not fetched
}

TEST_F(KubeKeysTest, RefusesDocumentsThatAreNotJsonObjects) {
  FakeApiServer bad_discovery(
      {{kDiscoveryPath, JsonResponse("[1,2]")}, {kJwksPath, JsonResponse(kJwks)}});
  absl::StatusOr<ClusterSigningKeys> keys = FetchClusterSigningKeys(Endpoint(bad_discovery));
  EXPECT_THAT(std::string(keys.status().message()), HasSubstr("not a JSON object"));

  FakeApiServer bad_jwks({{kDiscoveryPath, Discovery("https://issuer.example")},
                          {kJwksPath, JsonResponse("{\"keys\":\"none\"}")}});
  keys = FetchClusterSigningKeys(Endpoint(bad_jwks));
  EXPECT_THAT(std::string(keys.status().message()),
              HasSubstr(absl::StrCat(kJwksPath, ": the key set has no \"keys\" list")));
}

TEST_F(KubeKeysTest, ForbiddenHintsAtIssuerDiscoveryRole) {
  FakeApiServer server(
      {{kDiscoveryPath,
        JsonResponse("{\"kind\":\"Status\",\"reason\":\"Forbidden\"}", "403 Forbidden")}});
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

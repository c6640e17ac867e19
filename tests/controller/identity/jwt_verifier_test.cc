// Tests of TokenVerifier (controller/identity/jwt_verifier.h) with tokens a TestIssuer
// mints: valid RS256 and ES256 tokens, every reason a token is refused, malformed input,
// and key rotation.
#include "controller/identity/jwt_verifier.h"

#include <atomic>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_issuer.h"

namespace vigil::controller {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::vigil::testing::EcIssuer;
using ::vigil::testing::RsaIssuer;
using ::vigil::testing::TestIssuer;

constexpr int64_t kNow = 1767225600;  // 2026-01-01T00:00:00Z
constexpr char kAudience[] = "vigil-controller";
constexpr char kApiServerAudience[] = "https://kubernetes.default.svc.cluster.local";

// An issuer with the same name and kid as RsaIssuer() but its own key.
const TestIssuer& ImpostorIssuer() {
  static const TestIssuer* issuer = new TestIssuer(TestIssuer::Create(TestIssuer::Alg::kRS256));
  return *issuer;
}

std::shared_ptr<const JwkSet> Keys(const std::string& document) {
  auto keys = JwkSet::Parse(document);
  EXPECT_TRUE(keys.ok()) << keys.status();
  return keys.ok() ? *keys : nullptr;
}

std::unique_ptr<TokenVerifier> VerifierFor(const TestIssuer& issuer, TokenPolicy policy = {}) {
  if (policy.issuer.empty()) policy.issuer = issuer.issuer();
  if (policy.audience.empty()) policy.audience = kAudience;
  auto verifier = std::make_unique<TokenVerifier>(std::move(policy));
  verifier->SetKeys(Keys(issuer.Jwks()));
  return verifier;
}

// Claims of a valid token issued a minute before kNow.
TestIssuer::Claims Fresh() {
  TestIssuer::Claims claims;
  claims.issued_at = kNow - 60;
  claims.jti = "6f1c2a9e-jti";
  return claims;
}

std::string B64(absl::string_view text) { return absl::WebSafeBase64Escape(text); }

// Expects `result` to be an UNAUTHENTICATED refusal whose message contains `reason`.
template <typename T>
void ExpectRefused(const absl::StatusOr<T>& result, absl::string_view reason) {
  ASSERT_FALSE(result.ok()) << "accepted; expected refusal with: " << reason;
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnauthenticated) << result.status();
  EXPECT_THAT(result.status().message(), HasSubstr(std::string(reason)));
}

TEST(TokenVerifierTest, VerifiesRs256PodBoundToken) {
  auto verifier = VerifierFor(RsaIssuer());
  auto claims = verifier->Verify(RsaIssuer().Sign(Fresh()), kNow);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->issuer, "https://kubernetes.default.svc.cluster.local");
  EXPECT_EQ(claims->subject, "system:serviceaccount:vigil-system:vigil-sensor");
  EXPECT_EQ(claims->id, "6f1c2a9e-jti");
  EXPECT_EQ(claims->issued_at, kNow - 60);
  EXPECT_EQ(claims->not_before, kNow - 60);
  EXPECT_EQ(claims->expires, kNow - 60 + 3600);
  EXPECT_EQ(claims->namespace_name, "vigil-system");
  EXPECT_EQ(claims->service_account, "vigil-sensor");
  EXPECT_EQ(claims->service_account_uid, TestIssuer::Claims().service_account_uid);
  EXPECT_EQ(claims->pod_name, "vigil-sensor-abcde");
  EXPECT_EQ(claims->pod_uid, TestIssuer::Claims().pod_uid);
  EXPECT_EQ(claims->node_name, "node-a");
  EXPECT_EQ(claims->node_uid, TestIssuer::Claims().node_uid);
}

TEST(TokenVerifierTest, VerifiesEs256Token) {
  auto verifier = VerifierFor(EcIssuer());
  TestIssuer::Claims fresh = Fresh();
  fresh.node = "node-b";
  auto claims = verifier->Verify(EcIssuer().Sign(fresh), kNow);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->node_name, "node-b");
  EXPECT_EQ(claims->service_account, "vigil-sensor");
}

TEST(TokenVerifierTest, VerifiesAgainstAMixedKeySet) {
  TokenPolicy policy;
  policy.issuer = RsaIssuer().issuer();
  policy.audience = kAudience;
  TokenVerifier verifier(policy);
  verifier.SetKeys(Keys(absl::StrCat("-----BEGIN NOTHING-----\nAA==\n-----END NOTHING-----\n",
                                     EcIssuer().PublicPem(), RsaIssuer().PublicPem())));
  EXPECT_TRUE(verifier.Verify(RsaIssuer().Sign(Fresh()), kNow).ok());
  EXPECT_TRUE(verifier.Verify(EcIssuer().Sign(Fresh()), kNow).ok());
}

TEST(TokenVerifierTest, PodAndNodeBindingsAreOptional) {
  auto verifier = VerifierFor(RsaIssuer());
  TestIssuer::Claims unbound = Fresh();
  unbound.pod = "";
  unbound.node = "";
  auto claims = verifier->Verify(RsaIssuer().Sign(unbound), kNow);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->pod_name, "");
  EXPECT_EQ(claims->node_name, "");
  EXPECT_EQ(claims->node_uid, "");
  EXPECT_EQ(claims->namespace_name, "vigil-system");
}

TEST(TokenVerifierTest, RefusesTokenSignedWithAnotherKey) {
  auto verifier = VerifierFor(RsaIssuer());
  ExpectRefused(verifier->Verify(ImpostorIssuer().Sign(Fresh()), kNow),
                "token signature does not verify against any of 1 RS256 keys (kid \"test-key\")");
}

TEST(TokenVerifierTest, RefusesTamperedPayload) {
  auto verifier = VerifierFor(RsaIssuer());
  std::vector<std::string> parts = absl::StrSplit(RsaIssuer().Sign(Fresh()), '.');
  ASSERT_EQ(parts.size(), 3u);
  TestIssuer::Claims other = Fresh();
  other.ns = "kube-system";
  parts[1] = B64(RsaIssuer().ClaimsJson(other));
  ExpectRefused(verifier->Verify(absl::StrJoin(parts, "."), kNow), "does not verify");
}

TEST(TokenVerifierTest, RefusesTamperedSignature) {
  for (const TestIssuer* issuer : {&RsaIssuer(), &EcIssuer()}) {
    auto verifier = VerifierFor(*issuer);
    std::string token = issuer->Sign(Fresh());
    char& c = token[token.size() - 10];
    c = c == 'A' ? 'B' : 'A';
    ExpectRefused(verifier->Verify(token, kNow), "does not verify");
  }
}

TEST(TokenVerifierTest, RefusesAlgNone) {
  auto verifier = VerifierFor(RsaIssuer());
  TestIssuer::Claims claims = Fresh();
  claims.alg_override = "none";
  const std::string token = RsaIssuer().Sign(claims);
  ASSERT_EQ(token.back(), '.');
  ExpectRefused(verifier->Verify(token, kNow), "token alg \"none\" is not accepted");
}

TEST(TokenVerifierTest, RefusesHs256KeyConfusion) {
  auto verifier = VerifierFor(RsaIssuer());
  TestIssuer::Claims claims = Fresh();
  claims.alg_override = "HS256";
  ExpectRefused(verifier->Verify(RsaIssuer().Sign(claims), kNow),
                "token alg \"HS256\" is not accepted");
}

TEST(TokenVerifierTest, RefusesOtherAlgorithms) {
  auto verifier = VerifierFor(RsaIssuer());
  for (const char* alg : {"RS384", "RS512", "PS256", "ES384", "EdDSA", "rs256"}) {
    TestIssuer::Claims claims = Fresh();
    claims.alg_override = alg;
    ExpectRefused(verifier->Verify(RsaIssuer().Sign(claims), kNow),
                  absl::StrCat("token alg \"", alg, "\" is not accepted"));
  }
  ExpectRefused(verifier->Verify(RsaIssuer().SignRaw(R"({"alg":256})", "{}"), kNow),
                "\"alg\" is not a string");
  ExpectRefused(verifier->Verify(RsaIssuer().SignRaw(R"({"kid":"test-key"})", "{}"), kNow),
                "no \"alg\"");
}

TEST(TokenVerifierTest, RefusesEs256TokenWhenOnlyRsaKeysAreKnown) {
  auto verifier = VerifierFor(RsaIssuer());
  TestIssuer::Claims claims = Fresh();
  ExpectRefused(verifier->Verify(EcIssuer().Sign(claims), kNow),
                "token kid \"ec-key\" matches none of the 1 signing keys for ES256");
}

TEST(TokenVerifierTest, RefusesEs256SignatureOfWrongLength) {
  auto verifier = VerifierFor(EcIssuer());
  std::vector<std::string> parts = absl::StrSplit(EcIssuer().Sign(Fresh()), '.');
  ASSERT_EQ(parts.size(), 3u);
  parts[2] = B64(std::string(65, '\x01'));
  ExpectRefused(verifier->Verify(absl::StrJoin(parts, "."), kNow),
                "ES256 signature of 65 bytes (64 required)");
  parts[2] = B64(std::string(64, '\0'));
  ExpectRefused(verifier->Verify(absl::StrJoin(parts, "."), kNow), "does not verify");
}

TEST(TokenVerifierTest, ExpiryHonoursLeeway) {
  auto verifier = VerifierFor(RsaIssuer());
  const std::string token = RsaIssuer().Sign(Fresh());
  const int64_t exp = kNow - 60 + 3600;
  EXPECT_TRUE(verifier->Verify(token, exp).ok());
  EXPECT_TRUE(verifier->Verify(token, exp + 60).ok());
  ExpectRefused(verifier->Verify(token, exp + 61),
                "token expired at 2026-01-01T00:59:00Z (now 2026-01-01T01:00:01Z)");
}

TEST(TokenVerifierTest, RefusesTokensNotYetValid) {
  auto verifier = VerifierFor(RsaIssuer());
  TestIssuer::Claims later = Fresh();
  later.issued_at = kNow - 60;
  later.not_before = kNow + 600;
  ExpectRefused(verifier->Verify(RsaIssuer().Sign(later), kNow),
                "token not valid before 2026-01-01T00:10:00Z");

  TestIssuer::Claims skewed = Fresh();
  skewed.issued_at = kNow + 30;
  EXPECT_TRUE(verifier->Verify(RsaIssuer().Sign(skewed), kNow).ok());
}

TEST(TokenVerifierTest, RefusesTokenIssuedInTheFuture) {
  auto verifier = VerifierFor(RsaIssuer());
  TestIssuer::Claims future = Fresh();
  future.issued_at = kNow + 3600;
  future.not_before = kNow - 60;
  ExpectRefused(verifier->Verify(RsaIssuer().Sign(future), kNow),
                "token issued in the future, at 2026-01-01T01:00:00Z");
}

TEST(TokenVerifierTest, RefusesOverlongLifetime) {
  auto verifier = VerifierFor(RsaIssuer());
  TestIssuer::Claims claims = Fresh();
  claims.lifetime_s = 86400;
  EXPECT_TRUE(verifier->Verify(RsaIssuer().Sign(claims), kNow).ok());
  claims.lifetime_s = 86401;
  ExpectRefused(verifier->Verify(RsaIssuer().Sign(claims), kNow),
                "token lifetime of 86401s exceeds the maximum of 86400s");

  TokenPolicy strict;
  strict.max_lifetime_s = 600;
  claims.lifetime_s = 3600;
  ExpectRefused(VerifierFor(RsaIssuer(), strict)->Verify(RsaIssuer().Sign(claims), kNow),
                "exceeds the maximum of 600s");
}

TEST(TokenVerifierTest, RefusesTokenExpiringBeforeIssue) {
  auto verifier = VerifierFor(RsaIssuer());
  TestIssuer::Claims claims = Fresh();
  claims.lifetime_s = -10;
  ExpectRefused(verifier->Verify(RsaIssuer().Sign(claims), kNow - 65),
                "expires before it was issued");
}

TEST(TokenVerifierTest, RefusesTokenForTheApiServer) {
  auto verifier = VerifierFor(RsaIssuer());
  TestIssuer::Claims claims = Fresh();
  claims.audience = kApiServerAudience;
  ExpectRefused(verifier->Verify(RsaIssuer().Sign(claims), kNow),
                "token audience [\"https://kubernetes.default.svc.cluster.local\"] does not "
                "include vigil-controller");
}

TEST(TokenVerifierTest, AudienceMayBeAStringOrAnyArrayElement) {
  auto verifier = VerifierFor(RsaIssuer());
  const std::string json = RsaIssuer().ClaimsJson(Fresh());
  const std::string array = R"("aud":["vigil-controller"])";
  ASSERT_NE(json.find(array), std::string::npos);
  const std::string header = R"({"alg":"RS256","kid":"test-key"})";
  for (const char* aud : {R"("aud":"vigil-controller")",
                          R"("aud":["https://kubernetes.default.svc","vigil-controller"])"}) {
    std::string payload = json;
    payload.replace(payload.find(array), array.size(), aud);
    EXPECT_TRUE(verifier->Verify(RsaIssuer().SignRaw(header, payload), kNow).ok()) << aud;
  }
  for (const char* aud : {R"("aud":5)", R"("aud":[5])", R"("aud":[])", R"("aud":"vigil")"}) {
    std::string payload = json;
    payload.replace(payload.find(array), array.size(), aud);
    ExpectRefused(verifier->Verify(RsaIssuer().SignRaw(header, payload), kNow), "audience");
  }
}

TEST(TokenVerifierTest, RefusesWrongIssuer) {
  auto verifier = VerifierFor(RsaIssuer());
  TestIssuer::Claims claims = Fresh();
  claims.issuer_override = "https://oidc.example.com/other-cluster";
  ExpectRefused(verifier->Verify(RsaIssuer().Sign(claims), kNow),
                "token issuer \"https://oidc.example.com/other-cluster\" is not "
                "https://kubernetes.default.svc.cluster.local");
}

TEST(TokenVerifierTest, KidSelectsTheKey) {
  auto verifier = VerifierFor(RsaIssuer());
  const std::string payload = RsaIssuer().ClaimsJson(Fresh());
  ExpectRefused(verifier->Verify(
                    RsaIssuer().SignRaw(R"({"alg":"RS256","kid":"rotated-away"})", payload), kNow),
                "token kid \"rotated-away\" matches none of the 1 signing keys for RS256");
  EXPECT_TRUE(verifier->Verify(RsaIssuer().SignRaw(R"({"alg":"RS256"})", payload), kNow).ok());
  ExpectRefused(verifier->Verify(RsaIssuer().SignRaw(R"({"alg":"RS256","kid":7})", payload), kNow),
                "\"kid\" is not a string");
}

TEST(TokenVerifierTest, HeaderTypAndCrit) {
  auto verifier = VerifierFor(RsaIssuer());
  const std::string payload = RsaIssuer().ClaimsJson(Fresh());
  EXPECT_TRUE(
      verifier->Verify(RsaIssuer().SignRaw(R"({"alg":"RS256","typ":"JWT"})", payload), kNow).ok());
  ExpectRefused(
      verifier->Verify(RsaIssuer().SignRaw(R"({"alg":"RS256","typ":"at+jwt"})", payload), kNow),
      "token typ \"at+jwt\" is not JWT");
  ExpectRefused(
      verifier->Verify(RsaIssuer().SignRaw(R"({"alg":"RS256","crit":["exp"],"exp":1})", payload),
                       kNow),
      "critical extensions");
}

TEST(TokenVerifierTest, RefusesSubjectDisagreeingWithKubernetesClaim) {
  auto verifier = VerifierFor(RsaIssuer());
  TestIssuer::Claims claims = Fresh();
  claims.subject_override = "system:serviceaccount:kube-system:vigil-sensor";
  ExpectRefused(verifier->Verify(RsaIssuer().Sign(claims), kNow),
                "disagrees with its kubernetes.io claim (namespace \"vigil-system\"");
  for (const char* subject :
       {"admin", "system:serviceaccount:vigil-system", "system:serviceaccount::vigil-sensor",
        "system:serviceaccount:vigil-system:vigil-sensor:x"}) {
    claims.subject_override = subject;
    ExpectRefused(verifier->Verify(RsaIssuer().Sign(claims), kNow),
                  "is not system:serviceaccount:<namespace>:<name>");
  }
}

TEST(TokenVerifierTest, RefusesTokensWithoutKubernetesClaims) {
  auto verifier = VerifierFor(RsaIssuer());
  const std::string header = R"({"alg":"RS256","kid":"test-key"})";
  const std::string common = absl::StrCat(
      R"({"iss":"https://kubernetes.default.svc.cluster.local","aud":"vigil-controller",)",
      R"("sub":"system:serviceaccount:vigil-system:vigil-sensor","iat":)", kNow - 60);
  ExpectRefused(
      verifier->Verify(RsaIssuer().SignRaw(header, absl::StrCat(common, ",\"exp\":", kNow, "}")),
                       kNow),
      "no \"kubernetes.io\" claim");
  // A legacy secret-based token: no exp, flat kubernetes.io/serviceaccount/* claims.
  ExpectRefused(
      verifier->Verify(
          RsaIssuer().SignRaw(
              header,
              absl::StrCat(common, R"(,"kubernetes.io/serviceaccount/namespace":"vigil-system"})")),
          kNow),
      "token has no expiry");
  ExpectRefused(
      verifier->Verify(
          RsaIssuer().SignRaw(
              header, absl::StrCat(common, ",\"exp\":", kNow,
                                   R"(,"kubernetes.io":{"namespace":"vigil-system","pod":"p"}})")),
          kNow),
      "no serviceaccount");
}

TEST(TokenVerifierTest, RefusesWrongClaimTypes) {
  auto verifier = VerifierFor(RsaIssuer());
  const std::string header = R"({"alg":"RS256","kid":"test-key"})";
  const std::string json = RsaIssuer().ClaimsJson(Fresh());
  const std::string exp = absl::StrCat("\"exp\":", kNow - 60 + 3600);
  const std::string iat = absl::StrCat("\"iat\":", kNow - 60);
  struct Case {
    std::string from, to, reason;
  };
  const Case cases[] = {
      {exp, absl::StrCat("\"exp\":\"", kNow + 100, "\""), "claim \"exp\" is not a number"},
      {iat, absl::StrCat("\"iat\":\"", kNow - 60, "\""), "claim \"iat\" is not a number"},
      {exp, "\"exp\":1e300", "claim \"exp\" is out of range"},
      {exp, "\"exp\":-5", "claim \"exp\" is out of range"},
      {exp, "\"exp\":null", "claim \"exp\" is not a number"},
      {iat, "\"iat0\":1", "no issue time"},
      {R"("iss":")", R"("iss":7,"x":")", "claim \"iss\" is not a string"},
      {R"("name":"node-a")", R"("name":["node-a"])", "kubernetes.io.node.name is not a string"},
      {R"("name":"node-a")", R"("name":"")", "kubernetes.io.node has no name"},
      {R"("jti":"6f1c2a9e-jti")", R"("jti":{})", "claim \"jti\" is not a string"},
  };
  for (const Case& c : cases) {
    std::string payload = json;
    const size_t at = payload.find(c.from);
    ASSERT_NE(at, std::string::npos) << c.from;
    payload.replace(at, c.from.size(), c.to);
    ExpectRefused(verifier->Verify(RsaIssuer().SignRaw(header, payload), kNow), c.reason);
  }
}

TEST(TokenVerifierTest, RefusesGarbageWithoutCrashing) {
  auto verifier = VerifierFor(RsaIssuer());
  const std::string valid = RsaIssuer().Sign(Fresh());
  std::vector<std::string> parts = absl::StrSplit(valid, '.');
  ASSERT_EQ(parts.size(), 3u);
  const std::string sig = parts[2];
  const std::string cases[] = {
      "",
      ".",
      "..",
      "...",
      "a.b",
      "a.b.c.d",
      absl::StrCat(valid, ".", sig),
      "!!!.???.***",
      absl::StrCat(parts[0], "=.", parts[1], ".", sig),
      absl::StrCat(parts[0], ".", parts[1], ".", sig, "=="),
      absl::StrCat(parts[0], "..", sig),
      absl::StrCat(".", parts[1], ".", sig),
      absl::StrCat(B64("[1,2]"), ".", parts[1], ".", sig),
      absl::StrCat(B64("\"RS256\""), ".", parts[1], ".", sig),
      absl::StrCat(B64("null"), ".", parts[1], ".", sig),
      absl::StrCat(B64("123"), ".", parts[1], ".", sig),
      absl::StrCat(B64("{\"alg\":\"RS256\""), ".", parts[1], ".", sig),
      absl::StrCat(B64(std::string(200, '{')), ".", parts[1], ".", sig),
      absl::StrCat(B64(absl::StrCat("{\"a\":", std::string(11000, '['))), ".", parts[1], ".", sig),
      RsaIssuer().SignRaw(R"({"alg":"RS256"})", absl::StrCat("{\"a\":", std::string(5000, '['),
                                                             std::string(5000, ']'), "}")),
      absl::StrCat(B64(std::string("{\"alg\":\"RS256\",\"x\":\"\xff\xfe\"}")), ".", parts[1], ".",
                   sig),
      std::string(TokenVerifier::kMaxTokenBytes + 1, 'A'),
      absl::StrCat(valid, std::string(TokenVerifier::kMaxTokenBytes, 'A')),
      std::string("\0.\0.\0", 5),
  };
  for (const std::string& token : cases) {
    auto result = verifier->Verify(token, kNow);
    ASSERT_FALSE(result.ok()) << token.substr(0, 80);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kUnauthenticated) << result.status();
    EXPECT_THAT(result.status().message(), Not(HasSubstr(sig)));
  }
}

TEST(TokenVerifierTest, RefusesNonObjectPayloads) {
  auto verifier = VerifierFor(RsaIssuer());
  const std::string header = R"({"alg":"RS256","kid":"test-key"})";
  for (const char* payload : {"[]", "\"claims\"", "42", "null", "{", "{\"iss\":}", "{}{}"}) {
    ExpectRefused(verifier->Verify(RsaIssuer().SignRaw(header, payload), kNow), "token payload");
  }
  ExpectRefused(verifier->Verify(RsaIssuer().SignRaw(header, ""), kNow), "empty part");
}

TEST(TokenVerifierTest, EverySingleCharacterChangeIsRefused) {
  auto verifier = VerifierFor(EcIssuer());
  const std::string token = EcIssuer().Sign(Fresh());
  ASSERT_TRUE(verifier->Verify(token, kNow).ok());
  std::mt19937 random(20260101);
  const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ";
  for (int i = 0; i < 1500; ++i) {
    std::string mutated = token;
    const size_t at = random() % mutated.size();
    const char replacement = alphabet[random() % alphabet.size()];
    if (mutated[at] == replacement) continue;
    mutated[at] = replacement;
    auto result = verifier->Verify(mutated, kNow);
    EXPECT_FALSE(result.ok()) << "position " << at << " -> " << replacement;
    EXPECT_EQ(result.status().code(), absl::StatusCode::kUnauthenticated);
  }
}

TEST(TokenVerifierTest, KeyRotationTakesEffect) {
  auto verifier = VerifierFor(RsaIssuer());
  const std::string old_token = RsaIssuer().Sign(Fresh());
  const std::string new_token = ImpostorIssuer().Sign(Fresh());
  EXPECT_TRUE(verifier->Verify(old_token, kNow).ok());
  ExpectRefused(verifier->Verify(new_token, kNow), "does not verify");

  verifier->SetKeys(Keys(ImpostorIssuer().Jwks()));
  EXPECT_TRUE(verifier->Verify(new_token, kNow).ok());
  ExpectRefused(verifier->Verify(old_token, kNow), "does not verify");
}

TEST(TokenVerifierTest, ConcurrentVerifyDuringRotation) {
  auto verifier = VerifierFor(RsaIssuer());
  const std::string token = RsaIssuer().Sign(Fresh());
  const auto both = Keys(absl::StrCat(RsaIssuer().PublicPem(), ImpostorIssuer().PublicPem()));
  const auto rsa_only = Keys(RsaIssuer().Jwks());
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if (!verifier->Verify(token, kNow).ok()) ++failures;
      }
    });
  }
  for (int i = 0; i < 100; ++i) verifier->SetKeys(i % 2 == 0 ? both : rsa_only);
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(TokenVerifierTest, UnavailableUntilKeysAndIssuerAreKnown) {
  TokenPolicy policy;
  policy.audience = kAudience;
  TokenVerifier verifier(policy);
  const std::string token = RsaIssuer().Sign(Fresh());
  EXPECT_FALSE(verifier.has_keys());
  EXPECT_EQ(verifier.Verify(token, kNow).status().code(), absl::StatusCode::kUnavailable);
  verifier.SetKeys(Keys(RsaIssuer().Jwks()));
  EXPECT_TRUE(verifier.has_keys());
  EXPECT_EQ(verifier.Verify(token, kNow).status().code(), absl::StatusCode::kUnavailable);
  verifier.SetIssuer(RsaIssuer().issuer());
  EXPECT_EQ(verifier.issuer(), RsaIssuer().issuer());
  EXPECT_TRUE(verifier.Verify(token, kNow).ok());
}

TEST(TokenVerifierTest, PolicyWithoutAudienceIsAConfigurationError) {
  TokenPolicy policy;
  policy.issuer = RsaIssuer().issuer();
  TokenVerifier verifier(policy);
  verifier.SetKeys(Keys(RsaIssuer().Jwks()));
  EXPECT_EQ(verifier.Verify(RsaIssuer().Sign(Fresh()), kNow).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(LooksLikeJwtTest, TellsJwtsFromOpaqueTokens) {
  EXPECT_TRUE(LooksLikeJwt(RsaIssuer().Sign(Fresh())));
  EXPECT_TRUE(LooksLikeJwt(EcIssuer().Sign(Fresh())));
  EXPECT_FALSE(LooksLikeJwt(""));
  EXPECT_FALSE(LooksLikeJwt("3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c1e"));
  EXPECT_FALSE(LooksLikeJwt("a.b"));
  EXPECT_FALSE(LooksLikeJwt(absl::StrCat(B64("not json"), ".", B64("{}"), ".", B64("sig"))));
  EXPECT_FALSE(LooksLikeJwt(absl::StrCat(B64("{}"), "..", B64("sig"))));
  EXPECT_FALSE(LooksLikeJwt("ey+J.ab/c.def"));
  TestIssuer::Claims none = Fresh();
  none.alg_override = "none";
  EXPECT_FALSE(LooksLikeJwt(RsaIssuer().Sign(none)));
}

}  // namespace
}  // namespace vigil::controller

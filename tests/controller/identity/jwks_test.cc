// Tests of JwkSet (controller/identity/jwks.h): JWKS and PEM key documents, what is kept,
// skipped and refused, and which keys a token header selects.
#include "controller/identity/jwks.h"

#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_issuer.h"

namespace vigil::controller {
namespace {

using ::testing::HasSubstr;
using ::vigil::testing::EcIssuer;
using ::vigil::testing::RsaIssuer;
using ::vigil::testing::TestIssuer;

// The single key object of an issuer's JWKS document.
std::string KeyEntry(const TestIssuer& issuer) {
  const std::string jwks = issuer.Jwks();
  absl::string_view entry = jwks;
  EXPECT_TRUE(absl::ConsumePrefix(&entry, "{\"keys\":["));
  EXPECT_TRUE(absl::ConsumeSuffix(&entry, "]}"));
  return std::string(entry);
}

std::string Document(const std::vector<std::string>& entries) {
  return absl::StrCat("{\"keys\":[", absl::StrJoin(entries, ","), "]}");
}

std::string B64(absl::string_view bytes) { return absl::WebSafeBase64Escape(bytes); }

TEST(JwkSetTest, ParsesRsaJwks) {
  auto set = JwkSet::Parse(RsaIssuer().Jwks());
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ((*set)->size(), 1u);
  EXPECT_EQ((*set)->skipped(), 0u);
  const Jwk& key = (*set)->keys()[0];
  EXPECT_EQ(key.type, JwkType::kRsa);
  EXPECT_EQ(key.kid, "test-key");
  EXPECT_EQ(key.alg, "RS256");
  EXPECT_EQ(EVP_PKEY_get_bits(key.key.get()), 2048);
}

TEST(JwkSetTest, ParsesRsaAndEcKeysTogether) {
  auto set = JwkSet::Parse(Document({KeyEntry(RsaIssuer()), KeyEntry(EcIssuer())}));
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ((*set)->size(), 2u);
  EXPECT_EQ((*set)->keys()[0].type, JwkType::kRsa);
  EXPECT_EQ((*set)->keys()[1].type, JwkType::kEcP256);
  EXPECT_EQ((*set)->keys()[1].kid, "ec-key");
}

TEST(JwkSetTest, KeysWithoutKidUseOrAlgAreKept) {
  std::string entry = KeyEntry(RsaIssuer());
  for (const char* member : {"\"use\":\"sig\",", "\"alg\":\"RS256\",", ",\"kid\":\"test-key\""}) {
    const size_t at = entry.find(member);
    ASSERT_NE(at, std::string::npos) << member;
    entry.erase(at, strlen(member));
  }
  auto set = JwkSet::Parse(Document({entry}));
  ASSERT_TRUE(set.ok()) << set.status() << " " << entry;
  ASSERT_EQ((*set)->size(), 1u);
  EXPECT_EQ((*set)->keys()[0].kid, "");
  EXPECT_EQ((*set)->keys()[0].alg, "");
}

TEST(JwkSetTest, SkipsUnknownKeyTypes) {
  auto set = JwkSet::Parse(Document({
      R"({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})",
      R"({"kty":"oct","k":"c2VjcmV0"})",
      KeyEntry(RsaIssuer()),
  }));
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ((*set)->size(), 1u);
  EXPECT_EQ((*set)->skipped(), 2u);
}

TEST(JwkSetTest, SkipsEncryptionKeysAndOtherAlgorithms) {
  std::string enc = KeyEntry(RsaIssuer());
  enc.replace(enc.find("\"sig\""), 5, "\"enc\"");
  std::string rs512 = KeyEntry(RsaIssuer());
  rs512.replace(rs512.find("\"RS256\""), 7, "\"RS512\"");
  std::string p384 = KeyEntry(EcIssuer());
  p384.replace(p384.find("\"P-256\""), 7, "\"P-384\"");
  auto set = JwkSet::Parse(Document({enc, rs512, p384, KeyEntry(EcIssuer())}));
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ((*set)->size(), 1u);
  EXPECT_EQ((*set)->keys()[0].type, JwkType::kEcP256);
  EXPECT_EQ((*set)->skipped(), 3u);
}

TEST(JwkSetTest, NoUsableKeyIsAnError) {
  std::string enc = KeyEntry(RsaIssuer());
  enc.replace(enc.find("\"sig\""), 5, "\"enc\"");
  for (const std::string& doc :
       {Document({enc}), Document({}), Document({R"({"kty":"oct","k":"c2VjcmV0"})"})}) {
    auto set = JwkSet::Parse(doc);
    ASSERT_FALSE(set.ok()) << doc;
    EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(set.status().message(), HasSubstr("no usable key")) << doc;
  }
}

TEST(JwkSetTest, RefusesMalformedDocuments) {
  const std::string cases[] = {
      "",
      "   ",
      "hello",
      "{",
      "[1,2]",
      "{}",
      R"({"keys":5})",
      R"({"keys":[5]})",
      R"({"keys":[{"n":"AQAB"}]})",
      R"({"keys":[{"kty":7}]})",
      R"({"keys":[{"kty":"RSA","e":"AQAB"}]})",
      R"({"keys":[{"kty":"RSA","n":"AQAB=","e":"AQAB"}]})",
      R"({"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]})",
      "-----BEGIN PUBLIC KEY-----\n@@@@\n-----END PUBLIC KEY-----\n",
  };
  for (const std::string& doc : cases) {
    auto set = JwkSet::Parse(doc);
    EXPECT_FALSE(set.ok()) << doc;
    EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument) << doc;
  }
}

TEST(JwkSetTest, RefusesWeakRsaKey) {
  const std::string n = B64(std::string(128, '\xc5'));  // 1024 bits
  auto set = JwkSet::Parse(
      Document({absl::StrCat(R"({"kty":"RSA","kid":"weak","n":")", n, R"(","e":"AQAB"})")}));
  ASSERT_FALSE(set.ok());
  EXPECT_THAT(set.status().message(), HasSubstr("1024 bits"));
  EXPECT_THAT(set.status().message(), HasSubstr("kid \"weak\""));
}

TEST(JwkSetTest, RefusesEcPointNotOnCurve) {
  const std::string one = B64(std::string(31, '\0') + "\x01");
  auto set = JwkSet::Parse(Document(
      {absl::StrCat(R"({"kty":"EC","crv":"P-256","x":")", one, R"(","y":")", one, "\"}")}));
  ASSERT_FALSE(set.ok());
  EXPECT_THAT(set.status().message(), HasSubstr("JWKS key #0"));
}

TEST(JwkSetTest, RefusesTooLargeDocument) {
  std::string doc = RsaIssuer().Jwks();
  doc.append(JwkSet::kMaxDocumentBytes, ' ');
  auto set = JwkSet::Parse(doc);
  ASSERT_FALSE(set.ok());
  EXPECT_THAT(set.status().message(), HasSubstr("at most 1048576"));
}

TEST(JwkSetTest, RefusesTooManyKeys) {
  std::vector<std::string> entries(JwkSet::kMaxKeys, R"({"kty":"oct","k":"c2VjcmV0"})");
  entries.push_back(KeyEntry(RsaIssuer()));
  auto set = JwkSet::Parse(Document(entries));
  ASSERT_FALSE(set.ok());
  EXPECT_THAT(set.status().message(), HasSubstr("101 keys"));
}

TEST(JwkSetTest, AcceptsPemPublicKeys) {
  auto set = JwkSet::Parse(RsaIssuer().PublicPem());
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ((*set)->size(), 1u);
  EXPECT_EQ((*set)->keys()[0].type, JwkType::kRsa);
  EXPECT_EQ((*set)->keys()[0].kid, "");

  auto both = JwkSet::Parse(absl::StrCat("# cluster signing keys\n", RsaIssuer().PublicPem(), "\n",
                                         EcIssuer().PublicPem()));
  ASSERT_TRUE(both.ok()) << both.status();
  ASSERT_EQ((*both)->size(), 2u);
  EXPECT_EQ((*both)->keys()[1].type, JwkType::kEcP256);
}

TEST(JwkSetTest, RefusesPrivateKeyPem) {
  const std::string pem = absl::StrCat("-----BEGIN PRIVATE KEY-----\n", absl::Base64Escape("key"),
                                       "\n-----END PRIVATE KEY-----\n");
  auto set = JwkSet::Parse(pem);
  ASSERT_FALSE(set.ok());
  EXPECT_THAT(set.status().message(), HasSubstr("private key"));
}

TEST(JwkSetTest, PemWithoutPublicKeysHasNoUsableKey) {
  const std::string pem =
      absl::StrCat("-----BEGIN CERTIFICATE REQUEST-----\n", absl::Base64Escape("csr"),
                   "\n-----END CERTIFICATE REQUEST-----\n");
  auto set = JwkSet::Parse(pem);
  ASSERT_FALSE(set.ok());
  EXPECT_THAT(set.status().message(), HasSubstr("no usable key (1 skipped"));
}

TEST(JwkSetTest, CandidatesFollowAlgorithmAndKid) {
  std::string other = KeyEntry(RsaIssuer());
  other.replace(other.find("\"test-key\""), 10, "\"other\"");
  auto set = JwkSet::Parse(Document({KeyEntry(RsaIssuer()), other, KeyEntry(EcIssuer())}));
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ((*set)->Candidates("RS256", "").size(), 2u);
  ASSERT_EQ((*set)->Candidates("RS256", "other").size(), 1u);
  EXPECT_EQ((*set)->Candidates("RS256", "other")[0]->kid, "other");
  EXPECT_TRUE((*set)->Candidates("RS256", "ec-key").empty());
  ASSERT_EQ((*set)->Candidates("ES256", "ec-key").size(), 1u);
  EXPECT_TRUE((*set)->Candidates("ES256", "test-key").empty());
  EXPECT_TRUE((*set)->Candidates("RS384", "").empty());
  EXPECT_TRUE((*set)->Candidates("none", "").empty());
  EXPECT_TRUE((*set)->Candidates("HS256", "test-key").empty());
}

TEST(JwkSetTest, PemKeysMatchAnyKid) {
  auto set = JwkSet::Parse(RsaIssuer().PublicPem());
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ((*set)->Candidates("RS256", "whatever").size(), 1u);
  EXPECT_TRUE((*set)->Candidates("ES256", "whatever").empty());
}

TEST(DecodeBase64UrlTest, IsStrict) {
  EXPECT_EQ(DecodeBase64Url("YQ").value_or("?"), "a");
  EXPECT_EQ(DecodeBase64Url("-_8").value_or("?"), "\xfb\xff");
  EXPECT_EQ(DecodeBase64Url("").value_or("?"), "");
  for (const char* bad : {"YQ==", "YR", "Y", "a+b/", "YQ.", "Y Q"}) {
    EXPECT_FALSE(DecodeBase64Url(bad).ok()) << bad;
  }
}

TEST(ParseJsonObjectTest, AcceptsObjectsOnly) {
  auto object = ParseJsonObject(R"({"a":"b","n":2})");
  ASSERT_TRUE(object.ok()) << object.status();
  EXPECT_EQ(object->fields().at("a").string_value(), "b");
  for (const char* bad : {"", "null", "[1]", "\"x\"", "12", "{", "{\"a\":}", "{} x"}) {
    EXPECT_FALSE(ParseJsonObject(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace vigil::controller

#include "tests/support/test_issuer.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/openssl_ptr.h"

namespace vigil::testing {
namespace {

constexpr int kP256CoordinateBytes = 32;

// Aborts the test program, with OpenSSL's reason, when a step that cannot fail did.
void Require(bool ok, const char* step) {
  if (ok) return;
  char reason[256] = "no OpenSSL error";
  const unsigned long code = ERR_peek_last_error();
  if (code != 0) ERR_error_string_n(code, reason, sizeof(reason));
  std::fprintf(stderr, "TestIssuer: %s failed: %s\n", step, reason);
  std::abort();
}

std::string Base64Url(absl::string_view bytes) { return absl::WebSafeBase64Escape(bytes); }

// `text` as the body of a JSON string.
std::string JsonEscape(absl::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
      out.append(buf);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string Quoted(absl::string_view text) { return absl::StrCat("\"", JsonEscape(text), "\""); }

// Base64url of the big-endian parameter `name` of `key`, left-padded to `width` bytes
// (0: minimal length).
std::string BnParam(EVP_PKEY* key, const char* name, int width) {
  BIGNUM* raw = nullptr;
  Require(EVP_PKEY_get_bn_param(key, name, &raw) == 1, "EVP_PKEY_get_bn_param");
  BignumPtr bn(raw);
  const int len = width > 0 ? width : BN_num_bytes(bn.get());
  std::string bytes(static_cast<size_t>(len), '\0');
  Require(BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(bytes.data()), len) == len,
          "BN_bn2binpad");
  return Base64Url(bytes);
}

// The JWS signature (RS256: PKCS #1 v1.5; ES256: raw r || s) of `input` with `key`.
std::string KeySignature(EVP_PKEY* key, TestIssuer::Alg alg, absl::string_view input) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  Require(ctx != nullptr, "EVP_MD_CTX_new");
  Require(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1,
          "EVP_DigestSignInit");
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  size_t len = 0;
  Require(EVP_DigestSign(ctx.get(), nullptr, &len, data, input.size()) == 1, "EVP_DigestSign");
  std::string signature(len, '\0');
  Require(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &len, data,
                         input.size()) == 1,
          "EVP_DigestSign");
  signature.resize(len);
  if (alg == TestIssuer::Alg::kRS256) return signature;
  const auto* der = reinterpret_cast<const unsigned char*>(signature.data());
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(signature.size())));
  Require(sig != nullptr, "d2i_ECDSA_SIG");
  std::string raw(2 * kP256CoordinateBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  Require(BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, kP256CoordinateBytes) ==
                  kP256CoordinateBytes &&
              BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + kP256CoordinateBytes,
                           kP256CoordinateBytes) == kP256CoordinateBytes,
          "BN_bn2binpad");
  return raw;
}

}  // namespace

TestIssuer TestIssuer::Create(Alg alg, std::string kid, std::string issuer) {
  TestIssuer out;
  out.alg_ = alg;
  out.kid_ = std::move(kid);
  out.issuer_ = std::move(issuer);
  EVP_PKEY* key = alg == Alg::kRS256 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048})
                                     : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  Require(key != nullptr, "EVP_PKEY_Q_keygen");
  out.key_.reset(key, EVP_PKEY_free);
  return out;
}

std::string TestIssuer::Jwks() const {
  std::string members;
  if (alg_ == Alg::kRS256) {
    members = absl::StrCat("\"kty\":\"RSA\",\"alg\":\"RS256\",\"n\":\"",
                           BnParam(key_.get(), OSSL_PKEY_PARAM_RSA_N, 0), "\",\"e\":\"",
                           BnParam(key_.get(), OSSL_PKEY_PARAM_RSA_E, 0), "\"");
  } else {
    members = absl::StrCat(
        "\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"ES256\",\"x\":\"",
        BnParam(key_.get(), OSSL_PKEY_PARAM_EC_PUB_X, kP256CoordinateBytes), "\",\"y\":\"",
        BnParam(key_.get(), OSSL_PKEY_PARAM_EC_PUB_Y, kP256CoordinateBytes), "\"");
  }
  return absl::StrCat("{\"keys\":[{\"use\":\"sig\",", members, ",\"kid\":", Quoted(kid_), "}]}");
}

std::string TestIssuer::PublicPem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  Require(bio != nullptr, "BIO_new");
  Require(PEM_write_bio_PUBKEY(bio.get(), key_.get()) == 1, "PEM_write_bio_PUBKEY");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  Require(len > 0 && data != nullptr, "BIO_get_mem_data");
  return std::string(data, static_cast<size_t>(len));
}

std::string TestIssuer::ClaimsJson(const Claims& claims) const {
  const int64_t iat = claims.issued_at != 0 ? claims.issued_at : absl::ToUnixSeconds(absl::Now());
  const int64_t nbf = claims.not_before != 0 ? claims.not_before : iat;
  std::string jti = claims.jti;
  if (jti.empty()) {
    unsigned char random[16];
    Require(RAND_bytes(random, sizeof(random)) == 1, "RAND_bytes");
    jti = absl::BytesToHexString(
        absl::string_view(reinterpret_cast<const char*>(random), sizeof(random)));
  }
  const std::string subject =
      !claims.subject_override.empty()
          ? claims.subject_override
          : absl::StrCat("system:serviceaccount:", claims.ns, ":", claims.service_account);
  std::string kubernetes = absl::StrCat("\"namespace\":", Quoted(claims.ns));
  if (!claims.node.empty()) {
    absl::StrAppend(&kubernetes, ",\"node\":{\"name\":", Quoted(claims.node),
                    ",\"uid\":", Quoted(claims.node_uid), "}");
  }
  if (!claims.pod.empty()) {
    absl::StrAppend(&kubernetes, ",\"pod\":{\"name\":", Quoted(claims.pod),
                    ",\"uid\":", Quoted(claims.pod_uid), "}");
  }
  absl::StrAppend(&kubernetes, ",\"serviceaccount\":{\"name\":", Quoted(claims.service_account),
                  ",\"uid\":", Quoted(claims.service_account_uid), "}");
  return absl::StrCat("{\"aud\":[", Quoted(claims.audience), "],\"exp\":", iat + claims.lifetime_s,
                      ",\"iat\":", iat, ",\"iss\":",
                      Quoted(claims.issuer_override.empty() ? issuer_ : claims.issuer_override),
                      ",\"jti\":", Quoted(jti), ",\"kubernetes.io\":{", kubernetes,
                      "},\"nbf\":", nbf, ",\"sub\":", Quoted(subject), "}");
}

std::string TestIssuer::Sign(const Claims& claims) const {
  const std::string alg = !claims.alg_override.empty() ? claims.alg_override
                          : alg_ == Alg::kRS256        ? "RS256"
                                                       : "ES256";
  const std::string header = absl::StrCat("{\"alg\":", Quoted(alg), ",\"kid\":", Quoted(kid_), "}");
  if (alg == "none") {
    return absl::StrCat(Base64Url(header), ".", Base64Url(ClaimsJson(claims)), ".");
  }
  if (alg == "HS256") {
    const std::string input = absl::StrCat(Base64Url(header), ".", Base64Url(ClaimsJson(claims)));
    const std::string secret = PublicPem();
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    Require(HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
                 reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac,
                 &mac_len) != nullptr,
            "HMAC");
    return absl::StrCat(input, ".",
                        Base64Url(absl::string_view(reinterpret_cast<char*>(mac), mac_len)));
  }
  return SignRaw(header, ClaimsJson(claims));
}

std::string TestIssuer::SignRaw(absl::string_view header_json,
                                absl::string_view payload_json) const {
  const std::string input = absl::StrCat(Base64Url(header_json), ".", Base64Url(payload_json));
  return absl::StrCat(input, ".", Base64Url(KeySignature(key_.get(), alg_, input)));
}

const TestIssuer& RsaIssuer() {
  static const TestIssuer* issuer = new TestIssuer(TestIssuer::Create(TestIssuer::Alg::kRS256));
  return *issuer;
}

const TestIssuer& EcIssuer() {
  static const TestIssuer* issuer =
      new TestIssuer(TestIssuer::Create(TestIssuer::Alg::kES256, "ec-key"));
  return *issuer;
}

}  // namespace vigil::testing

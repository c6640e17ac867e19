#include "controller/identity/jwt_verifier.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "common/openssl_ptr.h"
#include "common/status_macros.h"

namespace vigil::controller {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

constexpr int64_t kMaxLeewaySeconds = 86400;
constexpr int64_t kMaxNumericDate = 253402300799;  // 9999-12-31T23:59:59Z
constexpr size_t kEs256SignatureBytes = 64;
constexpr size_t kMaxShownChars = 64;
constexpr size_t kMaxShownAudiences = 4;
constexpr absl::string_view kSubjectPrefix = "system:serviceaccount:";

absl::Status Refused(absl::string_view why) { return absl::UnauthenticatedError(why); }

// Token-supplied `text` made safe to quote in an error: escaped and cut short.
std::string Shown(absl::string_view text) {
  std::string out = absl::StrCat("\"", absl::CHexEscape(text.substr(0, kMaxShownChars)), "\"");
  if (text.size() > kMaxShownChars) out.append("...");
  return out;
}

std::string TimeText(int64_t unix_s) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(unix_s), absl::UTCTimeZone());
}

bool IsBase64UrlText(absl::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

// The three parts of a compact JWS, still encoded.
struct CompactJws {
  absl::string_view header;
  absl::string_view payload;
  absl::string_view signature;
  absl::string_view signing_input;  // header + "." + payload
};

absl::StatusOr<CompactJws> SplitToken(absl::string_view token) {
  if (token.empty()) return Refused("empty token");
  if (token.size() > TokenVerifier::kMaxTokenBytes) {
    return Refused(absl::StrCat("token of ", token.size(), " bytes (at most ",
                                TokenVerifier::kMaxTokenBytes, ")"));
  }
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) {
    return Refused(absl::StrCat("token has ", parts.size(), " dot-separated parts, not 3"));
  }
  CompactJws jws{parts[0], parts[1], parts[2],
                 token.substr(0, parts[0].size() + 1 + parts[1].size())};
  if (jws.header.empty() || jws.payload.empty()) return Refused("token has an empty part");
  return jws;
}

// The base64url JSON object `encoded`, the token's `part` ("header" or "payload").
absl::StatusOr<Struct> DecodeObject(absl::string_view encoded, absl::string_view part) {
  auto json = DecodeBase64Url(encoded);
  if (!json.ok()) return Refused(absl::StrCat("token ", part, ": ", json.status().message()));
  auto object = ParseJsonObject(*json);
  if (!object.ok()) {
    return Refused(absl::StrCat("token ", part, ": ", object.status().message()));
  }
  return std::move(object).value();
}

// The member `name` of `object`, or nullptr when absent.
const Value* Member(const Struct& object, const std::string& name) {
  auto it = object.fields().find(name);
  return it == object.fields().end() ? nullptr : &it->second;
}

// The string member `name`: "" when absent, refused when not a string.
absl::StatusOr<std::string> StringMember(const Struct& object, const std::string& name,
                                         absl::string_view path) {
  const Value* value = Member(object, name);
  if (value == nullptr) return std::string();
  if (value->kind_case() != Value::kStringValue) {
    return Refused(absl::StrCat("token ", path, " is not a string"));
  }
  return value->string_value();
}

// The object member `name`: nullptr when absent, refused when not an object.
absl::StatusOr<const Struct*> ObjectMember(const Struct& object, const std::string& name,
                                           absl::string_view path) {
  const Value* value = Member(object, name);
  if (value == nullptr) return nullptr;
  if (value->kind_case() != Value::kStructValue) {
    return Refused(absl::StrCat("token ", path, " is not an object"));
  }
  return &value->struct_value();
}

// The NumericDate claim `name` in whole seconds: nullopt when absent.
absl::StatusOr<std::optional<int64_t>> DateClaim(const Struct& claims, const std::string& name) {
  const Value* value = Member(claims, name);
  if (value == nullptr) return std::nullopt;
  if (value->kind_case() != Value::kNumberValue) {
    return Refused(absl::StrCat("token claim \"", name, "\" is not a number"));
  }
  const double seconds = value->number_value();
  if (!std::isfinite(seconds) || seconds < 0 || seconds > static_cast<double>(kMaxNumericDate)) {
    return Refused(absl::StrCat("token claim \"", name, "\" is out of range"));
  }
  return static_cast<int64_t>(std::floor(seconds));
}

// The header fields Vigil uses.
struct Header {
  std::string alg;
  std::string kid;
};

absl::StatusOr<Header> ParseHeader(absl::string_view encoded) {
  VIGIL_ASSIGN_OR_RETURN(Struct object, DecodeObject(encoded, "header"));
  Header header;
  const Value* alg = Member(object, "alg");
  if (alg == nullptr) return Refused("token header has no \"alg\"");
  if (alg->kind_case() != Value::kStringValue) return Refused("token \"alg\" is not a string");
  header.alg = alg->string_value();
  if (header.alg != "RS256" && header.alg != "ES256") {
    return Refused(
        absl::StrCat("token alg ", Shown(header.alg), " is not accepted (RS256 or ES256 only)"));
  }
  VIGIL_ASSIGN_OR_RETURN(std::string typ, StringMember(object, "typ", "header \"typ\""));
  if (Member(object, "typ") != nullptr && !absl::EqualsIgnoreCase(typ, "JWT")) {
    return Refused(absl::StrCat("token typ ", Shown(typ), " is not JWT"));
  }
  if (Member(object, "crit") != nullptr) {
    return Refused("token header has critical extensions (\"crit\"), which Vigil does not know");
  }
  VIGIL_ASSIGN_OR_RETURN(header.kid, StringMember(object, "kid", "header \"kid\""));
  return header;
}

// The DER ECDSA-Sig-Value of a JWS ES256 signature (r and s, 32 bytes each).
absl::StatusOr<std::string> DerFromRawEcdsa(absl::string_view raw) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  const int half = static_cast<int>(raw.size() / 2);
  BignumPtr r(BN_bin2bn(bytes, half, nullptr));
  BignumPtr s(BN_bin2bn(bytes + half, half, nullptr));
  EcdsaSigPtr sig(ECDSA_SIG_new());
  if (r == nullptr || s == nullptr || sig == nullptr) {
    return absl::InternalError("ECDSA signature allocation failed");
  }
  if (ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    return absl::InternalError("ECDSA_SIG_set0 failed");
  }
  r.release();
  s.release();
  const int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return absl::InternalError("i2d_ECDSA_SIG failed");
  std::string der(static_cast<size_t>(len), '\0');
  unsigned char* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &out) != len) return absl::InternalError("i2d_ECDSA_SIG failed");
  return der;
}

// Whether `signature` (RSASSA-PKCS1-v1_5 or DER ECDSA) is `key`'s SHA-256 signature of
// `data`. Errors are OpenSSL failures, not bad signatures.
absl::StatusOr<bool> SignatureVerifies(const Jwk& key, absl::string_view data,
                                       absl::string_view signature) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pkey_ctx = nullptr;
  if (ctx == nullptr ||
      EVP_DigestVerifyInit(ctx.get(), &pkey_ctx, EVP_sha256(), nullptr, key.key.get()) != 1 ||
      (key.type == JwkType::kRsa &&
       EVP_PKEY_CTX_set_rsa_padding(pkey_ctx, RSA_PKCS1_PADDING) <= 0)) {
    ERR_clear_error();
    return absl::InternalError("cannot set up signature verification");
  }
  const int rc = EVP_DigestVerify(
      ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
      reinterpret_cast<const unsigned char*>(data.data()), data.size());
  ERR_clear_error();
  return rc == 1;
}

absl::Status CheckSignature(const JwkSet& keys, const Header& header, const CompactJws& jws) {
  if (jws.signature.empty()) return Refused("token has no signature");
  auto signature = DecodeBase64Url(jws.signature);
  if (!signature.ok()) {
    return Refused(absl::StrCat("token signature: ", signature.status().message()));
  }
  if (header.alg == "ES256") {
    if (signature->size() != kEs256SignatureBytes) {
      return Refused(absl::StrCat("token ES256 signature of ", signature->size(), " bytes (",
                                  kEs256SignatureBytes, " required)"));
    }
    VIGIL_ASSIGN_OR_RETURN(*signature, DerFromRawEcdsa(*signature));
  }
  const std::string kid =
      header.kid.empty() ? std::string("no kid") : absl::StrCat("kid ", Shown(header.kid));
  const std::vector<const Jwk*> candidates = keys.Candidates(header.alg, header.kid);
  if (candidates.empty()) {
    return Refused(absl::StrCat("token ", kid, " matches none of the ", keys.size(),
                                " signing keys for ", header.alg));
  }
  for (const Jwk* key : candidates) {
    VIGIL_ASSIGN_OR_RETURN(bool verified, SignatureVerifies(*key, jws.signing_input, *signature));
    if (verified) return absl::OkStatus();
  }
  return Refused(absl::StrCat("token signature does not verify against any of ", candidates.size(),
                              " ", header.alg, " keys (", kid, ")"));
}

absl::Status CheckAudience(const Struct& claims, const std::string& audience) {
  const Value* aud = Member(claims, "aud");
  if (aud == nullptr) return Refused("token has no audience (\"aud\")");
  std::vector<std::string> audiences;
  if (aud->kind_case() == Value::kStringValue) {
    audiences.push_back(aud->string_value());
  } else if (aud->kind_case() == Value::kListValue) {
    for (const Value& item : aud->list_value().values()) {
      if (item.kind_case() != Value::kStringValue) {
        return Refused("token audience (\"aud\") holds a value that is not a string");
      }
      audiences.push_back(item.string_value());
    }
  } else {
    return Refused("token audience (\"aud\") is neither a string nor an array");
  }
  if (std::find(audiences.begin(), audiences.end(), audience) != audiences.end()) {
    return absl::OkStatus();
  }
  std::string shown;
  for (size_t i = 0; i < audiences.size() && i < kMaxShownAudiences; ++i) {
    absl::StrAppend(&shown, i == 0 ? "" : ", ", Shown(audiences[i]));
  }
  if (audiences.size() > kMaxShownAudiences) absl::StrAppend(&shown, ", ...");
  return Refused(absl::StrCat("token audience [", shown, "] does not include ", audience));
}

// exp, nbf and iat against `now_s`, and the lifetime bound.
absl::Status CheckTimes(const Struct& claims, const TokenPolicy& policy, int64_t now_s,
                        ServiceAccountClaims* out) {
  VIGIL_ASSIGN_OR_RETURN(std::optional<int64_t> exp, DateClaim(claims, "exp"));
  VIGIL_ASSIGN_OR_RETURN(std::optional<int64_t> nbf, DateClaim(claims, "nbf"));
  VIGIL_ASSIGN_OR_RETURN(std::optional<int64_t> iat, DateClaim(claims, "iat"));
  if (!exp.has_value()) {
    return Refused("token has no expiry (\"exp\"): long-lived service-account secrets are refused");
  }
  if (!iat.has_value()) return Refused("token has no issue time (\"iat\")");
  const std::string now = absl::StrCat("(now ", TimeText(now_s), ")");
  if (now_s > *exp + policy.leeway_s) {
    return Refused(absl::StrCat("token expired at ", TimeText(*exp), " ", now));
  }
  if (nbf.has_value() && *nbf - policy.leeway_s > now_s) {
    return Refused(absl::StrCat("token not valid before ", TimeText(*nbf), " ", now));
  }
  if (*iat - policy.leeway_s > now_s) {
    return Refused(absl::StrCat("token issued in the future, at ", TimeText(*iat), " ", now));
  }
  const int64_t start = nbf.has_value() ? std::min(*iat, *nbf) : *iat;
  if (*exp < start) return Refused("token expires before it was issued");
  if (*exp - start > policy.max_lifetime_s) {
    return Refused(absl::StrCat("token lifetime of ", *exp - start, "s exceeds the maximum of ",
                                policy.max_lifetime_s, "s"));
  }
  out->expires = *exp;
  out->not_before = nbf.value_or(0);
  out->issued_at = *iat;
  return absl::OkStatus();
}

// A name and uid pair of the kubernetes.io claim ("pod", "node"); both "" when absent.
absl::Status BoundObject(const Struct& kubernetes, const std::string& name, std::string* out_name,
                         std::string* out_uid) {
  const std::string path = "kubernetes.io." + name;
  VIGIL_ASSIGN_OR_RETURN(const Struct* object, ObjectMember(kubernetes, name, path));
  if (object == nullptr) return absl::OkStatus();
  VIGIL_ASSIGN_OR_RETURN(*out_name, StringMember(*object, "name", path + ".name"));
  VIGIL_ASSIGN_OR_RETURN(*out_uid, StringMember(*object, "uid", path + ".uid"));
  if (out_name->empty()) return Refused(absl::StrCat("token ", path, " has no name"));
  return absl::OkStatus();
}

// sub and the kubernetes.io claim, which must name the same service account.
absl::Status CheckServiceAccount(const Struct& claims, ServiceAccountClaims* out) {
  VIGIL_ASSIGN_OR_RETURN(out->subject, StringMember(claims, "sub", "claim \"sub\""));
  const absl::string_view sub = out->subject;
  std::vector<absl::string_view> names;
  if (absl::StartsWith(sub, kSubjectPrefix)) {
    names = absl::StrSplit(sub.substr(kSubjectPrefix.size()), ':');
  }
  if (names.size() != 2 || names[0].empty() || names[1].empty()) {
    return Refused(absl::StrCat("token subject ", Shown(sub),
                                " is not system:serviceaccount:<namespace>:<name>"));
  }
  VIGIL_ASSIGN_OR_RETURN(const Struct* kubernetes,
                         ObjectMember(claims, "kubernetes.io", "claim \"kubernetes.io\""));
  if (kubernetes == nullptr) {
    return Refused("token has no \"kubernetes.io\" claim: not a bound service-account token");
  }
  VIGIL_ASSIGN_OR_RETURN(out->namespace_name,
                         StringMember(*kubernetes, "namespace", "kubernetes.io.namespace"));
  VIGIL_ASSIGN_OR_RETURN(const Struct* account, ObjectMember(*kubernetes, "serviceaccount",
                                                             "kubernetes.io.serviceaccount"));
  if (account == nullptr) return Refused("token kubernetes.io claim has no serviceaccount");
  VIGIL_ASSIGN_OR_RETURN(out->service_account,
                         StringMember(*account, "name", "kubernetes.io.serviceaccount.name"));
  VIGIL_ASSIGN_OR_RETURN(out->service_account_uid,
                         StringMember(*account, "uid", "kubernetes.io.serviceaccount.uid"));
  if (out->namespace_name != names[0] || out->service_account != names[1]) {
    return Refused(absl::StrCat(
        "token subject ", Shown(sub), " disagrees with its kubernetes.io claim (namespace ",
        Shown(out->namespace_name), ", service account ", Shown(out->service_account), ")"));
  }
  VIGIL_RETURN_IF_ERROR(BoundObject(*kubernetes, "pod", &out->pod_name, &out->pod_uid));
  VIGIL_RETURN_IF_ERROR(BoundObject(*kubernetes, "node", &out->node_name, &out->node_uid));
  return absl::OkStatus();
}

absl::StatusOr<ServiceAccountClaims> CheckClaims(const Struct& claims, const TokenPolicy& policy,
                                                 int64_t now_s) {
  ServiceAccountClaims out;
  VIGIL_ASSIGN_OR_RETURN(out.issuer, StringMember(claims, "iss", "claim \"iss\""));
  if (out.issuer != policy.issuer) {
    return Refused(absl::StrCat("token issuer ", Shown(out.issuer), " is not ", policy.issuer));
  }
  VIGIL_RETURN_IF_ERROR(CheckAudience(claims, policy.audience));
  VIGIL_RETURN_IF_ERROR(CheckTimes(claims, policy, now_s, &out));
  VIGIL_RETURN_IF_ERROR(CheckServiceAccount(claims, &out));
  VIGIL_ASSIGN_OR_RETURN(out.id, StringMember(claims, "jti", "claim \"jti\""));
  return out;
}

}  // namespace

TokenVerifier::TokenVerifier(TokenPolicy policy)
    : audience_(std::move(policy.audience)),
      leeway_s_(std::clamp<int64_t>(policy.leeway_s, 0, kMaxLeewaySeconds)),
      max_lifetime_s_(std::max<int64_t>(policy.max_lifetime_s, 0)),
      issuer_(std::move(policy.issuer)) {}

void TokenVerifier::SetKeys(std::shared_ptr<const JwkSet> keys) {
  absl::MutexLock lock(&mu_);
  keys_ = std::move(keys);
}

void TokenVerifier::SetIssuer(std::string issuer) {
  absl::MutexLock lock(&mu_);
  issuer_ = std::move(issuer);
}

bool TokenVerifier::has_keys() const {
  absl::ReaderMutexLock lock(&mu_);
  return keys_ != nullptr;
}

std::string TokenVerifier::issuer() const {
  absl::ReaderMutexLock lock(&mu_);
  return issuer_;
}

absl::StatusOr<ServiceAccountClaims> TokenVerifier::Verify(absl::string_view token,
                                                           int64_t now_s) const {
  TokenPolicy policy{"", audience_, leeway_s_, max_lifetime_s_};
  std::shared_ptr<const JwkSet> keys;
  {
    absl::ReaderMutexLock lock(&mu_);
    keys = keys_;
    policy.issuer = issuer_;
  }
  if (policy.audience.empty()) {
    return absl::FailedPreconditionError("token verifier has no audience configured");
  }
  if (keys == nullptr) return absl::UnavailableError("no service-account signing keys loaded yet");
  if (policy.issuer.empty()) {
    return absl::UnavailableError("service-account token issuer not known yet");
  }
  VIGIL_ASSIGN_OR_RETURN(CompactJws jws, SplitToken(token));
  VIGIL_ASSIGN_OR_RETURN(Header header, ParseHeader(jws.header));
  VIGIL_RETURN_IF_ERROR(CheckSignature(*keys, header, jws));
  VIGIL_ASSIGN_OR_RETURN(Struct claims, DecodeObject(jws.payload, "payload"));
  return CheckClaims(claims, policy, now_s);
}

bool LooksLikeJwt(absl::string_view text) {
  if (text.size() > TokenVerifier::kMaxTokenBytes) return false;
  std::vector<absl::string_view> parts = absl::StrSplit(text, '.');
  if (parts.size() != 3 || !std::all_of(parts.begin(), parts.end(), IsBase64UrlText)) return false;
  auto header = DecodeBase64Url(parts[0]);
  return header.ok() && absl::StartsWith(absl::StripLeadingAsciiWhitespace(*header), "{");
}

}  // namespace vigil::controller

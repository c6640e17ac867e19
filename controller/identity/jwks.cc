#include "controller/identity/jwks.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/openssl_ptr.h"
#include "common/status_macros.h"
#include "google/protobuf/util/json_util.h"

namespace vigil::controller {

namespace {

constexpr int kMinRsaBits = 2048;
constexpr int kMaxRsaBits = 8192;
constexpr int kMaxRsaExponentBits = 32;
constexpr size_t kP256CoordinateBytes = 32;

// The most specific message of OpenSSL's error queue, which it then clears.
std::string OpenSslError() {
  const unsigned long code = ERR_peek_last_error();
  std::string message = "unknown OpenSSL error";
  if (code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    message = buf;
  }
  ERR_clear_error();
  return message;
}

bool IsBase64UrlChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
}

// The string member `name` of `object`: "" when absent, an error when not a string.
absl::StatusOr<std::string> StringMember(const google::protobuf::Struct& object,
                                         const std::string& name) {
  auto it = object.fields().find(name);
  if (it == object.fields().end()) return std::string();
  if (it->second.kind_case() != google::protobuf::Value::kStringValue) {
    return absl::InvalidArgumentError(absl::StrCat("\"", name, "\" is not a string"));
  }
  return it->second.string_value();
}

// Bytes of the base64url member `name`, which must be present and non-empty.
absl::StatusOr<std::string> BytesMember(const google::protobuf::Struct& object,
                                        const std::string& name) {
  VIGIL_ASSIGN_OR_RETURN(std::string text, StringMember(object, name));
  if (text.empty()) return absl::InvalidArgumentError(absl::StrCat("\"", name, "\" is missing"));
  auto bytes = DecodeBase64Url(text);
  if (!bytes.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("\"", name, "\": ", bytes.status().message()));
  }
  return std::move(bytes).value();
}

// Runs OpenSSL's public-key validation (on-curve point, odd modulus, sane exponent...).
absl::Status CheckPublicKey(EVP_PKEY* key) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (ctx == nullptr) return absl::InternalError("EVP_PKEY_CTX_new_from_pkey: " + OpenSslError());
  if (EVP_PKEY_public_check(ctx.get()) != 1) {
    return absl::InvalidArgumentError("invalid public key: " + OpenSslError());
  }
  return absl::OkStatus();
}

// The type of `key` when Vigil can verify tokens with it, nullopt when it cannot (another
// type or curve), or an error for a weak or invalid key.
absl::StatusOr<std::optional<JwkType>> Classify(EVP_PKEY* key) {
  std::optional<JwkType> type;
  if (EVP_PKEY_is_a(key, "RSA")) {
    const int bits = EVP_PKEY_get_bits(key);
    if (bits < kMinRsaBits || bits > kMaxRsaBits) {
      return absl::InvalidArgumentError(absl::StrCat(
          "RSA modulus of ", bits, " bits (", kMinRsaBits, " to ", kMaxRsaBits, " required)"));
    }
    type = JwkType::kRsa;
  } else if (EVP_PKEY_is_a(key, "EC")) {
    char group[80];
    size_t len = 0;
    if (EVP_PKEY_get_group_name(key, group, sizeof(group), &len) != 1) {
      return absl::InvalidArgumentError("EC key without a named curve: " + OpenSslError());
    }
    const absl::string_view name(group, len);
    if (name != "prime256v1" && name != "P-256") return std::nullopt;
    type = JwkType::kEcP256;
  } else {
    return std::nullopt;
  }
  VIGIL_RETURN_IF_ERROR(CheckPublicKey(key));
  return type;
}

// A public key of OpenSSL type `type` ("RSA", "EC") from `params`.
absl::StatusOr<EvpPkeyPtr> KeyFromParams(const char* type, const OSSL_PARAM* params) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    return absl::InternalError(
        absl::StrCat("EVP_PKEY_fromdata_init(", type, "): ", OpenSslError()));
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, const_cast<OSSL_PARAM*>(params)) !=
      1) {
    return absl::InvalidArgumentError("invalid public key: " + OpenSslError());
  }
  return EvpPkeyPtr(raw);
}

// An RSA public key from its big-endian modulus and exponent.
absl::StatusOr<EvpPkeyPtr> RsaKey(const std::string& n, const std::string& e) {
  BignumPtr bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()),
                           static_cast<int>(n.size()), nullptr));
  BignumPtr bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()),
                           static_cast<int>(e.size()), nullptr));
  if (bn_n == nullptr || bn_e == nullptr)
    return absl::InternalError("BN_bin2bn: " + OpenSslError());
  const int bits = BN_num_bits(bn_n.get());
  if (bits < kMinRsaBits || bits > kMaxRsaBits) {
    return absl::InvalidArgumentError(absl::StrCat("RSA modulus of ", bits, " bits (", kMinRsaBits,
                                                   " to ", kMaxRsaBits, " required)"));
  }
  if (BN_num_bits(bn_e.get()) > kMaxRsaExponentBits) {
    return absl::InvalidArgumentError(
        absl::StrCat("RSA exponent above ", kMaxRsaExponentBits, " bits"));
  }
  OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return absl::InternalError("OSSL_PARAM_BLD (RSA): " + OpenSslError());
  }
  OsslParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  if (params == nullptr) return absl::InternalError("OSSL_PARAM_BLD_to_param: " + OpenSslError());
  return KeyFromParams("RSA", params.get());
}

// A P-256 public key from its big-endian affine coordinates.
absl::StatusOr<EvpPkeyPtr> P256Key(const std::string& x, const std::string& y) {
  if (x.size() != kP256CoordinateBytes || y.size() != kP256CoordinateBytes) {
    return absl::InvalidArgumentError(absl::StrCat("P-256 coordinates must be ",
                                                   kP256CoordinateBytes, " bytes (x has ", x.size(),
                                                   ", y has ", y.size(), ")"));
  }
  const std::string point = absl::StrCat("\x04", x, y);
  OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return absl::InternalError("OSSL_PARAM_BLD (EC): " + OpenSslError());
  }
  OsslParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  if (params == nullptr) return absl::InternalError("OSSL_PARAM_BLD_to_param: " + OpenSslError());
  return KeyFromParams("EC", params.get());
}

// The key one JWKS entry describes, or nullopt when Vigil cannot use it.
absl::StatusOr<std::optional<Jwk>> KeyFromJwk(const google::protobuf::Struct& entry) {
  VIGIL_ASSIGN_OR_RETURN(std::string kty, StringMember(entry, "kty"));
  VIGIL_ASSIGN_OR_RETURN(std::string use, StringMember(entry, "use"));
  Jwk jwk;
  VIGIL_ASSIGN_OR_RETURN(jwk.kid, StringMember(entry, "kid"));
  VIGIL_ASSIGN_OR_RETURN(jwk.alg, StringMember(entry, "alg"));
  if (kty.empty()) return absl::InvalidArgumentError("\"kty\" is missing");
  if (entry.fields().count("use") != 0 && use != "sig") return std::nullopt;
  if (kty == "RSA") {
    if (!jwk.alg.empty() && jwk.alg != "RS256") return std::nullopt;
    VIGIL_ASSIGN_OR_RETURN(std::string n, BytesMember(entry, "n"));
    VIGIL_ASSIGN_OR_RETURN(std::string e, BytesMember(entry, "e"));
    VIGIL_ASSIGN_OR_RETURN(jwk.key, RsaKey(n, e));
  } else if (kty == "EC") {
    VIGIL_ASSIGN_OR_RETURN(std::string crv, StringMember(entry, "crv"));
    if (crv != "P-256") return std::nullopt;
    if (!jwk.alg.empty() && jwk.alg != "ES256") return std::nullopt;
    VIGIL_ASSIGN_OR_RETURN(std::string x, BytesMember(entry, "x"));
    VIGIL_ASSIGN_OR_RETURN(std::string y, BytesMember(entry, "y"));
    VIGIL_ASSIGN_OR_RETURN(jwk.key, P256Key(x, y));
  } else {
    return std::nullopt;
  }
  VIGIL_ASSIGN_OR_RETURN(std::optional<JwkType> type, Classify(jwk.key.get()));
  if (!type.has_value()) return std::nullopt;
  jwk.type = *type;
  return jwk;
}

// Appends the keys of a JWKS document to `keys`, counting the unusable ones in `skipped`.
absl::Status KeysFromJwks(absl::string_view text, std::vector<Jwk>* keys, size_t* skipped) {
  auto document = ParseJsonObject(text);
  if (!document.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("JWKS: ", document.status().message()));
  }
  auto it = document->fields().find("keys");
  if (it == document->fields().end() ||
      it->second.kind_case() != google::protobuf::Value::kListValue) {
    return absl::InvalidArgumentError("JWKS: no \"keys\" array");
  }
  const auto& entries = it->second.list_value().values();
  if (static_cast<size_t>(entries.size()) > JwkSet::kMaxKeys) {
    return absl::InvalidArgumentError(
        absl::StrCat("JWKS: ", entries.size(), " keys (at most ", JwkSet::kMaxKeys, ")"));
  }
  for (int i = 0; i < entries.size(); ++i) {
    if (entries[i].kind_case() != google::protobuf::Value::kStructValue) {
      return absl::InvalidArgumentError(absl::StrCat("JWKS key #", i, ": not an object"));
    }
    auto key = KeyFromJwk(entries[i].struct_value());
    if (!key.ok()) {
      const auto kid = entries[i].struct_value().fields().find("kid");
      const std::string named =
          kid != entries[i].struct_value().fields().end() &&
                  kid->second.kind_case() == google::protobuf::Value::kStringValue
              ? absl::StrCat(" (kid \"", absl::CHexEscape(kid->second.string_value()), "\")")
              : "";
      return absl::InvalidArgumentError(
          absl::StrCat("JWKS key #", i, named, ": ", key.status().message()));
    }
    if (key->has_value()) {
      keys->push_back(std::move(**key));
    } else {
      ++*skipped;
    }
  }
  return absl::OkStatus();
}

// Appends the keys of a PEM file to `keys`: "PUBLIC KEY" (SubjectPublicKeyInfo) and
// "RSA PUBLIC KEY" (PKCS #1) blocks. Other blocks are skipped, except private keys, which
// are refused so that a secret never sits where a public key belongs unnoticed.
absl::Status KeysFromPem(absl::string_view text, std::vector<Jwk>* keys, size_t* skipped) {
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (bio == nullptr) return absl::InternalError("BIO_new_mem_buf: " + OpenSslError());
  ERR_clear_error();
  for (size_t block = 0;; ++block) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long len = 0;
    if (PEM_read_bio(bio.get(), &name, &header, &data, &len) != 1) {
      const unsigned long err = ERR_peek_last_error();
      if (block > 0 && ERR_GET_LIB(err) == ERR_LIB_PEM &&
          ERR_GET_REASON(err) == PEM_R_NO_START_LINE) {
        ERR_clear_error();
        return absl::OkStatus();
      }
      return absl::InvalidArgumentError(absl::StrCat("PEM block #", block, ": ", OpenSslError()));
    }
    OpenSslBufferPtr<char> name_owner(name);
    OpenSslBufferPtr<char> header_owner(header);
    OpenSslBufferPtr<unsigned char> data_owner(data);
    if (block >= JwkSet::kMaxKeys) {
      return absl::InvalidArgumentError(
          absl::StrCat("PEM: more than ", JwkSet::kMaxKeys, " blocks"));
    }
    const absl::string_view label(name);
    const unsigned char* p = data;
    EVP_PKEY* raw = nullptr;
    if (label == "PUBLIC KEY") {
      raw = d2i_PUBKEY(nullptr, &p, len);
    } else if (label == "RSA PUBLIC KEY") {
      raw = d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, len);
    } else if (absl::StrContains(label, "PRIVATE KEY")) {
      return absl::InvalidArgumentError(absl::StrCat("PEM block #", block, " is a private key (",
                                                     label, "); give the public key only"));
    } else {
      ++*skipped;
      continue;
    }
    Jwk jwk;
    jwk.key.reset(raw);
    if (jwk.key == nullptr || p != data + len) {
      return absl::InvalidArgumentError(
          absl::StrCat("PEM block #", block, " (", label, "): malformed key: ", OpenSslError()));
    }
    auto type = Classify(jwk.key.get());
    if (!type.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("PEM block #", block, ": ", type.status().message()));
    }
    if (!type->has_value()) {
      ++*skipped;
      continue;
    }
    jwk.type = **type;
    keys->push_back(std::move(jwk));
  }
}

}  // namespace

absl::StatusOr<std::shared_ptr<const JwkSet>> JwkSet::Parse(absl::string_view text) {
  if (text.size() > kMaxDocumentBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("key document of ", text.size(), " bytes (at most ", kMaxDocumentBytes, ")"));
  }
  std::shared_ptr<JwkSet> set(new JwkSet());
  const absl::string_view body = absl::StripLeadingAsciiWhitespace(text);
  if (absl::StartsWith(body, "{")) {
    VIGIL_RETURN_IF_ERROR(KeysFromJwks(body, &set->keys_, &set->skipped_));
  } else if (absl::StrContains(body, "-----BEGIN ")) {
    VIGIL_RETURN_IF_ERROR(KeysFromPem(body, &set->keys_, &set->skipped_));
  } else {
    return absl::InvalidArgumentError("key document is neither JWKS (JSON) nor PEM");
  }
  if (set->keys_.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("key document has no usable key (", set->skipped_,
                     " skipped; Vigil verifies RS256 with RSA keys and ES256 with P-256 keys)"));
  }
  return std::shared_ptr<const JwkSet>(std::move(set));
}

std::vector<const Jwk*> JwkSet::Candidates(absl::string_view alg, absl::string_view kid) const {
  JwkType type;
  if (alg == "RS256") {
    type = JwkType::kRsa;
  } else if (alg == "ES256") {
    type = JwkType::kEcP256;
  } else {
    return {};
  }
  std::vector<const Jwk*> out;
  for (const Jwk& key : keys_) {
    if (key.type != type) continue;
    if (!key.alg.empty() && key.alg != alg) continue;
    if (!kid.empty() && !key.kid.empty() && key.kid != kid) continue;
    out.push_back(&key);
  }
  return out;
}

absl::StatusOr<std::string> DecodeBase64Url(absl::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    if (!IsBase64UrlChar(text[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("not base64url (unexpected character at offset ", i, ")"));
    }
  }
  std::string out;
  if (text.size() % 4 == 1 || !absl::WebSafeBase64Unescape(text, &out) ||
      absl::WebSafeBase64Escape(out) != text) {
    return absl::InvalidArgumentError("not canonical base64url");
  }
  return out;
}

absl::StatusOr<google::protobuf::Struct> ParseJsonObject(absl::string_view text) {
  if (!absl::StartsWith(absl::StripLeadingAsciiWhitespace(text), "{")) {
    return absl::InvalidArgumentError("not a JSON object");
  }
  google::protobuf::Struct out;
  const auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(text.data(), text.size()), &out);
  if (!status.ok()) {
    std::string reason(status.message().data(), status.message().size());
    if (reason.size() > 120) reason = reason.substr(0, 120) + "...";
    return absl::InvalidArgumentError(
        absl::StrCat("not a valid JSON object: ", absl::CHexEscape(reason)));
  }
  return out;
}

}  // namespace vigil::controller

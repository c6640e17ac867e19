#include "bundle/signing.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "bundle/bundle.h"
#include "common/read_file.h"
#include "common/sha256.h"
#include "common/status_macros.h"

namespace vigil::bundle {
namespace {

constexpr absl::string_view kAlgorithm = "ed25519";
constexpr size_t kKeyIdHexDigits = 16;
constexpr size_t kMaxKeyFileBytes = 64 << 10;
constexpr size_t kMaxShownChars = 64;

// Bundle-supplied `text` made safe to quote in an error: escaped and cut short.
std::string Shown(absl::string_view text) {
  std::string out = absl::CHexEscape(text.substr(0, kMaxShownChars));
  if (text.size() > kMaxShownChars) out.append("...");
  return out;
}

// A PEM passphrase callback that gives none: an encrypted key fails to read instead of
// OpenSSL prompting on the terminal.
int NoPassphrase(char*, int, int, void*) { return 0; }

bool IsEd25519(EVP_PKEY* key) { return key != nullptr && EVP_PKEY_get_id(key) == EVP_PKEY_ED25519; }

// A read-only BIO over `data` (at most kMaxKeyFileBytes, so its length fits an int).
BioPtr MemoryBio(absl::string_view data) {
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

absl::StatusOr<EvpPkeyPtr> PublicKeyFromPem(absl::string_view pem, absl::string_view source) {
  EvpPkeyPtr key;
  if (pem.size() <= kMaxKeyFileBytes) {
    BioPtr bio = MemoryBio(pem);
    if (bio != nullptr) key.reset(PEM_read_bio_PUBKEY(bio.get(), nullptr, &NoPassphrase, nullptr));
  }
  ERR_clear_error();
  if (!IsEd25519(key.get())) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": not an Ed25519 public key (PEM)"));
  }
  return key;
}

absl::StatusOr<std::string> PemOf(EVP_PKEY* key, bool private_key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr) return absl::InternalError("BIO_new failed");
  const int written =
      private_key ? PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr)
                  : PEM_write_bio_PUBKEY(bio.get(), key);
  if (written != 1) {
    ERR_clear_error();
    return absl::InternalError("cannot write the key as PEM");
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

}  // namespace

absl::StatusOr<KeyPairPem> GenerateKeyPair() {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr));
  EVP_PKEY* raw = nullptr;
  if (ctx == nullptr || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_keygen(ctx.get(), &raw) != 1) {
    ERR_clear_error();
    return absl::InternalError("cannot generate an Ed25519 key");
  }
  EvpPkeyPtr key(raw);
  KeyPairPem pair;
  VIGIL_ASSIGN_OR_RETURN(pair.private_pem, PemOf(key.get(), /*private_key=*/true));
  VIGIL_ASSIGN_OR_RETURN(pair.public_pem, PemOf(key.get(), /*private_key=*/false));
  return pair;
}

absl::StatusOr<std::string> KeyId(EVP_PKEY* key) {
  if (!IsEd25519(key)) return absl::InvalidArgumentError("not an Ed25519 key");
  unsigned char raw[64];
  size_t len = sizeof(raw);
  if (EVP_PKEY_get_raw_public_key(key, raw, &len) != 1) {
    ERR_clear_error();
    return absl::InternalError("cannot read the raw Ed25519 public key");
  }
  return Sha256Hex(absl::string_view(reinterpret_cast<const char*>(raw), len))
      .substr(0, kKeyIdHexDigits);
}

absl::StatusOr<EvpPkeyPtr> PrivateKeyFromPem(absl::string_view pem, absl::string_view source) {
  EvpPkeyPtr key;
  if (pem.size() <= kMaxKeyFileBytes) {
    BioPtr bio = MemoryBio(pem);
    if (bio != nullptr) {
      key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, &NoPassphrase, nullptr));
    }
  }
  ERR_clear_error();
  if (!IsEd25519(key.get())) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": not an Ed25519 private key (unencrypted PEM, as vigilctl makes them)"));
  }
  return key;
}

absl::StatusOr<vigil::v1::BundleSignature> Sign(absl::string_view manifest,
                                                absl::string_view object, EVP_PKEY* private_key) {
  VIGIL_ASSIGN_OR_RETURN(std::string key_id, KeyId(private_key));
  const std::string message = SignedMessage(manifest, object);
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  unsigned char signature[64];
  size_t len = sizeof(signature);
  if (ctx == nullptr ||
      EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, private_key) != 1 ||
      EVP_DigestSign(ctx.get(), signature, &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError("cannot sign with this key (an Ed25519 private key?)");
  }
  vigil::v1::BundleSignature out;
  out.set_key_id(key_id);
  out.set_algorithm(std::string(kAlgorithm));
  out.set_value(reinterpret_cast<const char*>(signature), len);
  return out;
}

absl::StatusOr<KeyRing> KeyRing::FromPems(const std::vector<std::string>& pems,
                                          const std::vector<std::string>& sources) {
  if (pems.size() != sources.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("KeyRing::FromPems: ", pems.size(), " keys but ", sources.size(), " sources"));
  }
  KeyRing ring;
  std::map<std::string, std::string> source_of;
  for (size_t i = 0; i < pems.size(); ++i) {
    VIGIL_ASSIGN_OR_RETURN(EvpPkeyPtr key, PublicKeyFromPem(pems[i], sources[i]));
    VIGIL_ASSIGN_OR_RETURN(std::string id, KeyId(key.get()));
    auto it = ring.keys_.find(id);
    if (it == ring.keys_.end()) {
      ring.keys_.emplace(id, std::move(key));
      source_of.emplace(id, sources[i]);
    } else if (EVP_PKEY_eq(it->second.get(), key.get()) != 1) {
      // Not the same key twice (harmless) but two keys with one id: which one a bundle
      // naming that id means would be ambiguous.
      ERR_clear_error();
      return absl::InvalidArgumentError(absl::StrCat(
          sources[i], ": key id ", id, " is also that of another key (", source_of[id], ")"));
    }
  }
  return ring;
}

absl::StatusOr<KeyRing> KeyRing::FromDirectory(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (!fs::exists(dir, error)) {
    if (error && error != std::errc::no_such_file_or_directory) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot read key directory ", dir, ": ", error.message()));
    }
    return KeyRing();
  }
  std::vector<std::string> paths;
  fs::directory_iterator it(dir, error);
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read key directory ", dir, ": ", error.message()));
  }
  for (; it != fs::directory_iterator(); it.increment(error)) {
    const std::string name = it->path().filename().string();
    // Kubernetes Secret volumes hold "..data" and "..<timestamp>" entries beside the keys'
    // symlinks; hidden names are never keys.
    if (absl::StartsWith(name, ".") || !absl::EndsWith(name, ".pem")) continue;
    std::error_code type_error;
    if (!it->is_regular_file(type_error)) continue;  // follows symlinks
    paths.push_back(it->path().string());
  }
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read key directory ", dir, ": ", error.message()));
  }
  std::sort(paths.begin(), paths.end());
  std::vector<std::string> pems;
  for (const std::string& path : paths) {
    VIGIL_ASSIGN_OR_RETURN(std::string pem, ReadSmallFile(path, kMaxKeyFileBytes));
    pems.push_back(std::move(pem));
  }
  return FromPems(pems, paths);
}

absl::Status KeyRing::Verify(const vigil::v1::ProbeBundle& bundle) const {
  if (!bundle.has_signature() || bundle.signature().value().empty()) {
    return absl::PermissionDeniedError("bundle is unsigned");
  }
  const vigil::v1::BundleSignature& signature = bundle.signature();
  if (signature.algorithm() != kAlgorithm) {
    return absl::PermissionDeniedError(
        absl::StrCat("unsupported signature algorithm '", Shown(signature.algorithm()), "'"));
  }
  auto it = keys_.find(signature.key_id());
  if (it == keys_.end()) {
    return absl::PermissionDeniedError(
        absl::StrCat("bundle signed by unknown key ", Shown(signature.key_id())));
  }
  const std::string message = SignedMessage(bundle.manifest(), bundle.object());
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  const bool verified =
      ctx != nullptr &&
      EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, it->second.get()) == 1 &&
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.value().data()),
                       signature.value().size(),
                       reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  ERR_clear_error();
  if (!verified) {
    return absl::PermissionDeniedError(
        "bad signature (the bundle was changed after signing, or signed by another key with "
        "the same id)");
  }
  return absl::OkStatus();
}

std::vector<std::string> KeyRing::KeyIds() const {
  std::vector<std::string> ids;
  ids.reserve(keys_.size());
  for (const auto& [id, key] : keys_) ids.push_back(id);
  return ids;
}

}  // namespace vigil::bundle

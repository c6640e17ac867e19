#include "cli/bundle_files.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "bundle/manifest.h"
#include "bundle/object_check.h"
#include "bundle/signing.h"
#include "common/read_file.h"
#include "common/status_macros.h"
#include "common/unique_fd.h"

namespace vigil::cli {
namespace {

absl::Status WriteError(const std::string& path, int error) {
  return absl::FailedPreconditionError(absl::StrCat("cannot write ", path, ": ", strerror(error)));
}

// Writes all of `bytes` to `fd`, sets its mode and syncs it; the errno of a failure, else 0.
int WriteAll(int fd, absl::string_view bytes, mode_t mode) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    done += static_cast<size_t>(n);
  }
  if (fchmod(fd, mode) != 0 || fsync(fd) != 0) return errno;
  return 0;
}

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

// The private key as the PEM text of a file, wiped from memory when it goes.
struct SecretText {
  ~SecretText() { OPENSSL_cleanse(text.data(), text.size()); }
  std::string text;
};

}  // namespace

absl::Status WriteLocalFile(const std::string& path, absl::string_view bytes, mode_t mode,
                            bool replace) {
  if (!replace) {
    UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
    if (!fd.valid()) {
      if (errno == EEXIST) {
        return absl::FailedPreconditionError(absl::StrCat(path, " exists; not overwriting it"));
      }
      return WriteError(path, errno);
    }
    const int error = WriteAll(fd.get(), bytes, mode);
    fd.reset();
    if (error != 0) {
      unlink(path.c_str());
      return WriteError(path, error);
    }
    return absl::OkStatus();
  }
  std::string temp = absl::StrCat(path, ".tmp-XXXXXX");
  UniqueFd fd(mkostemp(temp.data(), O_CLOEXEC));
  if (!fd.valid()) return WriteError(path, errno);
  int error = WriteAll(fd.get(), bytes, mode);
  fd.reset();
  if (error == 0 && rename(temp.c_str(), path.c_str()) != 0) error = errno;
  if (error != 0) {
    unlink(temp.c_str());
    return WriteError(path, error);
  }
  return absl::OkStatus();
}

absl::StatusOr<KeyPairFiles> WriteKeyPair(const std::string& prefix) {
  struct stat st;
  if (prefix.empty() || prefix.back() == '/' ||
      (stat(prefix.c_str(), &st) == 0 && S_ISDIR(st.st_mode))) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--out ", prefix, " names a directory; give a file prefix (e.g. keys/modules)"));
  }
  KeyPairFiles files;
  files.private_path = absl::StrCat(prefix, ".key");
  files.public_path = absl::StrCat(prefix, ".pub.pem");
  for (const std::string& path : {files.private_path, files.public_path}) {
    if (Exists(path)) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, " exists; not overwriting a key (choose another --out)"));
    }
  }
  VIGIL_ASSIGN_OR_RETURN(bundle::KeyPairPem pair, bundle::GenerateKeyPair());
  SecretText secret{std::move(pair.private_pem)};
  VIGIL_ASSIGN_OR_RETURN(EvpPkeyPtr key, bundle::PrivateKeyFromPem(secret.text, "new key"));
  VIGIL_ASSIGN_OR_RETURN(files.key_id, bundle::KeyId(key.get()));
  VIGIL_RETURN_IF_ERROR(WriteLocalFile(files.private_path, secret.text, 0600, /*replace=*/false));
  absl::Status pub = WriteLocalFile(files.public_path, pair.public_pem, 0644, /*replace=*/false);
  if (!pub.ok()) {
    unlink(files.private_path.c_str());  // no private key without its public half
    return pub;
  }
  return files;
}

absl::StatusOr<vigil::v1::BundleManifest> BuildBundleFile(const std::string& manifest_path,
                                                          const std::string& object_path,
                                                          const std::string& out) {
  VIGIL_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(manifest_path, bundle::kMaxManifestBytes));
  VIGIL_ASSIGN_OR_RETURN(vigil::v1::BundleManifest manifest,
                         bundle::ParseManifestText(text, manifest_path));
  VIGIL_ASSIGN_OR_RETURN(std::string object, ReadSmallFile(object_path, bundle::kMaxObjectBytes));
  const absl::Status checked = bundle::CheckObject(manifest, object);
  if (!checked.ok()) {
    std::string message(checked.message());
    if (!absl::StartsWith(message, object_path)) message = absl::StrCat(object_path, ": ", message);
    return absl::Status(checked.code(), message);
  }
  vigil::v1::ProbeBundle probe;
  probe.set_manifest(manifest.SerializeAsString());
  probe.set_object(std::move(object));
  const std::string bytes = probe.SerializeAsString();
  // What the controller and the sensors check first, checked here too.
  const absl::Status parsed = bundle::ParseBundle(bytes).status();
  if (!parsed.ok()) return absl::InvalidArgumentError(absl::StrCat(out, ": ", parsed.message()));
  VIGIL_RETURN_IF_ERROR(WriteLocalFile(out, bytes, 0644, /*replace=*/true));
  return manifest;
}

absl::StatusOr<LocalBundle> ReadBundleFile(const std::string& path) {
  LocalBundle local;
  VIGIL_ASSIGN_OR_RETURN(local.bytes, ReadSmallFile(path, bundle::kMaxBundleBytes));
  absl::StatusOr<bundle::ParsedBundle> parsed = bundle::ParseBundle(local.bytes);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", parsed.status().message()));
  }
  local.parsed = *std::move(parsed);
  return local;
}

absl::StatusOr<SignedBundleFile> SignBundleFile(const std::string& key_path,
                                                const std::string& bundle_path,
                                                const std::string& out) {
  VIGIL_ASSIGN_OR_RETURN(LocalBundle local, ReadBundleFile(bundle_path));
  SecretText pem;
  VIGIL_ASSIGN_OR_RETURN(pem.text, ReadSmallFile(key_path, kMaxKeyFileBytes));
  VIGIL_ASSIGN_OR_RETURN(EvpPkeyPtr key, bundle::PrivateKeyFromPem(pem.text, key_path));
  SignedBundleFile signed_file;
  VIGIL_ASSIGN_OR_RETURN(signed_file.key_id, bundle::KeyId(key.get()));
  vigil::v1::ProbeBundle probe = std::move(local.parsed.bundle);
  VIGIL_ASSIGN_OR_RETURN(*probe.mutable_signature(),
                         bundle::Sign(probe.manifest(), probe.object(), key.get()));
  const std::string bytes = probe.SerializeAsString();
  signed_file.path = out.empty() ? bundle_path : out;
  VIGIL_RETURN_IF_ERROR(WriteLocalFile(signed_file.path, bytes, 0644, /*replace=*/true));
  signed_file.hash = bundle::BundleHash(bytes);
  signed_file.name = local.parsed.manifest.name();
  signed_file.version = local.parsed.manifest.version();
  return signed_file;
}

}  // namespace vigil::cli

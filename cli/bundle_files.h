// vigilctl's offline work on probe-module bundles (docs/modules.md): making signing key
// pairs, building a bundle from a manifest and a BPF object, signing it, and reading a
// bundle file to push. Nothing here talks to the controller; private keys are only read.
#ifndef VIGIL_CLI_BUNDLE_FILES_H_
#define VIGIL_CLI_BUNDLE_FILES_H_

#include <sys/types.h>

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bundle/bundle.h"
#include "vigil/v1/bundle.pb.h"

namespace vigil::cli {

// The largest private key file read.
inline constexpr size_t kMaxKeyFileBytes = 64 << 10;

// A key pair written by WriteKeyPair.
struct KeyPairFiles {
  std::string key_id;        // bundle::KeyId of the pair
  std::string private_path;  // PREFIX.key, mode 0600
  std::string public_path;   // PREFIX.pub.pem, mode 0644
};

// Makes an Ed25519 key pair and writes PREFIX.key (the private key, mode 0600) and
// PREFIX.pub.pem (the public key, mode 0644). FAILED_PRECONDITION when either file exists
// (then neither is written), when `prefix` names a directory, or when writing fails (then
// no file is left behind).
absl::StatusOr<KeyPairFiles> WriteKeyPair(const std::string& prefix);

// Reads the text manifest (errors "<file>:<line>:<column>: <reason>") and the BPF object,
// checks the object against the manifest (bundle::CheckObject; errors name the object), and
// writes an unsigned bundle of both to `out` (mode 0644, replacing it). Returns the
// manifest. Inputs larger than the bundle limits are refused naming the file and the limit.
absl::StatusOr<vigil::v1::BundleManifest> BuildBundleFile(const std::string& manifest_path,
                                                          const std::string& object_path,
                                                          const std::string& out);

// A bundle written by SignBundleFile.
struct SignedBundleFile {
  std::string path;     // where it was written
  std::string key_id;   // the signing key's id
  std::string hash;     // bundle::BundleHash of the signed bundle's bytes
  std::string name;     // the module its manifest names
  std::string version;  // the manifest's version
};

// Signs the bundle at `bundle_path` (ReadBundleFile) with the private key at `key_path`,
// replacing any signature it had, and writes it to `out` (empty: `bundle_path`; mode 0644,
// replacing it).
absl::StatusOr<SignedBundleFile> SignBundleFile(const std::string& key_path,
                                                const std::string& bundle_path,
                                                const std::string& out);

// A bundle file as read for signing or pushing.
struct LocalBundle {
  std::string bytes;            // the file's bytes
  bundle::ParsedBundle parsed;  // parsed, its manifest valid
};

// Reads and parses a bundle file: FAILED_PRECONDITION naming the file when it cannot be
// read or exceeds bundle::kMaxBundleBytes, INVALID_ARGUMENT "<file>: <reason>" when it is
// not a valid bundle (bundle::ParseBundle).
absl::StatusOr<LocalBundle> ReadBundleFile(const std::string& path);

// Writes `bytes` to `path` with permissions `mode` (whatever the umask). With `replace`,
// through a temporary file in the same directory renamed over `path`, so that a reader
// never sees half a file; without it, only when `path` does not exist yet
// (FAILED_PRECONDITION otherwise). Errors name the path.
absl::Status WriteLocalFile(const std::string& path, absl::string_view bytes, mode_t mode,
                            bool replace);

}  // namespace vigil::cli

#endif  // VIGIL_CLI_BUNDLE_FILES_H_

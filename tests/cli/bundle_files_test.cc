// Unit tests for cli/bundle_files.h: vigilctl's offline bundle work — key pairs written once
// with a private 0600 key, bundles built only from an object that matches its manifest,
// signing that the sensors' key ring verifies, and the limits and errors on the way.
#include "cli/bundle_files.h"

#include <sys/stat.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "bundle/bundle.h"
#include "bundle/signing.h"
#include "common/read_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/bundle/bundle_test_util.h"
#include "tests/support/test_dir.h"

namespace vigil::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::StartsWith;

// The permission bits of `path` (-1 when it does not exist).
int ModeOf(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 07777);
}

std::string MessageOf(const absl::Status& status) { return std::string(status.message()); }

std::string Read(const std::string& path) {
  absl::StatusOr<std::string> text = ReadSmallFile(path, 8 << 20);
  EXPECT_TRUE(text.ok()) << text.status();
  return text.ok() ? *text : "";
}

class BundleFilesTest : public ::testing::Test {
 protected:
  // Writes the test manifest (edited by `replacements`) and returns its path.
  std::string Manifest(const std::vector<std::pair<std::string, std::string>>& replacements = {}) {
    return dir_.WriteFile("sigwatch.textproto",
                          absl::StrReplaceAll(bundle::testing::kTestManifestText, replacements));
  }

  vigil::testing::TestDir dir_{"cli-bundle"};
};

TEST_F(BundleFilesTest, KeygenWritesAPairOnceWithThePrivateKeyMode0600) {
  dir_.MakeDirs("keys");
  const std::string prefix = dir_.Join("keys/modules");
  absl::StatusOr<KeyPairFiles> keys = WriteKeyPair(prefix);
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(keys->private_path, prefix + ".key");
  EXPECT_EQ(keys->public_path, prefix + ".pub.pem");
  EXPECT_THAT(keys->key_id, MatchesRegex("[0-9a-f]{16}"));
  EXPECT_EQ(ModeOf(keys->private_path), 0600);
  EXPECT_EQ(ModeOf(keys->public_path), 0644);
  EXPECT_THAT(Read(keys->private_path), StartsWith("-----BEGIN PRIVATE KEY-----"));
  // The public half is what the sensors pin: a ring of it knows the key id.
  absl::StatusOr<bundle::KeyRing> ring =
      bundle::KeyRing::FromPems({Read(keys->public_path)}, {keys->public_path});
  ASSERT_TRUE(ring.ok()) << ring.status();
  EXPECT_EQ(ring->KeyIds(), std::vector<std::string>{keys->key_id});

  // Never overwritten, whichever half exists.
  const std::string before = Read(keys->private_path);
  absl::StatusOr<KeyPairFiles> again = WriteKeyPair(prefix);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(MessageOf(again.status()), HasSubstr(prefix + ".key exists"));
  EXPECT_EQ(Read(keys->private_path), before);
  dir_.WriteFile("keys/other.pub.pem", "not mine");
  absl::StatusOr<KeyPairFiles> half = WriteKeyPair(dir_.Join("keys/other"));
  EXPECT_EQ(half.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ModeOf(dir_.Join("keys/other.key")), -1);
  EXPECT_EQ(Read(dir_.Join("keys/other.pub.pem")), "not mine");

  EXPECT_THAT(MessageOf(WriteKeyPair(dir_.Join("keys")).status()), HasSubstr("names a directory"));
  EXPECT_THAT(MessageOf(WriteKeyPair(dir_.Join("no/such/dir/k")).status()),
              HasSubstr("cannot write"));
}

TEST_F(BundleFilesTest, BuildChecksTheObjectAndWritesAnUnsignedBundle) {
  const std::string out = dir_.Join("sigwatch.vbundle");
  absl::StatusOr<vigil::v1::BundleManifest> manifest =
      BuildBundleFile(Manifest(), VIGIL_BUNDLE_TEST_OBJECT, out);
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  EXPECT_EQ(manifest->name(), "sigwatch");
  EXPECT_EQ(ModeOf(out), 0644);
  absl::StatusOr<LocalBundle> local = ReadBundleFile(out);
  ASSERT_TRUE(local.ok()) << local.status();
  EXPECT_EQ(local->parsed.manifest.version(), "1.0.0");
  EXPECT_EQ(local->parsed.bundle.object(), bundle::testing::TestObject());
  EXPECT_FALSE(local->parsed.bundle.has_signature());
}

TEST_F(BundleFilesTest, BuildRefusesAManifestThatMisdescribesTheObject) {
  const std::string out = dir_.Join("lying.vbundle");
  absl::StatusOr<vigil::v1::BundleManifest> built =
      BuildBundleFile(Manifest({{"\"comm\"", "\"command\""}}), VIGIL_BUNDLE_TEST_OBJECT, out);
  ASSERT_FALSE(built.ok());
  EXPECT_THAT(MessageOf(built.status()), StartsWith(VIGIL_BUNDLE_TEST_OBJECT));
  EXPECT_THAT(MessageOf(built.status()), HasSubstr("command"));
  EXPECT_EQ(ModeOf(out), -1);  // nothing written
}

TEST_F(BundleFilesTest, BuildErrorsNameTheFileAndPosition) {
  const std::string out = dir_.Join("x.vbundle");
  const std::string bad = dir_.WriteFile("bad.textproto", "name: \"a\"\n  nmae: \"b\"\n");
  absl::StatusOr<vigil::v1::BundleManifest> built =
      BuildBundleFile(bad, VIGIL_BUNDLE_TEST_OBJECT, out);
  EXPECT_EQ(built.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(MessageOf(built.status()), StartsWith(bad + ":2:"));

  built = BuildBundleFile(dir_.Join("absent.textproto"), VIGIL_BUNDLE_TEST_OBJECT, out);
  EXPECT_THAT(MessageOf(built.status()), StartsWith("cannot read " + dir_.Join("absent")));
  built = BuildBundleFile(Manifest(), dir_.Join("absent.bpf.o"), out);
  EXPECT_THAT(MessageOf(built.status()), StartsWith("cannot read " + dir_.Join("absent.bpf.o")));
  const std::string huge =
      dir_.WriteFile("huge.bpf.o", std::string(bundle::kMaxObjectBytes + 1, '\0'));
  built = BuildBundleFile(Manifest(), huge, out);
  EXPECT_THAT(MessageOf(built.status()), HasSubstr(huge + " is larger than"));
  const std::string not_elf = dir_.WriteFile("text.bpf.o", "#!/bin/sh\n");
  built = BuildBundleFile(Manifest(), not_elf, out);
  EXPECT_THAT(MessageOf(built.status()), StartsWith(not_elf + ": "));
  EXPECT_EQ(ModeOf(out), -1);
}

TEST_F(BundleFilesTest, KeygenBuildSignRoundTripVerifiesOnTheSensorsRing) {
  absl::StatusOr<KeyPairFiles> keys = WriteKeyPair(dir_.Join("admin"));
  ASSERT_TRUE(keys.ok()) << keys.status();
  const std::string unsigned_path = dir_.Join("sigwatch.vbundle");
  ASSERT_TRUE(BuildBundleFile(Manifest(), VIGIL_BUNDLE_TEST_OBJECT, unsigned_path).ok());
  const std::string unsigned_bytes = Read(unsigned_path);

  // To another file: the unsigned one stays as it was.
  const std::string signed_path = dir_.Join("signed.vbundle");
  absl::StatusOr<SignedBundleFile> signed_file =
      SignBundleFile(keys->private_path, unsigned_path, signed_path);
  ASSERT_TRUE(signed_file.ok()) << signed_file.status();
  EXPECT_EQ(signed_file->path, signed_path);
  EXPECT_EQ(signed_file->key_id, keys->key_id);
  EXPECT_EQ(signed_file->name, "sigwatch");
  EXPECT_EQ(signed_file->version, "1.0.0");
  EXPECT_EQ(signed_file->hash, bundle::BundleHash(Read(signed_path)));
  EXPECT_EQ(Read(unsigned_path), unsigned_bytes);
  EXPECT_EQ(ModeOf(signed_path), 0644);

  absl::StatusOr<bundle::KeyRing> ring =
      bundle::KeyRing::FromPems({Read(keys->public_path)}, {keys->public_path});
  ASSERT_TRUE(ring.ok()) << ring.status();
  absl::StatusOr<LocalBundle> local = ReadBundleFile(signed_path);
  ASSERT_TRUE(local.ok()) << local.status();
  EXPECT_TRUE(ring->Verify(local->parsed.bundle).ok());
  EXPECT_EQ(local->parsed.bundle.signature().key_id(), keys->key_id);

  // In place (no --out): the same signed bytes (Ed25519 is deterministic).
  signed_file = SignBundleFile(keys->private_path, unsigned_path, "");
  ASSERT_TRUE(signed_file.ok()) << signed_file.status();
  EXPECT_EQ(signed_file->path, unsigned_path);
  EXPECT_EQ(Read(unsigned_path), Read(signed_path));

  // Signing again with another key replaces the signature.
  absl::StatusOr<KeyPairFiles> other = WriteKeyPair(dir_.Join("other"));
  ASSERT_TRUE(other.ok()) << other.status();
  signed_file = SignBundleFile(other->private_path, signed_path, "");
  ASSERT_TRUE(signed_file.ok()) << signed_file.status();
  local = ReadBundleFile(signed_path);
  ASSERT_TRUE(local.ok()) << local.status();
  EXPECT_EQ(local->parsed.bundle.signature().key_id(), other->key_id);
  EXPECT_EQ(ring->Verify(local->parsed.bundle).code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(BundleFilesTest, SignRefusesWhatIsNotAKeyOrABundle) {
  absl::StatusOr<KeyPairFiles> keys = WriteKeyPair(dir_.Join("admin"));
  ASSERT_TRUE(keys.ok()) << keys.status();
  const std::string bundle_path = dir_.Join("b.vbundle");
  ASSERT_TRUE(BuildBundleFile(Manifest(), VIGIL_BUNDLE_TEST_OBJECT, bundle_path).ok());
  const std::string before = Read(bundle_path);

  // The public key is not a private key; the error names the file.
  absl::StatusOr<SignedBundleFile> signed_file = SignBundleFile(keys->public_path, bundle_path, "");
  ASSERT_FALSE(signed_file.ok());
  EXPECT_THAT(MessageOf(signed_file.status()), HasSubstr(keys->public_path));
  signed_file = SignBundleFile(dir_.Join("absent.key"), bundle_path, "");
  EXPECT_THAT(MessageOf(signed_file.status()), StartsWith("cannot read "));
  EXPECT_EQ(Read(bundle_path), before);

  const std::string garbage = dir_.WriteFile("garbage.vbundle", "\xff\xff not a bundle");
  signed_file = SignBundleFile(keys->private_path, garbage, "");
  EXPECT_EQ(signed_file.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(MessageOf(signed_file.status()), StartsWith(garbage + ": "));
  const std::string huge =
      dir_.WriteFile("huge.vbundle", std::string(bundle::kMaxBundleBytes + 1, 'x'));
  signed_file = SignBundleFile(keys->private_path, huge, "");
  EXPECT_THAT(MessageOf(signed_file.status()), HasSubstr(huge + " is larger than"));
}

TEST_F(BundleFilesTest, WriteLocalFileReplacesOrRefuses) {
  const std::string path = dir_.Join("f");
  ASSERT_TRUE(WriteLocalFile(path, "one", 0644, /*replace=*/true).ok());
  EXPECT_EQ(Read(path), "one");
  ASSERT_TRUE(WriteLocalFile(path, "two", 0600, /*replace=*/true).ok());
  EXPECT_EQ(Read(path), "two");
  EXPECT_EQ(ModeOf(path), 0600);
  const absl::Status refused = WriteLocalFile(path, "three", 0644, /*replace=*/false);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(MessageOf(refused), HasSubstr("exists"));
  EXPECT_EQ(Read(path), "two");
}

}  // namespace
}  // namespace vigil::cli

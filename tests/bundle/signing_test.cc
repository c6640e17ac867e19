#include "bundle/signing.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "bundle/bundle.h"
#include "common/sha256.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/bundle/bundle_test_util.h"
#include "tests/support/test_dir.h"

namespace vigil::bundle {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using vigil::bundle::testing::FakeElf;
using vigil::bundle::testing::MakeBundle;
using vigil::bundle::testing::TestManifest;
using vigil::v1::ProbeBundle;

// A key pair: its PEMs, the private key and the id.
struct TestKey {
  KeyPairPem pem;
  EvpPkeyPtr private_key;
  std::string id;
};

TestKey NewKey() {
  TestKey key;
  auto pair = GenerateKeyPair();
  EXPECT_TRUE(pair.ok()) << pair.status();
  if (!pair.ok()) return key;
  key.pem = *pair;
  auto private_key = PrivateKeyFromPem(key.pem.private_pem, "test key");
  EXPECT_TRUE(private_key.ok()) << private_key.status();
  if (!private_key.ok()) return key;
  key.private_key = std::move(private_key).value();
  auto id = KeyId(key.private_key.get());
  EXPECT_TRUE(id.ok()) << id.status();
  key.id = id.value_or("");
  return key;
}

KeyRing RingOf(const TestKey& key) {
  auto ring = KeyRing::FromPems({key.pem.public_pem}, {"ring key"});
  EXPECT_TRUE(ring.ok()) << ring.status();
  return ring.ok() ? std::move(ring).value() : KeyRing();
}

ProbeBundle SignedBundle(const TestKey& key) {
  ProbeBundle bundle = MakeBundle(TestManifest(), FakeElf());
  auto signature = Sign(bundle.manifest(), bundle.object(), key.private_key.get());
  EXPECT_TRUE(signature.ok()) << signature.status();
  if (signature.ok()) *bundle.mutable_signature() = *signature;
  return bundle;
}

// An EC P-256 key pair as PEM (private, public): a key of the wrong type.
std::pair<std::string, std::string> EcKeyPem() {
  EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  EXPECT_NE(key, nullptr);
  BioPtr priv(BIO_new(BIO_s_mem()));
  BioPtr pub(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(priv.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  PEM_write_bio_PUBKEY(pub.get(), key.get());
  char* data = nullptr;
  long len = BIO_get_mem_data(priv.get(), &data);
  std::string private_pem(data, len);
  len = BIO_get_mem_data(pub.get(), &data);
  return {private_pem, std::string(data, len)};
}

bool IsLowerHex(const std::string& text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f'); });
}

TEST(SigningTest, GeneratedKeyPairIsPemAndHasOneId) {
  TestKey key = NewKey();
  EXPECT_THAT(key.pem.private_pem, StartsWith("-----BEGIN PRIVATE KEY-----\n"));
  EXPECT_THAT(key.pem.public_pem, StartsWith("-----BEGIN PUBLIC KEY-----\n"));
  ASSERT_EQ(key.id.size(), 16u);
  EXPECT_TRUE(IsLowerHex(key.id)) << key.id;
  // The public half has the same id as the private key.
  EXPECT_THAT(RingOf(key).KeyIds(), ElementsAre(key.id));
  // A second pair is another key.
  EXPECT_NE(NewKey().id, key.id);
}

TEST(SigningTest, KeyIdIsTheSha256OfTheRawPublicKey) {
  TestKey key = NewKey();
  unsigned char raw[32];
  size_t len = sizeof(raw);
  ASSERT_EQ(EVP_PKEY_get_raw_public_key(key.private_key.get(), raw, &len), 1);
  EXPECT_EQ(key.id, Sha256Hex(absl::string_view(reinterpret_cast<char*>(raw), len)).substr(0, 16));
}

TEST(SigningTest, PrivateKeyOfAnotherTypeIsRefused) {
  auto key = PrivateKeyFromPem(EcKeyPem().first, "ec.pem");
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(key.status().message()),
              StartsWith("ec.pem: not an Ed25519 private key"));
}

TEST(SigningTest, GarbagePrivateKeyIsRefused) {
  auto key = PrivateKeyFromPem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                               "bad.pem");
  ASSERT_FALSE(key.ok());
  EXPECT_THAT(std::string(key.status().message()),
              StartsWith("bad.pem: not an Ed25519 private key"));
  // A public key is not a private key.
  EXPECT_FALSE(PrivateKeyFromPem(NewKey().pem.public_pem, "pub.pem").ok());
}

TEST(SigningTest, SignThenVerify) {
  TestKey key = NewKey();
  ProbeBundle bundle = SignedBundle(key);
  EXPECT_EQ(bundle.signature().key_id(), key.id);
  EXPECT_EQ(bundle.signature().algorithm(), "ed25519");
  EXPECT_EQ(bundle.signature().value().size(), 64u);
  EXPECT_TRUE(RingOf(key).Verify(bundle).ok()) << RingOf(key).Verify(bundle);
}

TEST(SigningTest, SignatureSurvivesSerialization) {
  TestKey key = NewKey();
  auto parsed = ParseBundle(SignedBundle(key).SerializeAsString());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(RingOf(key).Verify(parsed->bundle).ok());
}

TEST(SigningTest, UnsignedBundleIsRefused) {
  TestKey key = NewKey();
  ProbeBundle bundle = MakeBundle(TestManifest(), FakeElf());
  absl::Status status = RingOf(key).Verify(bundle);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(status.message(), "bundle is unsigned");
  // A signature without a value is no signature.
  bundle.mutable_signature()->set_key_id(key.id);
  bundle.mutable_signature()->set_algorithm("ed25519");
  EXPECT_EQ(RingOf(key).Verify(bundle).message(), "bundle is unsigned");
}

TEST(SigningTest, OtherAlgorithmIsRefused) {
  TestKey key = NewKey();
  ProbeBundle bundle = SignedBundle(key);
  bundle.mutable_signature()->set_algorithm("rsa-pss");
  absl::Status status = RingOf(key).Verify(bundle);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(status.message(), "unsupported signature algorithm 'rsa-pss'");
}

TEST(SigningTest, UnknownKeyIsRefused) {
  TestKey signer = NewKey();
  TestKey trusted = NewKey();
  absl::Status status = RingOf(trusted).Verify(SignedBundle(signer));
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(status.message(), absl::StrCat("bundle signed by unknown key ", signer.id));
  // An empty ring trusts nothing.
  EXPECT_EQ(KeyRing().Verify(SignedBundle(signer)).code(), absl::StatusCode::kPermissionDenied);
}

TEST(SigningTest, BitFlippedObjectIsRefused) {
  TestKey key = NewKey();
  ProbeBundle bundle = SignedBundle(key);
  std::string object = bundle.object();
  object.back() ^= 0x01;
  bundle.set_object(object);
  absl::Status status = RingOf(key).Verify(bundle);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(status.message()),
              StartsWith("bad signature (the bundle was changed after signing"));
}

TEST(SigningTest, BitFlippedManifestIsRefused) {
  TestKey key = NewKey();
  ProbeBundle bundle = SignedBundle(key);
  std::string manifest = bundle.manifest();
  manifest[manifest.size() / 2] ^= 0x10;
  bundle.set_manifest(manifest);
  absl::Status status = RingOf(key).Verify(bundle);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(status.message()), StartsWith("bad signature"));
}

TEST(SigningTest, EveryFlippedSignatureBitIsRefused) {
  TestKey key = NewKey();
  const KeyRing ring = RingOf(key);
  const ProbeBundle bundle = SignedBundle(key);
  for (size_t bit = 0; bit < 8 * bundle.signature().value().size(); ++bit) {
    ProbeBundle changed = bundle;
    std::string value = changed.signature().value();
    value[bit / 8] ^= static_cast<char>(1 << (bit % 8));
    changed.mutable_signature()->set_value(value);
    EXPECT_EQ(ring.Verify(changed).code(), absl::StatusCode::kPermissionDenied) << bit;
  }
  ProbeBundle short_signature = bundle;
  short_signature.mutable_signature()->mutable_value()->pop_back();
  EXPECT_THAT(std::string(ring.Verify(short_signature).message()), StartsWith("bad signature"));
}

TEST(SigningTest, ForgedKeyIdIsRefused) {
  // Signed by another key, claiming the trusted key's id.
  TestKey trusted = NewKey();
  TestKey forger = NewKey();
  ProbeBundle bundle = SignedBundle(forger);
  bundle.mutable_signature()->set_key_id(trusted.id);
  absl::Status status = RingOf(trusted).Verify(bundle);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(status.message(),
            "bad signature (the bundle was changed after signing, or signed by another key "
            "with the same id)");
}

TEST(SigningTest, SignatureOverOtherContentIsRefused) {
  // A valid signature of one bundle does not carry over to another.
  TestKey key = NewKey();
  ProbeBundle first = SignedBundle(key);
  vigil::v1::BundleManifest manifest = TestManifest();
  manifest.set_version("2.0.0");
  ProbeBundle second = MakeBundle(manifest, FakeElf());
  *second.mutable_signature() = first.signature();
  EXPECT_THAT(std::string(RingOf(key).Verify(second).message()), StartsWith("bad signature"));
}

TEST(KeyRingTest, FromPemsRefusesWhatIsNotAnEd25519PublicKey) {
  TestKey key = NewKey();
  auto ec = KeyRing::FromPems({key.pem.public_pem, EcKeyPem().second}, {"a.pem", "ec.pem"});
  ASSERT_FALSE(ec.ok());
  EXPECT_EQ(ec.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ec.status().message(), "ec.pem: not an Ed25519 public key (PEM)");
  auto priv = KeyRing::FromPems({key.pem.private_pem}, {"private.pem"});
  ASSERT_FALSE(priv.ok());
  EXPECT_EQ(priv.status().message(), "private.pem: not an Ed25519 public key (PEM)");
  EXPECT_FALSE(KeyRing::FromPems({key.pem.public_pem}, {}).ok());
}

TEST(KeyRingTest, FromPemsKeepsOneCopyOfAKey) {
  TestKey a = NewKey();
  TestKey b = NewKey();
  auto ring = KeyRing::FromPems({a.pem.public_pem, b.pem.public_pem, a.pem.public_pem},
                                {"a.pem", "b.pem", "a-again.pem"});
  ASSERT_TRUE(ring.ok()) << ring.status();
  EXPECT_EQ(ring->size(), 2u);
  std::vector<std::string> ids = {a.id, b.id};
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ring->KeyIds(), ids);
  EXPECT_TRUE(ring->Verify(SignedBundle(a)).ok());
  EXPECT_TRUE(ring->Verify(SignedBundle(b)).ok());
}

TEST(KeyRingTest, FromDirectoryReadsPemFiles) {
  vigil::testing::TestDir dir("bundle-keys");
  TestKey a = NewKey();
  TestKey b = NewKey();
  dir.WriteFile("a.pem", a.pem.public_pem);
  dir.WriteFile("b.pem", b.pem.public_pem);
  dir.WriteFile("README", "not a key");       // not *.pem: skipped
  dir.WriteFile(".hidden.pem", "not a key");  // hidden: skipped
  dir.MakeDirs("sub.pem");                    // a directory: skipped
  auto ring = KeyRing::FromDirectory(dir.path());
  ASSERT_TRUE(ring.ok()) << ring.status();
  EXPECT_EQ(ring->size(), 2u);
  EXPECT_TRUE(ring->Verify(SignedBundle(a)).ok());
  EXPECT_TRUE(ring->Verify(SignedBundle(b)).ok());
}

TEST(KeyRingTest, FromDirectoryNamesTheFileThatIsNotAKey) {
  vigil::testing::TestDir dir("bundle-keys");
  dir.WriteFile("a.pem", NewKey().pem.public_pem);
  const std::string bad = dir.WriteFile("b.pem", "-----BEGIN CERTIFICATE-----\nAA==\n");
  auto ring = KeyRing::FromDirectory(dir.path());
  ASSERT_FALSE(ring.ok());
  EXPECT_EQ(ring.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ring.status().message(), absl::StrCat(bad, ": not an Ed25519 public key (PEM)"));
}

TEST(KeyRingTest, FromDirectoryRefusesAnOversizedFile) {
  vigil::testing::TestDir dir("bundle-keys");
  const std::string big = dir.WriteFile("big.pem", std::string((64 << 10) + 1, 'A'));
  auto ring = KeyRing::FromDirectory(dir.path());
  ASSERT_FALSE(ring.ok());
  EXPECT_THAT(std::string(ring.status().message()), HasSubstr(big));
}

TEST(KeyRingTest, FromDirectoryReadsAKubernetesSecretVolume) {
  // kubelet's layout: key.pem -> ..data/key.pem, ..data -> ..2024_01_01_00_00_00.1/. Made
  // where kubelet would make it, outside the world-writable directories (/var/lib as root,
  // else the home directory): dot names like these under /tmp are what the default rules
  // alert on, and the kernel tests run this binary as ordinary activity, expecting none.
  const char* home = getenv("HOME");
  const std::string parent = geteuid() == 0 ? "/var/lib" : (home != nullptr ? home : "/tmp");
  vigil::testing::TestDir dir("bundle-keys", parent);
  TestKey key = NewKey();
  dir.WriteFile("..2024_01_01_00_00_00.1/key.pem", key.pem.public_pem);
  dir.WriteFile("..2024_01_01_00_00_00.1/broken.pem", "not a key");
  ASSERT_EQ(symlink("..2024_01_01_00_00_00.1", dir.Join("..data").c_str()), 0);
  ASSERT_EQ(symlink("..data/key.pem", dir.Join("key.pem").c_str()), 0);
  auto ring = KeyRing::FromDirectory(dir.path());
  ASSERT_TRUE(ring.ok()) << ring.status();
  EXPECT_THAT(ring->KeyIds(), ElementsAre(key.id));
}

TEST(KeyRingTest, MissingOrEmptyDirectoryGivesAnEmptyRing) {
  vigil::testing::TestDir dir("bundle-keys");
  auto missing = KeyRing::FromDirectory(dir.Join("no-such-dir"));
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_EQ(missing->size(), 0u);
  auto empty = KeyRing::FromDirectory(dir.path());
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->size(), 0u);
  EXPECT_EQ(empty->Verify(SignedBundle(NewKey())).code(), absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace vigil::bundle

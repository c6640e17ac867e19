#include "bundle/bundle.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <filesystem>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "bundle/manifest.h"
#include "bundle/object_check.h"
#include "bundle/signing.h"
#include "common/read_file.h"
#include "common/sha256.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/bundle/bundle_test_util.h"

namespace vigil::bundle {
namespace {

using ::testing::HasSubstr;
using vigil::bundle::testing::FakeElf;
using vigil::bundle::testing::MakeBundle;
using vigil::bundle::testing::TestManifest;
using vigil::v1::ProbeBundle;

TEST(BundleTest, ValidBundleParses) {
  const ProbeBundle bundle = MakeBundle(TestManifest(), FakeElf());
  const std::string bytes = bundle.SerializeAsString();
  auto parsed = ParseBundle(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->manifest.name(), "sigwatch");
  EXPECT_EQ(parsed->bundle.object(), FakeElf());
  EXPECT_EQ(parsed->bundle.manifest(), bundle.manifest());
  EXPECT_EQ(parsed->hash, BundleHash(bytes));
}

TEST(BundleTest, HashIsSha256OfTheBytes) {
  EXPECT_EQ(BundleHash("abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(BundleHash(""), "sha256:" + Sha256Hex(""));
}

TEST(BundleTest, SignedMessageIsTheDomainAndBothDigests) {
  const std::string message = SignedMessage("manifest", "object");
  const std::string domain = "vigil-probe-bundle-v1\n";
  ASSERT_EQ(message.size(), domain.size() + 64);
  EXPECT_EQ(message.substr(0, domain.size()), domain);
  EXPECT_EQ(absl::BytesToHexString(message.substr(domain.size(), 32)), Sha256Hex("manifest"));
  EXPECT_EQ(absl::BytesToHexString(message.substr(domain.size() + 32)), Sha256Hex("object"));
}

TEST(BundleTest, SignedMessageKeepsManifestAndObjectApart) {
  // Moving bytes from one part into the other changes what is signed.
  EXPECT_NE(SignedMessage("ab", "c"), SignedMessage("a", "bc"));
  EXPECT_NE(SignedMessage("x", ""), SignedMessage("", "x"));
}

TEST(BundleTest, OversizedBundleIsRefused) {
  const std::string bytes(kMaxBundleBytes + 1, '\0');
  auto parsed = ParseBundle(bytes);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(parsed.status().message(), "bundle is 4194305 bytes, more than the 4194304 allowed");
}

TEST(BundleTest, GarbageIsRefused) {
  auto parsed = ParseBundle("\xff\xff\xff\xff");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().message(), "bundle is not a serialized ProbeBundle");
}

TEST(BundleTest, BundleWithoutObjectIsRefused) {
  auto parsed = ParseBundle(MakeBundle(TestManifest(), "").SerializeAsString());
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().message(), "bundle has no object");
}

TEST(BundleTest, NonElfObjectIsRefused) {
  auto parsed = ParseBundle(MakeBundle(TestManifest(), "#!/bin/sh\n").SerializeAsString());
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(parsed.status().message(), "bundle object is not an ELF file");
}

TEST(BundleTest, OversizedObjectIsRefused) {
  std::string object = FakeElf();
  object.resize(kMaxObjectBytes + 1, '\0');
  auto parsed = ParseBundle(MakeBundle(TestManifest(), object).SerializeAsString());
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().message(),
            absl::StrCat("bundle object is ", kMaxObjectBytes + 1, " bytes, more than the ",
                         kMaxObjectBytes, " allowed"));
}

TEST(BundleTest, OversizedManifestIsRefused) {
  ProbeBundle bundle = MakeBundle(TestManifest(), FakeElf());
  bundle.set_manifest(std::string(kMaxManifestBytes + 1, 'm'));
  auto parsed = ParseBundle(bundle.SerializeAsString());
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().message(),
            "bundle manifest is 65537 bytes, more than the 65536 allowed");
}

TEST(BundleTest, UndecodableManifestIsRefused) {
  ProbeBundle bundle = MakeBundle(TestManifest(), FakeElf());
  bundle.set_manifest("\xff\xff\xff");
  auto parsed = ParseBundle(bundle.SerializeAsString());
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().message(), "bundle manifest is not a serialized BundleManifest");
}

TEST(BundleTest, InvalidManifestIsRefusedNamingWhere) {
  vigil::v1::BundleManifest manifest = TestManifest();
  manifest.mutable_records(0)->mutable_fields(1)->set_size(8);
  manifest.mutable_records(0)->mutable_fields(1)->set_kind(vigil::v1::BUNDLE_FIELD_KIND_S64);
  manifest.mutable_records(0)->mutable_fields(1)->set_offset(28);
  auto parsed = ParseBundle(MakeBundle(manifest, FakeElf()).SerializeAsString());
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().message(),
            "bundle manifest: record 'signal' field 'sig': offset 28 + size 8 is past the "
            "record's 32 bytes");
}

TEST(BundleTest, EveryTruncationIsRefusedOrFailsVerification) {
  auto pair = GenerateKeyPair();
  ASSERT_TRUE(pair.ok()) << pair.status();
  auto key = PrivateKeyFromPem(pair->private_pem, "test");
  ASSERT_TRUE(key.ok()) << key.status();
  auto ring = KeyRing::FromPems({pair->public_pem}, {"test"});
  ASSERT_TRUE(ring.ok()) << ring.status();
  ProbeBundle bundle = MakeBundle(TestManifest(), FakeElf());
  auto signature = Sign(bundle.manifest(), bundle.object(), key->get());
  ASSERT_TRUE(signature.ok()) << signature.status();
  *bundle.mutable_signature() = *signature;
  const std::string bytes = bundle.SerializeAsString();
  auto whole = ParseBundle(bytes);
  ASSERT_TRUE(whole.ok()) << whole.status();
  ASSERT_TRUE(ring->Verify(whole->bundle).ok());

  int parsed_count = 0;
  for (size_t len = 0; len < bytes.size(); ++len) {
    auto parsed = ParseBundle(absl::string_view(bytes).substr(0, len));
    if (!parsed.ok()) {
      EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << len;
      continue;
    }
    ++parsed_count;
    absl::Status verified = ring->Verify(parsed->bundle);
    EXPECT_EQ(verified.code(), absl::StatusCode::kPermissionDenied) << "truncated to " << len;
  }
  // Cutting just before the signature (the last field) leaves a bundle that parses, and
  // is unsigned.
  EXPECT_GT(parsed_count, 0);
}

// The fuzz seeds stay valid inputs: each manifest seed parses, and the signed bundle seed
// parses, verifies against the fuzzer's fixed key (RFC 8032 test vector 1) and matches its
// object.
TEST(BundleTest, FuzzSeedsAreValid) {
  const std::filesystem::path fuzz = std::filesystem::path(VIGIL_SOURCE_DIR) / "fuzz";
  int manifests = 0;
  for (const auto& entry : std::filesystem::directory_iterator(fuzz / "manifest-seeds")) {
    auto text = ReadSmallFile(entry.path().string());
    ASSERT_TRUE(text.ok()) << text.status();
    auto manifest = ParseManifestText(*text, entry.path().filename().string());
    EXPECT_TRUE(manifest.ok()) << manifest.status();
    ++manifests;
  }
  EXPECT_GE(manifests, 2);

  const unsigned char kFuzzPublicKey[32] = {0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7,
                                            0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
                                            0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25,
                                            0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a};
  EvpPkeyPtr key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, kFuzzPublicKey,
                                             sizeof(kFuzzPublicKey)));
  ASSERT_NE(key, nullptr);
  BioPtr bio(BIO_new(BIO_s_mem()));
  ASSERT_EQ(PEM_write_bio_PUBKEY(bio.get(), key.get()), 1);
  char* pem = nullptr;
  const long pem_len = BIO_get_mem_data(bio.get(), &pem);
  auto ring = KeyRing::FromPems({std::string(pem, pem_len)}, {"fuzz key"});
  ASSERT_TRUE(ring.ok()) << ring.status();

  auto bytes = ReadSmallFile((fuzz / "bundle-seeds" / "sigwatch.bundle").string());
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto parsed = ParseBundle(*bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(ring->Verify(parsed->bundle).ok()) << ring->Verify(parsed->bundle);
  EXPECT_TRUE(CheckObject(parsed->manifest, parsed->bundle.object()).ok())
      << CheckObject(parsed->manifest, parsed->bundle.object());
}

}  // namespace
}  // namespace vigil::bundle

// libFuzzer target: bytes -> ParseBundle (a probe-module bundle as the controller and the
// sensor receive it), then, for a bundle that parses, KeyRing::Verify against one fixed
// test key and CheckObject (libbpf opening the object, its BTF read). The parsed bundle is
// also signed with that key and verified again, so the success path runs for any input.
// Any crash, leak or undefined behaviour is a bug; so is a bundle that parses with a
// manifest ValidateManifest refuses, or a fresh signature that does not verify.
//
// The fixed key is derived from kTestSeed (never a real key); the seeds in
// fuzz/bundle-seeds/ are signed with it.
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "bundle/bundle.h"
#include "bundle/manifest.h"
#include "bundle/object_check.h"
#include "bundle/signing.h"
#include "common/openssl_ptr.h"

namespace {

// The Ed25519 private key of the test key (RFC 8032 test vector 1's secret key).
constexpr unsigned char kTestSeed[32] = {
    0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
    0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60};

struct Fixture {
  Fixture() {
    key.reset(
        EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, kTestSeed, sizeof(kTestSeed)));
    if (key == nullptr) abort();
    vigil::BioPtr bio(BIO_new(BIO_s_mem()));
    if (bio == nullptr || PEM_write_bio_PUBKEY(bio.get(), key.get()) != 1) abort();
    char* pem = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &pem);
    auto keys = vigil::bundle::KeyRing::FromPems({std::string(pem, len)}, {"test key"});
    if (!keys.ok()) abort();
    ring = *std::move(keys);
  }
  vigil::EvpPkeyPtr key;
  vigil::bundle::KeyRing ring;
};

Fixture& TheFixture() {
  static Fixture* fixture = new Fixture();
  return *fixture;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Fixture& fixture = TheFixture();
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto parsed = vigil::bundle::ParseBundle(bytes);
  if (!parsed.ok()) return 0;
  if (!vigil::bundle::ValidateManifest(parsed->manifest).ok()) abort();
  (void)fixture.ring.Verify(parsed->bundle);
  (void)vigil::bundle::CheckObject(parsed->manifest, parsed->bundle.object());

  vigil::v1::ProbeBundle resigned = parsed->bundle;
  auto signature = vigil::bundle::Sign(resigned.manifest(), resigned.object(), fixture.key.get());
  if (!signature.ok()) abort();
  *resigned.mutable_signature() = *signature;
  if (!fixture.ring.Verify(resigned).ok()) abort();
  return 0;
}

// libFuzzer target: the controller's parsers of sensor credentials. The first byte picks
// what the rest is: a key document (JwkSet::Parse), a whole token (TokenVerifier::Verify
// against a fixed key), or a header and a payload (JSON, split at the first newline) that
// the fuzzer signs with that key before verifying, so the claim checks are reached with
// any JSON. Any crash, leak or undefined behaviour is a bug; so is a verified token whose
// claims break the verifier's promises (a node without a service account, an expiry
// before the time checked).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "controller/identity/jwks.h"
#include "controller/identity/jwt_verifier.h"
#include "tests/support/test_issuer.h"

namespace {

constexpr int64_t kNow = 1800000000;  // 2027-01-15

struct Fixture {
  Fixture()
      : issuer(vigil::testing::TestIssuer::Create(vigil::testing::TestIssuer::Alg::kES256)),
        verifier([] {
          vigil::controller::TokenPolicy policy;
          policy.issuer = "https://kubernetes.default.svc.cluster.local";
          policy.audience = "vigil-controller";
          return policy;
        }()) {
    auto keys = vigil::controller::JwkSet::Parse(issuer.Jwks());
    if (!keys.ok()) abort();
    verifier.SetKeys(*std::move(keys));
  }
  vigil::testing::TestIssuer issuer;
  vigil::controller::TokenVerifier verifier;
};

Fixture& TheFixture() {
  static Fixture* fixture = new Fixture();
  return *fixture;
}

void Check(const absl::StatusOr<vigil::controller::ServiceAccountClaims>& claims) {
  if (!claims.ok()) return;
  if (claims->namespace_name.empty() || claims->service_account.empty()) abort();
  if (claims->expires + 86400 < kNow) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  Fixture& f = TheFixture();
  const absl::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: (void)vigil::controller::JwkSet::Parse(rest); break;
    case 1: Check(f.verifier.Verify(rest, kNow)); break;
    default: {
      const size_t newline = rest.find('\n');
      if (newline == absl::string_view::npos) return 0;
      const std::string token = f.issuer.SignRaw(rest.substr(0, newline), rest.substr(newline + 1));
      Check(f.verifier.Verify(token, kNow));
      break;
    }
  }
  return 0;
}

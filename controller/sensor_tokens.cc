#include "controller/sensor_tokens.h"

#include "absl/strings/str_cat.h"
#include "common/read_file.h"
#include "common/status_macros.h"
#include "controller/identity/jwks.h"
#include "controller/identity/kube_keys.h"

namespace vigil::controller {
namespace {

// Key files are small; this bounds a mistaken path.
constexpr size_t kMaxKeyFileBytes = 1 << 20;

TokenPolicy PolicyOf(const SensorTokenOptions& options) {
  TokenPolicy policy;
  policy.issuer = options.issuer;
  policy.audience = options.audience;
  return policy;
}

}  // namespace

SensorTokens::SensorTokens(const SensorTokenOptions& options)
    : options_(options), verifier_(PolicyOf(options)) {}

absl::StatusOr<std::unique_ptr<SensorTokens>> SensorTokens::Load(
    const SensorTokenOptions& options) {
  if (options.keys.empty()) return absl::InvalidArgumentError("--sensor-token-keys: empty");
  if (options.audience.empty()) {
    return absl::InvalidArgumentError("--sensor-token-audience: empty");
  }
  if (options.keys != kKubernetes && options.issuer.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--sensor-token-keys ", options.keys,
                     ": a key file needs --sensor-token-issuer (the tokens' \"iss\")"));
  }
  std::unique_ptr<SensorTokens> tokens(new SensorTokens(options));
  VIGIL_RETURN_IF_ERROR(tokens->Refresh());
  return tokens;
}

absl::Status SensorTokens::Refresh() {
  absl::Status status = [this]() -> absl::Status {
    std::string text;
    std::string issuer = options_.issuer;
    if (options_.keys == kKubernetes) {
      VIGIL_ASSIGN_OR_RETURN(KubeApiEndpoint endpoint, KubeApiEndpoint::FromEnvironment());
      VIGIL_ASSIGN_OR_RETURN(ClusterSigningKeys keys, FetchClusterSigningKeys(endpoint));
      text = std::move(keys.jwks);
      if (issuer.empty()) issuer = std::move(keys.issuer);
    } else {
      VIGIL_ASSIGN_OR_RETURN(text, ReadSmallFile(options_.keys, kMaxKeyFileBytes));
    }
    absl::StatusOr<std::shared_ptr<const JwkSet>> keys = JwkSet::Parse(text);
    if (!keys.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--sensor-token-keys ", options_.keys, ": ", keys.status().message()));
    }
    verifier_.SetIssuer(std::move(issuer));
    verifier_.SetKeys(*std::move(keys));
    return absl::OkStatus();
  }();
  ++(status.ok() ? refreshes_ : refresh_errors_);
  return status;
}

}  // namespace vigil::controller

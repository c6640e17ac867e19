// SensorTokens: the verifier of sensors' Kubernetes service-account tokens and where its
// keys come from — the API server of the cluster the controller runs in, or a file — kept
// current as the cluster rotates its signing keys.
#ifndef VIGIL_CONTROLLER_SENSOR_TOKENS_H_
#define VIGIL_CONTROLLER_SENSOR_TOKENS_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "controller/identity/jwt_verifier.h"

namespace vigil::controller {

// How sensors' tokens are verified (the controller's --sensor-token-* flags).
struct SensorTokenOptions {
  // "kubernetes" (in-cluster discovery), a JWKS or PEM file, or empty (no tokens).
  std::string keys;
  // The tokens' issuer; with "kubernetes" empty means discovered.
  std::string issuer;
  std::string audience = "vigil-controller";
  // How often the keys are fetched (or read) again.
  int refresh_s = 600;
};

class SensorTokens {
 public:
  // The source value that fetches keys from the in-cluster API server.
  static constexpr char kKubernetes[] = "kubernetes";

  // Loads the keys once (an error names the source and the cause).
  static absl::StatusOr<std::unique_ptr<SensorTokens>> Load(const SensorTokenOptions& options);

  const TokenVerifier* verifier() const { return &verifier_; }
  const SensorTokenOptions& options() const { return options_; }

  // Loads the keys again; on failure the current ones stay and the error is returned.
  absl::Status Refresh();

  uint64_t refreshes() const { return refreshes_; }
  uint64_t refresh_errors() const { return refresh_errors_; }

 private:
  explicit SensorTokens(const SensorTokenOptions& options);

  SensorTokenOptions options_;
  TokenVerifier verifier_;
  std::atomic<uint64_t> refreshes_{0};
  std::atomic<uint64_t> refresh_errors_{0};
};

}  // namespace vigil::controller

#endif  // VIGIL_CONTROLLER_SENSOR_TOKENS_H_

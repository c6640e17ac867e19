// ControllerServer: vigil-controller's gRPC server, in process (the binary and the tests
// both run it): SensorLink, AlertService, FleetService, the gRPC health service and
// server reflection, over mTLS (or plaintext when asked for explicitly).
#ifndef VIGIL_CONTROLLER_SERVER_H_
#define VIGIL_CONTROLLER_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "common/metrics_server.h"
#include "controller/alert_hub.h"
#include "controller/alert_service.h"
#include "controller/auth.h"
#include "controller/fleet.h"
#include "controller/fleet_service.h"
#include "controller/link_service.h"
#include "controller/metrics.h"
#include "controller/sensor_tokens.h"
#include "controller/store/sqlite_store.h"
#include "grpcpp/grpcpp.h"

namespace vigil::controller {

struct ControllerOptions {
  std::string listen = "127.0.0.1:7443";  // host:port; port 0 picks a free one
  std::string db_path = "vigil-controller.db";
  // TLS: server certificate and key, and the CA that signs client certificates (all
  // three, or none with insecure set).
  std::string tls_cert;
  std::string tls_key;
  std::string tls_ca;
  bool insecure = false;    // plaintext; for local use only
  std::string access_file;  // roles (see auth.h); empty: defaults
  // Verification of sensors' service-account tokens (needed by "serviceaccount" grants).
  SensorTokenOptions sensor_tokens;
  // What a stored (and so acked) alert survives: power loss (fsync per commit, default)
  // or the controller's crash only (faster).
  Durability durability = Durability::kPowerLoss;
  // Retention: alerts received longer ago than this, or beyond this many bytes, are
  // deleted oldest first (0: unbounded), checked every retention_interval_s.
  int64_t retention_age_s = 30 * 24 * 3600;
  uint64_t retention_bytes = uint64_t{10} << 30;
  int retention_interval_s = 60;
  // Serves /metrics, /healthz and /readyz ("host:port"); empty: not served.
  std::string metrics_address;
};

class ControllerServer {
 public:
  // Opens the store, loads the fleet state and starts serving. Errors name what failed.
  static absl::StatusOr<std::unique_ptr<ControllerServer>> Start(const ControllerOptions& options);
  ~ControllerServer();

  // The port actually bound.
  int port() const { return port_; }
  SqliteStore& store() { return *store_; }
  Fleet& fleet() { return *fleet_; }
  const LinkCounters& link_counters() const { return link_->counters(); }
  AlertHub& hub() { return hub_; }
  // The port /metrics is served on (0 when not served).
  int metrics_port() const { return metrics_server_ ? metrics_server_->port() : 0; }

  // Blocks until Shutdown.
  void Wait();
  // Stops accepting calls and ends the streams (with a deadline), then stops.
  void Shutdown();

 private:
  ControllerServer() = default;

  ControllerOptions options_;
  std::unique_ptr<SqliteStore> store_;
  AlertHub hub_;
  std::unique_ptr<SensorTokens> sensor_tokens_;  // before auth_, which points into it
  std::unique_ptr<Authorizer> auth_;
  std::unique_ptr<Fleet> fleet_;
  std::unique_ptr<SensorLinkImpl> link_;
  std::unique_ptr<AlertServiceImpl> alerts_;
  std::unique_ptr<FleetServiceImpl> fleet_service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<ControllerMetrics> metrics_;
  std::unique_ptr<MetricsServer> metrics_server_;
  int port_ = 0;
  absl::Notification stop_;
  std::thread retention_;
  std::thread key_refresh_;
  bool shut_down_ = false;
};

}  // namespace vigil::controller

#endif  // VIGIL_CONTROLLER_SERVER_H_

// MetricsServer: the small HTTP endpoint both binaries expose next to their gRPC port:
// /metrics (Prometheus text format from a prometheus-cpp registry), /healthz and /readyz.
//
// prometheus-cpp's own Exposer cannot answer readiness with a status code, and throws
// when it cannot bind; this server answers 503 with a reason while not ready and reports
// bind errors as a Status. It serves one request per connection on one thread, with
// bounded request size and read time, so a slow or hostile client cannot grow memory or
// hold the endpoint for longer than the read timeout.
#ifndef VIGIL_COMMON_METRICS_SERVER_H_
#define VIGIL_COMMON_METRICS_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "common/unique_fd.h"
#include "prometheus/registry.h"

namespace vigil {

// Called on the server's thread for each /metrics scrape, just before the registry is
// collected, so gauges read from elsewhere (sizes, RSS) can be refreshed.
using CollectHook = std::function<void()>;
// Readiness: the empty string when ready, else why not (shown in the 503 body).
using ReadinessFn = std::function<std::string()>;

class MetricsServer {
 public:
  // Binds `address` ("host:port", "[v6]:port" or ":port" for every address; port 0 picks
  // a free one) and starts serving. INVALID_ARGUMENT for a malformed address,
  // UNAVAILABLE naming the address and reason when it cannot bind.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(
      const std::string& address, std::shared_ptr<prometheus::Registry> registry,
      ReadinessFn readiness, CollectHook before_collect = nullptr);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // The port bound.
  int port() const { return port_; }

  // Stops serving and joins the thread; safe to call twice.
  void Stop();

  // The response to one raw request (exposed for tests): status line, headers and body.
  std::string Respond(const std::string& request);

 private:
  MetricsServer() = default;
  void Serve();
  void HandleConnection(int fd);

  std::shared_ptr<prometheus::Registry> registry_;
  ReadinessFn readiness_;
  CollectHook before_collect_;
  UniqueFd listen_fd_;
  UniqueFd stop_fd_;  // eventfd: Stop() was called
  int port_ = 0;
  std::thread thread_;
};

}  // namespace vigil

#endif  // VIGIL_COMMON_METRICS_SERVER_H_

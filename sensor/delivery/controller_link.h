// ControllerLink: the sensor's side of SensorLink. It sends the spool's unacked alerts to
// the controller and deletes them from the spool when the controller acks them; it hands
// the controller's commands (rule sets, probe modules) to the sensor and sends back their
// results.
//
// Delivery: every (re)connection sends hello and then resends from the spool's first
// unacked record, so a controller restart, a network cut or a sensor restart loses
// nothing and duplicates nothing the controller stored (it de-duplicates by sensor and
// sequence). The spool is synced to disk after each burst of batches is sent: a record is
// at risk of an OS crash only while it is neither synced nor stored by the controller, so
// sending first is never worse than syncing first, and the flush stays off the alerts'
// path. (The spool's leased sequence numbers are never reused even when an OS crash loses
// unsynced records the controller already stored.) Reconnects back
// off exponentially (0.2 s to 30 s) with full jitter. Keepalive pings every 20 s (the
// controller accepts one per 10 s) detect dead peers on idle links.
#ifndef VIGIL_SENSOR_DELIVERY_CONTROLLER_LINK_H_
#define VIGIL_SENSOR_DELIVERY_CONTROLLER_LINK_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "sensor/delivery/spool.h"
#include "vigil/v1/sensor_link.grpc.pb.h"

namespace vigil::sensor {

struct ControllerLinkOptions {
  std::string address;  // host:port
  // mTLS: the sensor's certificate and key, and the CA that signed the controller's.
  std::string tls_cert;
  std::string tls_key;
  std::string tls_ca;
  std::string tls_server_name;  // expected controller name when it differs from the host
  // A bearer credential (a Kubernetes service-account token) read at every connection,
  // since its issuer rotates it; empty: none. Never sent over plaintext.
  std::string token_file;
  bool insecure = false;       // plaintext (local use only)
  size_t batch_records = 500;  // alerts per AlertBatch at most
  size_t batch_bytes = 1 << 20;
  int health_interval_s = 10;
  int backoff_min_ms = 200;
  int backoff_max_ms = 30000;
};

// Counters of the link (for the sensor_stop record, metrics and tests).
struct ControllerLinkCounters {
  std::atomic<uint64_t> connects{0};
  std::atomic<uint64_t> batches_sent{0};
  std::atomic<uint64_t> alerts_sent{0};  // resends included
  std::atomic<uint64_t> acks{0};
  std::atomic<uint64_t> commands{0};
  std::atomic<bool> connected{false};
};

class ControllerLink {
 public:
  // Builds the hello for each connection (called on the link's thread).
  using HelloFn = std::function<vigil::v1::Hello()>;
  // Builds a health report (called on the link's thread).
  using HealthFn = std::function<vigil::v1::Health()>;
  // Receives a rule-set or module command (on the link's reader thread); the sensor
  // applies it on its own thread and answers with SendResult.
  using CommandFn = std::function<void(const vigil::v1::ControllerMessage&)>;

  // Checks the options and reads the TLS material. `spool` must outlive the link.
  static absl::StatusOr<std::unique_ptr<ControllerLink>> Create(
      const ControllerLinkOptions& options, Spool* spool, HelloFn hello, HealthFn health,
      CommandFn on_command);
  ~ControllerLink();

  // Starts the link thread (connecting, sending, reconnecting) until Stop().
  void Start();
  // Stops it; alerts not yet acked stay in the spool for the next run.
  void Stop();

  // Something was appended to the spool: send it.
  void Wake();
  // Queues a command's result for the controller; a health report (with the modules as
  // they now run) follows it.
  void SendResult(const vigil::v1::CommandResult& result);

  const ControllerLinkCounters& counters() const { return counters_; }

 private:
  ControllerLink(const ControllerLinkOptions& options, Spool* spool, HelloFn hello, HealthFn health,
                 CommandFn on_command);
  void Run();
  // The credential to send with a new stream, from token_file ("" when none).
  absl::StatusOr<std::string> ReadToken() const;
  // One connection: returns when the stream breaks or Stop() is called.
  absl::Status Session();

  ControllerLinkOptions options_;
  Spool* spool_;
  HelloFn hello_;
  HealthFn health_;
  CommandFn on_command_;
  std::shared_ptr<grpc::ChannelCredentials> creds_;
  ControllerLinkCounters counters_;
  std::thread thread_;

  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
  std::deque<vigil::v1::CommandResult> results_ ABSL_GUARDED_BY(mu_);
  bool health_due_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;  // the live stream's
};

}  // namespace vigil::sensor

#endif  // VIGIL_SENSOR_DELIVERY_CONTROLLER_LINK_H_

// Subscriber: an in-test AlertService.Subscribe client that follows a controller across
// its restarts (resuming from the last cursor received) and keeps every alert it gets, so
// end-to-end tests can count deliveries by (sensor_id, sequence).
#ifndef VIGIL_TESTS_E2E_SUPPORT_SUBSCRIBER_H_
#define VIGIL_TESTS_E2E_SUPPORT_SUBSCRIBER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "vigil/v1/alert_service.grpc.pb.h"

namespace vigil::testing {

// Subscribes (plaintext) to `address` from cursor "0" on a thread of its own. When the
// stream breaks (the controller died or stopped answering) it subscribes again with the
// last cursor it received, every 100 ms until it succeeds or Stop() is called.
class Subscriber {
 public:
  explicit Subscriber(const std::string& address);
  ~Subscriber();  // Stop()
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  // Ends the subscription and joins the thread.
  void Stop();

  // Every alert received from `sensor_id`, in arrival order.
  std::vector<vigil::v1::Alert> AlertsOf(const std::string& sensor_id) const;
  // How many times each sequence number of `sensor_id` arrived.
  std::map<uint64_t, int> SequenceCounts(const std::string& sensor_id) const;
  // Distinct sequence numbers received from `sensor_id`.
  size_t DistinctOf(const std::string& sensor_id) const;
  // Waits until `pred` holds for the alerts of `sensor_id` (or `timeout` passes); returns
  // whether it held.
  bool WaitFor(const std::string& sensor_id,
               const std::function<bool(const std::vector<vigil::v1::Alert>&)>& pred,
               absl::Duration timeout = absl::Seconds(60)) const;
  // Waits until at least `count` distinct sequence numbers of `sensor_id` arrived.
  bool WaitForDistinct(const std::string& sensor_id, size_t count,
                       absl::Duration timeout = absl::Seconds(60)) const;
  // Subscriptions made (the first one plus every resume).
  int subscriptions() const;
  // The last cursor received ("" before the first alert).
  std::string cursor() const;

 private:
  void Run();

  std::unique_ptr<vigil::v1::AlertService::Stub> stub_;
  std::thread thread_;
  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;  // the live call's
  std::string cursor_ ABSL_GUARDED_BY(mu_) = "0";
  int subscriptions_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, std::vector<vigil::v1::Alert>> alerts_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::map<uint64_t, int>> counts_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vigil::testing

#endif  // VIGIL_TESTS_E2E_SUPPORT_SUBSCRIBER_H_

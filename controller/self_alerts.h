// SelfAlerts: alerts the controller raises itself, about what it refused on the sensors'
// behalf (a credential speaking for another node, a replayed token). They are stored like
// any sensor's alerts, under the sensor id "vigil-controller" with source "vigil", so a
// SIEM subscribed to the controller sees an attempt to speak for another node the moment
// it is refused.
//
// Bounded: at most one alert per key (the refused credential or peer) per interval; the
// ones held back are counted into the next alert's `count` and in suppressed(). The
// sequence numbers live in an epoch made when the controller starts, so they never
// collide with those of an earlier run.
#ifndef VIGIL_CONTROLLER_SELF_ALERTS_H_
#define VIGIL_CONTROLLER_SELF_ALERTS_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "controller/alert_hub.h"
#include "controller/store/alert_store.h"
#include "vigil/v1/alert.pb.h"

namespace vigil::controller {

// The sensor id the controller's own alerts carry.
inline constexpr char kControllerSensorId[] = "vigil-controller";

// One alert to raise.
struct SelfAlert {
  std::string rule;
  vigil::v1::Priority priority = vigil::v1::PRIORITY_CRITICAL;
  std::string node;    // the node concerned (filters by node see it); may be empty
  std::string key;     // what the rate limit counts by
  std::string output;  // one line for people
  std::vector<std::pair<std::string, std::string>> fields;  // name, text
};

class SelfAlerts {
 public:
  // One alert per key per this long at most.
  static constexpr int64_t kIntervalNs = 60'000'000'000;
  // Keys remembered at most (older ones are forgotten when it fills).
  static constexpr size_t kMaxKeys = 4096;

  SelfAlerts(AlertStore* store, AlertHub* hub);

  // Stores `alert` unless its key raised one within kIntervalNs. Errors are counted, not
  // returned: the refusal that caused the alert stands either way.
  void Raise(const SelfAlert& alert) ABSL_LOCKS_EXCLUDED(mu_);

  uint64_t raised() const { return raised_; }
  uint64_t suppressed() const { return suppressed_; }
  uint64_t errors() const { return errors_; }

 private:
  struct KeyState {
    int64_t last_ns = 0;
    uint64_t held = 0;  // suppressed since the last one raised
  };

  AlertStore* store_;
  AlertHub* hub_;
  const std::string epoch_;
  std::atomic<uint64_t> raised_{0};
  std::atomic<uint64_t> suppressed_{0};
  std::atomic<uint64_t> errors_{0};
  absl::Mutex mu_;
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<std::string, KeyState> keys_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vigil::controller

#endif  // VIGIL_CONTROLLER_SELF_ALERTS_H_

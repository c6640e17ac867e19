// SensorLink: one bidirectional stream per sensor. Alert batches are stored and then
// acked (the delivery contract: the controller acks only what it has stored, and the
// store de-duplicates by (sensor, sequence), so a resent batch is acked again without
// being stored twice); hello, health and command results go to the Fleet, whose
// commands go back down the same stream.
#ifndef VIGIL_CONTROLLER_LINK_SERVICE_H_
#define VIGIL_CONTROLLER_LINK_SERVICE_H_

#include <atomic>
#include <cstdint>

#include "controller/alert_hub.h"
#include "controller/auth.h"
#include "controller/fleet.h"
#include "controller/store/alert_store.h"
#include "vigil/v1/sensor_link.grpc.pb.h"

namespace vigil::controller {

// Counters of the link service (for metrics and tests).
struct LinkCounters {
  std::atomic<uint64_t> alerts_received{0};
  std::atomic<uint64_t> alerts_stored{0};
  std::atomic<uint64_t> alerts_duplicate{0};
  std::atomic<uint64_t> alerts_refused{0};  // malformed: stored as gap records instead
  std::atomic<uint64_t> streams{0};
};

class SensorLinkImpl final : public vigil::v1::SensorLink::CallbackService {
 public:
  SensorLinkImpl(AlertStore* store, AlertHub* hub, Fleet* fleet, const Authorizer* auth)
      : store_(store), hub_(hub), fleet_(fleet), auth_(auth) {}

  grpc::ServerBidiReactor<vigil::v1::SensorMessage, vigil::v1::ControllerMessage>* Connect(
      grpc::CallbackServerContext* context) override;

  // Alerts one batch may carry.
  static constexpr int kMaxBatch = 1000;

  const LinkCounters& counters() const { return counters_; }

 private:
  friend class LinkReactor;
  AlertStore* store_;
  AlertHub* hub_;
  Fleet* fleet_;
  const Authorizer* auth_;
  LinkCounters counters_;
};

}  // namespace vigil::controller

#endif  // VIGIL_CONTROLLER_LINK_SERVICE_H_

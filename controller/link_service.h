// SensorLink: one bidirectional stream per sensor. Alert batches are stored and then
// acked (the delivery contract: the controller acks only what it has stored, and the
// store de-duplicates by (sensor, spool epoch, sequence), so a resent batch is acked again
// without being stored twice, and a sensor that lost its spool is never taken for a
// duplicate); hello, health and command results go to the Fleet, whose commands go back
// down the same stream.
//
// Identity: each stream is bound to the sensor its credential proves (auth.h). A hello
// whose sensor id or node is not that one is refused (PERMISSION_DENIED), counted and
// raised as a self-alert; so is a service-account token of a pod that another pod has
// replaced on its node. Everything the stream carries — alerts, acks, health, command
// results, commands — is the bound sensor's. A token-bound stream ends when its token
// expires, and the sensor reconnects with the renewed one.
#ifndef VIGIL_CONTROLLER_LINK_SERVICE_H_
#define VIGIL_CONTROLLER_LINK_SERVICE_H_

#include <atomic>
#include <cstdint>

#include "controller/alert_hub.h"
#include "controller/auth.h"
#include "controller/fleet.h"
#include "controller/identity/token_history.h"
#include "controller/self_alerts.h"
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
  // Sensor credentials refused: no valid credential at Connect (a bad, expired or
  // foreign token), a hello claiming another sensor, a superseded pod's token, and
  // streams ended because their credential expired.
  std::atomic<uint64_t> refused_credential{0};
  std::atomic<uint64_t> refused_mismatch{0};
  std::atomic<uint64_t> refused_replayed{0};
  std::atomic<uint64_t> credential_expired{0};
};

class SensorLinkImpl final : public vigil::v1::SensorLink::CallbackService {
 public:
  SensorLinkImpl(AlertStore* store, AlertHub* hub, Fleet* fleet, const Authorizer* auth)
      : store_(store), hub_(hub), fleet_(fleet), auth_(auth), self_alerts_(store, hub) {}

  grpc::ServerBidiReactor<vigil::v1::SensorMessage, vigil::v1::ControllerMessage>* Connect(
      grpc::CallbackServerContext* context) override;

  // Alerts one batch may carry.
  static constexpr int kMaxBatch = 1000;

  const LinkCounters& counters() const { return counters_; }
  const SelfAlerts& self_alerts() const { return self_alerts_; }

  // Seconds a credential may be used past its expiry (clock skew).
  static constexpr int64_t kExpiryLeewayS = 60;

 private:
  friend class LinkReactor;
  // OK when the stream of `who` (from `peer`) may say `hello`; else the refusal, counted
  // and raised as a self-alert.
  grpc::Status Admit(const Principal& who, const vigil::v1::Hello& hello, const std::string& peer);
  // Counts and raises a refused Connect (a credential presented but not accepted).
  void RefusedConnect(const Principal& who, const std::string& peer, const grpc::Status& why);

  AlertStore* store_;
  AlertHub* hub_;
  Fleet* fleet_;
  const Authorizer* auth_;
  LinkCounters counters_;
  SelfAlerts self_alerts_;
  TokenHistory tokens_;
};

}  // namespace vigil::controller

#endif  // VIGIL_CONTROLLER_LINK_SERVICE_H_

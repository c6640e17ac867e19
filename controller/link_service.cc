#include "controller/link_service.h"

#include <algorithm>
#include <deque>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/random_id.h"
#include "controller/alert_codec.h"

namespace vigil::controller {

using vigil::v1::ControllerMessage;
using vigil::v1::SensorMessage;

// One sensor's stream. Reads one message at a time; writes one at a time from a queue
// that commands (from any thread) and acks feed. Acks coalesce: only the newest pending
// ack is kept, so the queue stays small whatever the alert rate.
class LinkReactor : public grpc::ServerBidiReactor<SensorMessage, ControllerMessage>,
                    public SensorSession {
 public:
  LinkReactor(SensorLinkImpl* service, Principal who, std::string peer)
      : service_(service), who_(std::move(who)), peer_(std::move(peer)) {
    ++service_->counters_.streams;
    StartRead(&in_);
  }

  bool Send(const ControllerMessage& message) override {
    absl::MutexLock lock(&mu_);
    if (finished_) return false;
    queue_.push_back(message);
    MaybeWriteLocked();
    return true;
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      End(grpc::Status::OK);
      return;
    }
    grpc::Status status = CredentialExpired() ? Expired() : Handle(in_);
    if (!status.ok()) {
      End(status);
      return;
    }
    StartRead(&in_);
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      End(grpc::Status(grpc::StatusCode::UNAVAILABLE, "write to sensor failed"));
      return;
    }
    absl::MutexLock lock(&mu_);
    writing_ = false;
    MaybeWriteLocked();
  }

  void OnCancel() override { End(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled")); }

  void OnDone() override {
    if (!sensor_id_.empty()) service_->fleet_->Disconnected(sensor_id_, this);
    delete this;
  }

 private:
  grpc::Status Handle(const SensorMessage& message) {
    switch (message.msg_case()) {
      case SensorMessage::kHello: {
        if (!sensor_id_.empty()) {
          return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "a second hello");
        }
        grpc::Status admitted = service_->Admit(who_, message.hello(), peer_);
        if (!admitted.ok()) return admitted;
        absl::Status connected = service_->fleet_->Connected(message.hello(), this);
        if (!connected.ok()) {
          return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(connected.message()));
        }
        // A bound node is proven, so it overrides what alerts say; a shared credential's
        // (sensor-any) hello is a claim like the alerts' own.
        sender_ = AlertSender{message.hello().sensor_id(),
                              who_.sensor.any ? std::string() : message.hello().node(),
                              message.hello().spool_epoch()};
        sensor_id_ = message.hello().sensor_id();
        return grpc::Status::OK;
      }
      case SensorMessage::kAlerts:
        if (sensor_id_.empty()) break;
        return StoreBatch(message.alerts());
      case SensorMessage::kHealth:
        if (sensor_id_.empty()) break;
        service_->fleet_->ReportHealth(sensor_id_, message.health());
        return grpc::Status::OK;
      case SensorMessage::kResult:
        if (sensor_id_.empty()) break;
        service_->fleet_->Result(sensor_id_, message.result());
        return grpc::Status::OK;
      case SensorMessage::MSG_NOT_SET:
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "empty message");
    }
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "the first message must be hello");
  }

  grpc::Status StoreBatch(const vigil::v1::AlertBatch& batch) {
    if (batch.alerts_size() > SensorLinkImpl::kMaxBatch) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          absl::StrCat("batch of ", batch.alerts_size(), " alerts; at most ",
                                       SensorLinkImpl::kMaxBatch));
    }
    if (batch.alerts_size() == 0) return grpc::Status::OK;
    LinkCounters& counters = service_->counters_;
    const int64_t now = WallNowNs();
    std::vector<StoredAlert> stored;
    uint64_t last = 0;
    for (const vigil::v1::Alert& alert : batch.alerts()) {
      ++counters.alerts_received;
      if (alert.sequence() <= last) {
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                            "alerts in a batch must have increasing sequence numbers");
      }
      last = alert.sequence();
      absl::StatusOr<StoredAlert> one = ToStored(alert, sender_, now);
      if (!one.ok()) {
        // Refused, but never silently: a gap record takes its place and its number.
        ++counters.alerts_refused;
        vigil::v1::Alert gap;
        gap.set_sequence(alert.sequence());
        gap.set_node(alert.node());
        gap.set_time_unix_ns(now);
        gap.set_lost(1);
        gap.set_lost_reason(absl::StrCat("refused by the controller: ", one.status().message()));
        one = ToStored(gap, sender_, now);
        if (!one.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, "gap record refused");
      }
      stored.push_back(*std::move(one));
    }
    absl::StatusOr<std::vector<InsertResult>> results = service_->store_->Insert(std::move(stored));
    if (!results.ok()) {
      // Not stored, so not acked: the sensor resends after reconnecting.
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          absl::StrCat("storing alerts failed: ", results.status().message()));
    }
    for (const InsertResult& r : *results) {
      ++(r.duplicate ? counters.alerts_duplicate : counters.alerts_stored);
    }
    service_->hub_->Notify();
    absl::MutexLock lock(&mu_);
    if (!finished_) {
      ack_ = std::max(ack_, last);
      MaybeWriteLocked();
    }
    return grpc::Status::OK;
  }

  // True when the credential that proved this stream's identity has expired.
  bool CredentialExpired() const {
    return who_.sensor.expires_s != 0 &&
           WallNowNs() / 1000000000 > who_.sensor.expires_s + SensorLinkImpl::kExpiryLeewayS;
  }

  grpc::Status Expired() {
    ++service_->counters_.credential_expired;
    return grpc::Status(
        grpc::StatusCode::UNAUTHENTICATED,
        absl::StrCat("the credential of this stream (", who_.sensor.credential, ") expired at ",
                     who_.sensor.expires_s, ": reconnect with the renewed one"));
  }

  void MaybeWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || finished_) return;
    if (ack_ > acked_) {
      out_.Clear();
      out_.mutable_ack()->set_sequence(ack_);
      acked_ = ack_;
    } else if (!queue_.empty()) {
      out_ = std::move(queue_.front());
      queue_.pop_front();
    } else {
      return;
    }
    writing_ = true;
    StartWrite(&out_);
  }

  void End(grpc::Status status) {
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return;
      finished_ = true;
    }
    Finish(std::move(status));
  }

  SensorLinkImpl* service_;
  const Principal who_;  // the caller, and the sensor its credential speaks for
  const std::string peer_;
  SensorMessage in_;
  // Set by hello; read and written on the reading side only.
  std::string sensor_id_;
  AlertSender sender_;
  absl::Mutex mu_;
  std::deque<ControllerMessage> queue_ ABSL_GUARDED_BY(mu_);
  ControllerMessage out_ ABSL_GUARDED_BY(mu_);
  uint64_t ack_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t acked_ ABSL_GUARDED_BY(mu_) = 0;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

namespace {

class RefusedLink : public grpc::ServerBidiReactor<SensorMessage, ControllerMessage> {
 public:
  explicit RefusedLink(grpc::Status status) { Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::ServerBidiReactor<SensorMessage, ControllerMessage>* SensorLinkImpl::Connect(
    grpc::CallbackServerContext* context) {
  Principal who;
  grpc::Status allowed = auth_->Require(*context, Role::kSensor, "SensorLink.Connect", &who);
  if (!allowed.ok()) {
    RefusedConnect(who, context->peer(), allowed);
    return new RefusedLink(allowed);
  }
  return new LinkReactor(this, std::move(who), context->peer());
}

namespace {

// The peer's address without its port ("ipv4:10.0.0.1:5000" -> "ipv4:10.0.0.1"), so a
// rate limit by peer holds across its connections.
std::string PeerHost(const std::string& peer) {
  const size_t colon = peer.rfind(':');
  return colon == std::string::npos || colon < peer.find(':') + 1 ? peer : peer.substr(0, colon);
}

// A spool epoch as sensors make it: empty (a spool older than epochs) or lower-case hex.
bool ValidEpoch(const std::string& epoch) { return epoch.size() <= 64 && IsLowerHex(epoch); }

}  // namespace

grpc::Status SensorLinkImpl::Admit(const Principal& who, const vigil::v1::Hello& hello,
                                   const std::string& peer) {
  if (!ValidEpoch(hello.spool_epoch())) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "hello: spool_epoch must be at most 64 lower-case hex digits");
  }
  std::string refusal;
  std::string rule;
  if (hello.sensor_id() == kControllerSensorId) {
    ++counters_.refused_mismatch;
    refusal = absl::StrCat("the sensor id ", kControllerSensorId, " is the controller's own");
    rule = "Sensor claimed another identity";
  } else if (!who.sensor.any &&
             (hello.sensor_id() != who.sensor.node || hello.node() != who.sensor.node)) {
    ++counters_.refused_mismatch;
    refusal = absl::StrCat("the credential (", who.sensor.credential, ") speaks for node '",
                           who.sensor.node, "', but the hello claims sensor id '",
                           hello.sensor_id(), "' on node '", hello.node(), "'");
    rule = "Sensor claimed another identity";
  } else if (!who.sensor.pod_uid.empty()) {
    absl::Status admitted =
        tokens_.Admit(who.sensor.node, who.sensor.pod_uid, who.sensor.issued_at_s);
    if (!admitted.ok()) {
      ++counters_.refused_replayed;
      refusal = std::string(admitted.message());
      rule = "Sensor credential replayed";
    }
  }
  if (refusal.empty()) return grpc::Status::OK;
  self_alerts_.Raise(SelfAlert{rule,
                               vigil::v1::PRIORITY_CRITICAL,
                               who.sensor.node,
                               who.sensor.credential + " " + rule,
                               absl::StrCat(rule, ": ", refusal, " (peer ", peer, "); refused"),
                               {{"sensor.claimed_id", hello.sensor_id()},
                                {"sensor.claimed_node", hello.node()},
                                {"sensor.credential", who.sensor.credential},
                                {"sensor.peer", peer}}});
  return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                      absl::StrCat("SensorLink hello refused: ", refusal));
}

void SensorLinkImpl::RefusedConnect(const Principal& who, const std::string& peer,
                                    const grpc::Status& why) {
  if (who.refusal.empty()) return;  // no credential was presented: not an attempt to count
  ++counters_.refused_credential;
  self_alerts_.Raise(
      SelfAlert{"Sensor credential refused",
                vigil::v1::PRIORITY_CRITICAL,
                "",
                "peer " + PeerHost(peer),
                absl::StrCat("Sensor credential refused: ", who.refusal, " (peer ", peer, ")"),
                {{"sensor.peer", peer}, {"sensor.refusal", who.refusal}}});
}

}  // namespace vigil::controller

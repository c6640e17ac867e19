#include "controller/metrics.h"

#include <utility>

#include "absl/status/statusor.h"

namespace vigil::controller {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;

}  // namespace

ControllerMetrics::ControllerMetrics(Fleet* fleet, SqliteStore* store, const SensorLinkImpl* link,
                                     AlertHub* hub)
    : fleet_(fleet),
      store_(store),
      link_(&link->counters()),
      self_alerts_(&link->self_alerts()),
      hub_(hub),
      registry_(std::make_shared<prometheus::Registry>()),
      alerts_(BuildCounter()
                  .Name("vigil_controller_alerts_total")
                  .Help("Alerts from sensors, by outcome: received, stored, duplicate (already "
                        "stored: acked again, not stored twice), refused (malformed: stored as "
                        "a gap record).")
                  .Register(*registry_)),
      rollout_(BuildGauge()
                   .Name("vigil_controller_rollout_sensors")
                   .Help("Sensors by state (pending, applied, failed) of the desired rule set "
                         "(kind=rules) and probe-module plan (kind=modules).")
                   .Register(*registry_)),
      refusals_(BuildCounter()
                    .Name("vigil_controller_sensor_refusals_total")
                    .Help("Sensor streams refused or ended for their identity, by reason: "
                          "credential (a token or certificate refused at connect), mismatch "
                          "(a hello naming another sensor than the credential), replayed "
                          "(a superseded pod's token), expired (the stream's credential "
                          "expired; the sensor reconnects with its renewed one).")
                    .Register(*registry_)),
      self_alerts_total_(BuildCounter()
                             .Name("vigil_controller_self_alerts_total")
                             .Help("Alerts the controller raised itself, by outcome: raised "
                                   "(stored), suppressed (rate-limited, counted into the next), "
                                   "failed (not stored).")
                             .Register(*registry_)) {
  auto gauge = [&](const char* name, const char* help) {
    return &BuildGauge().Name(name).Help(help).Register(*registry_).Add({});
  };
  sensors_connected_ =
      gauge("vigil_controller_sensors_connected", "Sensors with a live SensorLink stream.");
  sensors_known_ = gauge("vigil_controller_sensors_known", "Sensors that ever connected.");
  subscribers_ = gauge("vigil_controller_subscribers", "Live AlertService.Subscribe streams.");
  store_bytes_ = gauge("vigil_controller_store_bytes", "Size of the alert store.");
  store_alerts_ = gauge("vigil_controller_store_alerts", "Alerts held in the store.");
  streams_ = &BuildCounter()
                  .Name("vigil_controller_sensor_streams_total")
                  .Help("SensorLink streams opened (reconnects included).")
                  .Register(*registry_)
                  .Add({});
  store_errors_ = &BuildCounter()
                       .Name("vigil_controller_store_read_errors_total")
                       .Help("Store reads for these metrics that failed.")
                       .Register(*registry_)
                       .Add({});
  for (const char* outcome : {"received", "stored", "duplicate", "refused"}) {
    alerts_.Add({{"outcome", outcome}});
  }
  for (const char* reason : {"credential", "mismatch", "replayed", "expired"}) {
    refusals_.Add({{"reason", reason}});
  }
  for (const char* outcome : {"raised", "suppressed", "failed"}) {
    self_alerts_total_.Add({{"outcome", outcome}});
  }
}

void ControllerMetrics::Collect() {
  absl::MutexLock lock(&mu_);
  mirror_.Advance(alerts_.Add({{"outcome", "received"}}), "received", link_->alerts_received);
  mirror_.Advance(alerts_.Add({{"outcome", "stored"}}), "stored", link_->alerts_stored);
  mirror_.Advance(alerts_.Add({{"outcome", "duplicate"}}), "duplicate", link_->alerts_duplicate);
  mirror_.Advance(alerts_.Add({{"outcome", "refused"}}), "refused", link_->alerts_refused);
  mirror_.Advance(*streams_, "streams", link_->streams);
  mirror_.Advance(refusals_.Add({{"reason", "credential"}}), "refused_credential",
                  link_->refused_credential);
  mirror_.Advance(refusals_.Add({{"reason", "mismatch"}}), "refused_mismatch",
                  link_->refused_mismatch);
  mirror_.Advance(refusals_.Add({{"reason", "replayed"}}), "refused_replayed",
                  link_->refused_replayed);
  mirror_.Advance(refusals_.Add({{"reason", "expired"}}), "credential_expired",
                  link_->credential_expired);
  mirror_.Advance(self_alerts_total_.Add({{"outcome", "raised"}}), "self_raised",
                  self_alerts_->raised());
  mirror_.Advance(self_alerts_total_.Add({{"outcome", "suppressed"}}), "self_suppressed",
                  self_alerts_->suppressed());
  mirror_.Advance(self_alerts_total_.Add({{"outcome", "failed"}}), "self_failed",
                  self_alerts_->errors());
  sensors_connected_->Set(static_cast<double>(fleet_->connected()));
  subscribers_->Set(static_cast<double>(hub_->listeners()));

  absl::StatusOr<vigil::v1::ListSensorsResponse> sensors = fleet_->ListSensors();
  if (sensors.ok()) {
    sensors_known_->Set(static_cast<double>(sensors->sensors_size()));
  } else {
    store_errors_->Increment();
  }
  absl::StatusOr<uint64_t> bytes = store_->SizeBytes();
  absl::StatusOr<uint64_t> count = store_->Count();
  if (bytes.ok()) store_bytes_->Set(static_cast<double>(*bytes));
  if (count.ok()) store_alerts_->Set(static_cast<double>(*count));
  if (!bytes.ok() || !count.ok()) store_errors_->Increment();
  for (const char* kind : {"rules", "modules"}) {
    absl::StatusOr<vigil::v1::Rollout> rollout = fleet_->GetRollout(kind, "");
    // NOT_FOUND: nothing desired yet; every state is then 0.
    const bool ok = rollout.ok();
    rollout_.Add({{"kind", kind}, {"state", "pending"}}).Set(ok ? rollout->pending() : 0);
    rollout_.Add({{"kind", kind}, {"state", "applied"}}).Set(ok ? rollout->applied() : 0);
    rollout_.Add({{"kind", kind}, {"state", "failed"}}).Set(ok ? rollout->failed() : 0);
  }
}

std::string ControllerMetrics::NotReadyReason() {
  absl::StatusOr<uint64_t> count = store_->Count();
  if (!count.ok()) return std::string("alert store: ") + std::string(count.status().message());
  return "";
}

}  // namespace vigil::controller

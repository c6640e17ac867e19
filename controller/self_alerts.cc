#include "controller/self_alerts.h"

#include <cstdio>

#include "absl/strings/str_format.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/random_id.h"
#include "controller/alert_codec.h"

namespace vigil::controller {
namespace {

// A random epoch for this run (time-based when the kernel has no randomness to give).
std::string MakeEpoch() {
  absl::StatusOr<std::string> epoch = RandomHexId(16);
  return epoch.ok() ? *std::move(epoch)
                    : absl::StrFormat("%032x", static_cast<uint64_t>(WallNowNs()));
}

}  // namespace

SelfAlerts::SelfAlerts(AlertStore* store, AlertHub* hub)
    : store_(store), hub_(hub), epoch_(MakeEpoch()) {}

void SelfAlerts::Raise(const SelfAlert& alert) {
  const int64_t now = WallNowNs();
  vigil::v1::Alert wire;
  {
    absl::MutexLock lock(&mu_);
    auto it = keys_.find(alert.key);
    if (it != keys_.end() && now - it->second.last_ns < kIntervalNs) {
      ++it->second.held;
      ++suppressed_;
      return;
    }
    if (it == keys_.end() && keys_.size() >= kMaxKeys) {
      absl::erase_if(
          keys_, [now](const auto& entry) { return now - entry.second.last_ns >= kIntervalNs; });
      if (keys_.size() >= kMaxKeys) keys_.clear();
    }
    KeyState& state = keys_[alert.key];
    wire.set_count(state.held + 1);
    state.held = 0;
    state.last_ns = now;
    wire.set_sequence(next_seq_++);
  }
  wire.set_node(alert.node);
  wire.set_time_unix_ns(now);
  wire.set_first_time_unix_ns(now);
  wire.set_rule(alert.rule);
  wire.set_priority(alert.priority);
  wire.set_output(alert.output);
  wire.set_source("vigil");
  wire.add_tags("vigil");
  wire.add_tags("identity");
  for (const auto& [name, text] : alert.fields) {
    vigil::v1::AlertField* field = wire.add_output_fields();
    field->set_name(name);
    field->set_text(text);
  }
  absl::StatusOr<StoredAlert> stored =
      ToStored(wire, AlertSender{kControllerSensorId, alert.node, epoch_}, now);
  absl::Status status = stored.status();
  if (stored.ok()) {
    std::vector<StoredAlert> batch;
    batch.push_back(*std::move(stored));
    status = store_->Insert(std::move(batch)).status();
  }
  if (!status.ok()) {
    ++errors_;
    Log("self-alert '", alert.rule, "' not stored: ", status.message());
    return;
  }
  ++raised_;
  hub_->Notify();
}

}  // namespace vigil::controller

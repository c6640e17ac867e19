#include "controller/alert_codec.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "proto/wire_enums.h"

namespace vigil::controller {

absl::StatusOr<StoredAlert> ToStored(const vigil::v1::Alert& alert, const AlertSender& sender,
                                     int64_t received_ns) {
  if (alert.sequence() == 0) {
    return absl::InvalidArgumentError("alert without a sequence number");
  }
  StoredAlert stored;
  stored.sensor_id = sender.sensor_id;
  stored.epoch = sender.epoch;
  stored.sensor_seq = alert.sequence();
  stored.node = sender.node.empty() ? alert.node() : sender.node;
  stored.rule = alert.rule();
  stored.priority = wire::PriorityLevel(alert.priority());
  stored.tags.assign(alert.tags().begin(), alert.tags().end());
  stored.time_ns = alert.time_unix_ns();
  stored.received_ns = received_ns;
  stored.gap = alert.lost() > 0;
  stored.lost = alert.lost();
  vigil::v1::Alert copy = alert;
  copy.set_sensor_id(sender.sensor_id);
  copy.set_node(stored.node);
  copy.set_spool_epoch(sender.epoch);
  if (!copy.SerializeToString(&stored.payload)) {
    return absl::InvalidArgumentError("alert does not serialize");
  }
  if (stored.payload.size() > kMaxAlertBytes) {
    return absl::InvalidArgumentError(absl::StrCat("alert ", alert.sequence(), " is ",
                                                   stored.payload.size(), " bytes; at most ",
                                                   kMaxAlertBytes));
  }
  return stored;
}

absl::StatusOr<vigil::v1::AlertEnvelope> ToEnvelope(const StoredAlert& stored) {
  vigil::v1::AlertEnvelope envelope;
  envelope.set_cursor(CursorText(stored.cursor));
  if (!envelope.mutable_alert()->ParseFromString(stored.payload)) {
    return absl::DataLossError(absl::StrCat("stored alert ", stored.cursor, " does not parse"));
  }
  return envelope;
}

AlertFilter ToStoreFilter(const vigil::v1::AlertFilter& filter) {
  AlertFilter out;
  if (filter.min_priority() != vigil::v1::PRIORITY_UNSPECIFIED) {
    out.max_priority = wire::PriorityLevel(filter.min_priority());
  }
  out.rules.assign(filter.rules().begin(), filter.rules().end());
  out.tags.assign(filter.tags().begin(), filter.tags().end());
  out.nodes.assign(filter.nodes().begin(), filter.nodes().end());
  return out;
}

std::string CursorText(uint64_t cursor) { return absl::StrCat(cursor); }

bool ParseCursor(absl::string_view text, uint64_t* cursor) {
  return absl::SimpleAtoi(text, cursor);
}

}  // namespace vigil::controller

// Conversions between the wire's vigil.v1.Alert and the store's StoredAlert.
#ifndef VIGIL_CONTROLLER_ALERT_CODEC_H_
#define VIGIL_CONTROLLER_ALERT_CODEC_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "controller/store/alert_store.h"
#include "vigil/v1/alert.pb.h"
#include "vigil/v1/alert_service.pb.h"

namespace vigil::controller {

// Bounds on what a sensor may send (a bigger alert is refused, not truncated).
inline constexpr size_t kMaxAlertBytes = 256 * 1024;

// Who sent an alert, as the controller established it (from the stream's credential and
// hello), not as the alert claims.
struct AlertSender {
  std::string sensor_id;
  std::string node;   // empty: the alert's own
  std::string epoch;  // the spool epoch of the stream
};

// The stored form of an alert received from `sender` (which overrides the alert's own
// fields: a sensor cannot speak for another). Refuses alerts without a sequence number or
// larger than kMaxAlertBytes.
absl::StatusOr<StoredAlert> ToStored(const vigil::v1::Alert& alert, const AlertSender& sender,
                                     int64_t received_ns);

// The wire form of a stored alert, with its cursor.
absl::StatusOr<vigil::v1::AlertEnvelope> ToEnvelope(const StoredAlert& stored);

// The store's filter for an API filter.
AlertFilter ToStoreFilter(const vigil::v1::AlertFilter& filter);

// Cursors are the store's cursor in decimal.
std::string CursorText(uint64_t cursor);
bool ParseCursor(absl::string_view text, uint64_t* cursor);

}  // namespace vigil::controller

#endif  // VIGIL_CONTROLLER_ALERT_CODEC_H_

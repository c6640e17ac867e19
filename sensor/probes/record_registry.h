// The record types of every registered probe module (event/modules.h), indexed by the
// type number of the ABI header: what the sensor's Decoder and event JSON dispatch on.
#ifndef VIGIL_SENSOR_PROBES_RECORD_REGISTRY_H_
#define VIGIL_SENSOR_PROBES_RECORD_REGISTRY_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "sensor/probes/record.h"

namespace vigil::sensor::probes {

// The registered record type numbered `type` (vigil_event_header.type), or null.
const RecordType* FindRecordType(uint16_t type);

// Every module's record types, in registry order, then the bundle record type.
const std::vector<RecordType>& RecordTypes();

// OK when every record type has a number below VIGIL_EVENT_TYPE_LIMIT used by no other,
// a body at least as long as the common header, a decoder, and an event-model schema;
// otherwise the first problem. The sensor refuses to start on an error.
absl::Status CheckRecordRegistry();

}  // namespace vigil::sensor::probes

#endif  // VIGIL_SENSOR_PROBES_RECORD_REGISTRY_H_

// The JSON-lines form of events that `vigil-sensor --print-events` writes. Field names
// are stable and documented in docs/events.md.
#ifndef VIGIL_SENSOR_OUTPUT_EVENT_JSON_H_
#define VIGIL_SENSOR_OUTPUT_EVENT_JSON_H_

#include <string>

#include "event/event.h"
#include "sensor/net_summary.h"
#include "sensor/process_table.h"

namespace vigil::sensor {

// Appends `event` as one JSON object and a newline to *out. `parent` (may be null) is
// the process table's entry for the event's parent process, adding pcomm/pexe.
void AppendEventJson(const event::Event& event, const event::ProcessInfo* parent, std::string* out);

// Appends one connection summary (type net_summary) and a newline to *out; times are
// CLOCK_BOOTTIME, `boot_to_wall_ns` added gives the wall-clock window end.
void AppendNetSummaryJson(const ConnectionSummary& s, int64_t boot_to_wall_ns, std::string* out);

}  // namespace vigil::sensor

#endif  // VIGIL_SENSOR_OUTPUT_EVENT_JSON_H_

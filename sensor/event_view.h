// SensorEventView: what rules read for one live event, backed by the sensor's process
// table and user names.
#ifndef VIGIL_SENSOR_EVENT_VIEW_H_
#define VIGIL_SENSOR_EVENT_VIEW_H_

#include "rules/fields.h"
#include "sensor/event.h"
#include "sensor/process_table.h"
#include "sensor/user_names.h"

namespace vigil::sensor {

// An EventView over one decoded event. The process is looked up by the event's pid (once
// per view: every proc.* field of every rule reads it) and ancestors by following ppid
// through the table (at most 16 levels, stopping at pid 0,
// an unknown process or a loop). Lookups refresh the table's LRU order, so the view
// holds the table by non-const pointer; it is used on the pipeline thread only.
class SensorEventView : public rules::EventView {
 public:
  SensorEventView(const Event& event, ProcessTable* table, UserNames* users)
      : event_(event), table_(table), users_(users) {}

  const Event& event() const override { return event_; }
  const ProcessInfo* process() const override;
  const ProcessInfo* ancestor(int n) const override;
  absl::string_view user_name(uint32_t uid) const override;

 private:
  const Event& event_;
  ProcessTable* table_;
  UserNames* users_;
  // process(), looked up on first use; the table does not change while the view lives.
  mutable const ProcessInfo* process_ = nullptr;
  mutable bool process_known_ = false;
};

}  // namespace vigil::sensor

#endif  // VIGIL_SENSOR_EVENT_VIEW_H_

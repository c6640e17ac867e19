// SensorEventView: what rules read for one live event, backed by the sensor's process
// table and user names.
#ifndef VIGIL_SENSOR_EVENT_VIEW_H_
#define VIGIL_SENSOR_EVENT_VIEW_H_

#include <memory>

#include "event/event.h"
#include "rules/fields.h"
#include "sensor/enrich/enricher.h"
#include "sensor/process_table.h"
#include "sensor/user_names.h"

namespace vigil::sensor {

// An EventView over one decoded event. The process is looked up by the event's pid (once
// per view: every proc.* field of every rule reads it) and ancestors by following ppid
// through the table (at most 16 levels, stopping at pid 0,
// an unknown process or a loop). Lookups refresh the table's LRU order, so the view
// holds the table by non-const pointer; it is used on the pipeline thread only.
//
// Container and pod fields ask `enricher` (when not null) on first use only, so events
// whose rules do not read them cost nothing; the answers are kept for the view's life.
class SensorEventView : public rules::EventView {
 public:
  SensorEventView(const event::Event& event, ProcessTable* table, UserNames* users,
                  enrich::Enricher* enricher = nullptr)
      : event_(event), table_(table), users_(users), enricher_(enricher) {}

  const event::Event& event() const override { return event_; }
  const event::ProcessInfo* process() const override;
  const event::ProcessInfo* ancestor(int n) const override;
  absl::string_view user_name(uint32_t uid) const override;
  absl::string_view container_id() const override;
  absl::string_view container_runtime() const override;
  absl::string_view pod_name() const override;
  absl::string_view pod_namespace() const override;
  absl::string_view pod_uid() const override;
  absl::string_view pod_labels() const override;
  absl::string_view pod_label(absl::string_view key) const override;

 private:
  // The container (null: unknown) and pod (null: none), looked up on first use.
  const enrich::CgroupIdentity* container() const;
  const enrich::PodInfo* pod() const;

  const event::Event& event_;
  ProcessTable* table_;
  UserNames* users_;
  // process(), looked up on first use; the table does not change while the view lives.
  mutable const event::ProcessInfo* process_ = nullptr;
  mutable bool process_known_ = false;
  enrich::Enricher* enricher_;
  mutable std::shared_ptr<const enrich::CgroupIdentity> container_;
  mutable bool container_known_ = false;
  mutable std::shared_ptr<const enrich::PodInfo> pod_;
  mutable bool pod_known_ = false;
  mutable enrich::Runtime runtime_ = enrich::Runtime::kHost;
};

}  // namespace vigil::sensor

#endif  // VIGIL_SENSOR_EVENT_VIEW_H_

// FleetAgent: the sensor's side of the conversation with the controller. It tells the
// controller what this sensor is and runs (the hello, the periodic health report) and
// takes the controller's commands (rule sets, module settings), which the link receives on
// its own thread and the agent applies on the pipeline thread, between two events.
#ifndef VIGIL_SENSOR_FLEET_AGENT_H_
#define VIGIL_SENSOR_FLEET_AGENT_H_

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/unique_fd.h"
#include "event/event_type.h"
#include "rules/engine.h"
#include "sensor/delivery/controller_link.h"
#include "sensor/delivery/spool.h"
#include "sensor/metrics.h"
#include "sensor/net_summary.h"
#include "sensor/options.h"

namespace vigil::sensor {

// What the sensor says about itself in its hello and health reports.
struct SensorStatus {
  std::string sensor_id;
  std::string node;
  std::string kernel;
  std::string rule_set_version;
  std::string modules_version;
  std::vector<ModuleSnapshot> modules;
  const std::array<uint64_t, event::kEventTypeLimit>* events_by_type = nullptr;
  uint64_t alerts = 0;
  uint64_t decode_errors = 0;
  uint64_t process_table_size = 0;
  const rules::Engine* engine = nullptr;  // null: no rules yet
  const Spool* spool = nullptr;
  // Connection summaries: the totals, and the busiest endpoints of the last window.
  const ConnectionSummarizer* net_summarizer = nullptr;
  const std::vector<ConnectionSummary>* net_summaries = nullptr;
};

class FleetAgent {
 public:
  // How the sensor applies commands (on the pipeline thread). A command that fails
  // changes nothing; its error goes back to the controller.
  struct Handlers {
    std::function<absl::Status(const vigil::v1::RuleSet&)> rule_set;
    std::function<absl::Status(const vigil::v1::ModuleCommand&)> modules;
    // Refreshes the status (SetStatus) after commands, before their results are sent, so
    // the health report that follows the results is current.
    std::function<void()> refresh_status;
  };

  // Creates the link to the controller of --controller (not yet started). `spool` must
  // outlive the agent.
  static absl::StatusOr<std::unique_ptr<FleetAgent>> Create(const SensorOptions& options,
                                                            Spool* spool, Handlers handlers);
  ~FleetAgent();

  // Readable when the link queued commands: the event loop then calls ApplyCommands().
  int command_fd() const { return command_fd_.get(); }
  ControllerLink& link() { return *link_; }

  // Replaces what the next hello and health report say.
  void SetStatus(const SensorStatus& status) ABSL_LOCKS_EXCLUDED(mu_);
  // Applies every queued command through the handlers, then answers each.
  void ApplyCommands() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  FleetAgent(Handlers handlers, UniqueFd command_fd)
      : handlers_(std::move(handlers)), command_fd_(std::move(command_fd)) {}
  // Link thread: queues a command and wakes the event loop.
  void Queue(const vigil::v1::ControllerMessage& message) ABSL_LOCKS_EXCLUDED(mu_);

  Handlers handlers_;
  UniqueFd command_fd_;  // eventfd
  std::unique_ptr<ControllerLink> link_;
  absl::Mutex mu_;
  vigil::v1::Hello hello_ ABSL_GUARDED_BY(mu_);
  vigil::v1::Health health_ ABSL_GUARDED_BY(mu_);
  std::deque<vigil::v1::ControllerMessage> commands_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vigil::sensor

#endif  // VIGIL_SENSOR_FLEET_AGENT_H_

// The sensor's own records in its JSON-lines stream (docs/events.md): sensor_start once
// the probes are attached, rules_reloaded when a new rule set is in force, gap whenever
// events were lost, sensor_stop with the final counters. Each function returns one line,
// newline included.
#ifndef VIGIL_SENSOR_RUN_RECORDS_H_
#define VIGIL_SENSOR_RUN_RECORDS_H_

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "rules/engine.h"
#include "sensor/decoder.h"
#include "sensor/delivery/controller_link.h"
#include "sensor/delivery/spool.h"
#include "sensor/metrics.h"
#include "sensor/module_set.h"
#include "sensor/selection.h"

namespace vigil::sensor {

// What sensor_start reports.
struct StartInfo {
  std::string kernel;
  uint64_t process_table_size = 0;
  uint64_t ringbuf_bytes = 0;
  std::vector<ModuleAttachment> modules;
  const Selection* selection = nullptr;
  const rules::Engine* engine = nullptr;  // null: no rules
  const std::vector<std::string>* rule_paths = nullptr;
};
std::string SensorStartRecord(const StartInfo& info);

// A new rule set is in force, and the kernel filter it moved to.
std::string RulesReloadedRecord(const std::string& version, size_t rules,
                                const Selection& selection);

// What sensor_stop reports.
struct StopInfo {
  const std::array<uint64_t, event::kEventTypeLimit>* events_by_type = nullptr;
  std::vector<ModuleSnapshot> modules;
  const Decoder* decoder = nullptr;
  uint64_t process_table_size = 0;
  uint64_t process_table_evictions = 0;
  const ControllerLinkCounters* link = nullptr;  // null: no controller
  const Spool* spool = nullptr;
  const rules::Engine* engine = nullptr;  // null: no rules
  uint64_t alerts = 0;
  uint64_t reloads = 0;
  uint64_t reload_failures = 0;
};
std::string SensorStopRecord(const StopInfo& info);

// Turns the growth of drop counters (kernel drops per module, decoder rejections) into
// gap records, so no loss goes unreported. A module's counters restart when it is
// started again; the reporter follows (ModuleSnapshot::starts).
class GapReporter {
 public:
  // The gap lines for every counter that grew since the last call ("" when none did).
  std::string Report(const std::vector<ModuleSnapshot>& modules, const Decoder& decoder);

 private:
  struct Reported {
    uint64_t starts = 0;
    std::array<uint64_t, VIGIL_STAT_MAX> stats{};
  };
  std::map<std::string, Reported> modules_;
  std::array<uint64_t, static_cast<int>(DecodeError::kCount)> decode_{};
};

}  // namespace vigil::sensor

#endif  // VIGIL_SENSOR_RUN_RECORDS_H_

// Watchdog: notices, from outside the pipeline thread, when the pipeline stops consuming
// what the kernel produces, or when a probe module's hooks stop firing.
#ifndef VIGIL_SENSOR_WATCHDOG_H_
#define VIGIL_SENSOR_WATCHDOG_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace vigil::sensor {

// What the watchdog reads at each check.
struct WatchdogSample {
  int64_t now_ns = 0;          // a monotonic clock
  uint64_t ring_consumer = 0;  // ring-buffer byte positions (RingPositions)
  uint64_t ring_producer = 0;
  // Per running module: the sum of all its kernel counters (records emitted, filtered or
  // dropped). Taken after a canary action that each module's hooks see (the watchdog's
  // own open(), thread start/exit and UDP connect, counted as its own activity), so a module
  // whose sum did not move did not run.
  std::map<std::string, uint64_t> module_activity;
};

// What changed at one check.
struct WatchdogVerdict {
  bool stall_started = false;
  bool stall_ended = false;
  uint64_t pending_bytes = 0;           // unconsumed bytes in the ring at this check
  int64_t stalled_for_ns = 0;           // how long the consumer has not moved (when stalled)
  std::vector<std::string> detached;    // modules found silent at this check
  std::vector<std::string> reattached;  // modules seen firing again
};

// Pure decision logic (the sensor runs it on its watchdog thread once a second):
//  - stalled: records wait in the ring and the consumer position has not moved for
//    `stall_after_ns`. An idle system (nothing pending) is never stalled.
//  - detached: a running module's counters did not move across `silent_checks`
//    consecutive checks, each after a canary. A module that appears (started or
//    restarted) gets a fresh baseline; one that disappears (disabled) is forgotten.
class Watchdog {
 public:
  struct Options {
    int64_t stall_after_ns = 3'000'000'000;
    int silent_checks = 2;
  };
  explicit Watchdog(Options options) : options_(options) {}

  WatchdogVerdict Check(const WatchdogSample& sample);

  bool stalled() const { return stalled_; }
  // True while `module` is judged detached.
  bool detached(const std::string& module) const {
    auto it = modules_.find(module);
    return it != modules_.end() && it->second.detached;
  }

 private:
  struct ModuleState {
    uint64_t activity = 0;
    int silent = 0;
    bool detached = false;
  };

  Options options_;
  bool started_ = false;
  uint64_t last_consumer_ = 0;
  int64_t last_progress_ns_ = 0;
  bool stalled_ = false;
  std::map<std::string, ModuleState> modules_;
};

}  // namespace vigil::sensor

#endif  // VIGIL_SENSOR_WATCHDOG_H_

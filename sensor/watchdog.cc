#include "sensor/watchdog.h"

namespace vigil::sensor {

WatchdogVerdict Watchdog::Check(const WatchdogSample& sample) {
  WatchdogVerdict verdict;
  verdict.pending_bytes =
      sample.ring_producer > sample.ring_consumer ? sample.ring_producer - sample.ring_consumer : 0;
  if (!started_ || sample.ring_consumer != last_consumer_ || verdict.pending_bytes == 0) {
    // The consumer moved, or there is nothing to consume: the pipeline is keeping up.
    started_ = true;
    last_consumer_ = sample.ring_consumer;
    last_progress_ns_ = sample.now_ns;
    if (stalled_) verdict.stall_ended = true;
    stalled_ = false;
  } else {
    verdict.stalled_for_ns = sample.now_ns - last_progress_ns_;
    if (!stalled_ && verdict.stalled_for_ns >= options_.stall_after_ns) {
      stalled_ = true;
      verdict.stall_started = true;
    }
  }

  for (auto it = modules_.begin(); it != modules_.end();) {
    it = sample.module_activity.count(it->first) ? std::next(it) : modules_.erase(it);
  }
  for (const auto& [name, activity] : sample.module_activity) {
    auto [it, fresh] = modules_.try_emplace(name);
    ModuleState& state = it->second;
    if (fresh || activity < state.activity) {  // new, or restarted (counters from zero)
      state = ModuleState{activity, 0, false};
      continue;
    }
    if (activity != state.activity) {
      state.activity = activity;
      state.silent = 0;
      if (state.detached) verdict.reattached.push_back(name);
      state.detached = false;
      continue;
    }
    if (++state.silent >= options_.silent_checks && !state.detached) {
      state.detached = true;
      verdict.detached.push_back(name);
    }
  }
  return verdict;
}

}  // namespace vigil::sensor

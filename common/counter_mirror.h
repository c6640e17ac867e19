// CounterMirror: keeps Prometheus counters equal to cumulative counts owned elsewhere
// (a pipeline's own counters, kernel map counters, atomics), by adding what grew since
// the last copy.
#ifndef VIGIL_COMMON_COUNTER_MIRROR_H_
#define VIGIL_COMMON_COUNTER_MIRROR_H_

#include <cstdint>
#include <map>
#include <string>

#include "prometheus/counter.h"

namespace vigil {

// Not thread-safe: the owner serializes its calls. Each source has a key of its own, so
// several sources (one per probe module, say) may feed one counter.
class CounterMirror {
 public:
  // Adds to `counter` what source `key` counted since the last call, and remembers `now`.
  // A source that went down (a restarted module's counters start from zero) counts from
  // zero again: `now` is added whole.
  void Advance(prometheus::Counter& counter, const std::string& key, uint64_t now) {
    uint64_t& last = last_[key];
    counter.Increment(static_cast<double>(now >= last ? now - last : now));
    last = now;
  }

 private:
  std::map<std::string, uint64_t> last_;
};

}  // namespace vigil

#endif  // VIGIL_COMMON_COUNTER_MIRROR_H_

// Clock readings in nanoseconds, as Vigil's records and wire messages carry them.
#ifndef VIGIL_COMMON_CLOCK_H_
#define VIGIL_COMMON_CLOCK_H_

#include <time.h>

#include <cstdint>

namespace vigil {

// Nanoseconds of `clock` (CLOCK_REALTIME: since the Unix epoch).
inline int64_t ClockNs(clockid_t clock) {
  timespec ts;
  clock_gettime(clock, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

// Wall-clock time: nanoseconds since the Unix epoch.
inline int64_t WallNowNs() { return ClockNs(CLOCK_REALTIME); }

}  // namespace vigil

#endif  // VIGIL_COMMON_CLOCK_H_

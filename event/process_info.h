// ProcessInfo: what the sensor knows about one process (thread group), as rules and
// outputs read it. The sensor's process table keeps these; the event model only names
// them, so the rules need nothing of the sensor.
#ifndef VIGIL_EVENT_PROCESS_INFO_H_
#define VIGIL_EVENT_PROCESS_INFO_H_

#include <cstdint>
#include <string>

namespace vigil::event {

// One process (thread group).
struct ProcessInfo {
  uint32_t pid = 0;
  uint32_t ppid = 0;
  uint32_t uid = 0;
  uint32_t euid = 0;
  uint32_t gid = 0;
  std::string comm;
  std::string exe;
  std::string cmdline;         // arguments joined by single spaces
  uint64_t start_boot_ns = 0;  // fork or exec time; 0 when seeded from /proc
  // The process's current program was executed from a memfd (proc.is_exe_from_memfd);
  // false for processes seeded from /proc.
  bool exe_from_memfd = false;
};

}  // namespace vigil::event

#endif  // VIGIL_EVENT_PROCESS_INFO_H_

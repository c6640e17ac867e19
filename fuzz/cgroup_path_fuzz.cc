// libFuzzer target: bytes -> ParseProcCgroup (the text of /proc/<pid>/cgroup). Any
// crash, overflow or undefined behaviour is a bug; a container id found is always 64
// hex digits.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/string_view.h"
#include "sensor/enrich/cgroup_path.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  const vigil::sensor::enrich::ProcCgroup parsed = vigil::sensor::enrich::ParseProcCgroup(text);
  if (parsed.identity.is_container() && parsed.identity.container_id.size() != 64) abort();
  return 0;
}

// Random identifiers as lower-case hex (a spool's epoch, a controller run's epoch), and
// the check that text is such hex.
#ifndef VIGIL_COMMON_RANDOM_ID_H_
#define VIGIL_COMMON_RANDOM_ID_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vigil {

// `bytes` bytes from the kernel's random source (getrandom) as 2 * `bytes` lower-case hex
// digits. Fails only when the kernel gives none.
absl::StatusOr<std::string> RandomHexId(size_t bytes);

// True when every character of `text` is 0-9 or a-f (also for empty text).
bool IsLowerHex(absl::string_view text);

}  // namespace vigil

#endif  // VIGIL_COMMON_RANDOM_ID_H_

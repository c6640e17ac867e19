// Reading small files whole (certificates, keys, tokens, access lists), bounded.
#ifndef VIGIL_COMMON_READ_FILE_H_
#define VIGIL_COMMON_READ_FILE_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"

namespace vigil {

// The whole content of `path`. FAILED_PRECONDITION naming the path (and the system's
// reason) when it cannot be read or is larger than `max_bytes`.
absl::StatusOr<std::string> ReadSmallFile(const std::string& path, size_t max_bytes = 1 << 20);

}  // namespace vigil

#endif  // VIGIL_COMMON_READ_FILE_H_

// SHA-256 digests as lower-case hex, for content versions and token hashes.
#ifndef VIGIL_COMMON_SHA256_H_
#define VIGIL_COMMON_SHA256_H_

#include <string>

#include "absl/strings/string_view.h"

namespace vigil {

// The SHA-256 of `data`, as 64 lower-case hex digits.
std::string Sha256Hex(absl::string_view data);

}  // namespace vigil

#endif  // VIGIL_COMMON_SHA256_H_

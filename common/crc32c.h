// CRC32C (Castagnoli): a checksum that detects torn or corrupted bytes, such as the spool's
// records and state file on disk.
#ifndef VIGIL_COMMON_CRC32C_H_
#define VIGIL_COMMON_CRC32C_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace vigil {

// The CRC32C of `data`, to check later that the same bytes were read back. Pass an earlier
// result as `crc` to continue a running checksum over data given in pieces; start with 0.
uint32_t Crc32c(absl::string_view data, uint32_t crc = 0);

}  // namespace vigil

#endif  // VIGIL_COMMON_CRC32C_H_

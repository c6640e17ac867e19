// Little-endian fixed-width integers in byte buffers, as the spool's on-disk formats store
// them: the same bytes on every host, whatever its own byte order.
#ifndef VIGIL_COMMON_LITTLE_ENDIAN_H_
#define VIGIL_COMMON_LITTLE_ENDIAN_H_

#include <cstdint>

namespace vigil {

// Stores `v` in the 4 bytes at `p`, least significant first.
inline void PutLittleEndian32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (8 * i));
}

// Stores `v` in the 8 bytes at `p`, least significant first.
inline void PutLittleEndian64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(v >> (8 * i));
}

// The value of the 4 bytes at `p`, least significant first.
inline uint32_t GetLittleEndian32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

// The value of the 8 bytes at `p`, least significant first.
inline uint64_t GetLittleEndian64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

}  // namespace vigil

#endif  // VIGIL_COMMON_LITTLE_ENDIAN_H_

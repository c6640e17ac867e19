// CRC32C (Castagnoli, reflected polynomial 0x82F63B78), slicing by 8 bytes at a time.
#include "common/crc32c.h"

#include <array>
#include <cstddef>

namespace vigil {
namespace {

// table[0] is the classic byte table, table[k] advances k more bytes.
using CrcTable = std::array<std::array<uint32_t, 256>, 8>;

constexpr CrcTable MakeCrcTable() {
  CrcTable t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    t[0][i] = c;
  }
  for (uint32_t i = 0; i < 256; ++i) {
    for (int k = 1; k < 8; ++k) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
  }
  return t;
}

constexpr CrcTable kCrcTable = MakeCrcTable();

}  // namespace

uint32_t Crc32c(absl::string_view data, uint32_t crc) {
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  size_t n = data.size();
  uint32_t c = ~crc;
  while (n >= 8) {
    const uint32_t lo = (p[0] | p[1] << 8 | p[2] << 16 | static_cast<uint32_t>(p[3]) << 24) ^ c;
    const uint32_t hi = p[4] | p[5] << 8 | p[6] << 16 | static_cast<uint32_t>(p[7]) << 24;
    c = kCrcTable[7][lo & 0xff] ^ kCrcTable[6][(lo >> 8) & 0xff] ^ kCrcTable[5][(lo >> 16) & 0xff] ^
        kCrcTable[4][lo >> 24] ^ kCrcTable[3][hi & 0xff] ^ kCrcTable[2][(hi >> 8) & 0xff] ^
        kCrcTable[1][(hi >> 16) & 0xff] ^ kCrcTable[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) c = (c >> 8) ^ kCrcTable[0][(c ^ *p++) & 0xff];
  return ~c;
}

}  // namespace vigil

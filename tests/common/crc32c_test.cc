// Unit tests for common/crc32c.h: the CRC32C checksum.
#include "common/crc32c.h"

#include <string>

#include "gtest/gtest.h"

namespace vigil {
namespace {

// Published CRC32C check values (RFC 3720 appendix B.4 and the usual "123456789" check).
TEST(Crc32cTest, MatchesKnownVectors) {
  EXPECT_EQ(Crc32c(""), 0u);
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(std::string(32, '\xff')), 0x62A8AB43u);
  std::string ascending;
  for (int i = 0; i < 32; ++i) ascending.push_back(static_cast<char>(i));
  EXPECT_EQ(Crc32c(ascending), 0x46DD794Eu);
  std::string descending;
  for (int i = 31; i >= 0; --i) descending.push_back(static_cast<char>(i));
  EXPECT_EQ(Crc32c(descending), 0x113FDB5Cu);
  EXPECT_EQ(Crc32c("a"), 0xC1D04330u);
}

TEST(Crc32cTest, ContinuesARunningChecksumAcrossPieces) {
  EXPECT_EQ(Crc32c("456789", Crc32c("123")), 0xE3069283u);
  EXPECT_EQ(Crc32c("", Crc32c("123456789")), 0xE3069283u);
  // Every split point of a buffer longer than the 8-byte stride, so both the sliced and the
  // byte-at-a-time loops see every alignment.
  std::string data;
  for (int i = 0; i < 100; ++i) data.push_back(static_cast<char>(i * 37 + 11));
  const uint32_t whole = Crc32c(data);
  for (size_t split = 0; split <= data.size(); ++split) {
    EXPECT_EQ(Crc32c(data.substr(split), Crc32c(data.substr(0, split))), whole) << split;
  }
}

TEST(Crc32cTest, DetectsASingleFlippedBit) {
  const std::string data = "a record payload long enough to span several strides";
  const uint32_t good = Crc32c(data);
  for (size_t byte = 0; byte < data.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = data;
      bad[byte] = static_cast<char>(bad[byte] ^ (1 << bit));
      EXPECT_NE(Crc32c(bad), good) << byte << ":" << bit;
    }
  }
}

}  // namespace
}  // namespace vigil

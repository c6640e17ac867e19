// Unit tests of event/ip.h: parsing addresses and CIDR networks of both families (IPv4 as
// v4-mapped), membership, formatting, and the errors for bad input.
#include "event/ip.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::event {
namespace {

using ::testing::HasSubstr;

// The 16 bytes of `text` (an address).
std::string Addr(const char* text) {
  absl::StatusOr<IpNetwork> net = ParseIpNetwork(text);
  EXPECT_TRUE(net.ok()) << net.status();
  return std::string(reinterpret_cast<const char*>(net->addr.data()), kIpBytes);
}

bool In(const char* addr, const char* network) {
  absl::StatusOr<IpNetwork> net = ParseIpNetwork(network);
  EXPECT_TRUE(net.ok()) << net.status();
  return InNetwork(Addr(addr), *net);
}

TEST(IpTest, Ipv4IsV4MappedAndFormatsDotted) {
  const std::string a = Addr("169.254.169.254");
  EXPECT_TRUE(IsV4Mapped(a));
  EXPECT_EQ(FormatIp(a), "169.254.169.254");
  EXPECT_EQ(FormatIp(Addr("::ffff:10.1.2.3")), "10.1.2.3");
  EXPECT_FALSE(IsV4Mapped(Addr("2001:db8::1")));
  EXPECT_EQ(FormatIp(Addr("2001:db8:0:0::1")), "2001:db8::1");
  EXPECT_EQ(FormatIp("short"), "<bad ip>");
}

TEST(IpTest, NetworksMatchTheirAddressesOnly) {
  EXPECT_TRUE(In("10.200.3.4", "10.0.0.0/8"));
  EXPECT_FALSE(In("11.0.0.1", "10.0.0.0/8"));
  EXPECT_TRUE(In("192.168.1.130", "192.168.1.128/25"));
  EXPECT_FALSE(In("192.168.1.127", "192.168.1.128/25"));
  EXPECT_TRUE(In("10.0.0.1", "10.0.0.1"));
  EXPECT_FALSE(In("10.0.0.2", "10.0.0.1"));
  EXPECT_TRUE(In("fd00:ec2::254", "fd00::/8"));
  EXPECT_FALSE(In("fe80::1", "fd00::/8"));
  // An IPv4 peer seen through an IPv6 socket is the IPv4 address.
  EXPECT_TRUE(In("::ffff:10.9.9.9", "10.0.0.0/8"));
  // 0/0 of either family: every address of that family.
  EXPECT_TRUE(In("8.8.8.8", "0.0.0.0/0"));
  EXPECT_FALSE(In("2001:db8::1", "0.0.0.0/0"));
  EXPECT_TRUE(In("2001:db8::1", "::/0"));
  // Host bits beyond the prefix are ignored.
  EXPECT_TRUE(In("10.1.2.3", "10.1.2.200/24"));
}

TEST(IpTest, PackedNetworksRoundTrip) {
  absl::StatusOr<IpNetwork> net = ParseIpNetwork("172.16.0.0/12");
  ASSERT_TRUE(net.ok());
  const IpNetwork back = UnpackNetwork(PackNetwork(*net));
  EXPECT_EQ(back.prefix_len, 96 + 12);
  EXPECT_EQ(back.addr, net->addr);
}

TEST(IpTest, BadInputIsRefusedWithTheReason) {
  for (const char* bad : {"", "10.0.0", "10.0.0.256", "host.example", "1.2.3.4/", "1.2.3.4/33",
                          "::1/129", "1.2.3.4/-1", "1.2.3.4/8x", "::1/+5"}) {
    SCOPED_TRACE(bad);
    absl::StatusOr<IpNetwork> net = ParseIpNetwork(bad);
    ASSERT_FALSE(net.ok());
    EXPECT_THAT(std::string(net.status().message()), HasSubstr(bad));
  }
}

TEST(IpTest, L4ProtocolNames) {
  EXPECT_EQ(L4ProtoName(6), "tcp");
  EXPECT_EQ(L4ProtoName(17), "udp");
  EXPECT_EQ(L4ProtoName(1), "");
}

}  // namespace
}  // namespace vigil::event

// IP addresses in events: 16 bytes, IPv6 as is and IPv4 as v4-mapped IPv6
// (::ffff:a.b.c.d), so an IPv4 peer reached through an IPv6 socket and through an IPv4
// socket are the same address. Fields of type `ip` (FieldType::kIp) hold such an address;
// rules compare them with addresses and CIDR networks of either family.
#ifndef VIGIL_EVENT_IP_H_
#define VIGIL_EVENT_IP_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vigil::event {

// Bytes of an address as events carry it.
inline constexpr size_t kIpBytes = 16;

// A network: an address with its first `prefix_len` bits significant (0..128), IPv4
// networks as v4-mapped (10.0.0.0/8 is ::ffff:10.0.0.0/104).
struct IpNetwork {
  std::array<uint8_t, kIpBytes> addr{};
  int prefix_len = 128;
};

// True when the 16-byte address is v4-mapped (an IPv4 address).
bool IsV4Mapped(absl::string_view addr16);

// Text of a 16-byte address: dotted quad for v4-mapped, RFC 5952 IPv6 otherwise;
// "<bad ip>" for a view of another size.
std::string FormatIp(absl::string_view addr16);

// Parses "a.b.c.d", an IPv6 address, or either with "/len". InvalidArgument naming what
// is wrong otherwise (the prefix length is checked against the family: at most 32 for
// IPv4, 128 for IPv6). Host bits beyond the prefix are cleared.
absl::StatusOr<IpNetwork> ParseIpNetwork(absl::string_view text);

// True when the 16-byte address lies in `net`.
bool InNetwork(absl::string_view addr16, const IpNetwork& net);

// "tcp" for IPPROTO_TCP, "udp" for IPPROTO_UDP, "" for anything else.
absl::string_view L4ProtoName(uint8_t protocol);

// A network packed into 17 bytes (address, prefix length), as compiled rules keep it.
std::string PackNetwork(const IpNetwork& net);
// The inverse of PackNetwork for a 17-byte string.
IpNetwork UnpackNetwork(absl::string_view packed);

}  // namespace vigil::event

#endif  // VIGIL_EVENT_IP_H_

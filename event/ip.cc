#include "event/ip.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace vigil::event {
namespace {

constexpr uint8_t kV4MappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

}  // namespace

bool IsV4Mapped(absl::string_view addr16) {
  return addr16.size() == kIpBytes && std::memcmp(addr16.data(), kV4MappedPrefix, 12) == 0;
}

std::string FormatIp(absl::string_view addr16) {
  if (addr16.size() != kIpBytes) return "<bad ip>";
  char buf[INET6_ADDRSTRLEN] = {};
  const bool v4 = IsV4Mapped(addr16);
  const char* text = v4 ? inet_ntop(AF_INET, addr16.data() + 12, buf, sizeof(buf))
                        : inet_ntop(AF_INET6, addr16.data(), buf, sizeof(buf));
  return text != nullptr ? std::string(text) : "<bad ip>";
}

absl::StatusOr<IpNetwork> ParseIpNetwork(absl::string_view text) {
  const size_t slash = text.find('/');
  const std::string host(text.substr(0, slash));
  IpNetwork net;
  int max_len = 128;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    std::memcpy(net.addr.data(), kV4MappedPrefix, 12);
    std::memcpy(net.addr.data() + 12, &v4, 4);
    max_len = 32;
  } else if (inet_pton(AF_INET6, host.c_str(), net.addr.data()) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "' is not an IPv4 or IPv6 address or network"));
  }
  int len = max_len;
  if (slash != absl::string_view::npos) {
    const absl::string_view len_text = text.substr(slash + 1);
    if (!absl::SimpleAtoi(len_text, &len) || len < 0 || len > max_len ||
        len_text.find_first_not_of("0123456789") != absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("'", text, "': prefix length must be 0..",
                                                     max_len, " for an IPv",
                                                     max_len == 32 ? "4" : "6", " network"));
    }
  }
  net.prefix_len = max_len == 32 ? 96 + len : len;
  for (int bit = net.prefix_len; bit < 128; ++bit) {
    net.addr[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
  }
  return net;
}

bool InNetwork(absl::string_view addr16, const IpNetwork& net) {
  if (addr16.size() != kIpBytes) return false;
  const int full = net.prefix_len / 8;
  if (std::memcmp(addr16.data(), net.addr.data(), full) != 0) return false;
  const int rest = net.prefix_len % 8;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff00u >> rest);
  return (static_cast<uint8_t>(addr16[full]) & mask) == net.addr[full];
}

absl::string_view L4ProtoName(uint8_t protocol) {
  switch (protocol) {
    case IPPROTO_TCP: return "tcp";
    case IPPROTO_UDP: return "udp";
    default: return "";
  }
}

std::string PackNetwork(const IpNetwork& net) {
  std::string out(reinterpret_cast<const char*>(net.addr.data()), kIpBytes);
  out.push_back(static_cast<char>(net.prefix_len));
  return out;
}

IpNetwork UnpackNetwork(absl::string_view packed) {
  IpNetwork net;
  if (packed.size() != kIpBytes + 1) return net;
  std::memcpy(net.addr.data(), packed.data(), kIpBytes);
  net.prefix_len = static_cast<uint8_t>(packed[kIpBytes]);
  return net;
}

}  // namespace vigil::event

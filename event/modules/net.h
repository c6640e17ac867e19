// The network module's events (bpf/net.bpf.c, ABI bpf/abi/net.h): TCP and UDP connections
// of IPv4 and IPv6 sockets, with the process behind each.
#ifndef VIGIL_EVENT_MODULES_NET_H_
#define VIGIL_EVENT_MODULES_NET_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "bpf/abi/net.h"
#include "event/event_type.h"

namespace vigil::event {

inline constexpr EventType kConnect{VIGIL_EVENT_CONNECT};
inline constexpr EventType kAccept{VIGIL_EVENT_ACCEPT};
inline constexpr EventType kListen{VIGIL_EVENT_LISTEN};
inline constexpr EventType kBind{VIGIL_EVENT_BIND};
inline constexpr EventType kClose{VIGIL_EVENT_CLOSE};

// Every type of the module, as an EventBit mask.
inline constexpr uint32_t kNetEvents =
    EventBit(kConnect) | EventBit(kAccept) | EventBit(kListen) | EventBit(kBind) | EventBit(kClose);

// Where the kernel saw a network event (enum vigil_net_origin).
enum class NetOrigin : uint8_t {
  kSyscall = VIGIL_NET_SYSCALL,
  kState = VIGIL_NET_STATE,
};

// One network event. Addresses are 16-byte views into the record (event/ip.h: IPv4 as
// v4-mapped); ports in host order, 0 where unknown.
struct NetData {
  int64_t result = 0;           // 0, the accepted fd, or -errno (-EINPROGRESS: connect pending)
  uint64_t duration_ns = 0;     // close only
  uint64_t bytes_received = 0;  // close only
  uint64_t bytes_sent = 0;      // close only: sent and acknowledged
  absl::string_view laddr;
  absl::string_view raddr;
  uint16_t lport = 0;
  uint16_t rport = 0;
  uint8_t protocol = 0;  // IPPROTO_TCP or IPPROTO_UDP
  NetOrigin origin = NetOrigin::kSyscall;
  int32_t fd = -1;           // the socket's descriptor where a syscall named it
  bool server = false;       // the local side is the server
  bool ipv6_socket = false;  // an AF_INET6 socket (addresses may be v4-mapped)
  bool io_uring = false;
  bool compat = false;
  bool udp_send = false;  // a datagram to a new peer rather than connect
  bool async = false;     // the outcome of a connect that returned EINPROGRESS
};

namespace net {

// The module's part of event::Event: one payload for every type.
struct Payload {
  NetData net;
};

}  // namespace net
}  // namespace vigil::event

#endif  // VIGIL_EVENT_MODULES_NET_H_

#include "event/modules/net.h"

#include "event/fields.h"
#include "event/ip.h"

namespace vigil::event {
namespace net {
namespace {

int64_t Result(const Event& e) { return e.net.result; }

// The client's (source) and server's (destination) ends of the connection: the local side
// is the server for accepted, listening and bound sockets.
absl::string_view SourceIp(const NetData& n) { return n.server ? n.raddr : n.laddr; }
absl::string_view DestIp(const NetData& n) { return n.server ? n.laddr : n.raddr; }
uint16_t SourcePort(const NetData& n) { return n.server ? n.rport : n.lport; }
uint16_t DestPort(const NetData& n) { return n.server ? n.lport : n.rport; }

// True when the connection's addresses are IPv6: the remote one when known, else the local.
bool IsIpv6(const NetData& n) {
  const bool remote_known = n.rport != 0;
  return !IsV4Mapped(remote_known ? n.raddr : n.laddr);
}

// The events with a remote end: all but listen and bind.
constexpr uint32_t kRemoteEvents = EventBit(kConnect) | EventBit(kAccept) | EventBit(kClose);

// A field of the remote end: absent for listen and bind.
FieldValue RemoteIp(const EventView& v) { return StrValue(v.event().net.raddr); }

ModuleSchema* MakeSchema() {
  auto* schema = new ModuleSchema{
      "net",
      "TCP and UDP connections of IPv4 and IPv6 sockets: outbound connects (and UDP "
      "datagrams to new peers), accepted connections, listening and bound sockets, and the "
      "end of each TCP connection with its duration and byte counts.",
      {
          {kConnect, "connect", "connect", nullptr, {"connect"}, Result},
          {kAccept, "accept", "accept", nullptr, {"accept"}, Result},
          {kListen, "listen", "listen", nullptr, {"listen"}, Result},
          {kBind, "bind", "bind", nullptr, {"bind"}, Result},
          {kClose, "close", "close", nullptr, {"close"}, Result},
      },
      {
          {"fd.l4proto", FieldType::kString, kNetEvents, false,
           "Transport protocol of the socket: tcp or udp.",
           VIGIL_FIELD(return StrValue(L4ProtoName(v.event().net.protocol));)},
          {"fd.is_server", FieldType::kBool, kNetEvents, false,
           "The local side is the server: an accepted connection, a listening or bound socket.",
           VIGIL_FIELD(return NumValue(v.event().net.server);)},
          {"fd.lip", FieldType::kIp, kNetEvents, false, "Local IP address.",
           VIGIL_FIELD(return StrValue(v.event().net.laddr);)},
          {"fd.lport", FieldType::kInt, kNetEvents, false, "Local port.",
           VIGIL_FIELD(return NumValue(v.event().net.lport);)},
          {"fd.rip", FieldType::kIp, kRemoteEvents, false,
           "Remote IP address (the peer). IPv4 peers of IPv6 sockets (::ffff:a.b.c.d) read "
           "as IPv4.",
           VIGIL_FIELD(return RemoteIp(v);)},
          {"fd.rport", FieldType::kInt, kRemoteEvents, false, "Remote port.",
           VIGIL_FIELD(return NumValue(v.event().net.rport);)},
          {"fd.rnet", FieldType::kIp, kRemoteEvents, false,
           "fd.rip, for network tests: `fd.rnet in (10.0.0.0/8, fd00::/8)`. Every ip field "
           "takes addresses and CIDR networks alike.",
           VIGIL_FIELD(return RemoteIp(v);)},
          {"fd.sip", FieldType::kIp, kRemoteEvents, false,
           "Source (client) IP: the side that connected.",
           VIGIL_FIELD(return StrValue(SourceIp(v.event().net));)},
          {"fd.sport", FieldType::kInt, kRemoteEvents, false, "Source (client) port.",
           VIGIL_FIELD(return NumValue(SourcePort(v.event().net));)},
          {"fd.dip", FieldType::kIp, kRemoteEvents, false,
           "Destination (server) IP: the side connected to.",
           VIGIL_FIELD(return StrValue(DestIp(v.event().net));)},
          {"fd.dport", FieldType::kInt, kRemoteEvents, false, "Destination (server) port.",
           VIGIL_FIELD(return NumValue(DestPort(v.event().net));)},
          {"fd.num", FieldType::kInt, kNetEvents, false,
           "The socket's descriptor, where a syscall named it (accept: the new one); absent "
           "for events seen at a TCP state change.",
           VIGIL_FIELD(const int32_t fd = v.event().net.fd;
                       return fd < 0 ? AbsentValue() : NumValue(fd);)},
          {"net.is_ipv6", FieldType::kBool, kNetEvents, false,
           "The addresses are IPv6 (not IPv4, whatever the socket's family) (Vigil).",
           VIGIL_FIELD(return NumValue(IsIpv6(v.event().net));)},
          {"net.io_uring", FieldType::kBool, kNetEvents, false,
           "Started by an io_uring request rather than a syscall (Vigil).",
           VIGIL_FIELD(return NumValue(v.event().net.io_uring);)},
          {"net.udp_send", FieldType::kBool, EventBit(kConnect), false,
           "A UDP datagram to a peer the socket had not sent to (sendto, sendmsg) rather than "
           "connect (Vigil).",
           VIGIL_FIELD(return NumValue(v.event().net.udp_send);)},
          {"net.duration", FieldType::kInt, EventBit(kClose), false,
           "How long the connection was established, in nanoseconds (Vigil).",
           VIGIL_FIELD(return NumValue(static_cast<int64_t>(v.event().net.duration_ns));)},
          {"net.bytes_received", FieldType::kInt, EventBit(kClose), false,
           "Payload bytes the connection received (Vigil).",
           VIGIL_FIELD(return NumValue(static_cast<int64_t>(v.event().net.bytes_received));)},
          {"net.bytes_sent", FieldType::kInt, EventBit(kClose), false,
           "Payload bytes the connection sent that the peer acknowledged (Vigil).",
           VIGIL_FIELD(return NumValue(static_cast<int64_t>(v.event().net.bytes_sent));)},
      },
  };
  return schema;
}

}  // namespace

const ModuleSchema& Schema() {
  static const ModuleSchema* schema = MakeSchema();
  return *schema;
}

}  // namespace net
}  // namespace vigil::event

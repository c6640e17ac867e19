// The network module's records (bpf/abi/net.h): decoded into event::NetData and written as
// JSON (docs/events.md).
#include <netinet/in.h>

#include <cstddef>

#include "absl/strings/str_cat.h"
#include "bpf/abi/net.h"
#include "event/ip.h"
#include "sensor/output/json_writer.h"
#include "sensor/probes/record_registry.h"

namespace vigil::sensor::probes::net {
namespace {

constexpr uint32_t kKnownFlags = VIGIL_NET_SERVER | VIGIL_NET_IPV6 | VIGIL_NET_IO_URING |
                                 VIGIL_NET_COMPAT | VIGIL_NET_UDP_SEND | VIGIL_NET_ASYNC |
                                 VIGIL_NET_UNATTRIBUTED;

DecodeResult DecodeNet(const Record& record, event::Event* event) {
  if (DecodeResult bad = CheckTail(record, sizeof(vigil_net_event), 0)) return bad;
  const auto e = record.Load<vigil_net_event>();
  if (e.origin != VIGIL_NET_SYSCALL && e.origin != VIGIL_NET_STATE) {
    return DecodeFailure{DecodeError::kUnknownType, absl::StrCat("net origin ", e.origin)};
  }
  if (e.protocol != IPPROTO_TCP && e.protocol != IPPROTO_UDP) {
    return DecodeFailure{DecodeError::kUnknownType, absl::StrCat("net protocol ", e.protocol)};
  }
  if ((e.flags & ~kKnownFlags) != 0) {
    return DecodeFailure{DecodeError::kUnknownType, absl::StrCat("net flags ", e.flags)};
  }
  event::NetData& n = event->net;
  n.result = e.result;
  n.duration_ns = e.duration_ns;
  n.bytes_received = e.bytes_received;
  n.bytes_sent = e.bytes_sent;
  n.laddr = record.Text(offsetof(vigil_net_event, laddr), sizeof(e.laddr));
  n.raddr = record.Text(offsetof(vigil_net_event, raddr), sizeof(e.raddr));
  n.lport = e.lport;
  n.rport = e.rport;
  n.protocol = e.protocol;
  n.origin = static_cast<event::NetOrigin>(e.origin);
  n.fd = e.fd == 0xffff ? -1 : e.fd;
  n.server = e.flags & VIGIL_NET_SERVER;
  n.ipv6_socket = e.flags & VIGIL_NET_IPV6;
  n.io_uring = e.flags & VIGIL_NET_IO_URING;
  n.compat = e.flags & VIGIL_NET_COMPAT;
  n.udp_send = e.flags & VIGIL_NET_UDP_SEND;
  n.async = e.flags & VIGIL_NET_ASYNC;
  return std::nullopt;
}

void NetJson(const event::Event& event, JsonWriter* w) {
  const event::NetData& n = event.net;
  w->String("l4proto", event::L4ProtoName(n.protocol));
  w->Int("result", n.result);
  w->String("lip", event::FormatIp(n.laddr));
  w->Uint("lport", n.lport);
  if (event.type != event::kListen && event.type != event::kBind) {
    w->String("rip", event::FormatIp(n.raddr));
    w->Uint("rport", n.rport);
  }
  w->Bool("server", n.server);
  if (n.fd >= 0) w->Int("fd", n.fd);
  w->String("origin", n.origin == event::NetOrigin::kState ? "state" : "syscall");
  w->Bool("ipv6_socket", n.ipv6_socket);
  w->Bool("io_uring", n.io_uring);
  w->Bool("compat", n.compat);
  if (event.type == event::kConnect) {
    w->Bool("udp_send", n.udp_send);
    w->Bool("async", n.async);
  }
  if (event.type == event::kClose) {
    w->Uint("duration_ns", n.duration_ns);
    w->Uint("bytes_received", n.bytes_received);
    w->Uint("bytes_sent", n.bytes_sent);
  }
}

}  // namespace

const std::vector<RecordType>& Records() {
  static const auto* records = new std::vector<RecordType>{
      {event::kConnect, sizeof(vigil_net_event), DecodeNet, NetJson},
      {event::kAccept, sizeof(vigil_net_event), DecodeNet, NetJson},
      {event::kListen, sizeof(vigil_net_event), DecodeNet, NetJson},
      {event::kBind, sizeof(vigil_net_event), DecodeNet, NetJson},
      {event::kClose, sizeof(vigil_net_event), DecodeNet, NetJson},
  };
  return *records;
}

}  // namespace vigil::sensor::probes::net

// Unit tests for the network module's records (sensor/probes/net/net_records.cc) through
// sensor/decoder.h: every type round-trips into event::NetData (addresses as 16-byte
// views, ports, flags) and JSON; a bad size, origin, protocol or flag is refused with its
// reason.
#include <netinet/in.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "bpf/abi/net.h"
#include "event/event.h"
#include "event/ip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sensor/decoder.h"
#include "sensor/output/event_json.h"
#include "tests/sensor/record_builder.h"

namespace vigil::sensor {
namespace {

using ::testing::HasSubstr;

// A record of `type` from 10.0.0.1:40000 to [2001:db8::7]:443.
vigil_net_event MakeNet(uint16_t type) {
  vigil_net_event e;
  std::memset(&e, 0, sizeof(e));
  e.hdr = MakeHeader(type);
  e.result = -115;
  e.duration_ns = 5000;
  e.bytes_received = 12;
  e.bytes_sent = 34;
  const uint8_t v4[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1};
  const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7};
  std::memcpy(e.laddr, v4, 16);
  std::memcpy(e.raddr, v6, 16);
  e.lport = 40000;
  e.rport = 443;
  e.protocol = IPPROTO_TCP;
  e.origin = VIGIL_NET_SYSCALL;
  e.fd = 7;
  e.flags = VIGIL_NET_IPV6 | VIGIL_NET_ASYNC;
  return e;
}

TEST(NetDecoderTest, EveryTypeRoundTrips) {
  for (uint16_t type : {VIGIL_EVENT_CONNECT, VIGIL_EVENT_ACCEPT, VIGIL_EVENT_LISTEN,
                        VIGIL_EVENT_BIND, VIGIL_EVENT_CLOSE}) {
    SCOPED_TRACE(type);
    Decoder decoder;
    event::Event event;
    ASSERT_TRUE(DecodeExact(&decoder, Serialize(MakeNet(type)), &event).ok());
    EXPECT_EQ(static_cast<int>(event.type), type);
    ExpectHeaderDecoded(event.task);
    const event::NetData& n = event.net;
    EXPECT_EQ(n.result, -115);
    EXPECT_EQ(event::FormatIp(n.laddr), "10.0.0.1");
    EXPECT_EQ(event::FormatIp(n.raddr), "2001:db8::7");
    EXPECT_EQ(n.lport, 40000);
    EXPECT_EQ(n.rport, 443);
    EXPECT_EQ(n.protocol, IPPROTO_TCP);
    EXPECT_EQ(n.fd, 7);
    EXPECT_TRUE(n.ipv6_socket);
    EXPECT_TRUE(n.async);
    EXPECT_FALSE(n.server);
    EXPECT_FALSE(n.udp_send);
    EXPECT_EQ(n.duration_ns, 5000u);
  }
}

TEST(NetDecoderTest, JsonNamesTheEndpointsAsText) {
  Decoder decoder;
  event::Event event;
  ASSERT_TRUE(DecodeExact(&decoder, Serialize(MakeNet(VIGIL_EVENT_CLOSE)), &event).ok());
  std::string json;
  AppendEventJson(event, nullptr, &json);
  EXPECT_THAT(json, HasSubstr("\"type\":\"close\""));
  EXPECT_THAT(json, HasSubstr("\"lip\":\"10.0.0.1\",\"lport\":40000"));
  EXPECT_THAT(json, HasSubstr("\"rip\":\"2001:db8::7\",\"rport\":443"));
  EXPECT_THAT(json, HasSubstr("\"bytes_sent\":34"));
}

TEST(NetDecoderTest, UnknownDescriptorReadsAbsent) {
  vigil_net_event e = MakeNet(VIGIL_EVENT_CONNECT);
  e.fd = 0xffff;
  e.origin = VIGIL_NET_STATE;
  Decoder decoder;
  event::Event event;
  ASSERT_TRUE(DecodeExact(&decoder, Serialize(e), &event).ok());
  EXPECT_EQ(event.net.fd, -1);
  EXPECT_EQ(event.net.origin, event::NetOrigin::kState);
}

TEST(NetDecoderTest, MalformedRecordsAreRefusedWithTheirReason) {
  struct Case {
    void (*mutate)(vigil_net_event* e);
    const char* reason;
  };
  const Case cases[] = {
      {[](vigil_net_event* e) { e->origin = 9; }, "net origin 9"},
      {[](vigil_net_event* e) { e->protocol = 1; }, "net protocol 1"},
      {[](vigil_net_event* e) { e->flags |= 0x8000; }, "net flags"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.reason);
    vigil_net_event e = MakeNet(VIGIL_EVENT_CONNECT);
    c.mutate(&e);
    Decoder decoder;
    event::Event event;
    absl::Status status = DecodeExact(&decoder, Serialize(e), &event);
    EXPECT_FALSE(status.ok());
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.reason));
  }
  // A record with trailing bytes is not a net record.
  Bytes longer = Serialize(MakeNet(VIGIL_EVENT_ACCEPT), "xx");
  Decoder decoder;
  event::Event event;
  EXPECT_FALSE(DecodeExact(&decoder, longer, &event).ok());
}

}  // namespace
}  // namespace vigil::sensor

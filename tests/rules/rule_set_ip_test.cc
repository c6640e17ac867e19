// Unit tests of ip fields in rules (FieldType::kIp): =, != and in against addresses and CIDR
// networks of both families, the fields that derive client and server ends, and the
// compile errors for bad addresses and operators, with their file:line:column.
#include <string>

#include "event/event.h"
#include "event/ip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rules/rule_set.h"
#include "tests/rules/rule_set_helpers.h"

namespace vigil::rules {
namespace {

using ::testing::HasSubstr;

// 16 bytes of an address, kept for the test's lifetime.
std::string Bytes16(const char* text) {
  absl::StatusOr<event::IpNetwork> net = event::ParseIpNetwork(text);
  EXPECT_TRUE(net.ok()) << net.status();
  return std::string(reinterpret_cast<const char*>(net->addr.data()), event::kIpBytes);
}

// A connection from 10.1.2.3:40000 to 169.254.169.254:80 (or accepted, when `server`).
struct ConnectionView {
  explicit ConnectionView(bool server) : view(MakeEvent(server)) {}
  event::Event MakeEvent(bool server) {
    event::Event e;
    e.type = server ? event::kAccept : event::kConnect;
    e.task.pid = 42;
    e.task.comm = "curl";
    e.net.laddr = local;
    e.net.raddr = remote;
    e.net.lport = server ? 80 : 40000;
    e.net.rport = server ? 40000 : 80;
    e.net.protocol = 6;
    e.net.server = server;
    return e;
  }
  std::string local = Bytes16("10.1.2.3");
  std::string remote = Bytes16("169.254.169.254");
  FakeEventView view;
};

bool Matches(const char* condition, bool server = false) {
  auto set = CompileFiles({{"t.yaml", OneRule(condition)}});
  EXPECT_TRUE(set.ok()) << condition << ": " << set.status();
  if (!set.ok()) return false;
  ConnectionView c(server);
  return !Fired(**set, c.view).empty();
}

TEST(RuleSetIpTest, AddressesAndNetworks) {
  EXPECT_TRUE(Matches("fd.rip = 169.254.169.254"));
  EXPECT_FALSE(Matches("fd.rip = 169.254.169.253"));
  EXPECT_TRUE(Matches("fd.rip != 169.254.169.253"));
  EXPECT_FALSE(Matches("fd.rip != 169.254.0.0/16"));
  EXPECT_TRUE(Matches("fd.rnet in (10.0.0.0/8, 169.254.0.0/16)"));
  EXPECT_FALSE(Matches("fd.rnet in (10.0.0.0/8, fd00::/8)"));
  EXPECT_TRUE(Matches("fd.rip in ('::ffff:169.254.169.254')"));
  EXPECT_TRUE(Matches("fd.lip = 10.1.2.3 and fd.lport = 40000 and fd.rport = 80"));
  EXPECT_TRUE(Matches("fd.l4proto = tcp and fd.is_server = false"));
}

TEST(RuleSetIpTest, SourceAndDestinationFollowWhoConnected) {
  // Outbound: the local side is the source.
  EXPECT_TRUE(Matches("fd.sip = 10.1.2.3 and fd.sport = 40000 and fd.dport = 80"));
  // Accepted: the remote side is the source.
  EXPECT_TRUE(Matches("fd.sip = 169.254.169.254 and fd.dip = 10.1.2.3 and fd.dport = 80", true));
  EXPECT_TRUE(Matches("fd.is_server = true and fd.sport = 40000", true));
}

TEST(RuleSetIpTest, BadAddressesAndOperatorsAreRefusedWithTheirPlace) {
  EXPECT_THAT(CompileError({{"t.yaml", OneRule("fd.rip = 10.0.0.0/33")}}),
              HasSubstr("t.yaml:3:23: type mismatch: fd.rip is an ip, '10.0.0.0/33': prefix "
                        "length must be 0..32"));
  EXPECT_THAT(CompileError({{"t.yaml", OneRule("fd.rnet in (10.0.0.0/8, metadata)")}}),
              HasSubstr("t.yaml:3:38: type mismatch: fd.rnet is an ip, 'metadata' is not"));
  EXPECT_THAT(CompileError({{"t.yaml", OneRule("fd.rip startswith 10.")}}),
              HasSubstr("operator 'startswith' does not apply to ip field fd.rip"));
}

}  // namespace
}  // namespace vigil::rules

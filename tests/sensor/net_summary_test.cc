// Unit tests of the connection summarizer (sensor/net_summary.h): connections fold per
// process and remote endpoint (inbound ones per service port), pending connects count once
// by their outcome, closes add bytes, windows close on time or flush, and the endpoint
// bound evicts with a count.
#include "sensor/net_summary.h"

#include <cerrno>
#include <deque>
#include <string>

#include "event/event.h"
#include "event/ip.h"
#include "gtest/gtest.h"

namespace vigil::sensor {
namespace {

constexpr uint64_t kSec = 1'000'000'000;

class NetSummaryTest : public ::testing::Test {
 protected:
  // A network event of `type` by pid 7 at time t: remote rip:rport, local port lport.
  event::Event Net(event::EventType type, const char* rip, uint16_t rport, uint16_t lport,
                   uint64_t t, int64_t result = 0) {
    event::Event e;
    e.type = type;
    e.task.pid = 7;
    e.task.comm = "curl";
    e.task.time_boot_ns = t;
    auto net = event::ParseIpNetwork(rip);
    EXPECT_TRUE(net.ok());
    e.net.raddr = keep_.emplace_back(reinterpret_cast<const char*>(net->addr.data()), 16);
    e.net.laddr = e.net.raddr;
    e.net.rport = rport;
    e.net.lport = lport;
    e.net.protocol = 6;
    e.net.result = result;
    e.net.server = type == event::kAccept;
    return e;
  }

  std::deque<std::string> keep_;
};

TEST_F(NetSummaryTest, ConnectionsFoldPerProcessAndEndpoint) {
  ConnectionSummarizer s({60 * kSec, 100});
  for (int i = 0; i < 5; ++i) s.Add(Net(event::kConnect, "10.0.0.1", 443, 40000 + i, kSec + i));
  s.Add(Net(event::kConnect, "10.0.0.1", 443, 40010, 2 * kSec, -EINPROGRESS));  // not counted
  s.Add(Net(event::kConnect, "10.0.0.1", 443, 40011, 3 * kSec, -ECONNREFUSED));
  s.Add(Net(event::kConnect, "10.0.0.2", 443, 40012, 4 * kSec));
  event::Event close = Net(event::kClose, "10.0.0.1", 443, 40000, 5 * kSec);
  close.net.bytes_received = 100;
  close.net.bytes_sent = 20;
  s.Add(close);
  // Inbound: many client ports, one service port.
  for (int i = 0; i < 3; ++i) s.Add(Net(event::kAccept, "10.0.0.9", 50000 + i, 8080, 6 * kSec));
  EXPECT_TRUE(s.Roll(30 * kSec).empty());
  EXPECT_EQ(s.endpoints(), 3u);
  const std::vector<ConnectionSummary> closed = s.Roll(61 * kSec + 1);
  ASSERT_EQ(closed.size(), 3u);
  EXPECT_EQ(closed[0].connections, 6u);  // most connections first
  EXPECT_EQ(closed[0].failed, 1u);
  EXPECT_EQ(closed[0].port, 443);
  EXPECT_FALSE(closed[0].inbound);
  EXPECT_EQ(closed[0].bytes_received, 100u);
  EXPECT_EQ(closed[0].bytes_sent, 20u);
  EXPECT_EQ(closed[0].first_ns, kSec);
  EXPECT_EQ(closed[0].last_ns, 5 * kSec);
  EXPECT_EQ(closed[1].connections, 3u);
  EXPECT_TRUE(closed[1].inbound);
  EXPECT_EQ(closed[1].port, 8080);
  EXPECT_EQ(closed[2].connections, 1u);
  EXPECT_EQ(s.windows(), 1u);
  EXPECT_EQ(s.connections(), 10u);
  EXPECT_EQ(s.endpoints(), 0u);
}

TEST_F(NetSummaryTest, ListenAndBindAreNotSummarised) {
  ConnectionSummarizer s({kSec, 100});
  EXPECT_FALSE(ConnectionSummarizer::Summarizes(Net(event::kListen, "0.0.0.0", 0, 80, kSec)));
  s.Add(Net(event::kBind, "0.0.0.0", 0, 80, kSec));
  EXPECT_TRUE(s.Flush().empty());
  EXPECT_EQ(s.windows(), 0u);
}

TEST_F(NetSummaryTest, TheEndpointBoundEvictsAndCounts) {
  ConnectionSummarizer s({60 * kSec, 2});
  s.Add(Net(event::kConnect, "10.0.0.1", 1, 1, kSec));
  s.Add(Net(event::kConnect, "10.0.0.2", 1, 1, kSec));
  s.Add(Net(event::kConnect, "10.0.0.3", 1, 1, kSec));
  s.Add(Net(event::kConnect, "10.0.0.1", 1, 2, kSec));  // a known endpoint still counts
  EXPECT_EQ(s.evicted(), 1u);
  const std::vector<ConnectionSummary> closed = s.Flush();
  ASSERT_EQ(closed.size(), 2u);
  EXPECT_EQ(closed[0].connections, 2u);
}

}  // namespace
}  // namespace vigil::sensor

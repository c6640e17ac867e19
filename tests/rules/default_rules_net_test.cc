// Tests of the default rule pack's network rules: a reverse shell, an outbound connection
// by a web server's or database's child, a container reaching the cloud metadata service,
// an unexpected listening port in a container and a connection to a denied port; each fires
// with full context and stays quiet on the closest benign activity (apt through a proxy,
// DNS lookups, kubelet probes, loopback services, a server's own workers).
#include <string>
#include <vector>

#include "event/event.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/rules/default_rules_fixture.h"

namespace vigil::rules {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr int64_t kEInProgress = -115;
constexpr int64_t kEConnRefused = -111;

// ---------------------------------------------------------------------------------------
// Reverse shell.

TEST_F(DefaultRulesTest, ShellStartedOnANetworkConnectionFires) {
  Proc p = Attacker();
  auto alerts = Run(ExecOnSocket(p, "/usr/bin/bash", "bash -i", "203.0.113.7", 9001));
  ASSERT_THAT(Names(alerts), ElementsAre(kReverseShell));
  const Fired& a = alerts[0];
  EXPECT_EQ(a.fields.at("proc.name"), "bash");
  EXPECT_EQ(a.fields.at("proc.stdio_rip"), "203.0.113.7");
  EXPECT_EQ(a.fields.at("proc.stdio_rport"), "9001");
  EXPECT_EQ(a.fields.at("proc.is_stdin_socket"), "true");
  EXPECT_EQ(a.fields.at("container.id"), "c9");
  EXPECT_THAT(a.output, HasSubstr("remote=203.0.113.7:9001"));
}

TEST_F(DefaultRulesTest, InterpreterWithOnlyItsOutputOnASocketFires) {
  Proc p = Attacker();
  auto alerts =
      Run(ExecOnSocket(p, "/usr/bin/python3.11", "python3 -c pty.spawn", "2001:db8::5", 443, 2));
  ASSERT_THAT(Names(alerts), ElementsAre(kReverseShell));
  EXPECT_EQ(alerts[0].fields.at("proc.stdio_rip"), "2001:db8::5");
  EXPECT_EQ(alerts[0].fields.at("proc.is_stdout_socket"), "true");
}

TEST_F(DefaultRulesTest, CommandsRunByTheReverseShellDoNotRepeatTheAlert) {
  Proc p = Attacker();
  ASSERT_THAT(Names(Run(ExecOnSocket(p, "/usr/bin/bash", "bash -i", "203.0.113.7", 9001))),
              ElementsAre(kReverseShell));
  EXPECT_THAT(Run(ExecOnSocket(p, "/usr/bin/sh", "sh -c id", "203.0.113.7", 9001)), IsEmpty());
  // Another remote end is another session.
  EXPECT_THAT(Names(Run(ExecOnSocket(p, "/usr/bin/bash", "bash -i", "203.0.113.8", 9001))),
              ElementsAre(kReverseShell));
}

TEST_F(DefaultRulesTest, ShellOnATerminalOrAServerOnASocketIsQuiet) {
  Proc p = Attacker();
  Creds c;
  EXPECT_THAT(Run(Exec(p, "/usr/bin/bash", "bash -i", 0100755, c, kT0)), IsEmpty());
  // A socket-activated service that is not a shell.
  EXPECT_THAT(Run(ExecOnSocket(p, "/usr/sbin/in.tftpd", "in.tftpd", "198.51.100.2", 41000)),
              IsEmpty());
}

// ---------------------------------------------------------------------------------------
// Outbound connection by child of web server or database.

TEST_F(DefaultRulesTest, ShellSpawnedByAWebServerConnectingOutFires) {
  Proc p = Program("curl", "/usr/bin/curl");
  p.parent_comm = "nginx";
  p.container_id = "c2";
  auto alerts = Run(Net(p, event::kConnect, "10.1.0.5", 40000, "198.51.100.9", 80));
  ASSERT_THAT(Names(alerts), ElementsAre(kServerChildConnect));
  const Fired& a = alerts[0];
  EXPECT_EQ(a.fields.at("fd.rip"), "198.51.100.9");
  EXPECT_EQ(a.fields.at("fd.rport"), "80");
  EXPECT_EQ(a.fields.at("fd.l4proto"), "tcp");
  EXPECT_EQ(a.fields.at("proc.pname"), "nginx");
  EXPECT_THAT(a.output, HasSubstr("10.1.0.5:40000->198.51.100.9:80 result=SUCCESS"));
}

TEST_F(DefaultRulesTest, ServerWorkersDnsAndPendingConnectsAreQuiet) {
  Proc worker = Program("php-fpm8.2", "/usr/sbin/php-fpm8.2");
  worker.parent_comm = "php-fpm8.2";
  EXPECT_THAT(Run(Net(worker, event::kConnect, "10.1.0.5", 40000, "10.1.0.9", 3306)), IsEmpty());
  Proc curl = Program("curl", "/usr/bin/curl");
  curl.parent_comm = "nginx";
  // The resolver lookup before the connection, and the connection while pending.
  EXPECT_THAT(Run(Net(curl, event::kConnect, "10.1.0.5", 50000, "10.96.0.10", 53, 0, 17)),
              IsEmpty());
  EXPECT_THAT(Run(Net(curl, event::kConnect, "10.1.0.5", 40001, "198.51.100.9", 80, kEInProgress)),
              IsEmpty());
  // A child of a web server talking to a loopback service.
  EXPECT_THAT(Run(Net(curl, event::kConnect, "127.0.0.1", 40002, "127.0.0.1", 8080)), IsEmpty());
}

// ---------------------------------------------------------------------------------------
// Connection to cloud metadata service from container.

TEST_F(DefaultRulesTest, ContainerReachingTheMetadataServiceFires) {
  Proc p = Attacker();
  p.pod = "web-1";
  p.ns = "shop";
  auto alerts = Run(Net(p, event::kConnect, "10.1.0.5", 40000, "169.254.169.254", 80));
  ASSERT_THAT(Names(alerts), ElementsAre(kMetadata));
  EXPECT_EQ(alerts[0].fields.at("k8s.pod.name"), "web-1");
  EXPECT_EQ(alerts[0].fields.at("fd.rip"), "169.254.169.254");
  // The IPv6 endpoint, even refused, counts too.
  EXPECT_THAT(
      Names(Run(Net(p, event::kConnect, "fd00::5", 40001, "fd00:ec2::254", 80, kEConnRefused))),
      ElementsAre(kMetadata));
}

TEST_F(DefaultRulesTest, NodeAgentReachingTheMetadataServiceIsQuiet) {
  Proc agent = Program("aws-node", "/usr/bin/aws-node");
  agent.container_id = "host";
  EXPECT_THAT(Run(Net(agent, event::kConnect, "10.1.0.5", 40000, "169.254.169.254", 80)),
              IsEmpty());
}

// ---------------------------------------------------------------------------------------
// Unexpected listening port in container.

TEST_F(DefaultRulesTest, ContainerListeningOnAnUnexpectedPortFires) {
  Proc p = Attacker();
  auto alerts = Run(Net(p, event::kListen, "0.0.0.0", 31337, "", 0));
  ASSERT_THAT(Names(alerts), ElementsAre(kContainerListen));
  EXPECT_EQ(alerts[0].fields.at("fd.lport"), "31337");
  EXPECT_EQ(alerts[0].fields.at("fd.lip"), "0.0.0.0");
  EXPECT_THAT(Names(Run(Net(p, event::kListen, "::", 2222, "", 0))), ElementsAre(kContainerListen));
}

TEST_F(DefaultRulesTest, ServicePortsLoopbackListenersAndTheHostAreQuiet) {
  Proc web = Program("nginx", "/usr/sbin/nginx");
  web.container_id = "c3";
  EXPECT_THAT(Run(Net(web, event::kListen, "0.0.0.0", 8080, "", 0)), IsEmpty());
  EXPECT_THAT(Run(Net(web, event::kListen, "127.0.0.1", 31337, "", 0)), IsEmpty());
  EXPECT_THAT(Run(Net(web, event::kListen, "::1", 31337, "", 0)), IsEmpty());
  Proc host = Program("sshd", "/usr/sbin/sshd");
  host.container_id = "host";
  EXPECT_THAT(Run(Net(host, event::kListen, "0.0.0.0", 22, "", 0)), IsEmpty());
}

// ---------------------------------------------------------------------------------------
// Connection to denied remote port.

TEST_F(DefaultRulesTest, ConnectionToADeniedPortFires) {
  Proc p = Attacker();
  auto alerts = Run(Net(p, event::kConnect, "10.1.0.5", 40000, "198.51.100.20", 3333));
  ASSERT_THAT(Names(alerts), ElementsAre(kDeniedPort));
  EXPECT_EQ(alerts[0].fields.at("fd.rport"), "3333");
  EXPECT_EQ(alerts[0].fields.at("evt.res"), "SUCCESS");
}

TEST_F(DefaultRulesTest, BenignNetworkWorkIsQuiet) {
  // apt through a proxy, a DNS lookup, a kubelet probe accepted by a pod, a loopback
  // service, and an accepted connection from a denied port number.
  Proc apt = Program("http", "/usr/lib/apt/methods/http");
  apt.parent_comm = "apt-get";
  EXPECT_THAT(Run(Net(apt, event::kConnect, "10.1.0.5", 40000, "10.0.0.3", 3128)), IsEmpty());
  EXPECT_THAT(Run(Net(apt, event::kConnect, "10.1.0.5", 40001, "10.96.0.10", 53, 0, 17)),
              IsEmpty());
  Proc kubelet = Program("kubelet", "/usr/bin/kubelet");
  kubelet.container_id = "host";
  EXPECT_THAT(Run(Net(kubelet, event::kConnect, "10.1.0.1", 40002, "10.1.0.5", 8080)), IsEmpty());
  Proc web = Program("nginx", "/usr/sbin/nginx");
  web.container_id = "c3";
  EXPECT_THAT(Run(Net(web, event::kAccept, "10.1.0.5", 8080, "10.1.0.1", 40002, 5)), IsEmpty());
  EXPECT_THAT(Run(Net(web, event::kConnect, "127.0.0.1", 40003, "127.0.0.1", 6379)), IsEmpty());
  EXPECT_THAT(Run(Net(web, event::kAccept, "10.1.0.5", 8080, "10.1.0.7", 4444, 6)), IsEmpty());
}

}  // namespace
}  // namespace vigil::rules

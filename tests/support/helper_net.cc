#include "tests/support/helper_net.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "tests/support/helper_uring.h"

namespace vigil::testing {
namespace {

int Fail(const char* what) {
  fprintf(stderr, "net: %s: %s\n", what, strerror(errno));
  return 1;
}

// ADDR:PORT as a sockaddr of its family.
struct Endpoint {
  sockaddr_storage ss{};
  socklen_t len = 0;
  int family = 0;
};

bool ParseEndpoint(const char* addr, int port, Endpoint* out) {
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out->ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out->ss);
  if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    out->len = sizeof(*v4);
    out->family = AF_INET;
    return true;
  }
  if (inet_pton(AF_INET6, addr, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    out->len = sizeof(*v6);
    out->family = AF_INET6;
    return true;
  }
  return false;
}

const sockaddr* Sa(const Endpoint& e) { return reinterpret_cast<const sockaddr*>(&e.ss); }

// A new network namespace with lo up, and `addr` (IPv4 outside 127/8) on lo.
int EnterNetns(const char* addr) {
  if (unshare(CLONE_NEWNET) != 0) return Fail("unshare(CLONE_NEWNET)");
  const int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return Fail("socket");
  ifreq ifr{};
  strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0) return Fail("SIOCGIFFLAGS lo");
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) return Fail("SIOCSIFFLAGS lo");
  in_addr v4{};
  if (inet_pton(AF_INET, addr, &v4) == 1 && (ntohl(v4.s_addr) >> 24) != 127) {
    ifreq alias{};
    strncpy(alias.ifr_name, "lo:1", IFNAMSIZ - 1);
    auto* sin = reinterpret_cast<sockaddr_in*>(&alias.ifr_addr);
    sin->sin_family = AF_INET;
    sin->sin_addr = v4;
    if (ioctl(s, SIOCSIFADDR, &alias) != 0) return Fail("SIOCSIFADDR lo:1");
  }
  close(s);
  return 0;
}

int JoinCgroup(const char* dir) {
  const std::string procs = std::string(dir) + "/cgroup.procs";
  const int fd = open(procs.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return Fail(procs.c_str());
  const std::string pid = std::to_string(getpid());
  const bool ok = write(fd, pid.data(), pid.size()) == static_cast<ssize_t>(pid.size());
  close(fd);
  return ok ? 0 : Fail("joining the cgroup");
}

int Listener(const Endpoint& at, int backlog) {
  const int s = socket(at.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
      bind(s, Sa(at), at.len) != 0 || listen(s, backlog) != 0) {
    return -1;
  }
  return s;
}

// connect() through io_uring: the kernel connects without the connect syscall.
int UringConnect(int s, const Endpoint& to) {
  io_uring_sqe sqe{};
  sqe.opcode = IORING_OP_CONNECT;
  sqe.fd = s;
  sqe.addr = reinterpret_cast<uintptr_t>(Sa(to));
  sqe.off = to.len;
  return UringSubmit(sqe) < 0 ? -1 : 0;
}

// accept4() through io_uring: the new connection's descriptor, or -1.
int UringAccept(int l) {
  io_uring_sqe sqe{};
  sqe.opcode = IORING_OP_ACCEPT;
  sqe.fd = l;
  sqe.accept_flags = SOCK_CLOEXEC;
  const long fd = UringSubmit(sqe);
  return fd < 0 ? -1 : static_cast<int>(fd);
}

int Pair(const Endpoint& at, bool uring) {
  const int l = Listener(at, 8);
  if (l < 0) return Fail("listen");
  const int c = socket(at.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c < 0) return Fail("socket");
  if ((uring ? UringConnect(c, at) : connect(c, Sa(at), at.len)) != 0) return Fail("connect");
  const int a = uring ? UringAccept(l) : accept4(l, nullptr, nullptr, SOCK_CLOEXEC);
  if (a < 0) return Fail("accept");
  char buf[16];
  if (write(c, "hello", 5) != 5 || read(a, buf, sizeof(buf)) != 5 || write(a, "hi", 2) != 2 ||
      read(c, buf, sizeof(buf)) != 2) {
    return Fail("exchange");
  }
  close(c);
  close(a);
  close(l);
  return 0;
}

// A connect to a listener whose accept queue is full: its SYNs are dropped.
int Unanswered(const Endpoint& at, bool nonblocking) {
  const int l = Listener(at, 0);
  if (l < 0) return Fail("listen");
  const int first = socket(at.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (first < 0 || connect(first, Sa(at), at.len) != 0) return Fail("filling the queue");
  // The queue is full once the listener holds that connection: until the server has taken
  // its last ACK, the next SYN still gets a SYN-ACK (a SYN cookie) and its connect succeeds.
  pollfd queued{l, POLLIN, 0};
  if (poll(&queued, 1, 10'000) != 1) return Fail("the first connection was never queued");
  const int s =
      socket(at.family, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0);
  const int one_retry = 1;
  if (s < 0 || setsockopt(s, IPPROTO_TCP, TCP_SYNCNT, &one_retry, sizeof(one_retry)) != 0) {
    return Fail("socket");
  }
  const int rc = connect(s, Sa(at), at.len);
  const int err = errno;
  if (!nonblocking) {
    if (rc == 0 || err != ETIMEDOUT) return Fail("connect did not time out");
    return 0;
  }
  if (rc == 0 || err != EINPROGRESS) return Fail("connect was not in progress");
  pollfd p{s, POLLOUT, 0};
  if (poll(&p, 1, 20'000) != 1) return Fail("poll");
  int so_error = 0;
  socklen_t len = sizeof(so_error);
  getsockopt(s, SOL_SOCKET, SO_ERROR, &so_error, &len);
  if (so_error != ETIMEDOUT) return Fail("outcome was not ETIMEDOUT");
  return 0;
}

int Udp(const char* addr, int port) {
  Endpoint a, b;
  if (!ParseEndpoint(addr, port, &a) || !ParseEndpoint(addr, port + 1, &b)) return 2;
  const int s = socket(a.family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return Fail("socket");
  if (sendto(s, "a", 1, 0, Sa(a), a.len) != 1 || sendto(s, "b", 1, 0, Sa(a), a.len) != 1) {
    return Fail("sendto");
  }
  msghdr msg{};
  iovec iov{const_cast<char*>("c"), 1};
  msg.msg_name = &b.ss;
  msg.msg_namelen = b.len;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (sendmsg(s, &msg, 0) != 1) return Fail("sendmsg");
  close(s);
  return 0;
}

// Runs one ACTION (helper_net.h) on ADDR:PORT; returns the exit code.
int Act(const std::string& action, const char* addr, int port, const Endpoint& at);

}  // namespace

int NetCommand(int argc, char** argv) {
  bool netns = false;
  const char* cgroup = nullptr;
  int i = 0;
  for (; i < argc && argv[i][0] == '-'; ++i) {
    if (strcmp(argv[i], "--netns") == 0) {
      netns = true;
    } else if (strcmp(argv[i], "--cgroup") == 0 && i + 1 < argc) {
      cgroup = argv[++i];
    } else {
      fprintf(stderr, "net: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if (argc - i != 3) {
    fprintf(stderr, "net: expected ACTION ADDR PORT\n");
    return 2;
  }
  const std::string action = argv[i];
  const char* addr = argv[i + 1];
  const int port = atoi(argv[i + 2]);
  Endpoint at;
  if (!ParseEndpoint(addr, port, &at)) {
    fprintf(stderr, "net: bad address %s\n", addr);
    return 2;
  }
  if (netns && EnterNetns(addr) != 0) return 1;
  if (cgroup != nullptr && JoinCgroup(cgroup) != 0) return 1;
  const int rc = Act(action, addr, port, at);
  // A process in a container stays a moment, so the sensor can still read its cgroup from
  // /proc (a process already gone is resolved through its parent: docs/enrichment.md).
  if (cgroup != nullptr) usleep(1'000'000);
  return rc;
}

namespace {

int Act(const std::string& action, const char* addr, int port, const Endpoint& at) {
  if (action == "pair") return Pair(at, false);
  if (action == "uring") return Pair(at, true);
  if (action == "timeout") return Unanswered(at, false);
  if (action == "inprogress") return Unanswered(at, true);
  if (action == "udp") return Udp(addr, port);
  if (action == "refused") {
    const int s = socket(at.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) return Fail("socket");
    if (connect(s, Sa(at), at.len) == 0 || errno != ECONNREFUSED) return Fail("not refused");
    return 0;
  }
  if (action == "listen") {
    const int l = Listener(at, 8);
    if (l < 0) return Fail("listen");
    usleep(200'000);
    close(l);
    return 0;
  }
  fprintf(stderr, "net: unknown action %s\n", action.c_str());
  return 2;
}

}  // namespace

int RunChild(char** argv) {
  const pid_t pid = fork();
  if (pid < 0) return Fail("fork");
  if (pid == 0) {
    execv(argv[0], argv);
    _exit(127);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return Fail("waitpid");
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

}  // namespace vigil::testing

// ControllerProcess: spawning, signalling and restarting the real vigil-controller.
#include "tests/e2e/support/controller_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace vigil::testing {
namespace {

// True once something accepts TCP connections on 127.0.0.1:`port`.
bool Accepts(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

}  // namespace

int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

absl::StatusOr<std::unique_ptr<ControllerProcess>> ControllerProcess::Start(
    const std::string& dir, const std::vector<std::string>& extra_args) {
  std::unique_ptr<ControllerProcess> c(new ControllerProcess());
  c->dir_ = dir;
  c->extra_args_ = extra_args;
  c->port_ = FreeLoopbackPort();
  if (c->port_ == 0) return absl::InternalError("no free loopback port");
  absl::Status started = c->Launch();
  if (!started.ok()) return started;
  return c;
}

ControllerProcess::~ControllerProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGCONT);
    Kill(SIGKILL);
  }
}

std::string ControllerProcess::address() const { return absl::StrCat("127.0.0.1:", port_); }

bool ControllerProcess::Signal(int signo) { return pid_ > 0 && kill(pid_, signo) == 0; }

int ControllerProcess::Kill(int signo) {
  if (pid_ <= 0) return -1;
  kill(pid_, signo);
  if (signo != SIGKILL) kill(pid_, SIGCONT);  // a stopped process must run to exit
  int status = -1;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  return status;
}

absl::Status ControllerProcess::Restart() {
  if (pid_ > 0) return absl::FailedPreconditionError("controller still running");
  return Launch();
}

std::string ControllerProcess::log_text() const {
  std::ifstream in(dir_ + "/controller.log");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::Status ControllerProcess::Launch() {
  std::vector<std::string> args = {VIGIL_CONTROLLER_BINARY, "--listen", address(), "--db",
                                   dir_ + "/c.db"};
  if (std::find(extra_args_.begin(), extra_args_.end(), "--tls-cert") == extra_args_.end()) {
    args.push_back("--insecure");
  }
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  const std::string log = dir_ + "/controller.log";
  // Everything the child needs is prepared before fork: the test process has threads, so
  // the child may only make async-signal-safe calls.
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  pid_ = pid;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    if (Accepts(port_)) return absl::OkStatus();
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::InternalError(
          absl::StrCat("vigil-controller exited (status ", status, "): ", log_text()));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("vigil-controller not accepting on ", address(), ": ", log_text()));
}

}  // namespace vigil::testing

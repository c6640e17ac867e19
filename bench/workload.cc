// vigil-bench-workload: syscall-heavy micro-workloads for the sensor overhead benchmark.
//
// Each subcommand repeats one operation N times and prints one JSON line on stdout:
//
//   {"workload":"open-close","ops":100000,"ns_per_op":812.4}
//
// ns_per_op is the elapsed wall time (CLOCK_MONOTONIC) of the timed loop divided by N. A
// short untimed warm-up (N/100 operations, at most 1000) runs first so that page faults
// and cold caches of the first iterations do not land in the measurement.
//
// Subcommands:
//   open-close N DIR   creates DIR/file, then opens it read-only and closes it N times.
//   unlink-rename N DIR  N times: creates DIR/a (open O_CREAT|O_WRONLY, close), renames
//                      DIR/a to DIR/b and unlinks DIR/b; ns_per_op is per such triple.
//   fork-exit N        forks a child that calls _exit(0) and waits for it, N times.
//   fork-exec N        forks a child that execs /bin/true and waits for it, N times.
//   connect-accept-close N  N times: connects a TCP socket to a listener on 127.0.0.1,
//                      accepts it, and closes both ends (loopback only).
//
// Exit status: 0 on success, 1 if an operation failed, 2 on bad arguments.
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// The program every fork-exec child runs.
constexpr char kExecPath[] = "/bin/true";

// Largest accepted operation count; keeps ops * ns well inside 64 bits.
constexpr uint64_t kMaxOps = uint64_t{1} << 40;

constexpr char kUsage[] =
    "Usage: vigil-bench-workload open-close N DIR\n"
    "       vigil-bench-workload unlink-rename N DIR\n"
    "       vigil-bench-workload fork-exit N\n"
    "       vigil-bench-workload fork-exec N\n"
    "       vigil-bench-workload connect-accept-close N\n"
    "\n"
    "Repeats one operation N times and prints {\"workload\":...,\"ops\":N,\"ns_per_op\":X}.\n"
    "  open-close N DIR  create DIR/file, then open (read-only) and close it N times\n"
    "  unlink-rename N DIR  create DIR/a, rename it to DIR/b, unlink DIR/b; N times\n"
    "  fork-exit N       fork a child that _exit(0)s, waitpid for it; N times\n"
    "  fork-exec N       fork a child that execs /bin/true, waitpid for it; N times\n"
    "  connect-accept-close N  connect to a listener on 127.0.0.1, accept, close both;\n"
    "                    N times\n";

// Prints `message` (and strerror(errno) when `with_errno`) to stderr; returns kExitFailure.
int Fail(const std::string& message, bool with_errno = true) {
  if (with_errno) {
    fprintf(stderr, "vigil-bench-workload: %s: %s\n", message.c_str(), strerror(errno));
  } else {
    fprintf(stderr, "vigil-bench-workload: %s\n", message.c_str());
  }
  return kExitFailure;
}

// Prints a usage error to stderr; returns kExitUsage.
int UsageError(const std::string& message) {
  fprintf(stderr, "vigil-bench-workload: %s\n\n%s", message.c_str(), kUsage);
  return kExitUsage;
}

// Parses a decimal operation count in [1, kMaxOps]. Returns false on anything else.
bool ParseOps(const char* text, uint64_t* ops) {
  if (text == nullptr || *text < '0' || *text > '9') return false;  // no sign, no space
  errno = 0;
  char* end = nullptr;
  const unsigned long long value = strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value == 0 || value > kMaxOps) return false;
  *ops = value;
  return true;
}

uint64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t WarmupOps(uint64_t ops) {
  const uint64_t warmup = ops / 100;
  return warmup > 1000 ? 1000 : warmup;
}

// One open+close of `path`. Returns false (errno set) on failure.
bool OpenClose(const char* path) {
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  return close(fd) == 0;
}

// One create (open O_CREAT|O_WRONLY + close) of `a`, rename of `a` to `b`, unlink of `b`.
// Returns false (errno set) on failure.
bool CreateRenameUnlink(const char* a, const char* b) {
  const int fd = open(a, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  if (close(fd) != 0) return false;
  if (rename(a, b) != 0) return false;
  return unlink(b) == 0;
}

// Forks a child running `child` and waits for it; false (with a message printed) unless the
// child exited with status 0.
template <typename ChildFn>
bool ForkAndWait(ChildFn child) {
  const pid_t pid = fork();
  if (pid < 0) {
    Fail("fork");
    return false;
  }
  if (pid == 0) child();  // never returns
  int status = 0;
  pid_t waited;
  do {
    waited = waitpid(pid, &status, 0);
  } while (waited < 0 && errno == EINTR);
  if (waited < 0) {
    Fail("waitpid");
    return false;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    if (WIFEXITED(status)) {
      Fail("child exited with status " + std::to_string(WEXITSTATUS(status)), false);
    } else if (WIFSIGNALED(status)) {
      Fail("child killed by signal " + std::to_string(WTERMSIG(status)), false);
    } else {
      Fail("child ended abnormally", false);
    }
    return false;
  }
  return true;
}

[[noreturn]] void ChildExit() { _exit(0); }

[[noreturn]] void ChildExec() {
  execl(kExecPath, kExecPath, static_cast<char*>(nullptr));
  // Report in the child (the parent only sees the status); 127 like a shell.
  fprintf(stderr, "vigil-bench-workload: exec %s: %s\n", kExecPath, strerror(errno));
  _exit(127);
}

void PrintResult(const char* workload, uint64_t ops, uint64_t elapsed_ns) {
  const double ns_per_op = static_cast<double>(elapsed_ns) / static_cast<double>(ops);
  printf("{\"workload\":\"%s\",\"ops\":%" PRIu64 ",\"ns_per_op\":%.1f}\n", workload, ops,
         ns_per_op);
  fflush(stdout);
}

int RunOpenClose(uint64_t ops, const std::string& dir) {
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) return Fail("cannot stat directory " + dir);
  if (!S_ISDIR(st.st_mode)) return Fail(dir + " is not a directory", false);
  const std::string path = dir + (dir.back() == '/' ? "" : "/") + "file";
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Fail("cannot create " + path);
  if (close(fd) != 0) return Fail("close " + path);

  const char* p = path.c_str();
  for (uint64_t i = WarmupOps(ops); i > 0; --i) {
    if (!OpenClose(p)) return Fail("open/close " + path);
  }
  const uint64_t start = NowNs();
  for (uint64_t i = 0; i < ops; ++i) {
    if (!OpenClose(p)) return Fail("open/close " + path);
  }
  const uint64_t elapsed = NowNs() - start;
  PrintResult("open-close", ops, elapsed);
  return 0;
}

int RunUnlinkRename(uint64_t ops, const std::string& dir) {
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) return Fail("cannot stat directory " + dir);
  if (!S_ISDIR(st.st_mode)) return Fail(dir + " is not a directory", false);
  const std::string prefix = dir + (dir.back() == '/' ? "" : "/");
  const std::string a = prefix + "a";
  const std::string b = prefix + "b";

  const char* pa = a.c_str();
  const char* pb = b.c_str();
  for (uint64_t i = WarmupOps(ops); i > 0; --i) {
    if (!CreateRenameUnlink(pa, pb)) return Fail("create/rename/unlink " + a);
  }
  const uint64_t start = NowNs();
  for (uint64_t i = 0; i < ops; ++i) {
    if (!CreateRenameUnlink(pa, pb)) return Fail("create/rename/unlink " + a);
  }
  const uint64_t elapsed = NowNs() - start;
  PrintResult("unlink-rename", ops, elapsed);
  return 0;
}

template <typename ChildFn>
int RunForkLoop(const char* workload, uint64_t ops, ChildFn child) {
  for (uint64_t i = WarmupOps(ops); i > 0; --i) {
    if (!ForkAndWait(child)) return kExitFailure;
  }
  const uint64_t start = NowNs();
  for (uint64_t i = 0; i < ops; ++i) {
    if (!ForkAndWait(child)) return kExitFailure;
  }
  const uint64_t elapsed = NowNs() - start;
  PrintResult(workload, ops, elapsed);
  return 0;
}

// One loopback connection: connect to the listener, accept it, close both ends.
bool ConnectAcceptClose(int listener, const sockaddr_in& at) {
  const int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c < 0) return false;
  if (connect(c, reinterpret_cast<const sockaddr*>(&at), sizeof(at)) != 0) {
    close(c);
    return false;
  }
  const int a = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  const bool ok = a >= 0 && close(a) == 0;
  return close(c) == 0 && ok;
}

int RunConnectAcceptClose(uint64_t ops) {
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in at{};
  at.sin_family = AF_INET;
  at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(at);
  if (listener < 0 || bind(listener, reinterpret_cast<sockaddr*>(&at), sizeof(at)) != 0 ||
      listen(listener, 64) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&at), &len) != 0) {
    return Fail("cannot listen on 127.0.0.1");
  }
  for (uint64_t i = WarmupOps(ops); i > 0; --i) {
    if (!ConnectAcceptClose(listener, at)) return Fail("connect/accept/close");
  }
  const uint64_t start = NowNs();
  for (uint64_t i = 0; i < ops; ++i) {
    if (!ConnectAcceptClose(listener, at)) return Fail("connect/accept/close");
  }
  const uint64_t elapsed = NowNs() - start;
  close(listener);
  PrintResult("connect-accept-close", ops, elapsed);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    fputs(kUsage, stdout);
    return 0;
  }
  if (argc < 2) return UsageError("missing subcommand");
  const std::string cmd = argv[1];
  const bool takes_dir = cmd == "open-close" || cmd == "unlink-rename";
  const int expected_args = takes_dir ? 4 : 3;
  if (!takes_dir && cmd != "fork-exit" && cmd != "fork-exec" && cmd != "connect-accept-close") {
    return UsageError("unknown subcommand '" + cmd + "'");
  }
  if (argc != expected_args) {
    return UsageError(cmd + ": expected " + std::to_string(expected_args - 2) +
                      " argument(s), got " + std::to_string(argc - 2));
  }
  uint64_t ops = 0;
  if (!ParseOps(argv[2], &ops)) {
    return UsageError(cmd + ": N must be an integer in [1, " + std::to_string(kMaxOps) +
                      "], got '" + argv[2] + "'");
  }
  if (cmd == "open-close") {
    const std::string dir = argv[3];
    if (dir.empty()) return UsageError("open-close: DIR is empty");
    return RunOpenClose(ops, dir);
  }
  if (cmd == "unlink-rename") {
    const std::string dir = argv[3];
    if (dir.empty()) return UsageError("unlink-rename: DIR is empty");
    return RunUnlinkRename(ops, dir);
  }
  if (cmd == "fork-exit") return RunForkLoop("fork-exit", ops, ChildExit);
  if (cmd == "connect-accept-close") return RunConnectAcceptClose(ops);
  return RunForkLoop("fork-exec", ops, ChildExec);
}

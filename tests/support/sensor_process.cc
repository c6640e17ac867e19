#include "tests/support/sensor_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

extern char** environ;

namespace vigil::testing {
namespace {

std::vector<char*> ArgvOf(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  return argv;
}

}  // namespace

std::string HelperBinary() {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) return "vigil-test-helper";
  self[n] = '\0';
  std::string dir(self);
  dir.resize(dir.rfind('/'));
  return dir + "/vigil-test-helper";
}

absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& args, const std::string& cwd) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  std::vector<char*> argv = ArgvOf(args);
  pid_t pid;
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return absl::InternalError(absl::StrCat("spawn ", args[0], ": ", strerror(rc)));
  return pid;
}

pid_t RunHelper(const std::vector<std::string>& args, int expected_exit) {
  std::vector<std::string> argv = {HelperBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  absl::StatusOr<pid_t> pid = Spawn(argv);
  EXPECT_TRUE(pid.ok()) << pid.status();
  if (!pid.ok()) return -1;
  const int status = WaitExit(*pid);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), expected_exit);
  return *pid;
}

void ExpectCleanStop(SensorProcess& sensor, const std::string& module) {
  EXPECT_EQ(sensor.Stop(), 0) << sensor.stderr_text();
  EXPECT_TRUE(sensor.parse_errors().empty());
  Json stop = sensor.stop_record();
  ASSERT_FALSE(stop.is_null()) << "no sensor_stop record";
  EXPECT_EQ(stop["modules"][module]["drop_ringbuf_full"], 0);
}

int WaitExit(pid_t pid) {
  int status = -1;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

absl::StatusOr<RunResult> RunCapture(const std::vector<std::string>& args) {
  char out_path[] = "/tmp/vigil-run-out-XXXXXX";
  char err_path[] = "/tmp/vigil-run-err-XXXXXX";
  int out_fd = mkstemp(out_path);
  int err_fd = mkstemp(err_path);
  if (out_fd < 0 || err_fd < 0) return absl::InternalError("mkstemp failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_fd, STDERR_FILENO);
  std::vector<char*> argv = ArgvOf(args);
  pid_t pid;
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out_fd);
  close(err_fd);
  RunResult result;
  if (rc == 0) result.status = WaitExit(pid);
  auto slurp = [](const char* path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    unlink(path);
    return ss.str();
  };
  result.out = slurp(out_path);
  result.err = slurp(err_path);
  if (rc != 0) return absl::InternalError(absl::StrCat("spawn ", args[0], ": ", strerror(rc)));
  return result;
}

absl::StatusOr<std::unique_ptr<SensorProcess>> SensorProcess::Start(
    const std::vector<std::string>& args) {
  std::vector<std::string> full = {"--print-events"};
  full.insert(full.end(), args.begin(), args.end());
  return StartWith(full);
}

absl::StatusOr<std::unique_ptr<SensorProcess>> SensorProcess::StartWith(
    const std::vector<std::string>& args) {
  std::unique_ptr<SensorProcess> sensor(new SensorProcess());
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return absl::InternalError("pipe2 failed");
  char err_template[] = "/tmp/vigil-sensor-stderr-XXXXXX";
  int err_fd = mkstemp(err_template);
  if (err_fd < 0) return absl::InternalError("mkstemp failed");
  sensor->stderr_path_ = err_template;

  std::vector<std::string> full = {VIGIL_SENSOR_BINARY};
  full.insert(full.end(), args.begin(), args.end());
  std::vector<char*> argv = ArgvOf(full);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_fd, STDERR_FILENO);
  int rc = posix_spawn(&sensor->pid_, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  close(err_fd);
  if (rc != 0) {
    close(pipe_fds[0]);
    return absl::InternalError(absl::StrCat("spawn ", argv[0], ": ", strerror(rc)));
  }
  sensor->stdout_fd_ = pipe_fds[0];
  sensor->reader_ = std::thread([s = sensor.get()] { s->ReadLoop(); });

  auto is_start = [](const Json& j) { return j.value("type", "") == "sensor_start"; };
  absl::MutexLock lock(&sensor->mu_);
  auto started = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(sensor->mu_) {
    if (sensor->eof_) return true;
    for (const Json& j : sensor->lines_) {
      if (is_start(j)) return true;
    }
    return false;
  };
  sensor->mu_.AwaitWithTimeout(absl::Condition(&started), absl::Seconds(60));
  bool ok = false;
  for (const Json& j : sensor->lines_) ok = ok || is_start(j);
  if (!ok) {
    std::string err = sensor->stderr_text();  // reads a file; needs no lock
    return absl::FailedPreconditionError(
        absl::StrCat("vigil-sensor did not start; stderr:\n", err));
  }
  return sensor;
}

bool SensorProcess::Signal(int signo) { return pid_ > 0 && kill(pid_, signo) == 0; }

SensorProcess::~SensorProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    WaitExit(pid_);
  }
  if (reader_.joinable()) reader_.join();
  if (stdout_fd_ >= 0) close(stdout_fd_);
  if (!stderr_path_.empty()) unlink(stderr_path_.c_str());
}

void SensorProcess::ReadLoop() {
  std::string pending;
  char buf[65536];
  for (;;) {
    ssize_t n = read(stdout_fd_, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buf, static_cast<size_t>(n));
    size_t start = 0;
    std::vector<Json> parsed;
    std::vector<std::string> bad;
    for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string line = pending.substr(start, nl - start);
      Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (j.is_discarded()) {
        bad.push_back(line);
      } else {
        parsed.push_back(std::move(j));
      }
    }
    pending.erase(0, start);
    absl::MutexLock lock(&mu_);
    for (Json& j : parsed) lines_.push_back(std::move(j));
    for (std::string& b : bad) parse_errors_.push_back(std::move(b));
  }
  absl::MutexLock lock(&mu_);
  if (!pending.empty()) parse_errors_.push_back(pending);
  eof_ = true;
}

Json SensorProcess::start_record() const {
  absl::MutexLock lock(&mu_);
  for (const Json& j : lines_) {
    if (j.value("type", "") == "sensor_start") return j;
  }
  return Json();
}

std::vector<Json> SensorProcess::Matching(const JsonPredicate& pred) const {
  absl::MutexLock lock(&mu_);
  std::vector<Json> out;
  for (const Json& j : lines_) {
    if (pred(j)) out.push_back(j);
  }
  return out;
}

std::vector<Json> SensorProcess::WaitForCount(const JsonPredicate& pred, size_t count,
                                              absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  size_t scanned = 0;
  size_t found = 0;
  auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (; scanned < lines_.size(); ++scanned) {
      if (pred(lines_[scanned])) ++found;
    }
    return found >= count || eof_;
  };
  mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
  std::vector<Json> out;
  for (const Json& j : lines_) {
    if (pred(j)) out.push_back(j);
  }
  return out;
}

int SensorProcess::Stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = WaitExit(pid_);
  pid_ = -1;
  if (reader_.joinable()) reader_.join();
  return status;
}

Json SensorProcess::stop_record() const {
  absl::MutexLock lock(&mu_);
  for (const Json& j : lines_) {
    if (j.value("type", "") == "sensor_stop") return j;
  }
  return Json();
}

std::vector<std::string> SensorProcess::parse_errors() const {
  absl::MutexLock lock(&mu_);
  return parse_errors_;
}

std::string SensorProcess::stderr_text() const {
  std::ifstream in(stderr_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace vigil::testing

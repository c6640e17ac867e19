// SensorProcess: runs the real vigil-sensor binary for a test and collects its JSON
// lines, so real-kernel tests check exactly what users get.
#ifndef VIGIL_TESTS_SUPPORT_SENSOR_PROCESS_H_
#define VIGIL_TESTS_SUPPORT_SENSOR_PROCESS_H_

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace vigil::testing {

using Json = nlohmann::json;
using JsonPredicate = std::function<bool(const Json&)>;

// Fails the test unless it runs as root; the real-kernel tests need it and CI runs them
// as root. Set VIGIL_ALLOW_SKIP_KERNEL_TESTS=1 to skip them instead (never in CI).
#define VIGIL_REQUIRE_ROOT()                                                           \
  do {                                                                                 \
    if (geteuid() != 0) {                                                              \
      const char* allow = getenv("VIGIL_ALLOW_SKIP_KERNEL_TESTS");                     \
      if (allow != nullptr && std::string(allow) == "1") GTEST_SKIP() << "not root";   \
      FAIL() << "real-kernel tests need root (set VIGIL_ALLOW_SKIP_KERNEL_TESTS=1 to " \
                "skip them outside CI)";                                               \
    }                                                                                  \
  } while (0)

// Skips the test, naming the reason, when the sensor could not start because this kernel
// lacks what a forced attach mode needs ("unsupported by this kernel: ..."; e.g. fentry
// on a kernel that refuses BPF trampolines). A refusal of Vigil's own programs is not a
// skip: the caller's ASSERT on `started` then fails the test. The kernel matrix lists
// every skip with its message, and checks that each kernel's automatic modes are the
// expected ones, so a mode cannot silently turn into a skip where it used to work.
#define VIGIL_SKIP_IF_MODE_UNSUPPORTED(started)                                         \
  do {                                                                                  \
    if (!(started).ok() &&                                                              \
        std::string((started).status().message()).find("unsupported by this kernel") != \
            std::string::npos) {                                                        \
      GTEST_SKIP() << "attach mode unsupported by this kernel: " << (started).status(); \
    }                                                                                   \
  } while (0)

// A running `vigil-sensor --print-events` whose stdout is parsed line by line on a
// reader thread. Every line must be valid JSON; parse failures are kept and reported.
class SensorProcess {
 public:
  // Starts the sensor with `--print-events` plus `args` and waits (up to 60 s) for its
  // sensor_start record. Fails with the sensor's stderr if it exits or times out.
  static absl::StatusOr<std::unique_ptr<SensorProcess>> Start(const std::vector<std::string>& args);
  // Starts the sensor with exactly `args` (e.g. --rules ... --print-alerts), waiting for
  // its sensor_start record as Start does.
  static absl::StatusOr<std::unique_ptr<SensorProcess>> StartWith(
      const std::vector<std::string>& args);
  ~SensorProcess();
  SensorProcess(const SensorProcess&) = delete;
  SensorProcess& operator=(const SensorProcess&) = delete;

  // The sensor_start record.
  Json start_record() const;

  // Waits until at least `count` events satisfy `pred` (or `timeout` passes); returns
  // every matching event seen so far, in output order.
  std::vector<Json> WaitForCount(const JsonPredicate& pred, size_t count,
                                 absl::Duration timeout = absl::Seconds(20));
  // All matching events seen so far.
  std::vector<Json> Matching(const JsonPredicate& pred) const;

  // Sends `signo` to the sensor (SIGHUP reloads its rules). False if it is not running.
  bool Signal(int signo);

  // Stops the sensor with SIGTERM; returns its exit status (as from waitpid) and keeps
  // its sensor_stop record.
  int Stop();
  // The sensor_stop record (after Stop()), or null.
  Json stop_record() const;
  // Lines that were not valid JSON.
  std::vector<std::string> parse_errors() const;
  // What the sensor wrote to stderr so far.
  std::string stderr_text() const;

 private:
  SensorProcess() = default;
  void ReadLoop();

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string stderr_path_;
  std::thread reader_;
  mutable absl::Mutex mu_;
  std::vector<Json> lines_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> parse_errors_ ABSL_GUARDED_BY(mu_);
  bool eof_ ABSL_GUARDED_BY(mu_) = false;
};

// Spawns `argv` (argv[0] is the program path) with optional working directory; returns
// its pid. The caller reaps it with WaitExit.
absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& argv, const std::string& cwd = "");
// Waits for `pid` and returns its raw wait status.
int WaitExit(pid_t pid);

// What a finished program printed, and how it ended.
struct RunResult {
  int status = -1;  // raw wait status
  std::string out;
  std::string err;
};
// Runs `argv` to completion, capturing stdout and stderr.
absl::StatusOr<RunResult> RunCapture(const std::vector<std::string>& argv);

// Path of the test helper binary (next to the test binaries).
std::string HelperBinary();

// Runs the test helper with `args` to completion, expecting exit code `expected_exit`
// (a test failure otherwise). Returns its pid, or -1 when it could not be started.
pid_t RunHelper(const std::vector<std::string>& args, int expected_exit = 0);

// Stops `sensor` and checks it ended cleanly: exit status 0, every line valid JSON, a
// sensor_stop record, and no ring-buffer drops in `module`.
void ExpectCleanStop(SensorProcess& sensor, const std::string& module);

}  // namespace vigil::testing

#endif  // VIGIL_TESTS_SUPPORT_SENSOR_PROCESS_H_

// ControllerProcess: runs the real vigil-controller binary for an end-to-end test, in
// plaintext on a fixed loopback port and database, so a test can kill it, stop it and
// start it again where sensors and subscribers expect it.
#ifndef VIGIL_TESTS_E2E_SUPPORT_CONTROLLER_PROCESS_H_
#define VIGIL_TESTS_E2E_SUPPORT_CONTROLLER_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace vigil::testing {

// A free TCP port on 127.0.0.1 (bound to port 0, read back and released), or 0.
int FreeLoopbackPort();

// `vigil-controller --insecure --listen 127.0.0.1:PORT --db DIR/c.db` (mTLS instead of
// --insecure when the extra arguments hold --tls-cert), its stdout and stderr appended to
// DIR/controller.log. The port and database stay the same across
// Restart(), so the controller comes back where its clients left it.
class ControllerProcess {
 public:
  // Starts the controller on a free port with its database in `dir`, plus `extra_args`
  // (e.g. --metrics-address), and waits (up to 30 s) until it accepts connections.
  static absl::StatusOr<std::unique_ptr<ControllerProcess>> Start(
      const std::string& dir, const std::vector<std::string>& extra_args = {});
  ~ControllerProcess();  // kills it (SIGKILL) if still running
  ControllerProcess(const ControllerProcess&) = delete;
  ControllerProcess& operator=(const ControllerProcess&) = delete;

  // "127.0.0.1:PORT".
  std::string address() const;
  int port() const { return port_; }
  bool running() const { return pid_ > 0; }

  // Sends `signo` (SIGSTOP, SIGCONT, ...) without waiting. False if not running.
  bool Signal(int signo);
  // Sends `signo` (SIGKILL, SIGTERM) and reaps the process; returns its wait status.
  int Kill(int signo);
  // Starts it again on the same port and database (after Kill) and waits until it accepts
  // connections.
  absl::Status Restart();
  // What the controller wrote so far (all runs).
  std::string log_text() const;

 private:
  ControllerProcess() = default;
  absl::Status Launch();

  std::string dir_;
  std::vector<std::string> extra_args_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace vigil::testing

#endif  // VIGIL_TESTS_E2E_SUPPORT_CONTROLLER_PROCESS_H_

// vigilctl's commands, run against the controller's AlertService and FleetService stubs
// (real ones in vigilctl, any StubInterface in tests).
#ifndef VIGIL_CLI_COMMANDS_H_
#define VIGIL_CLI_COMMANDS_H_

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cli/options.h"
#include "grpcpp/client_context.h"
#include "vigil/v1/alert_service.grpc.pb.h"
#include "vigil/v1/fleet.grpc.pb.h"

namespace vigil::cli {

// Exit codes.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // a call failed, or a local file could not be read
inline constexpr int kExitUsage = 2;   // the command line is wrong

// The user's request to stop (SIGINT, SIGTERM): cancels the call in progress. Thread-safe;
// Trigger is meant for a signal-handling thread (not a signal handler).
class Interrupt {
 public:
  // Makes `context` the call to cancel; cancels it at once when already triggered.
  void Watch(grpc::ClientContext* context);
  // Forgets the call (before its context is destroyed).
  void Unwatch();
  // Records the request and cancels the watched call, if any.
  void Trigger();
  // Whether Trigger was called.
  bool triggered() const;

 private:
  mutable absl::Mutex mu_;
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool triggered_ ABSL_GUARDED_BY(mu_) = false;
};

// What commands run against and write to.
struct CommandEnv {
  vigil::v1::AlertService::StubInterface* alerts = nullptr;
  vigil::v1::FleetService::StubInterface* fleet = nullptr;
  std::string token;            // bearer token sent as "authorization: Bearer <token>"; empty: none
  std::ostream* out = nullptr;  // results
  std::ostream* err = nullptr;  // errors and notes
  Interrupt* interrupt = nullptr;                                // may be null: nothing interrupts
  std::function<absl::Time()> now = [] { return absl::Now(); };  // for relative times
};

// Runs options.command and returns the exit code. Errors are printed to env.err, calls
// that fail as "vigilctl: <Service.Method>: <CODE>: <message>", local failures as
// "vigilctl: <command>: <message>". Offline commands need no stubs.
int RunCommand(const CliOptions& options, const CommandEnv& env);

// Connects as options.connection says (reading the token file and certificates) and runs
// the command with real stubs; an offline command (IsOffline) runs without connecting.
// Unreadable files are reported and exit kExitFailed.
int RunAgainstController(const CliOptions& options, std::ostream& out, std::ostream& err,
                         Interrupt* interrupt);

// A rules file read for `rules push`: where it was read from and what is sent.
struct LocalRuleFile {
  std::string path;          // as found (a directory's files: directory + "/" + name)
  vigil::v1::RuleFile file;  // name: the base name; content: the file's bytes
};

// Reads `paths` in order; a directory contributes its *.yaml and *.yml regular files in
// name order (not its subdirectories), as the sensor loads them. Errors: a path that
// cannot be read, a directory without rules files, two files with the same base name.
absl::StatusOr<std::vector<LocalRuleFile>> ReadRuleFiles(const std::vector<std::string>& paths);

// The controller's rule error `message` ("name:line:column: reason", one per line) with
// each sent base name replaced by the local path it was read from.
std::string LocalizeRuleError(absl::string_view message, const std::vector<LocalRuleFile>& files);

}  // namespace vigil::cli

#endif  // VIGIL_CLI_COMMANDS_H_

// vigil-sensor: Vigil's node sensor.
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/unique_fd.h"
#include "rules/fields.h"
#include "rules/rule_file.h"
#include "rules/rule_set.h"
#include "sensor/options.h"
#include "sensor/probes/libbpf_log.h"
#include "sensor/sensor.h"

namespace {

// --validate-rules: loads and compiles the rule set; prints a summary or the error.
int ValidateRules(const std::vector<std::string>& paths) {
  vigil::rules::RuleFileSet files;
  absl::Status loaded = files.AddPaths(paths);
  if (!loaded.ok()) {
    fprintf(stderr, "%s\n", std::string(loaded.message()).c_str());
    return 1;
  }
  absl::StatusOr<std::unique_ptr<vigil::rules::RuleSet>> set =
      vigil::rules::RuleSet::Compile(files);
  if (!set.ok()) {
    fprintf(stderr, "%s\n", std::string(set.status().message()).c_str());
    return 1;
  }
  size_t enabled = 0;
  for (const auto& rule : (*set)->rules()) enabled += rule.enabled ? 1 : 0;
  printf("ok: %zu rules (%zu enabled), %zu macros, %zu lists from %zu files\n",
         (*set)->rules().size(), enabled, files.macros().size(), files.lists().size(),
         files.files().size());
  return 0;
}

int Fail(const std::string& message, int code) {
  vigil::LogLine(message);
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  vigil::SetLogProgram("vigil-sensor");
  using vigil::sensor::Sensor;
  absl::StatusOr<vigil::sensor::SensorOptions> options =
      vigil::sensor::ParseSensorOptions(argc, argv);
  if (!options.ok()) {
    vigil::Log(options.status().message(), "\nTry 'vigil-sensor --help'.");
    return 2;
  }
  if (options->help) {
    fputs(vigil::sensor::SensorUsage(), stdout);
    return 0;
  }
  if (options->validate_rules) return ValidateRules(options->rule_paths);
  if (options->list_fields) {
    fputs(vigil::rules::FieldTableMarkdown().c_str(), stdout);
    return 0;
  }
  if (options->version) {
    printf("vigil-sensor %s\n", VIGIL_VERSION);
    return 0;
  }

  // Signals are taken synchronously by the pipeline through a signalfd.
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGHUP);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  signal(SIGPIPE, SIG_IGN);
  const vigil::UniqueFd stop_fd(signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
  if (stop_fd.get() < 0) return Fail(absl::StrCat("signalfd: ", strerror(errno)), 1);

  vigil::sensor::probes::InstallLibbpfLog(options->verbose);
  absl::StatusOr<std::unique_ptr<Sensor>> sensor = Sensor::Create(*options);
  if (!sensor.ok()) {
    // --check is the diagnostic command: it prints the verifier's whole log of every
    // refused program, not only the lines that name the failing instruction.
    if (options->check) fputs(vigil::sensor::probes::TakeRefusalLogs().c_str(), stderr);
    return Fail(std::string(sensor.status().message()), 1);
  }

  absl::Status status = (*sensor)->WriteStartRecord();
  if (status.ok() && !options->check) {
    vigil::Log("running");
    status = (*sensor)->Run(stop_fd.get());
  }
  absl::Status shutdown = (*sensor)->Shutdown();
  if (status.ok()) status = shutdown;
  if (!status.ok()) return Fail(std::string(status.message()), 1);
  return 0;
}

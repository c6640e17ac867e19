// vigil-sensor: Vigil's node sensor.
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "rules/fields.h"
#include "sensor/options.h"
#include "sensor/probes/libbpf_log.h"
#include "sensor/sensor.h"

namespace {

int Fail(const std::string& message, int code) {
  fprintf(stderr, "vigil-sensor: %s\n", message.c_str());
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  using vigil::sensor::Sensor;
  absl::StatusOr<vigil::sensor::SensorOptions> options =
      vigil::sensor::ParseSensorOptions(argc, argv);
  if (!options.ok()) {
    fprintf(stderr, "vigil-sensor: %s\nTry 'vigil-sensor --help'.\n",
            std::string(options.status().message()).c_str());
    return 2;
  }
  if (options->help) {
    fputs(vigil::sensor::SensorUsage(), stdout);
    return 0;
  }
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
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  signal(SIGPIPE, SIG_IGN);
  const int stop_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (stop_fd < 0) return Fail("signalfd failed", 1);

  vigil::sensor::probes::InstallLibbpfLog(options->verbose);
  absl::StatusOr<std::unique_ptr<Sensor>> sensor = Sensor::Create(*options);
  if (!sensor.ok()) return Fail(std::string(sensor.status().message()), 1);

  absl::Status status = (*sensor)->WriteStartRecord();
  if (status.ok() && !options->check) {
    fprintf(stderr, "vigil-sensor: running\n");
    status = (*sensor)->Run(stop_fd);
  }
  absl::Status shutdown = (*sensor)->Shutdown();
  if (status.ok()) status = shutdown;
  close(stop_fd);
  if (!status.ok()) return Fail(std::string(status.message()), 1);
  return 0;
}

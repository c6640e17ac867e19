// vigil-controller: stores the fleet's alerts, serves them to SIEMs, and pushes rule sets
// and probe-module settings to the sensors.
#include <signal.h>

#include <cstdio>
#include <optional>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/duration.h"
#include "common/log.h"
#include "controller/server.h"

namespace {

const char kUsage[] = R"(Usage: vigil-controller [OPTIONS]

Stores alerts from vigil-sensors (SensorLink), serves them (AlertService: Subscribe,
Query) and manages the fleet (FleetService: sensors, rule sets, probe modules, rollout).
gRPC health checking and server reflection are on, so grpcurl works without .proto files.

  --listen HOST:PORT       Address to serve on (default 127.0.0.1:7443).
  --db PATH                SQLite database (WAL) for alerts and fleet state
                           (default vigil-controller.db).
  --tls-cert PATH          Server certificate (PEM).
  --tls-key PATH           Its private key (PEM).
  --tls-ca PATH            CA that signs client certificates (sensors, API clients);
                           clients must present one (mTLS).
  --insecure               Plaintext, no client certificates: for local use only.
  --metrics-address H:P    Serve Prometheus /metrics, /healthz and /readyz on H:P
                           (e.g. 0.0.0.0:9471; default: not served). docs/metrics.md.
  --access PATH            Roles of certificate identities and tokens, and which sensor
                           each may speak for (docs/certificates.md).
  --sensor-token-keys SRC  Verify sensors' Kubernetes service-account tokens (access-file
                           grants "sensor serviceaccount NS/NAME") against the cluster's
                           signing keys: "kubernetes" fetches the issuer and keys from the
                           API server this pod runs in; a path reads a JWKS or PEM file
                           (then --sensor-token-issuer is needed). Re-read every 10 minutes.
  --sensor-token-issuer ISS  The tokens' issuer (default with "kubernetes": discovered).
  --sensor-token-audience AUD  The audience sensors' tokens must carry (default
                           vigil-controller).
  --retention-age DURATION Delete alerts received longer ago (default 720h; e.g. 30m,
                           36h, 7d).
  --retention-bytes N      Delete the oldest alerts beyond N bytes (default 10737418240).
  --durability power|crash What a stored (and acked) alert survives: power loss, with a
                           disk flush per commit (default), or the controller's crash only,
                           which commits faster (SQLite synchronous=NORMAL).
  --help, --version
)";

int Fail(const std::string& message, int code) {
  vigil::LogLine(message);
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  vigil::SetLogProgram("vigil-controller");
  vigil::controller::ControllerOptions options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    const size_t eq = arg.find('=');
    bool has_value = false;
    if (arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    auto next = [&]() -> bool {
      if (has_value) return true;
      if (i + 1 >= argc) return false;
      value = argv[++i];
      return true;
    };
    if (arg == "--help" || arg == "-h") {
      fputs(kUsage, stdout);
      return 0;
    }
    if (arg == "--version") {
      printf("vigil-controller %s\n", VIGIL_VERSION);
      return 0;
    }
    if (arg == "--insecure") {
      options.insecure = true;
      continue;
    }
    std::string* target = nullptr;
    if (arg == "--listen") target = &options.listen;
    if (arg == "--db") target = &options.db_path;
    if (arg == "--tls-cert") target = &options.tls_cert;
    if (arg == "--tls-key") target = &options.tls_key;
    if (arg == "--tls-ca") target = &options.tls_ca;
    if (arg == "--access") target = &options.access_file;
    if (arg == "--metrics-address") target = &options.metrics_address;
    if (arg == "--sensor-token-keys") target = &options.sensor_tokens.keys;
    if (arg == "--sensor-token-issuer") target = &options.sensor_tokens.issuer;
    if (arg == "--sensor-token-audience") target = &options.sensor_tokens.audience;
    const bool numeric =
        arg == "--retention-age" || arg == "--retention-bytes" || arg == "--durability";
    if (target == nullptr && !numeric) {
      return Fail(absl::StrCat("unknown option '", argv[i], "' (see --help)"), 2);
    }
    if (!next() || value.empty()) return Fail(absl::StrCat(arg, ": missing value"), 2);
    if (target != nullptr) {
      *target = value;
    } else if (arg == "--retention-age") {
      // Any positive duration within int64 nanoseconds, days included.
      const std::optional<absl::Duration> age = vigil::ParseDuration(value, {});
      if (!age.has_value()) {
        return Fail(absl::StrCat("--retention-age: bad duration '", value, "' (e.g. 720h)"), 2);
      }
      options.retention_age_s = absl::ToInt64Seconds(*age);
    } else if (arg == "--durability") {
      if (value == "power") {
        options.durability = vigil::controller::Durability::kPowerLoss;
      } else if (value == "crash") {
        options.durability = vigil::controller::Durability::kProcessCrash;
      } else {
        return Fail(absl::StrCat("--durability: '", value, "' (power or crash)"), 2);
      }
    } else if (!absl::SimpleAtoi(value, &options.retention_bytes)) {
      return Fail(absl::StrCat("--retention-bytes: '", value, "' is not a number"), 2);
    }
  }

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto server = vigil::controller::ControllerServer::Start(options);
  if (!server.ok()) return Fail(std::string(server.status().message()), 1);
  vigil::Log("serving on port ", (*server)->port(), " (", options.insecure ? "plaintext" : "mTLS",
             ")");
  std::thread signals([&] {
    int signo = 0;
    sigwait(&mask, &signo);
    vigil::Log("signal ", signo, ", stopping");
    (*server)->Shutdown();
  });
  (*server)->Wait();
  signals.join();  // Shutdown runs on the signal thread; wait for it to finish
  return 0;
}

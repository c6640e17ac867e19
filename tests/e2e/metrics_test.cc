// Metrics and health end to end, against the real kernel and the real binaries: a real
// Prometheus server scrapes a live vigil-sensor and vigil-controller and finds both targets
// up with their key series; a sensor whose output blocks (its pipeline stuck while the
// kernel keeps producing) is reported within seconds as a metric, as not ready, and as a
// "Vigil pipeline stalled" alert that reaches the controller.
// Test label: kernel (needs the real kernel: root, probes loaded; runs in every kernel VM).
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "event/schema.h"
#include "gtest/gtest.h"
#include "tests/e2e/support/controller_process.h"
#include "tests/e2e/support/subscriber.h"
#include "tests/support/http_client.h"
#include "tests/support/sensor_process.h"
#include "tests/support/test_dir.h"

namespace vigil::e2e {
namespace {

using ::vigil::testing::ControllerProcess;
using ::vigil::testing::FreeLoopbackPort;
using ::vigil::testing::HttpGet;
using ::vigil::testing::Json;
using ::vigil::testing::RunHelper;
using ::vigil::testing::SensorProcess;
using ::vigil::testing::Spawn;
using ::vigil::testing::Subscriber;
using ::vigil::testing::TestDir;
using ::vigil::testing::WaitExit;

const char kPack[] = VIGIL_SOURCE_DIR "/deploy/rules";
const char kPrometheus[] = "/usr/bin/prometheus";

// Polls `fn` every 200 ms until it returns true or `timeout` passes.
template <typename Fn>
bool Eventually(Fn fn, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (fn()) return true;
    absl::SleepFor(absl::Milliseconds(200));
  }
  return fn();
}

// The value of the unlabelled sample `name` in a scrape of 127.0.0.1:`port`, or -1.
double Sample(int port, const std::string& name) {
  auto response = HttpGet(port, "/metrics");
  if (!response.ok() || response->status != 200) return -1;
  const std::string& text = response->body;
  const size_t at = text.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + name.size() + 2));
}

int Status(int port, const std::string& path) {
  auto response = HttpGet(port, path);
  return response.ok() ? response->status : -1;
}

// A Prometheus server scraping `targets` (job name -> "host:port") every second, with
// its storage in `dir`. Killed when destroyed.
class PrometheusServer {
 public:
  PrometheusServer(const TestDir& dir, const std::vector<std::pair<std::string, std::string>>& jobs)
      : port_(FreeLoopbackPort()) {
    std::string config =
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\nscrape_configs:\n";
    for (const auto& [job, target] : jobs) {
      absl::StrAppend(&config, "  - job_name: ", job, "\n    static_configs:\n",
                      "      - targets: ['", target, "']\n");
    }
    const std::string file = dir.WriteFile("prometheus.yml", config);
    auto pid =
        Spawn({kPrometheus, "--config.file=" + file, "--storage.tsdb.path=" + dir.MakeDirs("tsdb"),
               absl::StrCat("--web.listen-address=127.0.0.1:", port_), "--log.level=warn"});
    EXPECT_TRUE(pid.ok()) << pid.status();
    if (pid.ok()) pid_ = *pid;
  }
  ~PrometheusServer() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      WaitExit(pid_);
    }
  }

  // GET /api/v1/<path> as JSON (null on any failure).
  Json Api(const std::string& path) const {
    auto response = HttpGet(port_, "/api/v1/" + path);
    if (!response.ok() || response->status != 200) return Json();
    return Json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  }

  // The result vector of an instant query (PromQL, percent-encoded here).
  Json Query(const std::string& query) const {
    std::string encoded;
    for (const unsigned char c : query) {
      if (absl::ascii_isalnum(c) || c == '_' || c == '.' || c == '-' || c == '(' || c == ')') {
        encoded.push_back(static_cast<char>(c));
      } else {
        absl::StrAppend(&encoded, "%", absl::Hex(c, absl::kZeroPad2));
      }
    }
    const Json answer = Api("query?query=" + encoded);
    if (!answer.is_object() || answer.value("status", "") != "success") return Json::array();
    return answer["data"]["result"];
  }

  // job -> health ("up", "down", "unknown") of every active target.
  std::map<std::string, std::string> TargetHealth() const {
    std::map<std::string, std::string> out;
    const Json answer = Api("targets");
    if (!answer.is_object() || !answer.contains("data")) return out;
    for (const Json& t : answer["data"]["activeTargets"]) {
      out[t["labels"]["job"].get<std::string>()] = t["health"].get<std::string>();
    }
    return out;
  }

 private:
  int port_;
  pid_t pid_ = -1;
};

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    VIGIL_REQUIRE_ROOT();
    work_ = std::make_unique<TestDir>("e2e-metrics", "/var/lib");
    controller_metrics_ = FreeLoopbackPort();
    auto controller = ControllerProcess::Start(
        work_->MakeDirs("controller"),
        {"--metrics-address", absl::StrCat("127.0.0.1:", controller_metrics_)});
    ASSERT_TRUE(controller.ok()) << controller.status();
    controller_ = std::move(*controller);
    subscriber_ = std::make_unique<Subscriber>(controller_->address());
  }

  void TearDown() override {
    if (subscriber_ != nullptr) subscriber_->Stop();
    if (HasFailure() && controller_ != nullptr) {
      ADD_FAILURE() << "controller log:\n" << controller_->log_text();
    }
  }

  std::vector<std::string> SensorArgs(const std::string& sensor_id, int metrics_port) {
    return {"--controller",
            controller_->address(),
            "--controller-insecure",
            "--spool",
            work_->MakeDirs("spool-" + sensor_id),
            "--sensor-id",
            sensor_id,
            "--metrics-address",
            absl::StrCat("127.0.0.1:", metrics_port)};
  }

  std::unique_ptr<TestDir> work_;
  int controller_metrics_ = 0;
  std::unique_ptr<ControllerProcess> controller_;
  std::unique_ptr<Subscriber> subscriber_;
};

TEST_F(MetricsTest, PrometheusScrapesALiveSensorAndControllerWithTheirKeySeries) {
  const int sensor_metrics = FreeLoopbackPort();
  const std::string sensor_id = absl::StrCat("metrics-", getpid());
  std::vector<std::string> args = SensorArgs(sensor_id, sensor_metrics);
  args.insert(args.end(), {"--rules", kPack});
  auto sensor = SensorProcess::StartWith(args);
  ASSERT_TRUE(sensor.ok()) << sensor.status();

  // Readiness: probes attached and rules loaded.
  EXPECT_TRUE(
      Eventually([&] { return Status(sensor_metrics, "/readyz") == 200; }, absl::Seconds(10)));
  EXPECT_EQ(Status(controller_metrics_, "/readyz"), 200);

  // A default-pack detection, so matches and stored alerts are counted.
  const std::string hidden = absl::StrCat("/tmp/.vigil-metrics-", getpid());
  ASSERT_GT(RunHelper({"open", "openat", hidden}), 0);
  unlink(hidden.c_str());
  ASSERT_TRUE(subscriber_->WaitFor(
      sensor_id, [](const std::vector<vigil::v1::Alert>& alerts) { return !alerts.empty(); },
      absl::Seconds(30)));

  PrometheusServer prometheus(
      *work_, {{"vigil-sensor", absl::StrCat("127.0.0.1:", sensor_metrics)},
               {"vigil-controller", absl::StrCat("127.0.0.1:", controller_metrics_)}});
  ASSERT_TRUE(Eventually(
      [&] {
        auto health = prometheus.TargetHealth();
        return health["vigil-sensor"] == "up" && health["vigil-controller"] == "up";
      },
      absl::Seconds(60)))
      << "targets never both up";

  // Each key series has a sample in Prometheus, with the value it should have.
  struct Expectation {
    std::string query;
    double at_least;
  };
  const Expectation expectations[] = {
      {"up", 1},
      // One series per event type; the types this test's activity makes have counted it
      // (file operations, say, may not have happened yet).
      {"vigil_sensor_events_total{type=~\"fork|exec\"}", 1},
      {"count(vigil_sensor_events_total)", 14},
      {"vigil_sensor_drops_total", 0},
      {"vigil_sensor_rule_matches_total", 1},
      {"vigil_sensor_alerts_acked_total", 1},
      {"vigil_sensor_controller_connected", 1},
      {"vigil_sensor_rule_set_info", 1},
      {"vigil_sensor_probe_attached", 1},
      {"vigil_sensor_probe_info", 1},
      {"vigil_sensor_process_table_entries", 1},
      {"vigil_sensor_resident_memory_bytes", 1},
      {"vigil_sensor_rule_evaluation_seconds_count", 0},
      {"vigil_sensor_pipeline_stalled", 0},
      {"vigil_controller_sensors_connected", 1},
      {"vigil_controller_alerts_total", 0},
      {"vigil_controller_store_alerts", 1},
      {"vigil_controller_subscribers", 1},
  };
  for (const Expectation& e : expectations) {
    Json result;
    ASSERT_TRUE(Eventually(
        [&] {
          result = prometheus.Query(e.query);
          if (!result.is_array() || result.empty()) return false;
          for (const Json& series : result) {
            if (std::stod(series["value"][1].get<std::string>()) < e.at_least) return false;
          }
          return true;
        },
        absl::Seconds(20)))
        << e.query << ": " << result.dump();
  }
  // Every module is attached, and the canary never made the watchdog cry wolf.
  EXPECT_EQ(prometheus.Query("vigil_sensor_probe_attached").size(),
            vigil::event::ModuleSchemas().size());
  EXPECT_EQ(prometheus.Query("vigil_sensor_probe_detaches_total").size(), 0u);
  EXPECT_DOUBLE_EQ(Sample(sensor_metrics, "vigil_sensor_pipeline_stalls_total"), 0);
  const int status = sensor->get()->Stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << sensor->get()->stderr_text();
}

TEST_F(MetricsTest, AStalledPipelineIsAMetricNotReadyAndASelfAlertWithinSeconds) {
  // The sensor prints the opens under the test's directory (only those: other activity
  // is consumed but not printed) into a FIFO the test holds open but does not read: once
  // the pipe and the sensor's output buffer are full, the pipeline blocks in write while
  // the kernel keeps producing.
  const std::string fifo = work_->Join("events.fifo");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const int reader = open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(reader, 0);
  // A 1 MiB pipe: ordinary background activity cannot fill it (and the sensor's 1 MiB
  // output buffer) before the test's own burst does.
  fcntl(reader, F_SETPIPE_SZ, 1 << 20);
  const int sensor_metrics = FreeLoopbackPort();
  const std::string sensor_id = absl::StrCat("stall-", getpid());
  std::vector<std::string> argv = {VIGIL_SENSOR_BINARY, "--print-events",
                                   "--events",          "open",
                                   "--no-hidden",       "--no-default-prefixes",
                                   "--file-prefix",     work_->MakeDirs("burst") + "/",
                                   "--rules",           kPack,
                                   "--output",          fifo,
                                   "--stall-after-ms",  "2000"};
  const std::vector<std::string> link = SensorArgs(sensor_id, sensor_metrics);
  argv.insert(argv.end(), link.begin(), link.end());
  auto pid = Spawn(argv);
  ASSERT_TRUE(pid.ok()) << pid.status();
  ASSERT_TRUE(
      Eventually([&] { return Status(sensor_metrics, "/readyz") == 200; }, absl::Seconds(30)));
  EXPECT_EQ(Sample(sensor_metrics, "vigil_sensor_pipeline_stalled"), 0);

  // Well over the 64 KiB pipe and 1 MiB output buffer of event lines.
  const std::string target = work_->WriteFile("burst/stall-target");
  std::vector<std::string> opens = {"open", "openat"};
  for (int i = 0; i < 2000; ++i) opens.push_back(target);
  const absl::Time load_start = absl::Now();
  bool stalled = false;
  for (int run = 0; run < 20 && !stalled; ++run) {
    RunHelper(opens);
    stalled = Sample(sensor_metrics, "vigil_sensor_pipeline_stalled") == 1;
  }
  ASSERT_TRUE(
      Eventually([&] { return Sample(sensor_metrics, "vigil_sensor_pipeline_stalled") == 1; },
                 absl::Seconds(15)))
      << "no stall reported";
  const absl::Duration detected_after = absl::Now() - load_start;
  EXPECT_LT(detected_after, absl::Seconds(30));
  EXPECT_EQ(Status(sensor_metrics, "/readyz"), 503);
  EXPECT_EQ(Sample(sensor_metrics, "vigil_sensor_pipeline_stalls_total"), 1);
  EXPECT_TRUE(subscriber_->WaitFor(
      sensor_id,
      [](const std::vector<vigil::v1::Alert>& alerts) {
        for (const vigil::v1::Alert& a : alerts) {
          if (a.rule() == "Vigil pipeline stalled" && a.source() == "vigil" &&
              a.output().find("none was consumed") != std::string::npos) {
            return true;
          }
        }
        return false;
      },
      absl::Seconds(20)))
      << "the stall alert never reached the controller";

  // Reading the FIFO unblocks the pipeline: the stall clears.
  std::atomic<bool> draining{true};
  std::thread drain([&] {
    char buf[65536];
    while (draining) {
      if (read(reader, buf, sizeof(buf)) <= 0) absl::SleepFor(absl::Milliseconds(5));
    }
  });
  EXPECT_TRUE(
      Eventually([&] { return Sample(sensor_metrics, "vigil_sensor_pipeline_stalled") == 0; },
                 absl::Seconds(20)));
  kill(*pid, SIGTERM);
  const int status = WaitExit(*pid);
  draining = false;
  drain.join();
  close(reader);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

}  // namespace
}  // namespace vigil::e2e

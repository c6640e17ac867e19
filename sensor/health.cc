#include "sensor/health.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/log.h"
#include "sensor/watchdog.h"

namespace vigil::sensor {
namespace {

// The rule names of the watchdog's self-alerts.
constexpr absl::string_view kStalledRule = "Vigil pipeline stalled";
constexpr absl::string_view kDetachedRule = "Vigil probe detached";
// Readiness while stalled.
constexpr absl::string_view kStalledReason =
    "pipeline stalled: events wait in the ring buffer, none consumed";

}  // namespace

HealthMonitor::HealthMonitor(int64_t stall_after_ms, SensorMetrics* metrics,
                             const probes::RingReader* ring, const ModuleSet* modules,
                             AlertSink* alerts)
    : stall_after_ms_(stall_after_ms),
      metrics_(metrics),
      ring_(ring),
      modules_(modules),
      alerts_(alerts) {}

HealthMonitor::~HealthMonitor() { Stop(); }

void HealthMonitor::Start() {
  if (thread_.joinable() || stop_.HasBeenNotified()) return;
  thread_ = std::thread([this] { Loop(); });
}

void HealthMonitor::Stop() {
  if (!thread_.joinable()) return;
  stop_.Notify();
  thread_.join();
}

std::string HealthMonitor::NotReadyReason() const {
  // The watchdog's verdict first: a stalled pipeline cannot refresh its own reason.
  if (stalled_) return std::string(kStalledReason);
  absl::MutexLock lock(&mu_);
  return not_ready_;
}

void HealthMonitor::SetNotReady(std::string reason) {
  absl::MutexLock lock(&mu_);
  not_ready_ = std::move(reason);
}

void HealthMonitor::Loop() {
  Watchdog dog(Watchdog::Options{stall_after_ms_ * 1'000'000, 2});
  while (!stop_.WaitForNotificationWithTimeout(absl::Seconds(1))) {
    // The canary: an open, a thread start and a UDP connect that each module's hooks see,
    // and count as the sensor's own activity.
    if (const int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC); fd >= 0) close(fd);
    std::thread([] {}).join();
    if (const int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0); s >= 0) {
      // A UDP connect sends nothing: it only names the peer (here, loopback's discard port).
      sockaddr_in peer{};
      peer.sin_family = AF_INET;
      peer.sin_port = htons(9);
      peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      (void)connect(s, reinterpret_cast<const sockaddr*>(&peer), sizeof(peer));
      close(s);
    }

    WatchdogSample sample;
    sample.now_ns = ClockNs(CLOCK_MONOTONIC);
    const probes::RingPositions positions = ring_->Positions();
    sample.ring_consumer = positions.consumer;
    sample.ring_producer = positions.producer;
    const std::vector<ModuleSnapshot> modules = modules_->Snapshot();
    metrics_->SyncModules(modules);
    for (const ModuleSnapshot& m : modules) {
      // The canary reaches the built-in modules' hooks; a bundle's hooks are its own.
      if (!m.running || m.source != "builtin") continue;
      uint64_t sum = 0;
      for (uint64_t v : m.stats) sum += v;
      sample.module_activity[m.name] = sum;
    }
    const WatchdogVerdict verdict = dog.Check(sample);
    stalled_ = dog.stalled();
    metrics_->SetStalled(dog.stalled());
    for (const auto& [name, activity] : sample.module_activity) {
      metrics_->SetProbeAttached(name, !dog.detached(name));
    }
    if (verdict.stall_started) {
      metrics_->CountStall();
      RaiseAlert(kStalledRule,
                 absl::StrCat("pipeline stalled: ", verdict.pending_bytes,
                              " bytes of events wait in the ring buffer and none was consumed for ",
                              verdict.stalled_for_ns / 1'000'000,
                              " ms; events will be dropped (and counted) once the ring is full"));
    }
    if (verdict.stall_ended) Log("pipeline consuming again");
    for (const std::string& module : verdict.detached) {
      metrics_->CountProbeDetach(module);
      RaiseAlert(kDetachedRule,
                 absl::StrCat("probe module ", module,
                              " detached: its hooks did not fire for the sensor's own canary "
                              "activity; events of this module are not being seen"));
    }
    for (const std::string& module : verdict.reattached) {
      Log("probe module ", module, " firing again");
    }
  }
}

void HealthMonitor::RaiseAlert(absl::string_view rule, absl::string_view output) {
  LogLine(output);
  const std::vector<std::string> tags = {"vigil", "health"};
  alerts_->SpoolOnly(SelfAlertLine(rule, rules::Priority::kCritical, output, &tags));
}

}  // namespace vigil::sensor

// vigil-delivery-bench: alert latency and throughput through a running sensor and
// controller, measured at a subscriber.
//
// It subscribes to the controller (AlertService.Subscribe, new alerts only), then opens
// files under DIR — each open is a syscall the sensor's bench rule turns into an alert —
// at a fixed rate, or as fast as it can. Latency is the subscriber's receive time minus
// the alert's time_unix_ns (when the kernel saw the open), so it covers the whole path:
// probe, ring buffer, rule engine, spool (synced to disk), the link, the controller's
// store (committed to disk) and the subscription. Both clocks are this machine's.
//
//   vigil-delivery-bench --controller ADDR --dir DIR --rate N --seconds S
//   vigil-delivery-bench --controller ADDR --dir DIR --burst N
// Prints one line of results (JSON).
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "grpcpp/grpcpp.h"
#include "vigil/v1/alert_service.grpc.pb.h"

namespace {

double Percentile(std::vector<int64_t>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5));
  return static_cast<double>(v[i]) / 1e6;
}

int Usage() {
  fprintf(stderr,
          "usage: vigil-delivery-bench --controller ADDR --dir DIR "
          "(--rate N --seconds S | --burst N)\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string controller;
  std::string dir;
  uint64_t rate = 0;
  uint64_t seconds = 10;
  uint64_t burst = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const char* value = argv[i + 1];
    bool ok = true;
    if (flag == "--controller") {
      controller = value;
    } else if (flag == "--dir") {
      dir = value;
    } else if (flag == "--rate") {
      ok = absl::SimpleAtoi(value, &rate);
    } else if (flag == "--seconds") {
      ok = absl::SimpleAtoi(value, &seconds);
    } else if (flag == "--burst") {
      ok = absl::SimpleAtoi(value, &burst);
    } else {
      ok = false;
    }
    if (!ok) return Usage();
  }
  if (controller.empty() || dir.empty() || (rate == 0) == (burst == 0)) return Usage();
  const uint64_t total = burst > 0 ? burst : rate * seconds;

  auto channel = grpc::CreateChannel(controller, grpc::InsecureChannelCredentials());
  auto stub = vigil::v1::AlertService::NewStub(channel);
  grpc::ClientContext context;
  vigil::v1::SubscribeRequest request;  // empty cursor: new alerts only
  auto reader = stub->Subscribe(&context, request);

  absl::Mutex mu;
  std::vector<int64_t> latencies;
  int64_t first_receive = 0;
  int64_t last_receive = 0;
  std::atomic<uint64_t> received{0};
  std::thread subscriber([&] {
    vigil::v1::AlertEnvelope envelope;
    while (reader->Read(&envelope)) {
      const int64_t now = vigil::WallNowNs();
      if (envelope.alert().rule() != "bench open") continue;
      absl::MutexLock lock(&mu);
      latencies.push_back(now - envelope.alert().time_unix_ns());
      if (first_receive == 0) first_receive = now;
      last_receive = now;
      if (++received >= total) break;
    }
  });
  usleep(300 * 1000);  // let the subscription start before the first alert

  const std::string path = dir + "/bench.file";
  close(open(path.c_str(), O_CREAT | O_WRONLY, 0644));
  const int64_t start = vigil::WallNowNs();
  for (uint64_t i = 0; i < total; ++i) {
    if (rate > 0) {
      const int64_t due = start + static_cast<int64_t>(i * 1000000000ull / rate);
      int64_t now = vigil::WallNowNs();
      if (due > now) {
        timespec ts{static_cast<time_t>((due - now) / 1000000000LL),
                    static_cast<long>((due - now) % 1000000000LL)};
        nanosleep(&ts, nullptr);
      }
    }
    const int fd = open(path.c_str(), O_RDONLY);
    if (fd >= 0) close(fd);
  }
  const int64_t generated = vigil::WallNowNs();

  // Wait for the tail (at most 60 s).
  for (int i = 0; i < 600 && received < total; ++i) usleep(100 * 1000);
  context.TryCancel();
  subscriber.join();

  absl::MutexLock lock(&mu);
  const double gen_s = static_cast<double>(generated - start) / 1e9;
  const double recv_s = static_cast<double>(last_receive - first_receive) / 1e9;
  std::vector<int64_t> sorted = latencies;
  printf(
      "{\"mode\":\"%s\",\"generated\":%llu,\"received\":%llu,\"generate_per_s\":%.0f,"
      "\"receive_per_s\":%.0f,\"latency_ms\":{\"p50\":%.2f,\"p90\":%.2f,\"p99\":%.2f,"
      "\"max\":%.2f}}\n",
      rate > 0 ? "rate" : "burst", static_cast<unsigned long long>(total),
      static_cast<unsigned long long>(latencies.size()),
      gen_s > 0 ? static_cast<double>(total) / gen_s : 0,
      recv_s > 0 ? static_cast<double>(latencies.size()) / recv_s : 0, Percentile(sorted, 0.50),
      Percentile(sorted, 0.90), Percentile(sorted, 0.99), Percentile(sorted, 1.0));
  return latencies.size() == total ? 0 : 1;
}

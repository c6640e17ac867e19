// ConnectionSummarizer: folds network connection events into windows per process and
// remote endpoint (count, failures, bytes, first and last time), so that a busy server is
// one line of telemetry per window instead of one per connection. Rules still see every
// event; the summaries feed --print-events (net_summary records), metrics and the health
// report. Bounded: at most max_endpoints keys per window, the rest counted as evicted.
#ifndef VIGIL_SENSOR_NET_SUMMARY_H_
#define VIGIL_SENSOR_NET_SUMMARY_H_

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/string_view.h"
#include "event/event.h"

namespace vigil::sensor {

// Connections of one process with one remote endpoint in one window. Outbound connections
// are keyed by the remote address and port; inbound ones by the remote address and the
// local (service) port, since the client's port changes with every connection.
struct ConnectionSummary {
  uint32_t pid = 0;
  std::string comm;
  bool inbound = false;
  uint8_t protocol = 0;
  std::array<uint8_t, 16> remote_ip{};
  uint16_t port = 0;            // remote port (outbound) or local port (inbound)
  uint64_t connections = 0;     // connects with an outcome, accepts
  uint64_t failed = 0;          // connects that failed
  uint64_t bytes_received = 0;  // from the ends (close events) seen in the window
  uint64_t bytes_sent = 0;
  uint64_t first_ns = 0;  // CLOCK_BOOTTIME of the first and last event
  uint64_t last_ns = 0;

  // remote_ip as the 16-byte view event/ip.h formats and matches.
  absl::string_view remote() const {
    return absl::string_view(reinterpret_cast<const char*>(remote_ip.data()), remote_ip.size());
  }
};

class ConnectionSummarizer {
 public:
  struct Options {
    uint64_t window_ns = 60'000'000'000;
    size_t max_endpoints = 4096;
  };
  explicit ConnectionSummarizer(Options options) : options_(options) {}

  // True for the events summarised: connect, accept and close.
  static bool Summarizes(const event::Event& e);

  // Adds a connect, accept or close event (others are ignored).
  void Add(const event::Event& e);

  // When `now_ns` (CLOCK_BOOTTIME) is past the current window's end, closes it and returns
  // its summaries, most connections first; otherwise returns nothing. A window starts with
  // its first event.
  std::vector<ConnectionSummary> Roll(uint64_t now_ns);
  // Closes the current window whatever the time (at exit).
  std::vector<ConnectionSummary> Flush();

  uint64_t windows() const { return windows_; }
  uint64_t connections() const { return connections_; }
  uint64_t evicted() const { return evicted_; }
  size_t endpoints() const { return current_.size(); }

 private:
  using Key = std::tuple<uint32_t, bool, uint8_t, std::array<uint8_t, 16>, uint16_t>;

  Options options_;
  std::map<Key, ConnectionSummary> current_;
  uint64_t window_start_ns_ = 0;
  uint64_t windows_ = 0;
  uint64_t connections_ = 0;
  uint64_t evicted_ = 0;
};

}  // namespace vigil::sensor

#endif  // VIGIL_SENSOR_NET_SUMMARY_H_

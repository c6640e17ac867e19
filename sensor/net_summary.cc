#include "sensor/net_summary.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace vigil::sensor {

bool ConnectionSummarizer::Summarizes(const event::Event& e) {
  return e.type == event::kConnect || e.type == event::kAccept || e.type == event::kClose;
}

void ConnectionSummarizer::Add(const event::Event& e) {
  if (!Summarizes(e)) return;
  const event::NetData& n = e.net;
  // A pending connect is counted once, by its outcome.
  if (e.type == event::kConnect && n.result == -EINPROGRESS) return;
  const bool inbound = n.server;
  std::array<uint8_t, 16> ip{};
  if (n.raddr.size() == ip.size()) std::memcpy(ip.data(), n.raddr.data(), ip.size());
  const Key key{e.task.pid, inbound, n.protocol, ip, inbound ? n.lport : n.rport};
  auto it = current_.find(key);
  if (it == current_.end()) {
    if (current_.size() >= options_.max_endpoints) {
      ++evicted_;
      return;
    }
    if (current_.empty()) window_start_ns_ = e.task.time_boot_ns;
    ConnectionSummary s;
    s.pid = e.task.pid;
    s.comm = std::string(e.task.comm);
    s.inbound = inbound;
    s.protocol = n.protocol;
    s.remote_ip = ip;
    s.port = std::get<4>(key);
    s.first_ns = e.task.time_boot_ns;
    it = current_.emplace(key, std::move(s)).first;
  }
  ConnectionSummary& s = it->second;
  s.last_ns = std::max(s.last_ns, e.task.time_boot_ns);
  if (e.type == event::kClose) {
    s.bytes_received += n.bytes_received;
    s.bytes_sent += n.bytes_sent;
    return;
  }
  ++s.connections;
  ++connections_;
  if (n.result < 0) ++s.failed;
}

std::vector<ConnectionSummary> ConnectionSummarizer::Roll(uint64_t now_ns) {
  if (current_.empty() || now_ns < window_start_ns_ + options_.window_ns) return {};
  return Flush();
}

std::vector<ConnectionSummary> ConnectionSummarizer::Flush() {
  std::vector<ConnectionSummary> out;
  out.reserve(current_.size());
  for (auto& [key, summary] : current_) out.push_back(std::move(summary));
  current_.clear();
  if (!out.empty()) ++windows_;
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.connections > b.connections; });
  return out;
}

}  // namespace vigil::sensor

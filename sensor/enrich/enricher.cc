#include "sensor/enrich/enricher.h"

#include <sys/stat.h>
#include <time.h>

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "common/clock.h"

namespace vigil::sensor::enrich {
namespace {

// The runtime a CRI runtime_name (or a socket path) names.
Runtime RuntimeFromName(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  if (absl::StrContains(lower, "containerd")) return Runtime::kContainerd;
  if (absl::StrContains(lower, "cri-o") || absl::StrContains(lower, "crio")) {
    return Runtime::kCrio;
  }
  if (absl::StrContains(lower, "docker")) return Runtime::kDocker;
  return Runtime::kUnknown;
}

constexpr int64_t kVersionRetryNs = 60'000'000'000;

}  // namespace

const std::vector<std::string>& DefaultCriSockets() {
  static const auto* sockets = new std::vector<std::string>{
      "/run/containerd/containerd.sock", "/run/crio/crio.sock", "/var/run/cri-dockerd.sock"};
  return *sockets;
}

std::string FindCriSocket(const std::vector<std::string>& candidates) {
  for (const std::string& path : candidates) {
    struct stat st;
    if (stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) return path;
  }
  return {};
}

Enricher::Enricher(EnricherOptions options)
    : cri_socket_(!options.cri                  ? std::string()
                  : !options.cri_socket.empty() ? options.cri_socket
                                                : FindCriSocket(DefaultCriSockets())),
      cgroups_([&] {
        CgroupCacheOptions c = options.cgroup_cache;
        c.proc_root = options.proc_root;
        return c;
      }()) {
  if (cri_socket_.empty()) return;
  cri_ = std::make_unique<CriClient>(cri_socket_, options.cri_deadline);
  PodCacheOptions p = options.pod_cache;
  p.capacity = options.pod_cache_size;
  pods_ = std::make_unique<PodCache>(cri_.get(), std::move(p));
}

std::shared_ptr<const CgroupIdentity> Enricher::Container(const event::TaskContext& task) {
  return cgroups_.Lookup(task.cgroup_id, task.pid, task.ppid);
}

std::shared_ptr<const PodInfo> Enricher::Pod(const CgroupIdentity& identity) {
  if (pods_ == nullptr || !identity.is_container() || identity.pod_uid.empty()) return nullptr;
  return pods_->Lookup(identity.container_id);
}

Runtime Enricher::RuntimeOf(const CgroupIdentity& identity) {
  if (identity.runtime != Runtime::kUnknown || cri_ == nullptr) return identity.runtime;
  absl::MutexLock lock(&mu_);
  if (cri_runtime_known_) return cri_runtime_;
  const int64_t now = ClockNs(CLOCK_MONOTONIC);
  if (now >= next_version_call_ns_) {
    next_version_call_ns_ = now + kVersionRetryNs;
    absl::StatusOr<runtime::v1::VersionResponse> version = cri_->Version();
    if (version.ok()) {
      cri_runtime_ = RuntimeFromName(version->runtime_name());
      cri_runtime_known_ = true;
      return cri_runtime_;
    }
  }
  return RuntimeFromName(cri_socket_);
}

EnricherStats Enricher::Stats() const {
  EnricherStats s;
  s.cgroup = cgroups_.Stats();
  if (pods_ != nullptr) s.pod = pods_->Stats();
  return s;
}

}  // namespace vigil::sensor::enrich

// Enricher: container and pod of an event's process, for the rule fields container.*
// and k8s.* and for alerts. Everything is looked up lazily (only for events whose rules
// read those fields, and for alerts) and cached (docs/enrichment.md).
#ifndef VIGIL_SENSOR_ENRICH_ENRICHER_H_
#define VIGIL_SENSOR_ENRICH_ENRICHER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "event/event.h"
#include "sensor/enrich/cgroup_cache.h"
#include "sensor/enrich/cgroup_path.h"
#include "sensor/enrich/cri_client.h"
#include "sensor/enrich/pod_cache.h"

namespace vigil::sensor::enrich {

// The CRI sockets tried, in order, when none is given: containerd, CRI-O, cri-dockerd.
const std::vector<std::string>& DefaultCriSockets();

// The first of `candidates` that exists as a socket, or empty.
std::string FindCriSocket(const std::vector<std::string>& candidates);

// How the sensor enriches events.
struct EnricherOptions {
  std::string proc_root = "/proc";
  // Ask the CRI runtime for pods (false: --no-cri; container ids still work).
  bool cri = true;
  // The runtime's socket; empty: the first of DefaultCriSockets() that exists.
  std::string cri_socket;
  // Most containers the pod cache remembers (--pod-cache-size).
  size_t pod_cache_size = 4096;
  // Deadline of each CRI call.
  absl::Duration cri_deadline = absl::Milliseconds(300);
  // Cache tuning (defaults suit production; tests shorten them).
  CgroupCacheOptions cgroup_cache;
  PodCacheOptions pod_cache;
};

// Counters of both caches.
struct EnricherStats {
  CgroupCacheStats cgroup;
  PodCacheStats pod;
};

// Thread-safe.
class Enricher {
 public:
  // Never fails: without a CRI socket, pods are unknown (k8s.* fields empty) but
  // container ids still come from the cgroup paths.
  explicit Enricher(EnricherOptions options);

  // The container (or host) of the task, or null when it cannot be told (the process and
  // its parent are gone and the cgroup was not seen before).
  std::shared_ptr<const CgroupIdentity> Container(const event::TaskContext& task);

  // The pod of a container, or null: host processes, containers outside pods (no pod UID
  // in the cgroup path: the runtime is not asked), no CRI socket, or the runtime does not
  // know the container or cannot answer.
  std::shared_ptr<const PodInfo> Pod(const CgroupIdentity& identity);

  // The runtime of `identity`: as its cgroup path says, or, for paths that do not say
  // (kUnknown), the runtime behind the CRI socket (asked once; named after the socket's
  // file name until it answers).
  Runtime RuntimeOf(const CgroupIdentity& identity);

  EnricherStats Stats() const;

  // The CRI socket in use, or empty when pods are not looked up.
  const std::string& cri_socket() const { return cri_socket_; }

 private:
  std::string cri_socket_;
  CgroupCache cgroups_;
  std::unique_ptr<CriClient> cri_;
  std::unique_ptr<PodCache> pods_;
  absl::Mutex mu_;
  Runtime cri_runtime_ ABSL_GUARDED_BY(mu_) = Runtime::kUnknown;
  bool cri_runtime_known_ ABSL_GUARDED_BY(mu_) = false;
  int64_t next_version_call_ns_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace vigil::sensor::enrich

#endif  // VIGIL_SENSOR_ENRICH_ENRICHER_H_

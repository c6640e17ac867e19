// Container identity from cgroup paths: which container (if any) a process runs in, as
// its /proc/<pid>/cgroup says, for the layouts of containerd, CRI-O and Docker under the
// systemd and cgroupfs cgroup drivers.
#ifndef VIGIL_SENSOR_ENRICH_CGROUP_PATH_H_
#define VIGIL_SENSOR_ENRICH_CGROUP_PATH_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace vigil::sensor::enrich {

// The container runtime a cgroup path belongs to. kUnknown: a container id without a
// runtime marker (the cgroupfs driver's `/kubepods/<qos>/pod<uid>/<id>`, used by both
// containerd and CRI-O); the enricher then names the runtime behind the CRI socket.
enum class Runtime { kHost, kContainerd, kCrio, kDocker, kUnknown };

// "host", "containerd", "cri-o", "docker" or "unknown": the value of container.runtime.
absl::string_view RuntimeName(Runtime runtime);

// What a cgroup path says about the process in it.
struct CgroupIdentity {
  // The container's full id (64 lower-case hex digits); empty for host processes.
  std::string container_id;
  Runtime runtime = Runtime::kHost;
  // The Kubernetes pod UID (with dashes) when the path is under a pod's cgroup.
  std::string pod_uid;

  bool is_container() const { return !container_id.empty(); }
  bool operator==(const CgroupIdentity& o) const {
    return container_id == o.container_id && runtime == o.runtime && pod_uid == o.pod_uid;
  }
};

// Parses one cgroup path (the third field of a /proc/<pid>/cgroup line). The innermost
// component that names a container wins:
//   cri-containerd-<id>.scope, crio-<id>.scope, docker-<id>.scope (systemd driver; the
//   ".scope" suffix is optional), a bare <id> (cgroupfs driver; Docker's when a parent
//   component is "docker", otherwise kUnknown).
// The pod UID comes from "pod<uid>" (cgroupfs) or "...-pod<uid_with_underscores>.slice"
// (systemd). Anything else, including "/", system.slice, user.slice and init.scope, is a
// host process. Never fails: garbage is a host path. Paths longer than kMaxPathBytes are
// treated as host paths.
CgroupIdentity ParseCgroupPath(absl::string_view path);

// The result of parsing a whole /proc/<pid>/cgroup file.
struct ProcCgroup {
  CgroupIdentity identity;
  // The file has a cgroup v2 line ("0::/path").
  bool has_unified = false;
  // The file has cgroup v1 lines ("N:controllers:/path"): a v1 or hybrid host.
  bool has_v1 = false;
  // The v2 line alone names the same container as the whole file (and names one). Only
  // then does the v2 cgroup id (events' cgroup_id) identify the container.
  bool unified_names_container = false;
};

// Parses the text of /proc/<pid>/cgroup: the identity is the first container found,
// preferring the v2 line, then v1 lines in file order; the pod UID comes from the same
// line (or, for host processes, from any line). Bounded: at most kMaxLines lines and
// kMaxFileBytes bytes are looked at; malformed lines are skipped.
ProcCgroup ParseProcCgroup(absl::string_view text);

inline constexpr size_t kMaxPathBytes = 4096;
inline constexpr size_t kMaxLines = 64;
inline constexpr size_t kMaxFileBytes = 64 * 1024;

}  // namespace vigil::sensor::enrich

#endif  // VIGIL_SENSOR_ENRICH_CGROUP_PATH_H_

// ContainerCgroup: a cgroup laid out as containerd's (cgroupfs driver) under kubepods in
// the cgroup v2 hierarchy, for real-kernel tests that need a process "in a container":
// the sensor takes the container id and pod uid from the path. Removed on destruction
// (innermost first; shared parents only when empty).
#ifndef VIGIL_TESTS_SUPPORT_CONTAINER_CGROUP_H_
#define VIGIL_TESTS_SUPPORT_CONTAINER_CGROUP_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace vigil::testing {

// The cgroup v2 hierarchy: /sys/fs/cgroup/unified on hybrid nodes, /sys/fs/cgroup on pure
// v2 ones.
std::string UnifiedCgroupRoot();

// A 64-hex id unique to this process and `salt`.
std::string RunHexId(uint64_t salt);

class ContainerCgroup {
 public:
  // Creates kubepods/besteffort/pod<uid>/<id> with ids derived from `salt`.
  static absl::StatusOr<ContainerCgroup> Create(uint64_t salt);
  ContainerCgroup(ContainerCgroup&& other) noexcept;
  ContainerCgroup& operator=(ContainerCgroup&&) = delete;
  ~ContainerCgroup();

  const std::string& path() const { return path_; }  // the container's cgroup directory
  const std::string& id() const { return id_; }      // the 64-hex container id
  const std::string& pod_uid() const { return pod_uid_; }

 private:
  ContainerCgroup() = default;
  std::string kubepods_;
  std::string path_;
  std::string id_;
  std::string pod_uid_;
};

}  // namespace vigil::testing

#endif  // VIGIL_TESTS_SUPPORT_CONTAINER_CGROUP_H_

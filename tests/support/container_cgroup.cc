#include "tests/support/container_cgroup.h"

#include <unistd.h>

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace vigil::testing {

std::string UnifiedCgroupRoot() {
  if (std::filesystem::exists("/sys/fs/cgroup/unified/cgroup.procs")) {
    return "/sys/fs/cgroup/unified";
  }
  return "/sys/fs/cgroup";
}

std::string RunHexId(uint64_t salt) {
  std::string id;
  uint64_t x = static_cast<uint64_t>(getpid()) * 0x9e3779b97f4a7c15ull ^ salt;
  while (id.size() < 64) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    id += absl::StrFormat("%016x", x);
  }
  return id.substr(0, 64);
}

absl::StatusOr<ContainerCgroup> ContainerCgroup::Create(uint64_t salt) {
  ContainerCgroup c;
  c.id_ = RunHexId(salt * 7 + 1);
  c.pod_uid_ =
      absl::StrFormat("%s-%s-4%s-8%s-%s", RunHexId(salt * 7 + 2).substr(0, 8),
                      RunHexId(salt * 7 + 3).substr(0, 4), RunHexId(salt * 7 + 4).substr(0, 3),
                      RunHexId(salt * 7 + 5).substr(0, 3), RunHexId(salt * 7 + 6).substr(0, 12));
  c.kubepods_ = UnifiedCgroupRoot() + "/kubepods";
  c.path_ = absl::StrCat(c.kubepods_, "/besteffort/pod", c.pod_uid_, "/", c.id_);
  std::error_code ec;
  std::filesystem::create_directories(c.path_, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", c.path_, ": ", ec.message()));
  return c;
}

ContainerCgroup::ContainerCgroup(ContainerCgroup&& other) noexcept
    : kubepods_(std::move(other.kubepods_)),
      path_(std::move(other.path_)),
      id_(std::move(other.id_)),
      pod_uid_(std::move(other.pod_uid_)) {
  other.path_.clear();
}

ContainerCgroup::~ContainerCgroup() {
  if (path_.empty()) return;
  std::filesystem::path p = path_;
  while (p.string().size() >= kubepods_.size()) {
    if (rmdir(p.c_str()) != 0) break;
    p = p.parent_path();
  }
}

}  // namespace vigil::testing

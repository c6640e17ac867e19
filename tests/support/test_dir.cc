#include "tests/support/test_dir.h"

#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace vigil::testing {

TestDir::TestDir(const std::string& tag, const std::string& parent) {
  std::string pattern = parent + "/vigil-" + tag + "-XXXXXX";
  char* made = mkdtemp(pattern.data());
  if (made == nullptr) {
    ADD_FAILURE() << "mkdtemp(" << pattern << ") failed";
    return;
  }
  chmod(made, 0755);
  char real[PATH_MAX];
  path_ = realpath(made, real) != nullptr ? real : made;
}

TestDir::~TestDir() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TestDir::MakeDirs(const std::string& relative) const {
  std::string full = Join(relative);
  std::error_code ec;
  std::filesystem::create_directories(full, ec);
  if (ec) ADD_FAILURE() << "create_directories(" << full << "): " << ec.message();
  return full;
}

std::string TestDir::WriteFile(const std::string& relative, const std::string& content) const {
  std::string full = Join(relative);
  std::filesystem::path parent = std::filesystem::path(full).parent_path();
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  std::ofstream out(full, std::ios::binary);
  out << content;
  if (!out) ADD_FAILURE() << "cannot write " << full;
  return full;
}

absl::Status SetFileCapabilities(const std::string& path, uint64_t mask) {
  vfs_cap_data caps{};
  caps.magic_etc = VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE;
  caps.data[0].permitted = static_cast<uint32_t>(mask);
  caps.data[1].permitted = static_cast<uint32_t>(mask >> 32);
  // Little-endian fields: the host byte order on x86_64, the only target.
  if (setxattr(path.c_str(), "security.capability", &caps, XATTR_CAPS_SZ_2, 0) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("setxattr security.capability on ", path));
  }
  return absl::OkStatus();
}

}  // namespace vigil::testing

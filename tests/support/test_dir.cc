#include "tests/support/test_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <fstream>

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

}  // namespace vigil::testing

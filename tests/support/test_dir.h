// TestDir: a private temporary directory for one test, removed afterwards.
#ifndef VIGIL_TESTS_SUPPORT_TEST_DIR_H_
#define VIGIL_TESTS_SUPPORT_TEST_DIR_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace vigil::testing {

// Creates "<parent>/vigil-<tag>-XXXXXX" with mode 0755 and resolves it to its real
// absolute path (so it can be compared with kernel-resolved paths). Removed recursively
// on destruction.
class TestDir {
 public:
  explicit TestDir(const std::string& tag, const std::string& parent = "/tmp");
  ~TestDir();
  TestDir(const TestDir&) = delete;
  TestDir& operator=(const TestDir&) = delete;

  // Absolute, symlink-free path of the directory (no trailing slash).
  const std::string& path() const { return path_; }
  // path() + "/" + relative.
  std::string Join(const std::string& relative) const { return path_ + "/" + relative; }
  // Creates the directories of `relative` (mkdir -p) and returns the full path.
  std::string MakeDirs(const std::string& relative) const;
  // Writes `content` to `relative` (parents created) and returns the full path.
  std::string WriteFile(const std::string& relative, const std::string& content = "x") const;

 private:
  std::string path_;
};

// Gives the file `path` the capabilities of `mask` (bit n is capability n) permitted and
// effective, as `setcap CAPS+ep` does: a revision-2 security.capability attribute.
absl::Status SetFileCapabilities(const std::string& path, uint64_t mask);

}  // namespace vigil::testing

#endif  // VIGIL_TESTS_SUPPORT_TEST_DIR_H_

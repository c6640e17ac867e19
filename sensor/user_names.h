// UserNames: uid -> user name from the node's passwd file, for user.name in rules.
#ifndef VIGIL_SENSOR_USER_NAMES_H_
#define VIGIL_SENSOR_USER_NAMES_H_

#include <cstdint>
#include <ctime>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace vigil::sensor {

// Reads a passwd(5) file and answers uid lookups from memory. The file is re-read when
// its modification time or size changes, checked at most once per `recheck_s` seconds,
// so new users appear without a restart and lookups stay cheap. Bounded: at most
// kMaxUsers entries and kMaxFileBytes of file are read (lines past either bound are
// ignored); malformed lines are skipped and counted. Not thread-safe.
class UserNames {
 public:
  static constexpr size_t kMaxUsers = 1 << 16;
  static constexpr size_t kMaxFileBytes = 16 << 20;

  explicit UserNames(std::string path, int recheck_s = 5);

  // The name of `uid`, or empty when the file does not list it. May re-read the file.
  absl::string_view Lookup(uint32_t uid);

  // Reads the file now. An unreadable file leaves the table empty and fails with an error
  // naming it.
  absl::Status Reload();

  size_t size() const { return names_.size(); }
  // Lines skipped as malformed over the object's life.
  uint64_t malformed_lines() const { return malformed_; }

 private:
  void MaybeReload();

  std::string path_;
  int recheck_s_;
  time_t next_check_ = 0;
  time_t mtime_ = 0;
  off_t file_size_ = -1;
  uint64_t malformed_ = 0;
  absl::flat_hash_map<uint32_t, std::string> names_;
};

}  // namespace vigil::sensor

#endif  // VIGIL_SENSOR_USER_NAMES_H_

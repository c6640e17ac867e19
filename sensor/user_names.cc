#include "sensor/user_names.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace vigil::sensor {

UserNames::UserNames(std::string path, int recheck_s)
    : path_(std::move(path)), recheck_s_(recheck_s) {}

absl::string_view UserNames::Lookup(uint32_t uid) {
  MaybeReload();
  auto it = names_.find(uid);
  return it == names_.end() ? absl::string_view() : absl::string_view(it->second);
}

void UserNames::MaybeReload() {
  const time_t now = time(nullptr);
  if (now < next_check_) return;
  next_check_ = now + recheck_s_;
  struct stat st;
  if (stat(path_.c_str(), &st) != 0) {
    names_.clear();
    file_size_ = -1;
    return;
  }
  if (st.st_mtime == mtime_ && st.st_size == file_size_) return;
  (void)Reload();
}

absl::Status UserNames::Reload() {
  names_.clear();
  std::ifstream in(path_);
  struct stat st;
  if (!in || stat(path_.c_str(), &st) != 0) {
    file_size_ = -1;
    return absl::NotFoundError(absl::StrCat("cannot read ", path_, ": ", strerror(errno)));
  }
  mtime_ = st.st_mtime;
  file_size_ = st.st_size;
  std::string line;
  size_t read = 0;
  while (std::getline(in, line) && names_.size() < kMaxUsers) {
    read += line.size() + 1;
    if (read > kMaxFileBytes) break;
    if (line.empty() || line[0] == '#') continue;
    // name:password:uid:gid:gecos:home:shell
    std::vector<absl::string_view> parts = absl::StrSplit(line, absl::MaxSplits(':', 3));
    uint32_t uid = 0;
    if (parts.size() < 4 || parts[0].empty() || !absl::SimpleAtoi(parts[2], &uid)) {
      ++malformed_;
      continue;
    }
    names_.emplace(uid, std::string(parts[0]));  // the first entry for a uid wins
  }
  return absl::OkStatus();
}

}  // namespace vigil::sensor

#include "sensor/user_names.h"

#include <sys/stat.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "common/read_file.h"

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
  // Stamped before reading, so that a change made while reading is seen by the next check.
  struct stat st;
  const bool stamped = stat(path_.c_str(), &st) == 0;
  absl::StatusOr<std::string> text = ReadFileHead(path_, kMaxFileBytes);
  if (!text.ok()) {
    file_size_ = -1;
    return text.status();
  }
  mtime_ = stamped ? st.st_mtime : 0;
  file_size_ = stamped ? st.st_size : -1;  // unstamped: read again at the next check
  size_t read = 0;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    if (names_.size() >= kMaxUsers) break;
    read += line.size() + 1;
    if (read > kMaxFileBytes) break;  // a line cut short by the bound
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

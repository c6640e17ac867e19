// The identities of a rule set's listed paths, resolved with stat(2) (rules/file_identity.h).
#include "rules/file_identity.h"

#include <sys/stat.h>

#include <algorithm>

namespace vigil::rules {

uint32_t FileIdentities::Add(absl::string_view path) {
  auto [it, inserted] = index_.try_emplace(std::string(path), paths_.size());
  if (inserted) {
    paths_.emplace_back(path);
    absl::MutexLock lock(&mu_);
    ids_.emplace_back();
  }
  return it->second;
}

bool FileIdentities::Refresh(absl::string_view root) {
  // Stat outside the lock: evaluation never waits on the file system.
  std::vector<std::optional<event::FileId>> now(paths_.size());
  std::string full;
  for (size_t i = 0; i < paths_.size(); ++i) {
    full.assign(root.data(), root.size());
    full += paths_[i];
    struct stat st {};
    if (stat(full.c_str(), &st) == 0) {
      now[i] = event::FileId{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
    }
  }
  absl::MutexLock lock(&mu_);
  if (now == ids_) return false;
  ids_ = std::move(now);
  return true;
}

bool FileIdentities::Matches(const std::vector<int64_t>& indices, const event::FileId& id) const {
  absl::ReaderMutexLock lock(&mu_);
  for (int64_t i : indices) {
    const std::optional<event::FileId>& known = ids_[static_cast<size_t>(i)];
    if (known.has_value() && *known == id) return true;
  }
  return false;
}

std::optional<event::FileId> FileIdentities::Lookup(absl::string_view path) const {
  auto it = index_.find(path);
  if (it == index_.end()) return std::nullopt;
  absl::ReaderMutexLock lock(&mu_);
  return ids_[it->second];
}

std::vector<event::FileId> FileIdentities::Resolved(const std::vector<std::string>& paths) const {
  std::vector<event::FileId> out;
  for (const std::string& path : paths) {
    if (std::optional<event::FileId> id = Lookup(path)) out.push_back(*id);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace vigil::rules

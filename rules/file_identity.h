// FileIdentities: the files a rule set names by identity. Each `in` test on a file field
// (fd.file in (/etc/shadow, ...)) lists paths; the set resolves every listed path to the
// identity (event::FileId: st_dev, st_ino) of the file it names now, with stat(2), which
// follows symbolic links as an open does. A path that does not resolve (missing, no
// permission) has no identity and matches nothing until a later Refresh finds it.
//
// Identities change under a fixed path when a file is replaced (passwd writes a new
// /etc/shadow and renames it over the old one), so the owner calls Refresh() periodically
// (the sensor: once a second, one stat per path) and after loading the set.
//
// Paths are added while the rule set is compiled, before the set is shared; after that the
// path list is fixed and Matches, Lookup and Refresh may be called from any thread.
#ifndef VIGIL_RULES_FILE_IDENTITY_H_
#define VIGIL_RULES_FILE_IDENTITY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "event/file_id.h"

namespace vigil::rules {

// The listed paths of a rule set and their current identities (see the file comment).
class FileIdentities {
 public:
  FileIdentities() = default;
  FileIdentities(const FileIdentities&) = delete;
  FileIdentities& operator=(const FileIdentities&) = delete;

  // The index of `path` (added, unresolved, if new). Compile time only: not while other
  // threads use the set.
  uint32_t Add(absl::string_view path);

  // Every listed path, in the order added; an index of Add is a position here.
  const std::vector<std::string>& paths() const { return paths_; }

  // Stats every path and records its identity (none when stat fails). Returns true when
  // any identity changed (including the first resolution of a path). With a `root`, each
  // path is resolved under that directory (root + path: e.g. "/host/proc/1/root" for the
  // node's files from a sensor in a container); empty: as given.
  bool Refresh(absl::string_view root = {}) ABSL_LOCKS_EXCLUDED(mu_);

  // True when `id` is the current identity of one of the paths at `indices` (indices
  // returned by Add). Allocates nothing.
  bool Matches(const std::vector<int64_t>& indices, const event::FileId& id) const
      ABSL_LOCKS_EXCLUDED(mu_);

  // True when `path` is one of the listed paths. Allocates nothing; no lock (the list is
  // fixed once the set is compiled).
  bool Lists(absl::string_view path) const { return index_.contains(path); }

  // The current identity of `path`, or nullopt when it is not listed or not resolved.
  std::optional<event::FileId> Lookup(absl::string_view path) const ABSL_LOCKS_EXCLUDED(mu_);

  // The distinct current identities of `paths` (unlisted or unresolved ones skipped),
  // sorted.
  std::vector<event::FileId> Resolved(const std::vector<std::string>& paths) const
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  std::vector<std::string> paths_;
  absl::flat_hash_map<std::string, uint32_t> index_;
  mutable absl::Mutex mu_;
  // Per path (same index): its identity at the last Refresh.
  std::vector<std::optional<event::FileId>> ids_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vigil::rules

#endif  // VIGIL_RULES_FILE_IDENTITY_H_

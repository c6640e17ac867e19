#include "common/read_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "common/unique_fd.h"

namespace vigil {
namespace {

// The first buffer when the file's size is unknown (procfs, pipes); most such files fit.
constexpr size_t kFirstChunkBytes = 4096;

absl::Status ReadError(const std::string& path, int error) {
  return absl::FailedPreconditionError(absl::StrCat("cannot read ", path, ": ", strerror(error)));
}

// Up to `limit` bytes of `path`, reading until end of file or the limit. The buffer starts at
// the size fstat reports (plus one, to see the end) or kFirstChunkBytes, and doubles.
absl::StatusOr<std::string> ReadUpTo(const std::string& path, size_t limit) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ReadError(path, errno);
  struct stat st;
  size_t hint = kFirstChunkBytes;
  if (fstat(fd.get(), &st) == 0 && st.st_size > 0) hint = static_cast<size_t>(st.st_size) + 1;
  std::string text;
  size_t used = 0;
  while (used < limit) {
    if (used == text.size()) {
      const size_t grown = used == 0 ? hint : std::max(used * 2, used + kFirstChunkBytes);
      text.resize(std::min(limit, grown));
    }
    const ssize_t n = read(fd.get(), &text[used], text.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ReadError(path, errno);  // also EISDIR, and ESRCH for an exited process
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  text.resize(used);
  return text;
}

}  // namespace

absl::StatusOr<std::string> ReadSmallFile(const std::string& path, size_t max_bytes) {
  // One byte past the bound tells a file of exactly max_bytes from a larger one.
  const size_t limit = max_bytes == std::numeric_limits<size_t>::max() ? max_bytes : max_bytes + 1;
  absl::StatusOr<std::string> text = ReadUpTo(path, limit);
  if (text.ok() && text->size() > max_bytes) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is larger than ", max_bytes, " bytes"));
  }
  return text;
}

absl::StatusOr<std::string> ReadFileHead(const std::string& path, size_t max_bytes) {
  return ReadUpTo(path, max_bytes);
}

}  // namespace vigil

#include "common/kernel_release.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace vigil {

bool ReleaseAtLeast(absl::string_view release, int major, int minor) {
  const std::vector<absl::string_view> parts = absl::StrSplit(release, absl::MaxSplits('.', 2));
  int have_major = 0;
  int have_minor = 0;
  if (parts.size() < 2 || !absl::SimpleAtoi(parts[0], &have_major)) return false;
  const absl::string_view digits = parts[1].substr(0, parts[1].find_first_not_of("0123456789"));
  if (!absl::SimpleAtoi(digits, &have_minor)) return false;
  return have_major > major || (have_major == major && have_minor >= minor);
}

}  // namespace vigil

// Comparing kernel releases (uname -r), for what BTF cannot tell apart: a tracepoint whose
// arguments changed under the same name.
#ifndef VIGIL_COMMON_KERNEL_RELEASE_H_
#define VIGIL_COMMON_KERNEL_RELEASE_H_

#include "absl/strings/string_view.h"

namespace vigil {

// True when `release` (e.g. "6.1.0-27-amd64") is Linux major.minor or later; false when it
// does not start with two dot-separated numbers.
bool ReleaseAtLeast(absl::string_view release, int major, int minor);

}  // namespace vigil

#endif  // VIGIL_COMMON_KERNEL_RELEASE_H_

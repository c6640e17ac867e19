// Reading small files whole (certificates, keys, tokens, access lists, rules files, passwd,
// procfs records), bounded so that a wrong or hostile path cannot exhaust memory.
#ifndef VIGIL_COMMON_READ_FILE_H_
#define VIGIL_COMMON_READ_FILE_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"

namespace vigil {

// The whole content of `path`, read until end of file: files whose size is not known in
// advance (procfs and sysfs report 0, pipes report none) are read fully. Memory grows with
// what is read, not with the bound. FAILED_PRECONDITION naming the path (and the system's
// reason) when it cannot be opened or read, or when it is larger than `max_bytes`.
absl::StatusOr<std::string> ReadSmallFile(const std::string& path, size_t max_bytes = 1 << 20);

// The first `max_bytes` of `path`, or all of it when shorter: for records that are still
// useful cut short (a procfs command line, the head of /proc/<pid>/status) or whose reader
// keeps only a bounded prefix. FAILED_PRECONDITION naming the path (and the system's reason)
// when it cannot be opened or read; never for its size.
absl::StatusOr<std::string> ReadFileHead(const std::string& path, size_t max_bytes);

}  // namespace vigil

#endif  // VIGIL_COMMON_READ_FILE_H_

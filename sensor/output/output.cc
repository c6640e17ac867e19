#include "sensor/output/output.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace vigil::sensor {

absl::StatusOr<std::unique_ptr<Output>> Output::Open(const std::string& path) {
  FILE* out = stdout;
  if (path != "-") {
    out = fopen(path.c_str(), "we");
    if (out == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot open output ", path, ": ", strerror(errno)));
    }
  }
  if (setvbuf(out, nullptr, _IOFBF, 1 << 20) != 0) {
    if (out != stdout) fclose(out);
    return absl::InternalError(absl::StrCat("cannot buffer output ", path));
  }
  return std::unique_ptr<Output>(new Output(out, out != stdout));
}

Output::~Output() {
  if (owned_) fclose(out_);
}

void Output::WriteLine(absl::string_view line) {
  if (failed_) return;
  if (fwrite(line.data(), 1, line.size(), out_) != line.size()) failed_ = true;
}

absl::Status Output::Flush() {
  if (!failed_ && fflush(out_) != 0) failed_ = true;
  if (failed_)
    return absl::UnavailableError(absl::StrCat("writing events failed: ", strerror(errno)));
  return absl::OkStatus();
}

}  // namespace vigil::sensor

#include "common/log.h"

#include <unistd.h>

#include <cerrno>
#include <string>

namespace vigil {
namespace {

// Set once by main() before any other thread starts; read by every logging thread.
std::string& Program() {
  static std::string* program = new std::string("vigil");
  return *program;
}

}  // namespace

void SetLogProgram(absl::string_view name) { Program() = std::string(name); }

void LogLine(absl::string_view message) {
  const std::string line = absl::StrCat(Program(), ": ", message, "\n");
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = write(STDERR_FILENO, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stderr is gone: nothing else to tell it to
    done += static_cast<size_t>(n);
  }
}

}  // namespace vigil

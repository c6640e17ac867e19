#include "event/event.h"

namespace vigil::event {

absl::string_view EventTypeName(EventType type) {
  switch (type) {
    case EventType::kFork: return "fork";
    case EventType::kExec: return "exec";
    case EventType::kExit: return "exit";
    case EventType::kOpen: return "open";
  }
  return "unknown";
}

absl::string_view OpenSyscallName(OpenSyscall syscall) {
  switch (syscall) {
    case OpenSyscall::kOpen: return "open";
    case OpenSyscall::kOpenAt: return "openat";
    case OpenSyscall::kOpenAt2: return "openat2";
    case OpenSyscall::kCreat: return "creat";
    case OpenSyscall::kOpenByHandleAt: return "open_by_handle_at";
  }
  return "unknown";
}

bool HasHiddenComponent(absl::string_view path) {
  size_t pos = 0;
  while (pos < path.size()) {
    size_t end = path.find('/', pos);
    if (end == absl::string_view::npos) end = path.size();
    absl::string_view part = path.substr(pos, end - pos);
    if (!part.empty() && part[0] == '.' && part != "." && part != "..") return true;
    pos = end + 1;
  }
  return false;
}

bool ArgvIterator::Next(absl::string_view* arg) {
  if (rest_.empty()) return false;
  size_t end = rest_.find('\0');
  if (end == absl::string_view::npos) {
    *arg = rest_;
    rest_ = {};
  } else {
    *arg = rest_.substr(0, end);
    rest_.remove_prefix(end + 1);
  }
  return true;
}

}  // namespace vigil::event

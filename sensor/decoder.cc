#include "sensor/decoder.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "bpf/abi/vigil_event.h"

namespace vigil::sensor {
namespace {

// Copies a fixed-layout struct out of the record (records carry no alignment promise).
template <typename T>
T Load(const uint8_t* data) {
  T value;
  std::memcpy(&value, data, sizeof(T));
  return value;
}

absl::string_view CommOf(const uint8_t* data) {
  const char* comm = reinterpret_cast<const char*>(data + offsetof(vigil_event_header, comm));
  return absl::string_view(comm, strnlen(comm, VIGIL_COMM_LEN));
}

}  // namespace

absl::string_view DecodeErrorName(DecodeError error) {
  switch (error) {
    case DecodeError::kTooShort: return "too_short";
    case DecodeError::kSizeMismatch: return "size_mismatch";
    case DecodeError::kBadVersion: return "bad_version";
    case DecodeError::kUnknownType: return "unknown_type";
    case DecodeError::kBadLength: return "bad_length";
    case DecodeError::kCount: break;
  }
  return "unknown";
}

absl::Status Decoder::Reject(DecodeError error, absl::string_view detail) {
  ++errors_[static_cast<int>(error)];
  return absl::InvalidArgumentError(
      absl::StrCat("malformed record (", DecodeErrorName(error), "): ", detail));
}

absl::Status Decoder::Decode(const void* raw, size_t size, event::Event* event) {
  const auto* data = static_cast<const uint8_t*>(raw);
  if (size < sizeof(vigil_event_header)) {
    return Reject(DecodeError::kTooShort,
                  absl::StrCat(size, " bytes, header needs ", sizeof(vigil_event_header)));
  }
  const auto hdr = Load<vigil_event_header>(data);
  if (hdr.version != VIGIL_ABI_VERSION) {
    return Reject(DecodeError::kBadVersion,
                  absl::StrCat("version ", hdr.version, ", expected ", VIGIL_ABI_VERSION));
  }
  if (hdr.size != size) {
    return Reject(DecodeError::kSizeMismatch,
                  absl::StrCat("header says ", hdr.size, " bytes, record has ", size));
  }

  event::TaskContext& task = event->task;
  task.time_boot_ns = hdr.ts_boot_ns;
  task.pid = hdr.tgid;
  task.tid = hdr.pid;
  task.ppid = hdr.ppid;
  task.uid = hdr.uid;
  task.euid = hdr.euid;
  task.gid = hdr.gid;
  task.loginuid = hdr.loginuid;
  task.mntns = hdr.mntns;
  task.pidns = hdr.pidns;
  task.cgroup_id = hdr.cgroup_id;
  task.comm = CommOf(data);

  // Checks that the record holds the body of type T and exactly `tail` more bytes.
  auto check_body = [&](size_t body, size_t tail) -> absl::Status {
    if (size < body) {
      return Reject(DecodeError::kTooShort, absl::StrCat(size, " bytes, body needs ", body));
    }
    if (size - body != tail) {
      return Reject(DecodeError::kSizeMismatch,
                    absl::StrCat("variable part is ", size - body, " bytes, lengths say ", tail));
    }
    return absl::OkStatus();
  };

  switch (hdr.type) {
    case VIGIL_EVENT_FORK: {
      absl::Status s = check_body(sizeof(vigil_fork_event), 0);
      if (!s.ok()) return s;
      const auto e = Load<vigil_fork_event>(data);
      event->type = event::EventType::kFork;
      event->fork.child_pid = e.child_tgid;
      event->fork.child_tid = e.child_pid;
      event->fork.is_thread = e.flags & VIGIL_FORK_THREAD;
      break;
    }
    case VIGIL_EVENT_EXEC: {
      if (size < sizeof(vigil_exec_event)) {
        return Reject(DecodeError::kTooShort,
                      absl::StrCat(size, " bytes, body needs ", sizeof(vigil_exec_event)));
      }
      const auto e = Load<vigil_exec_event>(data);
      if (e.path_len > VIGIL_PATH_MAX || e.argv_len > VIGIL_ARGV_MAX) {
        return Reject(DecodeError::kBadLength,
                      absl::StrCat("path_len ", e.path_len, ", argv_len ", e.argv_len));
      }
      absl::Status s = check_body(sizeof(vigil_exec_event), size_t{e.path_len} + e.argv_len);
      if (!s.ok()) return s;
      const char* tail = reinterpret_cast<const char*>(data + sizeof(vigil_exec_event));
      event::ExecData& x = event->exec;
      event->type = event::EventType::kExec;
      x.exe = absl::string_view(tail, e.path_len);
      x.argv = absl::string_view(tail + e.path_len, e.argv_len);
      x.exe_truncated = e.flags & VIGIL_EXEC_PATH_TRUNCATED;
      x.args_truncated = e.flags & VIGIL_EXEC_ARGV_TRUNCATED;
      x.old_tid = e.old_pid;
      x.creds_before_known = e.flags & VIGIL_EXEC_CREDS_BEFORE;
      x.uid_before = e.uid_before;
      x.euid_before = e.euid_before;
      x.gid_before = e.gid_before;
      x.egid_before = e.egid_before;
      x.egid = e.egid;
      x.file_mode = e.file_mode;
      x.file_uid = e.file_uid;
      x.file_gid = e.file_gid;
      break;
    }
    case VIGIL_EVENT_EXIT: {
      absl::Status s = check_body(sizeof(vigil_exit_event), 0);
      if (!s.ok()) return s;
      const auto e = Load<vigil_exit_event>(data);
      event->type = event::EventType::kExit;
      event->exit.raw_status = e.exit_code;
      event->exit.group_dead = e.flags & VIGIL_EXIT_GROUP_DEAD;
      break;
    }
    case VIGIL_EVENT_OPEN: {
      if (size < sizeof(vigil_open_event)) {
        return Reject(DecodeError::kTooShort,
                      absl::StrCat(size, " bytes, body needs ", sizeof(vigil_open_event)));
      }
      const auto e = Load<vigil_open_event>(data);
      if (e.path_len > VIGIL_PATH_MAX) {
        return Reject(DecodeError::kBadLength, absl::StrCat("path_len ", e.path_len));
      }
      if (e.syscall < VIGIL_SYS_OPEN || e.syscall > VIGIL_SYS_OPEN_BY_HANDLE_AT) {
        return Reject(DecodeError::kUnknownType, absl::StrCat("open syscall ", e.syscall));
      }
      absl::Status s = check_body(sizeof(vigil_open_event), e.path_len);
      if (!s.ok()) return s;
      event::OpenData& o = event->open;
      event->type = event::EventType::kOpen;
      o.syscall = static_cast<event::OpenSyscall>(e.syscall);
      o.path = absl::string_view(reinterpret_cast<const char*>(data + sizeof(vigil_open_event)),
                                 e.path_len);
      o.result = e.result;
      o.flags = e.open_flags;
      o.mode = e.mode;
      o.file_mode = e.file_mode;
      o.path_truncated = e.flags & VIGIL_OPEN_PATH_TRUNCATED;
      o.hidden = e.flags & VIGIL_OPEN_PATH_HIDDEN;
      o.unresolved = e.flags & VIGIL_OPEN_PATH_UNRESOLVED;
      o.compat = e.flags & VIGIL_OPEN_COMPAT;
      if (o.unresolved) o.hidden = event::HasHiddenComponent(o.path);
      break;
    }
    default: return Reject(DecodeError::kUnknownType, absl::StrCat("type ", hdr.type));
  }
  ++decoded_;
  return absl::OkStatus();
}

}  // namespace vigil::sensor

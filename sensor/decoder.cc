#include "sensor/decoder.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "bpf/abi/vigil_event.h"
#include "sensor/probes/record_registry.h"

namespace vigil::sensor {

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
  const probes::Record record(data, size);
  const auto hdr = record.Load<vigil_event_header>();
  if (hdr.version != VIGIL_ABI_VERSION) {
    return Reject(DecodeError::kBadVersion,
                  absl::StrCat("version ", hdr.version, ", expected ", VIGIL_ABI_VERSION));
  }
  if (hdr.size != size) {
    return Reject(DecodeError::kSizeMismatch,
                  absl::StrCat("header says ", hdr.size, " bytes, record has ", size));
  }
  const probes::RecordType* type = probes::FindRecordType(hdr.type);
  if (type == nullptr) return Reject(DecodeError::kUnknownType, absl::StrCat("type ", hdr.type));
  if (size < type->body_size) {
    return Reject(DecodeError::kTooShort,
                  absl::StrCat(size, " bytes, body needs ", type->body_size));
  }

  event->type = type->type;
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
  task.comm =
      record.Text(offsetof(vigil_event_header, comm),
                  strnlen(reinterpret_cast<const char*>(data) + offsetof(vigil_event_header, comm),
                          VIGIL_COMM_LEN));
  if (probes::DecodeResult failed = type->decode(record, event)) {
    return Reject(failed->error, failed->detail);
  }
  ++decoded_;
  return absl::OkStatus();
}

}  // namespace vigil::sensor

// Raw ring-buffer records for the decoder tests (decoder_test.cc and the per-module record
// tests under tests/sensor/probes/): a recognisable common header, the process and file
// records built around it, and decoding from an exactly-sized copy.
//
// In vigil::sensor (not a nested namespace) so that the tests name them unqualified.
#ifndef VIGIL_TESTS_SENSOR_RECORD_BUILDER_H_
#define VIGIL_TESTS_SENSOR_RECORD_BUILDER_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "bpf/abi/file.h"
#include "bpf/abi/file_ops.h"
#include "bpf/abi/process.h"
#include "bpf/abi/vigil_event.h"
#include "event/event.h"
#include "gtest/gtest.h"
#include "sensor/decoder.h"

namespace vigil::sensor {

using Bytes = std::vector<uint8_t>;

// A header with every field set to a distinct, recognisable value.
inline vigil_event_header MakeHeader(uint16_t type) {
  vigil_event_header hdr;
  std::memset(&hdr, 0, sizeof(hdr));
  hdr.type = type;
  hdr.version = VIGIL_ABI_VERSION;
  hdr.ts_boot_ns = 0x0123456789abcdefULL;
  hdr.pid = 1001;   // thread id
  hdr.tgid = 1000;  // process id
  hdr.ppid = 999;
  hdr.uid = 11;
  hdr.euid = 12;
  hdr.gid = 13;
  hdr.loginuid = 4294967295u;
  hdr.mntns = 4026531840u;
  hdr.pidns = 4026531836u;
  hdr.cgroup_id = 0xfedcba9876543210ULL;
  std::memcpy(hdr.comm, "bash", 4);
  return hdr;
}

// Serialises `body` followed by `tail` and sets hdr.size to the total length.
template <typename T>
Bytes Serialize(T body, absl::string_view tail = {}) {
  body.hdr.size = static_cast<uint32_t>(sizeof(T) + tail.size());
  Bytes out(sizeof(T) + tail.size());
  std::memcpy(out.data(), &body, sizeof(T));
  if (!tail.empty()) std::memcpy(out.data() + sizeof(T), tail.data(), tail.size());
  return out;
}

// Overwrites the header's size field of an already serialised record.
inline void SetRecordSize(Bytes* record, uint32_t size) {
  std::memcpy(record->data() + offsetof(vigil_event_header, size), &size, sizeof(size));
}

// Record bodies of each type, every field set to a distinct value; the lengths of the
// variable parts are those of the strings given (which ExecRecord, OpenRecord and
// FileOpRecord append).
inline vigil_fork_event MakeFork() {
  vigil_fork_event e;
  std::memset(&e, 0, sizeof(e));
  e.hdr = MakeHeader(VIGIL_EVENT_FORK);
  e.child_pid = 2002;
  e.child_tgid = 2001;
  e.flags = 0;
  return e;
}

inline vigil_exec_event MakeExec(absl::string_view path, absl::string_view argv) {
  vigil_exec_event e;
  std::memset(&e, 0, sizeof(e));
  e.hdr = MakeHeader(VIGIL_EVENT_EXEC);
  e.old_pid = 1003;
  e.flags = VIGIL_EXEC_CREDS_BEFORE;
  e.uid_before = 21;
  e.euid_before = 22;
  e.gid_before = 23;
  e.egid_before = 24;
  e.egid = 25;
  e.file_mode = 0104755;
  e.file_uid = 26;
  e.file_gid = 27;
  e.cap_permitted = 0x2000;                // CAP_NET_RAW
  e.cap_effective = 0x400;                 // CAP_NET_BIND_SERVICE
  e.cap_permitted_before = 0x1ffffffffff;  // capabilities 0-40
  e.cap_effective_before = 0x1000000000;   // bit 36 only
  e.path_len = static_cast<uint32_t>(path.size());
  e.argv_len = static_cast<uint32_t>(argv.size());
  return e;
}

inline Bytes ExecRecord(absl::string_view path, absl::string_view argv) {
  return Serialize(MakeExec(path, argv), std::string(path) + std::string(argv));
}

inline vigil_exit_event MakeExit(int32_t code, uint32_t flags) {
  vigil_exit_event e;
  std::memset(&e, 0, sizeof(e));
  e.hdr = MakeHeader(VIGIL_EVENT_EXIT);
  e.exit_code = code;
  e.flags = flags;
  return e;
}

inline vigil_open_event MakeOpen(absl::string_view path, uint32_t syscall = VIGIL_SYS_OPENAT,
                                 uint32_t flags = 0) {
  vigil_open_event e;
  std::memset(&e, 0, sizeof(e));
  e.hdr = MakeHeader(VIGIL_EVENT_OPEN);
  e.result = -13;
  e.syscall = syscall;
  e.open_flags = 01101;  // O_WRONLY | O_CREAT | O_TRUNC
  e.mode = 0644;
  e.flags = flags;
  e.file_mode = 0100600;
  e.path_len = static_cast<uint32_t>(path.size());
  return e;
}

inline Bytes OpenRecord(absl::string_view path, uint32_t syscall = VIGIL_SYS_OPENAT,
                        uint32_t flags = 0) {
  return Serialize(MakeOpen(path, syscall, flags), path);
}

// A file-operation record of event type `type` made by `syscall`, every fixed field set to
// a distinct value (identity and old attributes included, valid only with their flags).
inline vigil_file_op_event MakeFileOp(uint16_t type, uint32_t syscall, absl::string_view path,
                                      absl::string_view path2, uint32_t flags = 0) {
  vigil_file_op_event e;
  std::memset(&e, 0, sizeof(e));
  e.hdr = MakeHeader(type);
  e.result = -17;
  e.syscall = syscall;
  e.flags = flags;
  e.op_flags = 0x401;
  e.dev = 0x803;
  e.ino = 0x123456789ULL;
  e.length = 0x100000001LL;
  e.nlink = 3;
  e.file_mode = 0100640;
  e.mode = 04755;
  e.uid = 1234;
  e.gid = 5678;
  e.old_mode = 0100644;
  e.old_uid = 31;
  e.old_gid = 32;
  e.path_len = static_cast<uint16_t>(path.size());
  e.path2_len = static_cast<uint16_t>(path2.size());
  return e;
}

inline Bytes FileOpRecord(uint16_t type, uint32_t syscall, absl::string_view path,
                          absl::string_view path2 = {}, uint32_t flags = 0) {
  return Serialize(MakeFileOp(type, syscall, path, path2, flags),
                   std::string(path) + std::string(path2));
}

// Decodes from an exactly-sized heap copy so that AddressSanitizer (when enabled) flags
// any read past the end of the record. The decoded event's strings point into that copy,
// which is kept alive until the next call.
inline absl::Status DecodeExact(Decoder* decoder, const Bytes& record, event::Event* event) {
  static auto* last_copy = new std::unique_ptr<uint8_t[]>();
  last_copy->reset(new uint8_t[record.empty() ? 1 : record.size()]);
  if (!record.empty()) std::memcpy(last_copy->get(), record.data(), record.size());
  return decoder->Decode(last_copy->get(), record.size(), event);
}

// Checks that `task` holds what MakeHeader set.
inline void ExpectHeaderDecoded(const event::TaskContext& task) {
  EXPECT_EQ(task.time_boot_ns, 0x0123456789abcdefULL);
  EXPECT_EQ(task.pid, 1000u);  // tgid
  EXPECT_EQ(task.tid, 1001u);  // kernel pid
  EXPECT_EQ(task.ppid, 999u);
  EXPECT_EQ(task.uid, 11u);
  EXPECT_EQ(task.euid, 12u);
  EXPECT_EQ(task.gid, 13u);
  EXPECT_EQ(task.loginuid, 4294967295u);
  EXPECT_EQ(task.mntns, 4026531840u);
  EXPECT_EQ(task.pidns, 4026531836u);
  EXPECT_EQ(task.cgroup_id, 0xfedcba9876543210ULL);
  EXPECT_EQ(task.comm, "bash");
}

}  // namespace vigil::sensor

#endif  // VIGIL_TESTS_SENSOR_RECORD_BUILDER_H_

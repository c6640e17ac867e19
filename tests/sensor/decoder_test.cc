// Unit tests for sensor/decoder.h: raw ring-buffer records in, typed events out.
#include "sensor/decoder.h"

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "bpf/abi/file.h"
#include "bpf/abi/process.h"
#include "bpf/abi/vigil_event.h"
#include "event/event.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::sensor {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

using Bytes = std::vector<uint8_t>;

int Index(DecodeError error) { return static_cast<int>(error); }

// A header with every field set to a distinct, recognisable value.
vigil_event_header MakeHeader(uint16_t type) {
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
void SetRecordSize(Bytes* record, uint32_t size) {
  std::memcpy(record->data() + offsetof(vigil_event_header, size), &size, sizeof(size));
}

vigil_fork_event MakeFork() {
  vigil_fork_event e;
  std::memset(&e, 0, sizeof(e));
  e.hdr = MakeHeader(VIGIL_EVENT_FORK);
  e.child_pid = 2002;
  e.child_tgid = 2001;
  e.flags = 0;
  return e;
}

vigil_exec_event MakeExec(absl::string_view path, absl::string_view argv) {
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
  e.path_len = static_cast<uint32_t>(path.size());
  e.argv_len = static_cast<uint32_t>(argv.size());
  return e;
}

Bytes ExecRecord(absl::string_view path, absl::string_view argv) {
  return Serialize(MakeExec(path, argv), std::string(path) + std::string(argv));
}

vigil_exit_event MakeExit(int32_t code, uint32_t flags) {
  vigil_exit_event e;
  std::memset(&e, 0, sizeof(e));
  e.hdr = MakeHeader(VIGIL_EVENT_EXIT);
  e.exit_code = code;
  e.flags = flags;
  return e;
}

vigil_open_event MakeOpen(absl::string_view path, uint32_t syscall = VIGIL_SYS_OPENAT,
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

Bytes OpenRecord(absl::string_view path, uint32_t syscall = VIGIL_SYS_OPENAT, uint32_t flags = 0) {
  return Serialize(MakeOpen(path, syscall, flags), path);
}

// Decodes from an exactly-sized heap copy so that AddressSanitizer (when enabled) flags
// any read past the end of the record. The decoded event's strings point into that copy,
// which is kept alive until the next call.
absl::Status DecodeExact(Decoder* decoder, const Bytes& record, event::Event* event) {
  static auto* last_copy = new std::unique_ptr<uint8_t[]>();
  last_copy->reset(new uint8_t[record.empty() ? 1 : record.size()]);
  if (!record.empty()) std::memcpy(last_copy->get(), record.data(), record.size());
  return decoder->Decode(last_copy->get(), record.size(), event);
}

void ExpectHeaderDecoded(const event::TaskContext& task) {
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

std::vector<absl::string_view> Args(absl::string_view argv) {
  std::vector<absl::string_view> out;
  event::ArgvIterator it(argv);
  absl::string_view arg;
  while (it.Next(&arg)) out.push_back(arg);
  return out;
}

TEST(DecodeErrorNameTest, EveryReasonHasAStableName) {
  EXPECT_EQ(DecodeErrorName(DecodeError::kTooShort), "too_short");
  EXPECT_EQ(DecodeErrorName(DecodeError::kSizeMismatch), "size_mismatch");
  EXPECT_EQ(DecodeErrorName(DecodeError::kBadVersion), "bad_version");
  EXPECT_EQ(DecodeErrorName(DecodeError::kUnknownType), "unknown_type");
  EXPECT_EQ(DecodeErrorName(DecodeError::kBadLength), "bad_length");
}

TEST(DecoderTest, DecodesFork) {
  Decoder decoder;
  event::Event event;
  ASSERT_TRUE(DecodeExact(&decoder, Serialize(MakeFork()), &event).ok());
  EXPECT_EQ(event.type, event::kFork);
  ExpectHeaderDecoded(event.task);
  EXPECT_EQ(event.fork.child_pid, 2001u);  // child's tgid
  EXPECT_EQ(event.fork.child_tid, 2002u);  // child's kernel pid
  EXPECT_FALSE(event.fork.is_thread);
  EXPECT_EQ(decoder.decoded(), 1u);
}

TEST(DecoderTest, DecodesThreadFork) {
  vigil_fork_event fork = MakeFork();
  fork.flags = VIGIL_FORK_THREAD;
  Decoder decoder;
  event::Event event;
  ASSERT_TRUE(DecodeExact(&decoder, Serialize(fork), &event).ok());
  EXPECT_TRUE(event.fork.is_thread);
}

TEST(DecoderTest, CommWithoutNulUsesAllSixteenBytes) {
  vigil_fork_event fork = MakeFork();
  std::memcpy(fork.hdr.comm, "0123456789abcdef", VIGIL_COMM_LEN);  // no terminating NUL
  Decoder decoder;
  event::Event event;
  ASSERT_TRUE(DecodeExact(&decoder, Serialize(fork), &event).ok());
  EXPECT_EQ(event.task.comm, "0123456789abcdef");
}

TEST(DecoderTest, DecodesExec) {
  const std::string path = "/usr/bin/sudo";
  const std::string argv = std::string("sudo\0-u\0root\0", 13);
  Decoder decoder;
  event::Event event;
  const Bytes record = ExecRecord(path, argv);
  ASSERT_TRUE(DecodeExact(&decoder, record, &event).ok());
  EXPECT_EQ(event.type, event::kExec);
  ExpectHeaderDecoded(event.task);
  const event::ExecData& x = event.exec;
  EXPECT_EQ(x.exe, path);
  EXPECT_EQ(x.argv, argv);
  EXPECT_THAT(Args(x.argv), ElementsAre("sudo", "-u", "root"));
  EXPECT_FALSE(x.exe_truncated);
  EXPECT_FALSE(x.args_truncated);
  EXPECT_EQ(x.old_tid, 1003u);
  EXPECT_TRUE(x.creds_before_known);
  EXPECT_EQ(x.uid_before, 21u);
  EXPECT_EQ(x.euid_before, 22u);
  EXPECT_EQ(x.gid_before, 23u);
  EXPECT_EQ(x.egid_before, 24u);
  EXPECT_EQ(x.egid, 25u);
  EXPECT_EQ(x.file_mode, 0104755u);
  EXPECT_EQ(x.file_uid, 26u);
  EXPECT_EQ(x.file_gid, 27u);
}

TEST(DecoderTest, ExecStringsPointIntoTheRecord) {
  const Bytes record = ExecRecord("/bin/ls", std::string("ls\0", 3));
  Decoder decoder;
  event::Event event;
  ASSERT_TRUE(decoder.Decode(record.data(), record.size(), &event).ok());
  const char* begin = reinterpret_cast<const char*>(record.data());
  EXPECT_EQ(event.exec.exe.data(), begin + sizeof(vigil_exec_event));
  EXPECT_EQ(event.exec.argv.data(), begin + sizeof(vigil_exec_event) + 7);
}

TEST(DecoderTest, DecodesExecFlags) {
  struct Case {
    uint32_t flags;
    bool exe_truncated;
    bool args_truncated;
    bool creds_before_known;
  };
  const Case cases[] = {
      {0, false, false, false},
      {VIGIL_EXEC_PATH_TRUNCATED, true, false, false},
      {VIGIL_EXEC_ARGV_TRUNCATED, false, true, false},
      {VIGIL_EXEC_CREDS_BEFORE, false, false, true},
      {VIGIL_EXEC_PATH_TRUNCATED | VIGIL_EXEC_ARGV_TRUNCATED | VIGIL_EXEC_CREDS_BEFORE, true, true,
       true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.flags);
    vigil_exec_event exec = MakeExec("/x", "");
    exec.flags = c.flags;
    Decoder decoder;
    event::Event event;
    ASSERT_TRUE(DecodeExact(&decoder, Serialize(exec, "/x"), &event).ok());
    EXPECT_EQ(event.exec.exe_truncated, c.exe_truncated);
    EXPECT_EQ(event.exec.args_truncated, c.args_truncated);
    EXPECT_EQ(event.exec.creds_before_known, c.creds_before_known);
  }
}

TEST(DecoderTest, DecodesExecWithEmptyPathAndArgv) {
  Decoder decoder;
  event::Event event;
  ASSERT_TRUE(DecodeExact(&decoder, ExecRecord("", ""), &event).ok());
  EXPECT_EQ(event.type, event::kExec);
  EXPECT_TRUE(event.exec.exe.empty());
  EXPECT_TRUE(event.exec.argv.empty());
  EXPECT_TRUE(Args(event.exec.argv).empty());
}

TEST(DecoderTest, DecodesExecAtMaximumLengths) {
  const std::string path(VIGIL_PATH_MAX, 'p');
  const std::string argv(VIGIL_ARGV_MAX, 'a');
  Decoder decoder;
  event::Event event;
  ASSERT_TRUE(DecodeExact(&decoder, ExecRecord(path, argv), &event).ok());
  EXPECT_EQ(event.exec.exe.size(), size_t{VIGIL_PATH_MAX});
  EXPECT_EQ(event.exec.argv.size(), size_t{VIGIL_ARGV_MAX});
}

TEST(DecoderTest, DecodesExecWithTruncatedLastArgument) {
  // The kernel ran out of argv space in the middle of "--verbose": no final NUL.
  const std::string argv = std::string("prog\0--verb", 11);
  vigil_exec_event exec = MakeExec("/bin/prog", argv);
  exec.flags |= VIGIL_EXEC_ARGV_TRUNCATED;
  Decoder decoder;
  event::Event event;
  ASSERT_TRUE(DecodeExact(&decoder, Serialize(exec, "/bin/prog" + argv), &event).ok());
  EXPECT_TRUE(event.exec.args_truncated);
  EXPECT_THAT(Args(event.exec.argv), ElementsAre("prog", "--verb"));
}

TEST(DecoderTest, DecodesExit) {
  struct Case {
    int32_t raw;
    uint32_t flags;
    int exit_status;
    int signal;
    bool group_dead;
  };
  const Case cases[] = {
      {0, VIGIL_EXIT_GROUP_DEAD, 0, 0, true}, {3 << 8, VIGIL_EXIT_GROUP_DEAD, 3, 0, true},
      {255 << 8, 0, 255, 0, false},           {9, VIGIL_EXIT_GROUP_DEAD, 0, 9, true},
      {11 | 0x80, 0, 0, 11, false},  // SIGSEGV with core dump bit
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.raw);
    Decoder decoder;
    event::Event event;
    ASSERT_TRUE(DecodeExact(&decoder, Serialize(MakeExit(c.raw, c.flags)), &event).ok());
    EXPECT_EQ(event.type, event::kExit);
    ExpectHeaderDecoded(event.task);
    EXPECT_EQ(event.exit.raw_status, c.raw);
    EXPECT_EQ(event.exit.exit_status(), c.exit_status);
    EXPECT_EQ(event.exit.signal(), c.signal);
    EXPECT_EQ(event.exit.group_dead, c.group_dead);
  }
}

TEST(DecoderTest, DecodesOpen) {
  const std::string path = "/etc/shadow";
  Decoder decoder;
  event::Event event;
  ASSERT_TRUE(DecodeExact(&decoder, OpenRecord(path, VIGIL_SYS_OPENAT), &event).ok());
  EXPECT_EQ(event.type, event::kOpen);
  ExpectHeaderDecoded(event.task);
  const event::OpenData& o = event.open;
  EXPECT_EQ(o.syscall, event::OpenSyscall::kOpenAt);
  EXPECT_EQ(o.path, path);
  EXPECT_EQ(o.result, -13);
  EXPECT_EQ(o.flags, 01101u);
  EXPECT_EQ(o.mode, 0644u);
  EXPECT_EQ(o.file_mode, 0100600u);
  EXPECT_FALSE(o.path_truncated);
  EXPECT_FALSE(o.hidden);
  EXPECT_FALSE(o.unresolved);
  EXPECT_FALSE(o.compat);
}

TEST(DecoderTest, DecodesEveryOpenSyscall) {
  struct Case {
    uint32_t raw;
    event::OpenSyscall syscall;
  };
  const Case cases[] = {
      {VIGIL_SYS_OPEN, event::OpenSyscall::kOpen},
      {VIGIL_SYS_OPENAT, event::OpenSyscall::kOpenAt},
      {VIGIL_SYS_OPENAT2, event::OpenSyscall::kOpenAt2},
      {VIGIL_SYS_CREAT, event::OpenSyscall::kCreat},
      {VIGIL_SYS_OPEN_BY_HANDLE_AT, event::OpenSyscall::kOpenByHandleAt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.raw);
    Decoder decoder;
    event::Event event;
    ASSERT_TRUE(DecodeExact(&decoder, OpenRecord("/etc/passwd", c.raw), &event).ok());
    EXPECT_EQ(event.open.syscall, c.syscall);
  }
}

TEST(DecoderTest, DecodesOpenFlags) {
  struct Case {
    uint32_t flags;
    bool truncated;
    bool hidden;
    bool unresolved;
    bool compat;
  };
  // The path has no hidden component, so for unresolved paths `hidden` is recomputed
  // as false regardless of the kernel bit.
  const Case cases[] = {
      {VIGIL_OPEN_PATH_TRUNCATED, true, false, false, false},
      {VIGIL_OPEN_PATH_HIDDEN, false, true, false, false},
      {VIGIL_OPEN_PATH_UNRESOLVED, false, false, true, false},
      {VIGIL_OPEN_COMPAT, false, false, false, true},
      {VIGIL_OPEN_PATH_UNRESOLVED | VIGIL_OPEN_PATH_HIDDEN, false, false, true, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.flags);
    Decoder decoder;
    event::Event event;
    ASSERT_TRUE(
        DecodeExact(&decoder, OpenRecord("/etc/passwd", VIGIL_SYS_OPEN, c.flags), &event).ok());
    EXPECT_EQ(event.open.path_truncated, c.truncated);
    EXPECT_EQ(event.open.hidden, c.hidden);
    EXPECT_EQ(event.open.unresolved, c.unresolved);
    EXPECT_EQ(event.open.compat, c.compat);
  }
}

TEST(DecoderTest, UnresolvedOpenPathGetsHiddenFromItsComponents) {
  struct Case {
    const char* path;
    bool hidden;
  };
  const Case cases[] = {
      {"/tmp/.x", true},     {"./a", false},         {"../b", false},
      {"a/.../b", true},     {"/tmp/.. /x", true},   {"/etc/passwd", false},
      {".ssh/id_rsa", true}, {"/a/./b/../c", false}, {"", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.path);
    Decoder decoder;
    event::Event event;
    // The kernel sets no hidden bit for unresolved paths; the decoder computes it.
    ASSERT_TRUE(DecodeExact(&decoder,
                            OpenRecord(c.path, VIGIL_SYS_OPENAT, VIGIL_OPEN_PATH_UNRESOLVED),
                            &event)
                    .ok());
    EXPECT_TRUE(event.open.unresolved);
    EXPECT_EQ(event.open.path, c.path);
    EXPECT_EQ(event.open.hidden, c.hidden);
  }
}

TEST(DecoderTest, ResolvedOpenPathKeepsTheKernelHiddenBit) {
  Decoder decoder;
  event::Event event;
  // Resolved: the kernel's verdict is used as is, not recomputed from the string.
  ASSERT_TRUE(DecodeExact(&decoder, OpenRecord("/tmp/.x", VIGIL_SYS_OPENAT, 0), &event).ok());
  EXPECT_FALSE(event.open.hidden);
}

TEST(HasHiddenComponentTest, Table) {
  struct Case {
    const char* path;
    bool hidden;
  };
  const Case cases[] = {
      {"/tmp/.x", true},
      {"./a", false},
      {"../b", false},
      {"a/.../b", true},
      {"/tmp/.. /x", true},
      {".", false},
      {"..", false},
      {".hidden", true},
      {"/", false},
      {"", false},
      {"//a//b//", false},
      {"/a/b/.c/", true},
      {"/home/u/.bashrc", true},
      {"/usr/lib/x.so", false},
      {"a./b", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(event::HasHiddenComponent(c.path), c.hidden) << "path '" << c.path << "'";
  }
}

TEST(ArgvIteratorTest, Table) {
  struct Case {
    std::string argv;
    std::vector<std::string> args;
  };
  const Case cases[] = {
      {"", {}},
      {std::string("a\0", 2), {"a"}},
      {std::string("a\0bc\0", 5), {"a", "bc"}},
      {std::string("a\0\0b\0", 5), {"a", "", "b"}},  // empty argument kept
      {std::string("\0", 1), {""}},
      {std::string("ls\0-l", 5), {"ls", "-l"}},  // truncated last argument, no NUL
      {"noterm", {"noterm"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(testing::PrintToString(c.argv));
    std::vector<std::string> got;
    for (absl::string_view arg : Args(c.argv)) got.emplace_back(arg);
    EXPECT_EQ(got, c.args);
  }
}

TEST(ArgvIteratorTest, StaysExhausted) {
  event::ArgvIterator it(absl::string_view("x\0", 2));
  absl::string_view arg;
  ASSERT_TRUE(it.Next(&arg));
  EXPECT_EQ(arg, "x");
  EXPECT_FALSE(it.Next(&arg));
  EXPECT_FALSE(it.Next(&arg));
}

TEST(ArgvIteratorTest, ArgumentsPointIntoTheBlock) {
  const std::string block("ab\0cd", 5);
  event::ArgvIterator it(block);
  absl::string_view arg;
  ASSERT_TRUE(it.Next(&arg));
  EXPECT_EQ(arg.data(), block.data());
  ASSERT_TRUE(it.Next(&arg));
  EXPECT_EQ(arg.data(), block.data() + 3);
  EXPECT_EQ(arg, "cd");
}

// --- Malformed records -------------------------------------------------------------------

struct MalformedCase {
  const char* name;
  Bytes record;
  DecodeError error;
};

std::vector<MalformedCase> MalformedCases() {
  std::vector<MalformedCase> cases;

  cases.push_back({"empty", Bytes{}, DecodeError::kTooShort});
  {
    Bytes r = Serialize(MakeFork());
    r.resize(sizeof(vigil_event_header) - 1);
    cases.push_back({"shorter_than_header", r, DecodeError::kTooShort});
  }
  {
    // A record that is only a header, consistent with itself, but too short for the body.
    vigil_event_header hdr = MakeHeader(VIGIL_EVENT_FORK);
    hdr.size = sizeof(hdr);
    Bytes r(sizeof(hdr));
    std::memcpy(r.data(), &hdr, sizeof(hdr));
    cases.push_back({"fork_shorter_than_body", r, DecodeError::kTooShort});
  }
  for (uint16_t type :
       {uint16_t{VIGIL_EVENT_EXEC}, uint16_t{VIGIL_EVENT_EXIT}, uint16_t{VIGIL_EVENT_OPEN}}) {
    vigil_event_header hdr = MakeHeader(type);
    hdr.size = sizeof(hdr) + 4;
    Bytes r(sizeof(hdr) + 4, 0);
    std::memcpy(r.data(), &hdr, sizeof(hdr));
    cases.push_back({"shorter_than_body", r, DecodeError::kTooShort});
  }
  {
    Bytes r = Serialize(MakeFork());
    SetRecordSize(&r, static_cast<uint32_t>(r.size() + 1));
    cases.push_back({"header_size_larger", r, DecodeError::kSizeMismatch});
  }
  {
    Bytes r = Serialize(MakeFork());
    SetRecordSize(&r, static_cast<uint32_t>(r.size() - 1));
    cases.push_back({"header_size_smaller", r, DecodeError::kSizeMismatch});
  }
  {
    Bytes r = Serialize(MakeFork());
    SetRecordSize(&r, 0);
    cases.push_back({"header_size_zero", r, DecodeError::kSizeMismatch});
  }
  {
    // Header and record agree, but a fork body carries no variable data.
    Bytes r = Serialize(MakeFork(), "junk");
    cases.push_back({"fork_trailing_bytes", r, DecodeError::kSizeMismatch});
  }
  {
    Bytes r = Serialize(MakeExit(0, 0), "x");
    cases.push_back({"exit_trailing_bytes", r, DecodeError::kSizeMismatch});
  }
  for (uint8_t version : {uint8_t{0}, uint8_t{VIGIL_ABI_VERSION + 1}, uint8_t{255}}) {
    vigil_fork_event fork = MakeFork();
    fork.hdr.version = version;
    cases.push_back({"bad_version", Serialize(fork), DecodeError::kBadVersion});
  }
  // 0, a number no module registers, the first beyond the type limit, the largest.
  for (uint16_t type : {uint16_t{0}, uint16_t{VIGIL_EVENT_TYPE_LIMIT - 1},
                        uint16_t{VIGIL_EVENT_TYPE_LIMIT}, uint16_t{0xffff}}) {
    vigil_fork_event fork = MakeFork();
    fork.hdr.type = type;
    cases.push_back({"unknown_type", Serialize(fork), DecodeError::kUnknownType});
  }
  for (uint32_t syscall : {0u, VIGIL_SYS_OPEN_BY_HANDLE_AT + 1u, 0xffffffffu}) {
    cases.push_back(
        {"unknown_open_syscall", OpenRecord("/etc/passwd", syscall), DecodeError::kUnknownType});
  }
  {
    const std::string path(VIGIL_PATH_MAX + 1, 'p');
    cases.push_back({"exec_path_len_over_max", ExecRecord(path, ""), DecodeError::kBadLength});
  }
  {
    const std::string argv(VIGIL_ARGV_MAX + 1, 'a');
    cases.push_back({"exec_argv_len_over_max", ExecRecord("/x", argv), DecodeError::kBadLength});
  }
  {
    // Huge lengths that would overflow a 32-bit sum; must be rejected before use.
    vigil_exec_event exec = MakeExec("", "");
    exec.path_len = 0xffffffffu;
    exec.argv_len = 0xffffffffu;
    cases.push_back({"exec_lengths_huge", Serialize(exec), DecodeError::kBadLength});
  }
  {
    const std::string path(VIGIL_PATH_MAX + 1, 'p');
    cases.push_back({"open_path_len_over_max", OpenRecord(path), DecodeError::kBadLength});
  }
  {
    vigil_open_event open = MakeOpen("");
    open.path_len = 0xffffffffu;
    cases.push_back({"open_path_len_huge", Serialize(open), DecodeError::kBadLength});
  }
  {
    // path_len + argv_len say 10 bytes, record carries 9.
    vigil_exec_event exec = MakeExec("/bin/ls", std::string("ls\0", 3));
    cases.push_back(
        {"exec_lengths_exceed_record", Serialize(exec, "/bin/lsls"), DecodeError::kSizeMismatch});
  }
  {
    // path_len + argv_len say 10 bytes, record carries 11.
    vigil_exec_event exec = MakeExec("/bin/ls", std::string("ls\0", 3));
    cases.push_back({"exec_lengths_short_of_record",
                     Serialize(exec, std::string("/bin/lsls\0\0", 11)),
                     DecodeError::kSizeMismatch});
  }
  {
    vigil_exec_event exec = MakeExec("/bin/ls", "");
    exec.path_len = 3;  // 7 bytes follow
    cases.push_back(
        {"exec_path_len_short", Serialize(exec, "/bin/ls"), DecodeError::kSizeMismatch});
  }
  {
    vigil_open_event open = MakeOpen("/etc/passwd");
    open.path_len = 12;  // 11 bytes follow
    cases.push_back({"open_path_len_exceeds_record", Serialize(open, "/etc/passwd"),
                     DecodeError::kSizeMismatch});
  }
  {
    vigil_open_event open = MakeOpen("/etc/passwd");
    open.path_len = 10;  // 11 bytes follow
    cases.push_back({"open_path_len_short_of_record", Serialize(open, "/etc/passwd"),
                     DecodeError::kSizeMismatch});
  }
  return cases;
}

TEST(DecoderMalformedTest, EachIsRejectedAndCountedUnderItsReason) {
  for (const MalformedCase& c : MalformedCases()) {
    SCOPED_TRACE(c.name);
    Decoder decoder;
    event::Event event;
    absl::Status status = DecodeExact(&decoder, c.record, &event);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(status.message()), HasSubstr(std::string(DecodeErrorName(c.error))));
    for (int i = 0; i < Index(DecodeError::kCount); ++i) {
      EXPECT_EQ(decoder.errors()[i], i == Index(c.error) ? 1u : 0u)
          << "counter " << DecodeErrorName(static_cast<DecodeError>(i));
    }
    EXPECT_EQ(decoder.decoded(), 0u);
  }
}

TEST(DecoderMalformedTest, CountersAccumulateAcrossRecords) {
  Decoder decoder;
  event::Event event;
  const std::vector<MalformedCase> cases = MalformedCases();
  std::array<uint64_t, static_cast<int>(DecodeError::kCount)> expected{};
  const Bytes good_fork = Serialize(MakeFork());
  const Bytes good_exec = ExecRecord("/bin/true", std::string("true\0", 5));
  const Bytes good_open = OpenRecord("/etc/hosts");
  uint64_t good = 0;
  for (const MalformedCase& c : cases) {
    EXPECT_FALSE(DecodeExact(&decoder, c.record, &event).ok()) << c.name;
    ++expected[Index(c.error)];
    // Interleave good records: they are counted as decoded and not as errors.
    for (const Bytes* r : {&good_fork, &good_exec, &good_open}) {
      EXPECT_TRUE(DecodeExact(&decoder, *r, &event).ok());
      ++good;
    }
  }
  EXPECT_EQ(decoder.errors(), expected);
  EXPECT_EQ(decoder.decoded(), good);
  // Every reason is exercised at least once by the table.
  for (int i = 0; i < Index(DecodeError::kCount); ++i) {
    EXPECT_GT(expected[i], 0u) << DecodeErrorName(static_cast<DecodeError>(i));
  }
}

// Every prefix of a valid record (0..size-1 bytes) is rejected, read only within the
// prefix, and counted; `decoded()` is unaffected.
TEST(DecoderMalformedTest, EveryTruncationIsRejected) {
  struct Case {
    const char* name;
    Bytes record;
  };
  const Case cases[] = {
      {"fork", Serialize(MakeFork())},
      {"exec", ExecRecord("/usr/bin/python3", std::string("python3\0-c\0pass\0", 16))},
      {"exit", Serialize(MakeExit(1 << 8, VIGIL_EXIT_GROUP_DEAD))},
      {"open", OpenRecord("/etc/shadow")},
      {"open_unresolved", OpenRecord("/tmp/.x", VIGIL_SYS_OPEN, VIGIL_OPEN_PATH_UNRESOLVED)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Decoder decoder;
    event::Event event;
    ASSERT_TRUE(DecodeExact(&decoder, c.record, &event).ok());
    ASSERT_EQ(decoder.decoded(), 1u);
    uint64_t rejected = 0;
    for (size_t len = 0; len < c.record.size(); ++len) {
      const Bytes prefix(c.record.begin(), c.record.begin() + len);
      absl::Status status = DecodeExact(&decoder, prefix, &event);
      EXPECT_FALSE(status.ok()) << "accepted a record truncated to " << len << " bytes";
      ++rejected;
    }
    EXPECT_EQ(decoder.decoded(), 1u);
    // Shorter than the header: too short. Otherwise the header's size disagrees.
    const uint64_t too_short = sizeof(vigil_event_header);
    EXPECT_EQ(decoder.errors()[Index(DecodeError::kTooShort)], too_short);
    EXPECT_EQ(decoder.errors()[Index(DecodeError::kSizeMismatch)], rejected - too_short);
    EXPECT_EQ(decoder.errors()[Index(DecodeError::kBadVersion)], 0u);
    EXPECT_EQ(decoder.errors()[Index(DecodeError::kUnknownType)], 0u);
    EXPECT_EQ(decoder.errors()[Index(DecodeError::kBadLength)], 0u);
  }
}

// Truncations whose header size field is rewritten to match: the body checks catch them.
TEST(DecoderMalformedTest, EveryTruncationWithMatchingHeaderSizeIsRejected) {
  struct Case {
    const char* name;
    Bytes record;
  };
  const Case cases[] = {
      {"fork", Serialize(MakeFork())},
      {"exec", ExecRecord("/usr/bin/python3", std::string("python3\0-c\0pass\0", 16))},
      {"exit", Serialize(MakeExit(0, 0))},
      {"open", OpenRecord("/etc/shadow")},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Decoder decoder;
    event::Event event;
    for (size_t len = sizeof(vigil_event_header); len < c.record.size(); ++len) {
      Bytes prefix(c.record.begin(), c.record.begin() + len);
      SetRecordSize(&prefix, static_cast<uint32_t>(len));
      EXPECT_FALSE(DecodeExact(&decoder, prefix, &event).ok()) << len << " bytes";
    }
    EXPECT_EQ(decoder.decoded(), 0u);
    const uint64_t total = c.record.size() - sizeof(vigil_event_header);
    const uint64_t counted = decoder.errors()[Index(DecodeError::kTooShort)] +
                             decoder.errors()[Index(DecodeError::kSizeMismatch)];
    EXPECT_EQ(counted, total);
    EXPECT_GT(decoder.errors()[Index(DecodeError::kTooShort)], 0u);
  }
}

TEST(DecoderTest, DecodedCountsOnlyGoodRecords) {
  Decoder decoder;
  event::Event event;
  EXPECT_EQ(decoder.decoded(), 0u);
  EXPECT_TRUE(DecodeExact(&decoder, Serialize(MakeFork()), &event).ok());
  EXPECT_FALSE(DecodeExact(&decoder, Bytes(3, 0), &event).ok());
  EXPECT_TRUE(DecodeExact(&decoder, Serialize(MakeExit(0, 0)), &event).ok());
  EXPECT_FALSE(DecodeExact(&decoder, OpenRecord("/x", 99), &event).ok());
  EXPECT_TRUE(DecodeExact(&decoder, OpenRecord("/x"), &event).ok());
  EXPECT_EQ(decoder.decoded(), 3u);
  EXPECT_EQ(decoder.errors()[Index(DecodeError::kTooShort)], 1u);
  EXPECT_EQ(decoder.errors()[Index(DecodeError::kUnknownType)], 1u);
}

TEST(DecoderTest, AcceptsUnalignedRecords) {
  const Bytes record = ExecRecord("/bin/sh", std::string("sh\0", 3));
  Bytes shifted(record.size() + 1);
  std::memcpy(shifted.data() + 1, record.data(), record.size());
  Decoder decoder;
  event::Event event;
  ASSERT_TRUE(decoder.Decode(shifted.data() + 1, record.size(), &event).ok());
  EXPECT_EQ(event.exec.exe, "/bin/sh");
  ExpectHeaderDecoded(event.task);
}

}  // namespace
}  // namespace vigil::sensor

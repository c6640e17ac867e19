// Unit tests for the process module's records (sensor/probes/process/process_records.cc)
// through sensor/decoder.h: fork, exec and exit records in, event::ForkData, ExecData and
// ExitData out; and event::ArgvIterator over the exec argv block.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "bpf/abi/process.h"
#include "event/event.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sensor/decoder.h"
#include "tests/sensor/record_builder.h"

namespace vigil::sensor {
namespace {

using ::testing::ElementsAre;

// The arguments ArgvIterator finds in `argv`.
std::vector<absl::string_view> Args(absl::string_view argv) {
  std::vector<absl::string_view> out;
  event::ArgvIterator it(argv);
  absl::string_view arg;
  while (it.Next(&arg)) out.push_back(arg);
  return out;
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
  EXPECT_FALSE(x.file_is_memfd);
  EXPECT_FALSE(x.file_unlinked);
  EXPECT_EQ(x.cap_permitted, 0x2000u);
  EXPECT_EQ(x.cap_effective, 0x400u);
  EXPECT_EQ(x.cap_permitted_before, 0x1ffffffffffu);
  EXPECT_EQ(x.cap_effective_before, 0x1000000000u);
}

TEST(DecoderTest, DecodesExecFileFlags) {
  struct Case {
    uint32_t flags;
    bool memfd;
    bool unlinked;
    bool deleted;  // ExecData::file_deleted(): unlinked, memfd excluded
  };
  const Case cases[] = {
      {0, false, false, false},
      {VIGIL_EXEC_FILE_UNLINKED, false, true, true},
      {VIGIL_EXEC_FILE_MEMFD | VIGIL_EXEC_FILE_UNLINKED, true, true, false},
      {VIGIL_EXEC_FILE_MEMFD, true, false, false},  // a memfd someone linked (linkat)
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.flags);
    vigil_exec_event exec = MakeExec("/x", "");
    exec.flags = VIGIL_EXEC_CREDS_BEFORE | c.flags;
    Decoder decoder;
    event::Event event;
    ASSERT_TRUE(DecodeExact(&decoder, Serialize(exec, "/x"), &event).ok());
    EXPECT_EQ(event.exec.file_is_memfd, c.memfd);
    EXPECT_EQ(event.exec.file_unlinked, c.unlinked);
    EXPECT_EQ(event.exec.file_deleted(), c.deleted);
    EXPECT_TRUE(event.exec.creds_before_known);
    EXPECT_FALSE(event.exec.exe_truncated);
    EXPECT_FALSE(event.exec.args_truncated);
  }
}

TEST(DecoderTest, CapGainedIsPermittedAfterMinusPermittedBefore) {
  struct Case {
    uint64_t before;
    uint64_t after;
    uint64_t gained;
  };
  const Case cases[] = {
      {0, 0, 0},
      {0, 0x2000, 0x2000},                             // file capability CAP_NET_RAW
      {0x1ffffffffff, 0x1ffffffffff, 0},               // root stays root
      {0x1ffffffffff, 0, 0},                           // dropping is not gaining
      {0x3, 0x1ffffffffff, 0x1fffffffffc},             // setuid root
      {0x8000000000, 0x8000000001, 0x1},               // a high bit kept, a low bit gained
      {0xffffffff00000000, ~uint64_t{0}, 0xffffffff},  // both words of the old layout
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.before);
    vigil_exec_event exec = MakeExec("/x", "");
    exec.cap_permitted_before = c.before;
    exec.cap_permitted = c.after;
    Decoder decoder;
    event::Event event;
    ASSERT_TRUE(DecodeExact(&decoder, Serialize(exec, "/x"), &event).ok());
    EXPECT_EQ(event.exec.cap_permitted_before, c.before);
    EXPECT_EQ(event.exec.cap_permitted, c.after);
    EXPECT_EQ(event.exec.cap_gained(), c.gained);
  }
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
    EXPECT_EQ(event.exec.caps_before_known, c.creds_before_known);
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

}  // namespace
}  // namespace vigil::sensor

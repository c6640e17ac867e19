// Unit tests for sensor/decoder.h: the common header checks (size, version, type) and the
// per-reason error counters, over records of every module. What each module's records
// decode to is tested next to its decoder (tests/sensor/probes/*/..._records_test.cc).
#include "sensor/decoder.h"

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "bpf/abi/file.h"
#include "bpf/abi/process.h"
#include "bpf/abi/vigil_event.h"
#include "event/event.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/sensor/record_builder.h"

namespace vigil::sensor {
namespace {

using ::testing::HasSubstr;

int Index(DecodeError error) { return static_cast<int>(error); }

TEST(DecodeErrorNameTest, EveryReasonHasAStableName) {
  EXPECT_EQ(DecodeErrorName(DecodeError::kTooShort), "too_short");
  EXPECT_EQ(DecodeErrorName(DecodeError::kSizeMismatch), "size_mismatch");
  EXPECT_EQ(DecodeErrorName(DecodeError::kBadVersion), "bad_version");
  EXPECT_EQ(DecodeErrorName(DecodeError::kUnknownType), "unknown_type");
  EXPECT_EQ(DecodeErrorName(DecodeError::kBadLength), "bad_length");
}

TEST(DecoderTest, CommWithoutNulUsesAllSixteenBytes) {
  vigil_fork_event fork = MakeFork();
  std::memcpy(fork.hdr.comm, "0123456789abcdef", VIGIL_COMM_LEN);  // no terminating NUL
  Decoder decoder;
  event::Event event;
  ASSERT_TRUE(DecodeExact(&decoder, Serialize(fork), &event).ok());
  EXPECT_EQ(event.task.comm, "0123456789abcdef");
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

// Unit tests for the file module's operation records (sensor/probes/file/file_ops_records.cc)
// through sensor/decoder.h: every file-operation syscall round-trips into event::FileOpData
// under its event type (paths, path2, identity and old attributes only with their flags,
// record flags as bools); malformed records are refused under the right reason (lengths
// over VIGIL_FILE_OP_PATH_MAX, unknown syscalls, a syscall under the wrong event type, a
// tail that does not match the lengths); a caller's name (from_arg) is put in canonical
// form, except a symlink's target and a non-bind mount's source, and its hidden bit is
// recomputed from the result; and the --print-events line of every file-operation event
// (one value per key, the task's fields not overwritten).
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "bpf/abi/file_ops.h"
#include "event/event.h"
#include "event/modules/file_ops.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sensor/decoder.h"
#include "sensor/output/event_json.h"
#include "tests/sensor/record_builder.h"

namespace vigil::sensor {
namespace {

using ::testing::HasSubstr;

constexpr uint64_t kMsBind = 0x1000;
constexpr uint64_t kMsMove = 0x2000;

// Every file-operation syscall with the event type its records have.
struct SyscallType {
  uint32_t syscall;
  uint16_t type;
  const char* name;
};

const std::vector<SyscallType>& AllSyscalls() {
  static const auto* all = new std::vector<SyscallType>{
      {VIGIL_SYS_UNLINK, VIGIL_EVENT_UNLINK, "unlink"},
      {VIGIL_SYS_UNLINKAT, VIGIL_EVENT_UNLINK, "unlinkat"},
      {VIGIL_SYS_RMDIR, VIGIL_EVENT_UNLINK, "rmdir"},
      {VIGIL_SYS_RENAME, VIGIL_EVENT_RENAME, "rename"},
      {VIGIL_SYS_RENAMEAT, VIGIL_EVENT_RENAME, "renameat"},
      {VIGIL_SYS_RENAMEAT2, VIGIL_EVENT_RENAME, "renameat2"},
      {VIGIL_SYS_MKDIR, VIGIL_EVENT_MKDIR, "mkdir"},
      {VIGIL_SYS_MKDIRAT, VIGIL_EVENT_MKDIR, "mkdirat"},
      {VIGIL_SYS_LINK, VIGIL_EVENT_LINK, "link"},
      {VIGIL_SYS_LINKAT, VIGIL_EVENT_LINK, "linkat"},
      {VIGIL_SYS_SYMLINK, VIGIL_EVENT_SYMLINK, "symlink"},
      {VIGIL_SYS_SYMLINKAT, VIGIL_EVENT_SYMLINK, "symlinkat"},
      {VIGIL_SYS_CHMOD, VIGIL_EVENT_CHMOD, "chmod"},
      {VIGIL_SYS_FCHMOD, VIGIL_EVENT_CHMOD, "fchmod"},
      {VIGIL_SYS_FCHMODAT, VIGIL_EVENT_CHMOD, "fchmodat"},
      {VIGIL_SYS_FCHMODAT2, VIGIL_EVENT_CHMOD, "fchmodat2"},
      {VIGIL_SYS_CHOWN, VIGIL_EVENT_CHOWN, "chown"},
      {VIGIL_SYS_FCHOWN, VIGIL_EVENT_CHOWN, "fchown"},
      {VIGIL_SYS_LCHOWN, VIGIL_EVENT_CHOWN, "lchown"},
      {VIGIL_SYS_FCHOWNAT, VIGIL_EVENT_CHOWN, "fchownat"},
      {VIGIL_SYS_TRUNCATE, VIGIL_EVENT_TRUNCATE, "truncate"},
      {VIGIL_SYS_FTRUNCATE, VIGIL_EVENT_TRUNCATE, "ftruncate"},
      {VIGIL_SYS_MEMFD_CREATE, VIGIL_EVENT_MEMFD, "memfd_create"},
      {VIGIL_SYS_MOUNT, VIGIL_EVENT_MOUNT, "mount"},
  };
  return *all;
}

const uint16_t kAllTypes[] = {VIGIL_EVENT_UNLINK, VIGIL_EVENT_RENAME,   VIGIL_EVENT_MKDIR,
                              VIGIL_EVENT_LINK,   VIGIL_EVENT_SYMLINK,  VIGIL_EVENT_CHMOD,
                              VIGIL_EVENT_CHOWN,  VIGIL_EVENT_TRUNCATE, VIGIL_EVENT_MEMFD,
                              VIGIL_EVENT_MOUNT};

// Decodes `record`, expecting success.
void DecodeOk(const Bytes& record, event::Event* event) {
  Decoder decoder;
  const absl::Status status = DecodeExact(&decoder, record, event);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(decoder.decoded(), 1u);
}

// Decodes `record`, expecting it refused and counted under `error` (and only there).
void ExpectRefused(const Bytes& record, DecodeError error) {
  Decoder decoder;
  event::Event event;
  const absl::Status status = DecodeExact(&decoder, record, &event);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr(std::string(DecodeErrorName(error))));
  EXPECT_EQ(decoder.errors()[static_cast<int>(error)], 1u);
  EXPECT_EQ(decoder.total_errors(), 1u);
  EXPECT_EQ(decoder.decoded(), 0u);
}

// Decodes one record of `type`/`syscall` with `flags` and returns the decoded paths.
struct Paths {
  std::string path;
  std::string path2;
  bool hidden = false;
  bool hidden2 = false;
};
Paths DecodePaths(uint16_t type, uint32_t syscall, const std::string& path,
                  const std::string& path2, uint32_t flags, uint64_t op_flags = 0) {
  vigil_file_op_event e = MakeFileOp(type, syscall, path, path2, flags);
  e.op_flags = op_flags;
  event::Event event;
  DecodeOk(Serialize(e, path + path2), &event);
  return {std::string(event.file_op.path), std::string(event.file_op.path2), event.file_op.hidden,
          event.file_op.hidden2};
}

// --- Round trips ---------------------------------------------------------------------------

TEST(FileOpDecoderTest, EverySyscallRoundTripsUnderItsEventType) {
  for (const SyscallType& c : AllSyscalls()) {
    SCOPED_TRACE(c.name);
    const std::string path = std::string("/tmp/x/") + c.name;
    const std::string path2 = "/tmp/x/second";
    event::Event event;
    DecodeOk(FileOpRecord(c.type, c.syscall, path, path2), &event);
    EXPECT_EQ(event.type, event::EventType{c.type});
    ExpectHeaderDecoded(event.task);
    const event::FileOpData& f = event.file_op;
    EXPECT_EQ(static_cast<uint32_t>(f.syscall), c.syscall);
    EXPECT_EQ(event::FileOpSyscallName(f.syscall), c.name);
    EXPECT_EQ(f.path, path);
    EXPECT_EQ(f.path2, path2);
    EXPECT_EQ(f.result, -17);
    EXPECT_EQ(f.op_flags, 0x401u);
    EXPECT_EQ(f.mode, 04755u);
    EXPECT_EQ(f.uid, 1234u);
    EXPECT_EQ(f.gid, 5678u);
    EXPECT_EQ(f.length, 0x100000001LL);
    // No flags: no identity, no old attributes, every flag bool false.
    EXPECT_FALSE(f.has_identity);
    EXPECT_FALSE(f.has_old_attrs);
    EXPECT_FALSE(f.path_truncated);
    EXPECT_FALSE(f.path2_truncated);
    EXPECT_FALSE(f.hidden);
    EXPECT_FALSE(f.hidden2);
    EXPECT_FALSE(f.from_arg);
    EXPECT_FALSE(f.from_arg2);
    EXPECT_FALSE(f.compat);
    EXPECT_FALSE(f.io_uring);
  }
}

TEST(FileOpDecoderTest, OnePathAndNoPathDecode) {
  event::Event event;
  DecodeOk(FileOpRecord(VIGIL_EVENT_UNLINK, VIGIL_SYS_UNLINK, "/tmp/x/a"), &event);
  EXPECT_EQ(event.file_op.path, "/tmp/x/a");
  EXPECT_EQ(event.file_op.path2, "");
  // A memfd whose name could not be read has no path at all.
  DecodeOk(FileOpRecord(VIGIL_EVENT_MEMFD, VIGIL_SYS_MEMFD_CREATE, ""), &event);
  EXPECT_EQ(event.file_op.path, "");
  EXPECT_EQ(event.file_op.path2, "");
}

TEST(FileOpDecoderTest, PathsOfTheLongestAllowedLengthDecode) {
  const std::string path = "/" + std::string(VIGIL_FILE_OP_PATH_MAX - 1, 'a');
  const std::string path2 = "/" + std::string(VIGIL_FILE_OP_PATH_MAX - 1, 'b');
  event::Event event;
  DecodeOk(FileOpRecord(VIGIL_EVENT_RENAME, VIGIL_SYS_RENAME, path, path2,
                        VIGIL_FILE_OP_PATH_TRUNCATED | VIGIL_FILE_OP_PATH2_TRUNCATED),
           &event);
  EXPECT_EQ(event.file_op.path, path);
  EXPECT_EQ(event.file_op.path2, path2);
  EXPECT_TRUE(event.file_op.path_truncated);
  EXPECT_TRUE(event.file_op.path2_truncated);
}

TEST(FileOpDecoderTest, IdentityOnlyWithItsFlag) {
  event::Event event;
  DecodeOk(FileOpRecord(VIGIL_EVENT_CHMOD, VIGIL_SYS_FCHMOD, "/tmp/x/f"), &event);
  EXPECT_FALSE(event.file_op.has_identity);
  EXPECT_EQ(event.file_op.dev, 0u);
  EXPECT_EQ(event.file_op.ino, 0u);
  EXPECT_EQ(event.file_op.nlink, 0u);
  EXPECT_EQ(event.file_op.file_mode, 0u);

  DecodeOk(
      FileOpRecord(VIGIL_EVENT_CHMOD, VIGIL_SYS_FCHMOD, "/tmp/x/f", "", VIGIL_FILE_OP_IDENTITY),
      &event);
  EXPECT_TRUE(event.file_op.has_identity);
  EXPECT_EQ(event.file_op.dev, 0x803u);
  EXPECT_EQ(event.file_op.ino, 0x123456789ULL);
  EXPECT_EQ(event.file_op.nlink, 3u);
  EXPECT_EQ(event.file_op.file_mode, 0100640u);
  // The identity flag says nothing of the old attributes.
  EXPECT_FALSE(event.file_op.has_old_attrs);
  EXPECT_EQ(event.file_op.old_mode, 0u);
}

TEST(FileOpDecoderTest, OldAttributesOnlyWithTheirFlag) {
  event::Event event;
  DecodeOk(FileOpRecord(VIGIL_EVENT_CHOWN, VIGIL_SYS_CHOWN, "/tmp/x/f"), &event);
  EXPECT_FALSE(event.file_op.has_old_attrs);
  EXPECT_EQ(event.file_op.old_mode, 0u);
  EXPECT_EQ(event.file_op.old_uid, 0u);
  EXPECT_EQ(event.file_op.old_gid, 0u);

  DecodeOk(
      FileOpRecord(VIGIL_EVENT_CHOWN, VIGIL_SYS_CHOWN, "/tmp/x/f", "", VIGIL_FILE_OP_OLD_ATTRS),
      &event);
  EXPECT_TRUE(event.file_op.has_old_attrs);
  EXPECT_EQ(event.file_op.old_mode, 0100644u);
  EXPECT_EQ(event.file_op.old_uid, 31u);
  EXPECT_EQ(event.file_op.old_gid, 32u);
  EXPECT_FALSE(event.file_op.has_identity);
  EXPECT_EQ(event.file_op.ino, 0u);
}

TEST(FileOpDecoderTest, EachRecordFlagSetsItsBoolOnly) {
  struct Case {
    uint32_t flag;
    bool event::FileOpData::*member;
  };
  const Case cases[] = {
      {VIGIL_FILE_OP_PATH_TRUNCATED, &event::FileOpData::path_truncated},
      {VIGIL_FILE_OP_PATH2_TRUNCATED, &event::FileOpData::path2_truncated},
      {VIGIL_FILE_OP_PATH_HIDDEN, &event::FileOpData::hidden},
      {VIGIL_FILE_OP_PATH2_HIDDEN, &event::FileOpData::hidden2},
      {VIGIL_FILE_OP_PATH_FROM_ARG, &event::FileOpData::from_arg},
      {VIGIL_FILE_OP_PATH2_FROM_ARG, &event::FileOpData::from_arg2},
      {VIGIL_FILE_OP_COMPAT, &event::FileOpData::compat},
      {VIGIL_FILE_OP_IDENTITY, &event::FileOpData::has_identity},
      {VIGIL_FILE_OP_OLD_ATTRS, &event::FileOpData::has_old_attrs},
      {VIGIL_FILE_OP_IO_URING, &event::FileOpData::io_uring},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.flag);
    event::Event event;
    DecodeOk(FileOpRecord(VIGIL_EVENT_RENAME, VIGIL_SYS_RENAMEAT2, "/tmp/x/a", "/tmp/x/b", c.flag),
             &event);
    for (const Case& other : cases) {
      EXPECT_EQ(event.file_op.*(other.member), other.flag == c.flag) << "flag " << other.flag;
    }
  }
}

// --- Refused records -----------------------------------------------------------------------

TEST(FileOpDecoderTest, PathLongerThanTheMaximumIsABadLength) {
  const std::string too_long = "/" + std::string(VIGIL_FILE_OP_PATH_MAX, 'a');
  {
    SCOPED_TRACE("path");
    ExpectRefused(FileOpRecord(VIGIL_EVENT_UNLINK, VIGIL_SYS_UNLINK, too_long),
                  DecodeError::kBadLength);
  }
  {
    SCOPED_TRACE("path2");
    ExpectRefused(FileOpRecord(VIGIL_EVENT_RENAME, VIGIL_SYS_RENAME, "/tmp/x/a", too_long),
                  DecodeError::kBadLength);
  }
  {
    SCOPED_TRACE("lengths huge, no bytes behind them");
    vigil_file_op_event e = MakeFileOp(VIGIL_EVENT_LINK, VIGIL_SYS_LINK, "", "");
    e.path_len = 0xffff;
    e.path2_len = 0xffff;
    ExpectRefused(Serialize(e), DecodeError::kBadLength);
  }
}

TEST(FileOpDecoderTest, UnknownSyscallIsAnUnknownType) {
  for (uint32_t syscall : {0u, uint32_t{VIGIL_SYS_FILE_OP_LAST} + 1, 0xffffffffu}) {
    SCOPED_TRACE(syscall);
    ExpectRefused(FileOpRecord(VIGIL_EVENT_MOUNT, syscall, "/tmp/x/a"), DecodeError::kUnknownType);
  }
}

TEST(FileOpDecoderTest, SyscallUnderAnotherEventTypeIsAnUnknownType) {
  ExpectRefused(FileOpRecord(VIGIL_EVENT_UNLINK, VIGIL_SYS_MKDIR, "/tmp/x/a"),
                DecodeError::kUnknownType);
  // Every syscall under every event type but its own.
  for (const SyscallType& c : AllSyscalls()) {
    for (uint16_t type : kAllTypes) {
      if (type == c.type) continue;
      SCOPED_TRACE(std::string(c.name) + " as type " + std::to_string(type));
      ExpectRefused(FileOpRecord(type, c.syscall, "/tmp/x/a"), DecodeError::kUnknownType);
    }
  }
}

TEST(FileOpDecoderTest, TailThatDoesNotMatchTheLengthsIsASizeMismatch) {
  struct Case {
    const char* name;
    uint16_t path_len;
    uint16_t path2_len;
    std::string tail;
  };
  const Case cases[] = {
      {"tail longer", 8, 8, "/tmp/x/a/tmp/x/b!"},
      {"tail shorter", 8, 8, "/tmp/x/a/tmp/x/"},
      {"no tail", 8, 0, ""},
      {"path2 only, tail longer", 0, 3, "/ab/"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    vigil_file_op_event e = MakeFileOp(VIGIL_EVENT_RENAME, VIGIL_SYS_RENAME, "", "");
    e.path_len = c.path_len;
    e.path2_len = c.path2_len;
    ExpectRefused(Serialize(e, c.tail), DecodeError::kSizeMismatch);
  }
}

TEST(FileOpDecoderTest, EveryTruncationIsRefused) {
  const Bytes record = FileOpRecord(VIGIL_EVENT_RENAME, VIGIL_SYS_RENAMEAT2, "/tmp/x/a", "/tmp/b");
  for (size_t size = 0; size < record.size(); ++size) {
    SCOPED_TRACE(size);
    Bytes prefix(record.begin(), record.begin() + size);
    Decoder decoder;
    event::Event event;
    EXPECT_FALSE(DecodeExact(&decoder, prefix, &event).ok());
    EXPECT_EQ(decoder.total_errors(), 1u);
    EXPECT_EQ(decoder.decoded(), 0u);
  }
}

// --- Canonical form and hidden bit of a caller's name --------------------------------------

TEST(FileOpDecoderTest, CallersNameIsPutInCanonicalForm) {
  struct Case {
    const char* raw;
    const char* canonical;
  };
  const Case cases[] = {
      {"/a/./b//c/../d", "/a/b/d"},
      {"/..", "/"},
      {"/tmp/x/../../etc/shadow", "/etc/shadow"},
      {"/tmp/x/", "/tmp/x"},
      {"/tmp/x/a", "/tmp/x/a"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.raw);
    const Paths p =
        DecodePaths(VIGIL_EVENT_UNLINK, VIGIL_SYS_UNLINKAT, c.raw, "", VIGIL_FILE_OP_PATH_FROM_ARG);
    EXPECT_EQ(p.path, c.canonical);
    // path2 alike, under its own flag.
    const Paths p2 = DecodePaths(VIGIL_EVENT_RENAME, VIGIL_SYS_RENAMEAT, "/tmp/x/src", c.raw,
                                 VIGIL_FILE_OP_PATH2_FROM_ARG);
    EXPECT_EQ(p2.path, "/tmp/x/src");
    EXPECT_EQ(p2.path2, c.canonical);
  }
}

TEST(FileOpDecoderTest, BothNamesAreNormalisedIndependently) {
  const Paths p = DecodePaths(VIGIL_EVENT_LINK, VIGIL_SYS_LINKAT, "/a/../b/./c", "/d//e/../f",
                              VIGIL_FILE_OP_PATH_FROM_ARG | VIGIL_FILE_OP_PATH2_FROM_ARG);
  EXPECT_EQ(p.path, "/b/c");
  EXPECT_EQ(p.path2, "/d/f");
}

TEST(FileOpDecoderTest, KernelWalkedPathsAreNotRewritten) {
  // Without from_arg the path is the kernel's own: taken as is, whatever its bytes.
  const Paths p = DecodePaths(VIGIL_EVENT_RENAME, VIGIL_SYS_RENAME, "/a/./b", "/c/../d", 0);
  EXPECT_EQ(p.path, "/a/./b");
  EXPECT_EQ(p.path2, "/c/../d");
}

TEST(FileOpDecoderTest, SymlinkTargetIsKeptLiterallyAndItsNewNameNormalised) {
  const uint32_t both = VIGIL_FILE_OP_PATH_FROM_ARG | VIGIL_FILE_OP_PATH2_FROM_ARG;
  for (uint32_t syscall : {uint32_t{VIGIL_SYS_SYMLINK}, uint32_t{VIGIL_SYS_SYMLINKAT}}) {
    SCOPED_TRACE(syscall);
    Paths p = DecodePaths(VIGIL_EVENT_SYMLINK, syscall, "../etc/./x", "/tmp/x/./s", both);
    EXPECT_EQ(p.path, "../etc/./x");
    EXPECT_EQ(p.path2, "/tmp/x/s");
    p = DecodePaths(VIGIL_EVENT_SYMLINK, syscall, "/a/../b//c/", "/tmp/x/../s", both);
    EXPECT_EQ(p.path, "/a/../b//c/");
    EXPECT_EQ(p.path2, "/tmp/s");
  }
}

TEST(FileOpDecoderTest, MountSourceIsNormalisedOnlyForBindAndMove) {
  const uint32_t both = VIGIL_FILE_OP_PATH_FROM_ARG | VIGIL_FILE_OP_PATH2_FROM_ARG;
  struct Case {
    uint64_t op_flags;
    const char* source;
  };
  const Case cases[] = {
      {0, "/dev/./sda1/"},                    // a device name: kept
      {0x1 /* MS_RDONLY */, "/dev/./sda1/"},  //
      {kMsBind, "/dev/sda1"},                 // a path: canonical
      {kMsBind | 0x4000 /* MS_REC */, "/dev/sda1"},
      {kMsMove, "/dev/sda1"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.op_flags);
    const Paths p = DecodePaths(VIGIL_EVENT_MOUNT, VIGIL_SYS_MOUNT, "/dev/./sda1/", "/mnt/./m/",
                                both, c.op_flags);
    EXPECT_EQ(p.path, c.source);
    EXPECT_EQ(p.path2, "/mnt/m");  // the mount point always is a path
  }
}

TEST(FileOpDecoderTest, HiddenIsRecomputedForACallersName) {
  struct Case {
    const char* path;
    uint32_t kernel_hidden;  // what the kernel's pre-filter said
    bool hidden;
  };
  const Case cases[] = {
      {"/tmp/.x", 0, true},  // the kernel scans only the end
      {"/tmp/.cache/deep/name", 0, true},
      {"/tmp/x/./y", 1, false},  // a suspect that is not hidden
      {"/tmp/x/../y", 1, false},
      {"/tmp/.x/../y", 1, false},  // decided on the canonical form
      {"/tmp/x/y", 0, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.path);
    Paths p = DecodePaths(
        VIGIL_EVENT_MKDIR, VIGIL_SYS_MKDIRAT, c.path, "",
        VIGIL_FILE_OP_PATH_FROM_ARG | (c.kernel_hidden ? VIGIL_FILE_OP_PATH_HIDDEN : 0));
    EXPECT_EQ(p.hidden, c.hidden);
    p = DecodePaths(
        VIGIL_EVENT_RENAME, VIGIL_SYS_RENAMEAT2, "/tmp/x/a", c.path,
        VIGIL_FILE_OP_PATH2_FROM_ARG | (c.kernel_hidden ? VIGIL_FILE_OP_PATH2_HIDDEN : 0));
    EXPECT_EQ(p.hidden2, c.hidden);
    EXPECT_FALSE(p.hidden);
  }
}

TEST(FileOpDecoderTest, KernelWalkedPathKeepsTheKernelHiddenBit) {
  // Not from_arg: the kernel's walk decided, and the string is not looked at.
  Paths p = DecodePaths(VIGIL_EVENT_RENAME, VIGIL_SYS_RENAME, "/tmp/.x", "/tmp/.y", 0);
  EXPECT_FALSE(p.hidden);
  EXPECT_FALSE(p.hidden2);
  p = DecodePaths(VIGIL_EVENT_RENAME, VIGIL_SYS_RENAME, "/tmp/x", "/tmp/y",
                  VIGIL_FILE_OP_PATH_HIDDEN | VIGIL_FILE_OP_PATH2_HIDDEN);
  EXPECT_TRUE(p.hidden);
  EXPECT_TRUE(p.hidden2);
}

// --- JSON ----------------------------------------------------------------------------------

// How often each top-level key occurs in `line`.
std::map<std::string, int> TopLevelKeys(const std::string& line) {
  std::map<std::string, int> keys;
  const nlohmann::json::parser_callback_t count =
      [&keys](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        if (event == nlohmann::json::parse_event_t::key && depth == 1)
          ++keys[parsed.get<std::string>()];
        return true;
      };
  EXPECT_FALSE(nlohmann::json::parse(line, count, /*allow_exceptions=*/false).is_discarded())
      << line;
  return keys;
}

TEST(FileOpJsonTest, EveryKeyOccursOnceAndTheTaskKeepsItsIds) {
  for (uint16_t type : kAllTypes) {
    uint32_t syscall = 0;
    for (const SyscallType& c : AllSyscalls()) {
      if (c.type == type && syscall == 0) syscall = c.syscall;
    }
    SCOPED_TRACE(event::FileOpSyscallName(static_cast<event::FileOpSyscall>(syscall)));
    event::Event event;
    DecodeOk(FileOpRecord(type, syscall, "/tmp/x/a", "/tmp/x/b",
                          VIGIL_FILE_OP_IDENTITY | VIGIL_FILE_OP_OLD_ATTRS),
             &event);
    std::string line;
    AppendEventJson(event, nullptr, &line);
    std::string repeated;
    for (const auto& [key, n] : TopLevelKeys(line)) {
      if (n != 1) repeated += " " + key;
    }
    EXPECT_EQ(repeated, "") << line;
    // "uid" and "gid" are the task's (MakeHeader: 11 and 13); a chown's new owner (the
    // record's 1234:5678) needs keys of its own.
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    ASSERT_TRUE(j.is_object()) << line;
    EXPECT_EQ(std::make_pair(j.value("uid", 0u), j.value("gid", 0u)), std::make_pair(11u, 13u));
    EXPECT_EQ(j.value("path", ""), "/tmp/x/a");
    EXPECT_EQ(j.value("path2", ""), "/tmp/x/b");
    EXPECT_EQ(j.value("ino", uint64_t{0}), 0x123456789ULL);
    EXPECT_EQ(j.value("old_uid", 0u), 31u);
  }
}

}  // namespace
}  // namespace vigil::sensor

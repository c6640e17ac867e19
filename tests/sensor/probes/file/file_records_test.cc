// Unit tests for the file module's records (sensor/probes/file/file_records.cc) through
// sensor/decoder.h: open records in, event::OpenData out (syscall, flags, and the hidden
// bit the decoder computes for unresolved paths); and event::HasHiddenComponent.
#include <sys/sysmacros.h>

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "bpf/abi/file.h"
#include "event/event.h"
#include "gtest/gtest.h"
#include "sensor/decoder.h"
#include "sensor/output/event_json.h"
#include "tests/sensor/record_builder.h"

namespace vigil::sensor {
namespace {

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

TEST(DecoderTest, DecodesOpenedFileIdentityWithUserSpaceDevice) {
  vigil_open_event e = MakeOpen("/tmp/x", VIGIL_SYS_OPENAT, 0);
  e.result = 3;
  e.dev = (259u << 20) | 70000;  // kernel encoding: major 259, minor 70000
  e.ino = 1234567890123ull;
  e.nlink = 2;
  Decoder decoder;
  event::Event event;
  ASSERT_TRUE(DecodeExact(&decoder, Serialize(e, "/tmp/x"), &event).ok());
  EXPECT_EQ(event.open.file.dev, makedev(259, 70000));
  EXPECT_EQ(event.open.file.ino, 1234567890123ull);
  EXPECT_EQ(event.open.nlink, 2u);
  std::string json;
  AppendEventJson(event, nullptr, &json);
  EXPECT_NE(json.find(absl::StrCat("\"dev\":", makedev(259, 70000), ",\"ino\":1234567890123,",
                                   "\"nlink\":2")),
            std::string::npos)
      << json;
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

}  // namespace
}  // namespace vigil::sensor

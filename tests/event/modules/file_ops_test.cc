// Unit tests for the file-operation part of the event model (event/modules/file_ops.h):
// event::LexicallyNormal (canonical form of an absolute path without the file system, and
// that an already canonical path is returned as is), and the syscall table behind it
// (every file-operation syscall's stable name and event type, as the schema lists them).
#include "event/modules/file_ops.h"

#include <cstdint>
#include <set>
#include <string>

#include "absl/strings/string_view.h"
#include "event/schema.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::event {
namespace {

using ::testing::Contains;

TEST(LexicallyNormalTest, Table) {
  struct Case {
    const char* path;
    const char* normal;
  };
  const Case cases[] = {
      // Canonical already.
      {"/", "/"},
      {"/a", "/a"},
      {"/a/b/c", "/a/b/c"},
      {"/a/.b/c", "/a/.b/c"},
      {"/a/..b/c", "/a/..b/c"},
      {"/a/b../c", "/a/b../c"},
      {"/...", "/..."},
      {"/a/.../b", "/a/.../b"},
      // Empty components and a trailing slash.
      {"//", "/"},
      {"///", "/"},
      {"//a", "/a"},
      {"/a//b", "/a/b"},
      {"/a/b/", "/a/b"},
      {"/a/b//", "/a/b"},
      // ".".
      {"/.", "/"},
      {"/./", "/"},
      {"/./a", "/a"},
      {"/a/.", "/a"},
      {"/a/./b", "/a/b"},
      {"/a/./././b/.", "/a/b"},
      // "..".
      {"/..", "/"},
      {"/../", "/"},
      {"/../..", "/"},
      {"/../a", "/a"},
      {"/../../a/b", "/a/b"},
      {"/a/..", "/"},
      {"/a/../", "/"},
      {"/a/b/..", "/a"},
      {"/a/b/../..", "/"},
      {"/a/b/../../..", "/"},
      {"/a/b/../../../c", "/c"},
      {"/a/../b/../c", "/c"},
      {"/tmp/x/../../etc/shadow", "/etc/shadow"},
      // Together.
      {"/a/./b//c/../d", "/a/b/d"},
      {"/a/b/../c/./d/", "/a/c/d"},
      {"/.hidden/./x/..", "/.hidden"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.path);
    std::string storage = "stale";
    EXPECT_EQ(LexicallyNormal(c.path, &storage), c.normal);
  }
}

TEST(LexicallyNormalTest, CanonicalPathIsReturnedWithoutACopy) {
  for (const char* path : {"/", "/a", "/tmp/x/file.txt", "/a/.b/..c/...", "/a/b.", "/a/.b."}) {
    SCOPED_TRACE(path);
    std::string storage = "untouched";
    const absl::string_view in(path);
    const absl::string_view out = LexicallyNormal(in, &storage);
    EXPECT_EQ(out.data(), in.data());
    EXPECT_EQ(out.size(), in.size());
    EXPECT_EQ(storage, "untouched");
  }
}

TEST(LexicallyNormalTest, NonCanonicalPathIsWrittenIntoStorage) {
  std::string storage = "a longer stale value than the result";
  const absl::string_view out = LexicallyNormal("/a/../b", &storage);
  EXPECT_EQ(out, "/b");
  EXPECT_EQ(storage, "/b");
  EXPECT_EQ(out.data(), storage.data());
}

TEST(LexicallyNormalTest, RelativeAndEmptyNamesAreLeftAlone) {
  // Only absolute paths have a canonical form without a directory to start from.
  for (const char* path : {"", ".", "..", "a/../b", "./x", "../etc/passwd", "a//b/"}) {
    SCOPED_TRACE(path);
    std::string storage;
    EXPECT_EQ(LexicallyNormal(path, &storage), path);
  }
}

TEST(LexicallyNormalTest, ResultIsAFixedPoint) {
  for (const char* path : {"/a/./b//c/../d", "/..", "//x/./y/../z/", "/a/b/../../../c/."}) {
    SCOPED_TRACE(path);
    std::string first_storage;
    const std::string once(LexicallyNormal(path, &first_storage));
    std::string second_storage;
    const absl::string_view twice = LexicallyNormal(once, &second_storage);
    EXPECT_EQ(twice, once);
    EXPECT_EQ(twice.data(), once.data());  // canonical: no copy
  }
}

TEST(FileOpSyscallTest, EverySyscallHasADistinctNameAndItsEventType) {
  struct Case {
    uint32_t syscall;
    const char* name;
    EventType type;
  };
  const Case cases[] = {
      {VIGIL_SYS_UNLINK, "unlink", kUnlink},
      {VIGIL_SYS_UNLINKAT, "unlinkat", kUnlink},
      {VIGIL_SYS_RMDIR, "rmdir", kUnlink},
      {VIGIL_SYS_RENAME, "rename", kRename},
      {VIGIL_SYS_RENAMEAT, "renameat", kRename},
      {VIGIL_SYS_RENAMEAT2, "renameat2", kRename},
      {VIGIL_SYS_MKDIR, "mkdir", kMkdir},
      {VIGIL_SYS_MKDIRAT, "mkdirat", kMkdir},
      {VIGIL_SYS_LINK, "link", kLink},
      {VIGIL_SYS_LINKAT, "linkat", kLink},
      {VIGIL_SYS_SYMLINK, "symlink", kSymlink},
      {VIGIL_SYS_SYMLINKAT, "symlinkat", kSymlink},
      {VIGIL_SYS_CHMOD, "chmod", kChmod},
      {VIGIL_SYS_FCHMOD, "fchmod", kChmod},
      {VIGIL_SYS_FCHMODAT, "fchmodat", kChmod},
      {VIGIL_SYS_FCHMODAT2, "fchmodat2", kChmod},
      {VIGIL_SYS_CHOWN, "chown", kChown},
      {VIGIL_SYS_FCHOWN, "fchown", kChown},
      {VIGIL_SYS_LCHOWN, "lchown", kChown},
      {VIGIL_SYS_FCHOWNAT, "fchownat", kChown},
      {VIGIL_SYS_TRUNCATE, "truncate", kTruncate},
      {VIGIL_SYS_FTRUNCATE, "ftruncate", kTruncate},
      {VIGIL_SYS_MEMFD_CREATE, "memfd_create", kMemfd},
      {VIGIL_SYS_MOUNT, "mount", kMount},
      {VIGIL_SYS_OPEN_TREE, "open_tree", kMount},
      {VIGIL_SYS_MOVE_MOUNT, "move_mount", kMount},
  };
  ASSERT_EQ(std::size(cases), size_t{VIGIL_SYS_FILE_OP_LAST});
  const std::vector<EventTypeInfo> types = file::FileOpEventTypes();
  std::set<std::string> names;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const auto syscall = static_cast<FileOpSyscall>(c.syscall);
    EXPECT_EQ(FileOpSyscallName(syscall), c.name);
    EXPECT_EQ(FileOpEventType(syscall), c.type);
    EXPECT_TRUE(names.insert(c.name).second);
    // The schema lists the name among its type's evt.type values.
    bool listed = false;
    for (const EventTypeInfo& info : types) {
      if (info.type != c.type) continue;
      EXPECT_THAT(info.evt_type_names, Contains(absl::string_view(c.name)));
      listed = true;
    }
    EXPECT_TRUE(listed);
  }
}

TEST(FileOpSyscallTest, EveryEventTypeIsInTheMask) {
  for (const EventTypeInfo& info : file::FileOpEventTypes()) {
    SCOPED_TRACE(info.name);
    EXPECT_NE(kFileOpEvents & EventBit(info.type), 0u);
  }
  EXPECT_EQ(file::FileOpEventTypes().size(), 10u);
}

}  // namespace
}  // namespace vigil::event

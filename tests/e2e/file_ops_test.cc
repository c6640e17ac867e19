// Real-kernel tests of the file module's operation events (unlink, rename, mkdir, link,
// symlink, chmod, chown, truncate, memfd, mount) through vigil-sensor, in every attach mode:
// each event type with its syscall's name, paths, result and arguments; names relative to a
// directory descriptor or the working directory, and names with "..", reported as canonical
// absolute paths; a descriptor's identity matching stat(2); failed operations only with
// --failed-opens; operations outside the prefixes never reported; operations from another
// mount namespace, through the 32-bit syscall table and through io_uring seen. The operations
// are done by `vigil-test-helper fileops` (tests/support/helper_main.cc), one process per
// step list. Where the security_path_* hooks attach (fentry mode), names are the kernel's own
// (a symlinked directory is reported as its target) and path operations carry the file's
// identity and its attributes before a chmod or chown.
// Test label: kernel (needs the real kernel: root, probes loaded; runs in every kernel VM).
#include <fcntl.h>
#include <linux/io_uring.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/sensor_process.h"
#include "tests/support/test_dir.h"

namespace vigil::sensor::probes {
namespace {

using ::vigil::testing::ExpectCleanStop;
using ::vigil::testing::HelperBinary;
using ::vigil::testing::Json;
using ::vigil::testing::RunCapture;
using ::vigil::testing::RunHelper;
using ::vigil::testing::SensorProcess;
using ::vigil::testing::TestDir;

constexpr char kFileOpEvents[] =
    "unlink,rename,mkdir,link,symlink,chmod,chown,truncate,memfd,mount";

// Flag values as the kernel takes them (spelled out: the test checks the raw numbers).
constexpr int64_t kRenameNoReplace = 1;
constexpr int64_t kAtSymlinkNofollow = 0x100;
constexpr int64_t kAtRemoveDir = 0x200;
constexpr int64_t kAtEmptyPath = 0x1000;
constexpr int64_t kMsBind = 0x1000;
constexpr int64_t kMfdCloexecAllowSealing = 3;
constexpr int64_t kOpenTreeClone = 1;
constexpr int64_t kMoveMountFEmptyPath = 0x4;

// File-operation events (they alone have path2) of process `pid`.
auto FileOpBy(pid_t pid) {
  return [pid](const Json& j) {
    return j.contains("path2") && j.value("pid", 0u) == static_cast<uint32_t>(pid);
  };
}

// The one event of `events` made by `syscall` (a test failure unless there is exactly one).
Json BySyscall(const std::vector<Json>& events, const std::string& syscall) {
  std::vector<Json> found;
  for (const Json& j : events) {
    if (j.value("syscall", "") == syscall) found.push_back(j);
  }
  EXPECT_EQ(found.size(), 1u) << "events of " << syscall;
  return found.empty() ? Json::object() : found[0];
}

// The numeric arguments an event reports; those not named must be 0.
using Args = std::map<std::string, int64_t>;

// Checks what every file-operation event has: its type, syscall, paths, result, and its
// arguments (mode, uid, gid, op_flags, length: those in `args`, else 0).
void ExpectOp(const Json& j, const std::string& type, const std::string& syscall,
              const std::string& path, const std::string& path2, const Args& args = {},
              int64_t result = 0) {
  SCOPED_TRACE(syscall);
  EXPECT_EQ(j.value("type", ""), type);
  EXPECT_EQ(j.value("syscall", ""), syscall);
  EXPECT_EQ(j.value("path", ""), path);
  EXPECT_EQ(j.value("path2", "?"), path2);
  EXPECT_EQ(j.value("result", int64_t{-9999}), result);
  Args expected = {{"mode", 0}, {"owner_uid", 0}, {"owner_gid", 0}, {"op_flags", 0}, {"length", 0}};
  for (const auto& [name, value] : args) expected[name] = value;
  for (const auto& [name, value] : expected) {
    EXPECT_EQ(j.value(name, int64_t{-9999}), value) << name;
  }
  EXPECT_FALSE(j.value("path_truncated", true));
  EXPECT_FALSE(j.value("path2_truncated", true));
}

struct stat StatOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st;
}

// Checks the identity an event carries against stat(2) of the same file.
void ExpectIdentity(const Json& j, const struct stat& st) {
  SCOPED_TRACE(j.value("syscall", ""));
  ASSERT_TRUE(j.value("has_identity", false));
  EXPECT_EQ(j.value("dev", uint64_t{0}), static_cast<uint64_t>(st.st_dev));
  EXPECT_EQ(j.value("ino", uint64_t{0}), static_cast<uint64_t>(st.st_ino));
  EXPECT_EQ(j.value("nlink", uint64_t{0}), static_cast<uint64_t>(st.st_nlink));
  EXPECT_EQ(j.value("file_mode", 0u) & S_IFMT, static_cast<uint32_t>(st.st_mode & S_IFMT));
}

class FileOpsTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    VIGIL_REQUIRE_ROOT();
    dir_ = std::make_unique<TestDir>("fileops");
    StartSensor({});
  }

  void TearDown() override {
    if (sensor_ != nullptr) ExpectCleanStop(*sensor_, "file");
  }

  // (Re)starts the sensor on every file-operation event under dir_, plus `extra` options,
  // with hidden names reported only when `hidden`; sensor_ stays null when it could not
  // start (the failure or skip is recorded).
  void StartSensor(const std::vector<std::string>& extra, bool hidden = false) {
    if (sensor_ != nullptr) {
      ExpectCleanStop(*sensor_, "file");
      sensor_.reset();
    }
    std::vector<std::string> args = {
        "--attach-mode",         GetParam(),      "--events",        kFileOpEvents,
        "--no-default-prefixes", "--file-prefix", dir_->path() + "/"};
    if (!hidden) args.push_back("--no-hidden");
    args.insert(args.end(), extra.begin(), extra.end());
    auto sensor = SensorProcess::Start(args);
    VIGIL_SKIP_IF_MODE_UNSUPPORTED(sensor);
    ASSERT_TRUE(sensor.ok()) << sensor.status();
    sensor_ = std::move(*sensor);
    Json start = sensor_->start_record();
    ASSERT_EQ(start["modules"][1]["name"], "file");
    ASSERT_EQ(start["modules"][1]["attach_mode"], GetParam());
  }

  // Runs `vigil-test-helper fileops STEPS...`, expects success, and returns the file-operation
  // events of that process once `count` of them arrived.
  std::vector<Json> Run(const std::vector<std::string>& steps, size_t count) {
    std::vector<std::string> args = {"fileops"};
    args.insert(args.end(), steps.begin(), steps.end());
    const pid_t pid = RunHelper(args);
    if (pid < 0) return {};
    return sensor_->WaitForCount(FileOpBy(pid), count);
  }

  // Runs the helper with STEPS whose last one makes an event with path `marker`; returns
  // every file-operation event of that process once the marker's arrived. The helper is one
  // process doing its steps in order: an event of an earlier step would have come first.
  std::vector<Json> RunToMarker(const std::vector<std::string>& steps, const std::string& marker) {
    std::vector<std::string> args = {"fileops"};
    args.insert(args.end(), steps.begin(), steps.end());
    const pid_t pid = RunHelper(args);
    if (pid < 0) return {};
    const auto by_pid = FileOpBy(pid);
    const auto seen = sensor_->WaitForCount(
        [&](const Json& j) { return by_pid(j) && j.value("path", "") == marker; }, 1);
    EXPECT_EQ(seen.size(), 1u) << "no event for the marker " << marker;
    return sensor_->Matching(by_pid);
  }

  // True when the sensor attached `hook` (a section name such as "fentry/security_path_unlink").
  bool Attached(const std::string& hook) const {
    const Json start = sensor_->start_record();
    for (const Json& h : start["modules"][1]["hooks"]) {
      if (h.get<std::string>() == hook) return true;
    }
    return false;
  }

  // True when path operations are seen inside the kernel (security_path_* hooks): their
  // names are the kernel's, not the caller's, and they carry the file's identity.
  bool KernelNames() const { return Attached("fentry/security_path_unlink"); }

  // Events whose path or path2 starts with `prefix`.
  std::vector<Json> Touching(const std::string& prefix) const {
    return sensor_->Matching([prefix](const Json& j) {
      return j.contains("path2") && (j.value("path", "").rfind(prefix, 0) == 0 ||
                                     j.value("path2", "").rfind(prefix, 0) == 0);
    });
  }

  std::unique_ptr<TestDir> dir_;
  std::unique_ptr<SensorProcess> sensor_;
};

TEST_P(FileOpsTest, RemovalsRenamesAndNewDirectories) {
  const std::string d = dir_->path();
  dir_->WriteFile("a");
  dir_->WriteFile("f");
  dir_->MakeDirs("gone");
  auto ops = Run({"mkdir",     d + "/m",   "0750",                  // mkdir
                  "mkdirat",   d,          "m2",     "0700",        // mkdirat, relative to a dirfd
                  "rename",    d + "/a",   d + "/b",                // rename
                  "renameat",  d,          "b",      "c",           // renameat
                  "renameat2", d,          "c",      "e",     "1",  // renameat2 RENAME_NOREPLACE
                  "unlink",    d + "/e",                            // unlink
                  "unlinkat",  d,          "m2",     "0x200",       // unlinkat AT_REMOVEDIR
                  "rmdir",     d + "/gone"},                        // rmdir
                 8);
  ASSERT_EQ(ops.size(), 8u);

  ExpectOp(BySyscall(ops, "mkdir"), "mkdir", "mkdir", d + "/m", "", {{"mode", 0750}});
  const Json j = BySyscall(ops, "mkdirat");
  ExpectOp(j, "mkdir", "mkdirat", d + "/m2", "", {{"mode", 0700}});
  EXPECT_EQ(j.value("from_arg", true), !KernelNames());
  ExpectOp(BySyscall(ops, "rename"), "rename", "rename", d + "/a", d + "/b");
  ExpectOp(BySyscall(ops, "renameat"), "rename", "renameat", d + "/b", d + "/c");
  ExpectOp(BySyscall(ops, "renameat2"), "rename", "renameat2", d + "/c", d + "/e",
           {{"op_flags", kRenameNoReplace}});
  const Json unlink = BySyscall(ops, "unlink");
  ExpectOp(unlink, "unlink", "unlink", d + "/e", "");
  // By name: the identity is known where the kernel's hook saw the file.
  EXPECT_EQ(unlink.value("has_identity", false), KernelNames());
  EXPECT_FALSE(unlink.value("compat", true));
  EXPECT_FALSE(unlink.value("io_uring", true));
  ExpectOp(BySyscall(ops, "unlinkat"), "unlink", "unlinkat", d + "/m2", "",
           {{"op_flags", kAtRemoveDir}});
  ExpectOp(BySyscall(ops, "rmdir"), "unlink", "rmdir", d + "/gone", "");
}

TEST_P(FileOpsTest, HardLinksAndSymlinks) {
  const std::string d = dir_->path();
  dir_->WriteFile("src");
  dir_->MakeDirs("sub");
  auto ops = Run({"link", d + "/src", d + "/l1",                 // link
                  "linkat", d, "src", "sub/l2", "0",             // linkat, relative
                  "symlink", "../etc/./passwd", d + "/s1",       // symlink: target literal
                  "symlinkat", "/no/such/target", d, "sub/s2"},  // symlinkat, relative
                 4);
  ASSERT_EQ(ops.size(), 4u);
  ExpectOp(BySyscall(ops, "link"), "link", "link", d + "/src", d + "/l1");
  ExpectOp(BySyscall(ops, "linkat"), "link", "linkat", d + "/src", d + "/sub/l2");
  ExpectOp(BySyscall(ops, "symlink"), "symlink", "symlink", "../etc/./passwd", d + "/s1");
  ExpectOp(BySyscall(ops, "symlinkat"), "symlink", "symlinkat", "/no/such/target", d + "/sub/s2");
}

TEST_P(FileOpsTest, LinkatWithEmptyPathNamesAnUnnamedFile) {
  const std::string d = dir_->path();
  auto ops = Run({"tmpfile-link", d, d + "/named"}, 1);
  ASSERT_EQ(ops.size(), 1u);
  const Json& j = ops[0];
  // The source is the descriptor's own file: in the directory, under the kernel's name for
  // an unnamed file ("#" and its inode number), with its identity.
  const std::string source = j.value("path", "");
  EXPECT_EQ(source.rfind(d + "/", 0), 0u) << j.dump();
  ExpectOp(j, "link", "linkat", source, d + "/named", {{"op_flags", kAtEmptyPath}});
  struct stat st = StatOf(d + "/named");
  if (KernelNames()) st.st_nlink -= 1;  // seen at the hook, before the new name
  ExpectIdentity(j, st);
}

TEST_P(FileOpsTest, PermissionAndOwnerChanges) {
  const std::string d = dir_->path();
  dir_->WriteFile("f");
  const std::string link = d + "/lnk";
  ASSERT_EQ(symlink("f", link.c_str()), 0);
  auto ops = Run({"chmod",    d + "/f", "04750",                              // chmod with setuid
                  "fchmodat", d,        "f",          "0640",                 // fchmodat, relative
                  "chown",    d + "/f", "1234",       "5678",                 // chown
                  "lchown",   link,     "4294967295", "42",                   // lchown: group only
                  "fchownat", d,        "f",          "7",    "8", "0x100"},  // AT_SYMLINK_NOFOLLOW
                 5);
  ASSERT_EQ(ops.size(), 5u);
  ExpectOp(BySyscall(ops, "chmod"), "chmod", "chmod", d + "/f", "", {{"mode", 04750}});
  ExpectOp(BySyscall(ops, "fchmodat"), "chmod", "fchmodat", d + "/f", "", {{"mode", 0640}});
  // A chown's new owner has keys of its own; "uid" and "gid" stay the task's.
  ExpectOp(BySyscall(ops, "chown"), "chown", "chown", d + "/f", "",
           {{"owner_uid", 1234}, {"owner_gid", 5678}});
  ExpectOp(BySyscall(ops, "lchown"), "chown", "lchown", link, "",
           {{"owner_uid", 4294967295}, {"owner_gid", 42}});
  ExpectOp(BySyscall(ops, "fchownat"), "chown", "fchownat", d + "/f", "",
           {{"owner_uid", 7}, {"owner_gid", 8}, {"op_flags", kAtSymlinkNofollow}});
}

TEST_P(FileOpsTest, Fchmodat2CarriesItsFlags) {
  errno = 0;
  if (syscall(452 /* fchmodat2 */, -1, "", 0, 0) != 0 && errno == ENOSYS) {
    GTEST_SKIP() << "this kernel has no fchmodat2 (Linux 6.6+)";
  }
  const std::string d = dir_->path();
  dir_->WriteFile("f");
  auto ops = Run({"fchmodat2", d, "f", "0604", "0x100"}, 1);
  ASSERT_EQ(ops.size(), 1u);
  ExpectOp(ops[0], "chmod", "fchmodat2", d + "/f", "",
           {{"mode", 0604}, {"op_flags", kAtSymlinkNofollow}});
}

TEST_P(FileOpsTest, TruncateCarriesTheNewLength) {
  const std::string d = dir_->path();
  dir_->WriteFile("f", "0123456789");
  auto ops = Run({"truncate", d + "/f", "4096"}, 1);
  ASSERT_EQ(ops.size(), 1u);
  ExpectOp(ops[0], "truncate", "truncate", d + "/f", "", {{"length", 4096}});
  if (KernelNames()) {
    ExpectIdentity(ops[0], StatOf(d + "/f"));
  } else {
    EXPECT_FALSE(ops[0].value("has_identity", true));  // not a file of the identity set
  }
}

TEST_P(FileOpsTest, DescriptorOperationsCarryTheFilesIdentity) {
  const std::string f = dir_->WriteFile("f", "0123456789");
  const std::string second = dir_->Join("second-name");
  ASSERT_EQ(link(f.c_str(), second.c_str()), 0);  // nlink 2: not a default value
  auto ops = Run({"fchmod", f, "0600", "ftruncate", f, "3", "fchown", f, "0", "0"}, 3);
  ASSERT_EQ(ops.size(), 3u);
  const struct stat st = StatOf(f);
  ASSERT_EQ(st.st_nlink, 2u);

  Json j = BySyscall(ops, "fchmod");
  ExpectOp(j, "chmod", "fchmod", f, "", {{"mode", 0600}});
  EXPECT_FALSE(j.value("from_arg", true));  // walked from the descriptor
  ExpectIdentity(j, st);
  j = BySyscall(ops, "ftruncate");
  ExpectOp(j, "truncate", "ftruncate", f, "", {{"length", 3}});
  ExpectIdentity(j, st);
  EXPECT_EQ(j.value("file_mode", 0u) & 07777, 0600u);  // after the fchmod
  j = BySyscall(ops, "fchown");
  ExpectOp(j, "chown", "fchown", f, "");
  ExpectIdentity(j, st);
}

TEST_P(FileOpsTest, MemfdCreateIsReportedWithItsName) {
  // A memfd lives on no path under any prefix: only --all-files reports it.
  StartSensor({"--all-files"});
  ASSERT_NE(sensor_, nullptr);
  auto ops = Run({"memfd", "vigil-memfd-test", "3"}, 1);
  ASSERT_EQ(ops.size(), 1u);
  const Json& j = ops[0];
  EXPECT_EQ(j.value("type", ""), "memfd");
  EXPECT_EQ(j.value("syscall", ""), "memfd_create");
  EXPECT_GE(j.value("result", int64_t{-1}), 0);  // the descriptor
  EXPECT_EQ(j.value("op_flags", int64_t{0}), kMfdCloexecAllowSealing);
  EXPECT_TRUE(j.value("has_identity", false));
  EXPECT_EQ(j.value("file_mode", 0u) & S_IFMT, static_cast<uint32_t>(S_IFREG));
  // `path` is "the memfd's name" (bpf/abi/file_ops.h).
  EXPECT_NE(j.value("path", "").find("vigil-memfd-test"), std::string::npos)
      << "path: " << j.value("path", "");
}

TEST_P(FileOpsTest, BindMountInAPrivateNamespace) {
  const std::string src = dir_->MakeDirs("src");
  const std::string dst = dir_->MakeDirs("dst");
  // The helper's own mount namespace, private: the mount never reaches the host.
  auto ops = Run({"unshare-mnt", "bind-mount", src, dst}, 1);
  ASSERT_EQ(ops.size(), 1u);
  ExpectOp(ops[0], "mount", "mount", src, dst, {{"op_flags", kMsBind}});
}

TEST_P(FileOpsTest, BindMountThroughTheNewMountApi) {
  const std::string src = dir_->WriteFile("src/f");
  const std::string dst = dir_->WriteFile("dst");
  // open_tree clones the file's mount (the bind), move_mount attaches the clone; in the
  // helper's private mount namespace, so the mount never reaches the host.
  auto ops = Run({"unshare-mnt", "open-tree-bind", src, dst}, 2);
  ASSERT_EQ(ops.size(), 2u);
  Json j = BySyscall(ops, "open_tree");
  EXPECT_EQ(j.value("type", ""), "mount");
  EXPECT_EQ(j.value("path", ""), src);
  EXPECT_EQ(j.value("path2", "?"), "");
  EXPECT_EQ(j.value("op_flags", int64_t{0}), kOpenTreeClone);
  EXPECT_GE(j.value("result", int64_t{-1}), 0);  // the tree's descriptor
  j = BySyscall(ops, "move_mount");
  EXPECT_EQ(j.value("type", ""), "mount");
  EXPECT_EQ(j.value("path2", ""), dst);
  EXPECT_EQ(j.value("op_flags", int64_t{0}), kMoveMountFEmptyPath);
  EXPECT_EQ(j.value("result", int64_t{-1}), 0);
  // The moved tree is walked from its descriptor: detached, it is its own root, and it is
  // the source file.
  ExpectIdentity(j, StatOf(src));
}

TEST_P(FileOpsTest, RelativeNamesAreReportedAbsolute) {
  const std::string d = dir_->path();
  dir_->WriteFile("sub/f");
  dir_->WriteFile("sub/x");
  auto ops = Run({"chdir", d + "/sub",             // names below are relative to the cwd
                  "unlink", "f",                   // unlink after chdir
                  "renameat", "-", "x", "y",       // AT_FDCWD
                  "mkdirat", d, "sub/n", "0755"},  // a dirfd, a name with a slash
                 3);
  ASSERT_EQ(ops.size(), 3u);
  Json j = BySyscall(ops, "unlink");
  ExpectOp(j, "unlink", "unlink", d + "/sub/f", "");
  EXPECT_EQ(j.value("from_arg", true), !KernelNames());
  j = BySyscall(ops, "renameat");
  ExpectOp(j, "rename", "renameat", d + "/sub/x", d + "/sub/y");
  EXPECT_EQ(j.value("from_arg", true), !KernelNames());
  EXPECT_EQ(j.value("from_arg2", true), !KernelNames());
  ExpectOp(BySyscall(ops, "mkdirat"), "mkdir", "mkdirat", d + "/sub/n", "", {{"mode", 0755}});
}

TEST_P(FileOpsTest, KernelNamesSeeThroughSymlinkedDirectoriesWithOldAttributes) {
  ASSERT_NE(sensor_, nullptr);
  if (!KernelNames()) {
    GTEST_SKIP() << "names are the kernel's only where the security_path_* hooks attach "
                    "(fentry mode, CONFIG_SECURITY_PATH); here: "
                 << GetParam();
  }
  const std::string d = dir_->path();
  const std::string f = dir_->WriteFile("real/f");
  const std::string g = dir_->WriteFile("real/g");
  ASSERT_EQ(chmod(f.c_str(), 0640), 0);
  ASSERT_EQ(chown(f.c_str(), 11, 12), 0);
  ASSERT_EQ(symlink("real", (d + "/alias").c_str()), 0);
  const struct stat before = StatOf(g);
  // Every name goes through the symlink; each is reported by the file the kernel reached.
  // Debian's 5.10 has no traceable security_path_chown: there a chown keeps the exit's names.
  const bool chown_hook = Attached("fentry/security_path_chown");
  auto ops = Run({"chmod", d + "/alias/f", "04755",          //
                  "chown", d + "/alias/f", "0", "0",         //
                  "rename", d + "/alias/g", d + "/alias/h",  //
                  "unlink", d + "/alias/h",                  //
                  "mkdir", d + "/alias/sub", "0700"},        //
                 5);
  ASSERT_EQ(ops.size(), 5u);
  Json j = BySyscall(ops, "chmod");
  ExpectOp(j, "chmod", "chmod", f, "", {{"mode", 04755}});
  EXPECT_FALSE(j.value("from_arg", true));
  ASSERT_TRUE(j.value("has_old_attrs", false));
  EXPECT_EQ(j.value("old_mode", 0u) & 07777, 0640u);
  EXPECT_EQ(j.value("old_uid", 0u), 11u);
  EXPECT_EQ(j.value("old_gid", 0u), 12u);
  j = BySyscall(ops, "chown");
  ExpectOp(j, "chown", "chown", chown_hook ? f : d + "/alias/f", "",
           {{"owner_uid", 0}, {"owner_gid", 0}});
  EXPECT_EQ(j.value("has_old_attrs", false), chown_hook);
  if (chown_hook) {
    EXPECT_EQ(j.value("old_uid", 0u), 11u);
    EXPECT_EQ(j.value("old_mode", 0u) & 07777, 04755u);
  }
  j = BySyscall(ops, "rename");
  ExpectOp(j, "rename", "rename", g, d + "/real/h");
  EXPECT_FALSE(j.value("from_arg2", true));
  ExpectIdentity(j, before);
  j = BySyscall(ops, "unlink");
  ExpectOp(j, "unlink", "unlink", d + "/real/h", "");
  EXPECT_EQ(j.value("ino", uint64_t{0}), static_cast<uint64_t>(before.st_ino));
  EXPECT_EQ(j.value("nlink", 0u), 1u);  // seen before the removal
  ExpectOp(BySyscall(ops, "mkdir"), "mkdir", "mkdir", d + "/real/sub", "", {{"mode", 0700}});
}

TEST_P(FileOpsTest, DotDotInANameIsReportedCanonical) {
  const std::string d = dir_->path();
  dir_->WriteFile("f");
  dir_->WriteFile("g");
  dir_->MakeDirs("sub/deeper");
  auto ops =
      Run({"unlink", d + "/sub/../f",                                  // absolute with ".."
           "chdir", d + "/sub/deeper", "rename", "../../g", "./../h",  // relative with ".." and "."
           "mkdirat", d, "sub/./deeper/../../k", "0755"},
          3);
  ASSERT_EQ(ops.size(), 3u);
  ExpectOp(BySyscall(ops, "unlink"), "unlink", "unlink", d + "/f", "");
  ExpectOp(BySyscall(ops, "rename"), "rename", "rename", d + "/g", d + "/sub/h");
  ExpectOp(BySyscall(ops, "mkdirat"), "mkdir", "mkdirat", d + "/k", "", {{"mode", 0755}});
}

TEST_P(FileOpsTest, LongNameWithDotDotFarFromItsEndIsStillCanonicalised) {
  // The name enters through "/tmp/.." (not under the prefix as bytes), and its last 512
  // bytes are plain components: only the whole name shows it is under the prefix.
  const std::string d = dir_->path();
  const std::string a(200, 'a'), b(200, 'b'), c(200, 'c');
  const std::string file = dir_->WriteFile(a + "/" + b + "/" + c);
  ASSERT_EQ(d.rfind("/tmp/", 0), 0u);
  const std::string name = "/tmp/.." + d + "/" + a + "/" + b + "/" + c;
  dir_->WriteFile("marker");
  auto ops = RunToMarker({"unlink", name, "unlink", d + "/marker"}, d + "/marker");
  ASSERT_EQ(ops.size(), 2u) << "the unlink of " << name << " was not reported";
  ExpectOp(ops[0], "unlink", "unlink", file, "");
}

TEST_P(FileOpsTest, PathLongerThanTheRecordIsCutAtTheRootEnd) {
  std::string relative;
  for (char c = 'a'; c < 'a' + 16; ++c) relative += std::string(240, c) + "/";
  relative += "f";
  const std::string file = dir_->WriteFile(relative);
  ASSERT_GT(file.size(), size_t{3840});  // VIGIL_FILE_OP_PATH_MAX
  ASSERT_LT(file.size(), size_t{4095});
  auto ops = Run({"unlink", file}, 1);
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].value("path", ""), file.substr(file.size() - 3840));
  EXPECT_TRUE(ops[0].value("path_truncated", false));
  EXPECT_FALSE(ops[0].value("path2_truncated", true));
}

TEST_P(FileOpsTest, FailedOperationIsReportedOnlyWithFailedOpens) {
  const std::string d = dir_->path();
  const std::string missing = d + "/missing";
  dir_->WriteFile("marker1");
  auto ops = RunToMarker({"!unlink", missing, "unlink", d + "/marker1"}, d + "/marker1");
  EXPECT_EQ(ops.size(), 1u);
  EXPECT_TRUE(Touching(missing).empty());

  StartSensor({"--failed-opens"});
  ASSERT_NE(sensor_, nullptr);
  dir_->WriteFile("marker2");
  ops = RunToMarker({"!unlink", missing, "unlink", d + "/marker2"}, d + "/marker2");
  ASSERT_EQ(ops.size(), 2u);
  ExpectOp(ops[0], "unlink", "unlink", missing, "", {}, -2);  // -ENOENT
}

TEST_P(FileOpsTest, OperationsOutsideThePrefixAreNotReported) {
  const std::string d = dir_->path();
  TestDir other("fileops-outside");
  const std::string o = other.path();
  other.WriteFile("f");
  other.WriteFile("a");
  other.WriteFile("into");
  auto ops = RunToMarker({"mkdir", o + "/m", "0755",           // outside
                          "unlink", o + "/f",                  //
                          "rename", o + "/a", o + "/b",        //
                          "chmod", o + "/b", "0600",           //
                          "rename", o + "/into", d + "/into",  // into the prefix
                          "mkdir", d + "/marker", "0755"},     // the marker, last
                         d + "/marker");
  ASSERT_EQ(ops.size(), 2u);
  ExpectOp(ops[0], "rename", "rename", o + "/into", d + "/into");
  for (const Json& j : Touching(o)) {
    EXPECT_EQ(j.value("path2", ""), d + "/into") << j.dump();
  }
}

TEST_P(FileOpsTest, NamesThatOnlyLookSuspectOutsideThePrefixAreNotReported) {
  // The kernel passes every name with "/." or "//" in it (it cannot tell a hidden component
  // from "." or ".."); with --no-hidden, what is outside the prefix once canonical must
  // still not be reported.
  const std::string d = dir_->path();
  TestDir other("fileops-suspect");
  const std::string o = other.path();
  other.WriteFile(".hidden/f");
  other.WriteFile("sub/g");
  auto ops = RunToMarker({"unlink", o + "/.hidden/f",       // hidden component, canonical
                          "unlink", o + "/sub/../sub/g",    // ".." staying outside
                          "mkdir", d + "/marker", "0755"},  // the marker, last
                         d + "/marker");
  EXPECT_EQ(ops.size(), 1u);
  for (const Json& j : Touching(o)) ADD_FAILURE() << "reported: " << j.dump();
}

TEST_P(FileOpsTest, HiddenNameOutsideThePrefixIsReportedAndFlagged) {
  StartSensor({}, /*hidden=*/true);
  ASSERT_NE(sensor_, nullptr);
  const std::string d = dir_->path();
  TestDir other("fileops-hidden");
  const std::string o = other.path();
  other.WriteFile(".config/a");
  other.WriteFile("plain/b");
  auto ops = RunToMarker({"rename", o + "/.config/a", o + "/.config/c",  // hidden: reported
                          "rename", o + "/plain/b", o + "/plain/e",      // not reported
                          "mkdir", d + "/marker", "0755"},
                         d + "/marker");
  ASSERT_EQ(ops.size(), 2u);
  ExpectOp(ops[0], "rename", "rename", o + "/.config/a", o + "/.config/c");
  EXPECT_TRUE(ops[0].value("hidden", false));
  EXPECT_TRUE(ops[0].value("hidden2", false));
  EXPECT_FALSE(ops[1].value("hidden", true));
}

TEST_P(FileOpsTest, OperationFromAnotherMountNamespaceIsSeen) {
  const std::string f = dir_->WriteFile("f");
  struct stat own_ns {};
  ASSERT_EQ(stat("/proc/self/ns/mnt", &own_ns), 0);
  auto ops = Run({"unshare-mnt", "unlink", f}, 1);
  ASSERT_EQ(ops.size(), 1u);
  ExpectOp(ops[0], "unlink", "unlink", f, "");
  EXPECT_NE(ops[0].value("mntns", uint64_t{0}), static_cast<uint64_t>(own_ns.st_ino));
}

TEST_P(FileOpsTest, ThirtyTwoBitSyscallsAreFlaggedCompat) {
#if defined(__x86_64__)
  auto probe = RunCapture({HelperBinary(), "fileops", "compat-getpid"});
  ASSERT_TRUE(probe.ok()) << probe.status();
  if (!WIFEXITED(probe->status) || WEXITSTATUS(probe->status) != 0) {
    GTEST_SKIP() << "no IA32 emulation on this kernel: " << probe->err;
  }
  const std::string d = dir_->path();
  dir_->WriteFile("f");
  dir_->WriteFile("a");
  dir_->WriteFile("c");
  auto ops = Run({"compat-unlink", d + "/f",                      // ia32 unlink
                  "compat-rename", d + "/a", d + "/b",            // ia32 rename
                  "compat-lchown16", d + "/c", "0xffff", "7",     // 16-bit ids, -1 kept
                  "compat-truncate64", d + "/c", "0x100000001"},  // length in two registers
                 4);
  ASSERT_EQ(ops.size(), 4u);
  Json j = BySyscall(ops, "unlink");
  ExpectOp(j, "unlink", "unlink", d + "/f", "");
  EXPECT_TRUE(j.value("compat", false));
  j = BySyscall(ops, "rename");
  ExpectOp(j, "rename", "rename", d + "/a", d + "/b");
  EXPECT_TRUE(j.value("compat", false));
  j = BySyscall(ops, "lchown");
  ExpectOp(j, "chown", "lchown", d + "/c", "", {{"owner_uid", 4294967295}, {"owner_gid", 7}});
  EXPECT_TRUE(j.value("compat", false));
  j = BySyscall(ops, "truncate");
  ExpectOp(j, "truncate", "truncate", d + "/c", "", {{"length", 0x100000001LL}});
  EXPECT_TRUE(j.value("compat", false));
#else
  GTEST_SKIP() << "the 32-bit syscall table is tested on x86-64 only";
#endif
}

// Skips (by name, with the reason) on kernels where the file module could not attach its
// io_uring hooks: io_uring_submit_req (Linux 6.2), or io_uring_submit_sqe with the request
// (6.0, 6.1; not in the tracepoint mode).
#define VIGIL_SKIP_WITHOUT_IO_URING_HOOKS(start)                                      \
  do {                                                                                \
    io_uring_params params{};                                                         \
    const long ring = syscall(SYS_io_uring_setup, 1, &params);                        \
    if (ring < 0) GTEST_SKIP() << "io_uring unavailable: " << strerror(errno);        \
    close(static_cast<int>(ring));                                                    \
    const Json start_record = (start);                                                \
    for (const Json& hook : start_record["modules"][1]["skipped"]) {                  \
      if (hook.get<std::string>().find("io_uring_submit_req") != std::string::npos) { \
        GTEST_SKIP() << "no io_uring submission hook with the request in this mode";  \
      }                                                                               \
    }                                                                                 \
  } while (0)

TEST_P(FileOpsTest, OperationThroughIoUringIsReported) {
  ASSERT_NE(sensor_, nullptr);
  VIGIL_SKIP_WITHOUT_IO_URING_HOOKS(sensor_->start_record());
  const std::string d = dir_->path();
  const std::string f = dir_->WriteFile("f");
  dir_->WriteFile("marker");
  auto ops = RunToMarker({"uring-unlinkat", d, "f", "unlink", d + "/marker"}, d + "/marker");
  ASSERT_EQ(ops.size(), 2u) << "the io_uring unlinkat of " << f << " was not reported";
  ExpectOp(ops[0], "unlink", "unlinkat", f, "");
  EXPECT_TRUE(ops[0].value("io_uring", false));
}

TEST_P(FileOpsTest, IoUringRequestsAreReportedLikeTheirSyscallsForTheSubmitter) {
  ASSERT_NE(sensor_, nullptr);
  VIGIL_SKIP_WITHOUT_IO_URING_HOOKS(sensor_->start_record());
  auto sensor = SensorProcess::Start({"--attach-mode", GetParam(), "--events",
                                      std::string(kFileOpEvents) + ",open", "--no-default-prefixes",
                                      "--file-prefix", dir_->path() + "/"});
  ASSERT_TRUE(sensor.ok()) << sensor.status();
  ExpectCleanStop(*sensor_, "file");
  sensor_ = std::move(*sensor);
  const std::string d = dir_->path();
  dir_->WriteFile("f");
  dir_->WriteFile("g");
  dir_->WriteFile("marker");
  const pid_t pid =
      RunHelper({"fileops", "uring-mkdirat", d, "sub", "uring-renameat", d, "sub", "sub2",
                 "uring-openat", d, "f", "uring-openat-async", d, "g", "unlink", d + "/marker"});
  ASSERT_GT(pid, 0);
  auto by_pid = [pid](const Json& j) { return j.value("pid", 0u) == static_cast<uint32_t>(pid); };
  ASSERT_EQ(
      sensor_
          ->WaitForCount(
              [&](const Json& j) { return by_pid(j) && j.value("path", "") == d + "/marker"; }, 1)
          .size(),
      1u);
  const std::vector<Json> events = sensor_->Matching(by_pid);
  ASSERT_EQ(events.size(), 5u);
  ExpectOp(events[0], "mkdir", "mkdirat", d + "/sub", "", {{"mode", 0755}});
  ExpectOp(events[1], "rename", "renameat2", d + "/sub", d + "/sub2");
  for (int i : {2, 3}) {
    SCOPED_TRACE(i);
    // The second open ran in an io-wq worker thread: still the helper's, by pid and name.
    EXPECT_EQ(events[i]["type"], "open");
    EXPECT_EQ(events[i]["syscall"], "openat");
    EXPECT_EQ(events[i]["path"], d + (i == 2 ? "/f" : "/g"));
    EXPECT_GE(events[i].value("result", -1), 0);
    EXPECT_EQ(events[i]["tid"], events[i]["pid"]);
    EXPECT_EQ(events[i]["comm"], "vigil-test-help");
  }
  for (const Json& e : events) EXPECT_EQ(e.value("io_uring", false), &e != &events[4]);
}

INSTANTIATE_TEST_SUITE_P(AttachModes, FileOpsTest,
                         ::testing::Values("fentry", "tp_btf", "raw_tp", "tracepoint"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace vigil::sensor::probes

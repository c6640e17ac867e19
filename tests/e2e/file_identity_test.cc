// File identity against the real kernel, through `vigil-sensor --rules ... --print-alerts`:
// a rule that names a file by identity (fd.file in (PATHS)) fires when the file is read
// through a name the rule never mentions (a hard link in another directory, a bind mount in
// a private mount namespace, open_by_handle_at, /proc/self/root/...), follows the file when
// it is replaced by rename (from the rename on, so the old inode is not the listed file even
// before the sensor's periodic refresh), and stays quiet for an
// unrelated file of the same name; --file-root moves where listed paths are resolved. The
// default pack catches /etc/shadow read the same ways.
// Test label: kernel (needs the real kernel: root, probes loaded; runs in every kernel VM).
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/support/sensor_process.h"
#include "tests/support/test_dir.h"

namespace vigil::sensor {
namespace {

using ::vigil::testing::Json;
using ::vigil::testing::SensorProcess;
using ::vigil::testing::TestDir;

constexpr char kRule[] = "secret read";
constexpr char kChangeRule[] = "secret changed";
const char kPack[] = VIGIL_SOURCE_DIR "/deploy/rules";
constexpr char kShadowRule[] = "Read of shadow file by unexpected process";

// st_ino of `path` (0 when stat fails, which the caller's assertions then show).
uint64_t InodeOf(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// Runs `body` in a forked child of the test (its exit status is body's return value) and
// waits for it; returns the child's pid, or -1 when it did not exit with 0. The body runs
// after fork in a multi-threaded process, so it makes system calls only (no allocation).
pid_t InChild(const std::function<int()>& body) {
  const pid_t pid = fork();
  if (pid == 0) _exit(body());
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? pid : -1;
}

// Opens `path` read-only, reads a byte and closes it: 0, or the step that failed (1, 2).
int ReadFile(const char* path) {
  const int fd = open(path, O_RDONLY);
  if (fd < 0) return 1;
  char c;
  const bool ok = read(fd, &c, 1) >= 0;
  close(fd);
  return ok ? 0 : 2;
}

// In a private mount namespace (nothing leaks to the host), bind-mounts `from` on `to` and
// reads `file` (a path under `to`): 0, or the step that failed.
int ReadThroughBindMount(const char* from, const char* to, const char* file) {
  if (unshare(CLONE_NEWNS) != 0) return 10;
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return 11;
  if (mount(from, to, nullptr, MS_BIND, nullptr) != 0) return 12;
  return ReadFile(file);
}

// A file handle of `path` (name_to_handle_at), for open_by_handle_at in a child.
struct Handle {
  file_handle header;
  unsigned char bytes[MAX_HANDLE_SZ];
};

bool HandleOf(const std::string& path, Handle* handle) {
  handle->header.handle_bytes = MAX_HANDLE_SZ;
  int mount_id = 0;
  return name_to_handle_at(AT_FDCWD, path.c_str(), &handle->header, &mount_id, 0) == 0;
}

// Opens the file of `handle` through a descriptor on its file system (`mount_dir`) and
// reads a byte: 0, or the step that failed.
int ReadByHandle(const char* mount_dir, Handle* handle) {
  const int mount_fd = open(mount_dir, O_RDONLY | O_DIRECTORY);
  if (mount_fd < 0) return 20;
  const int fd = open_by_handle_at(mount_fd, &handle->header, O_RDONLY);
  close(mount_fd);
  if (fd < 0) return 21;
  char c;
  const bool ok = read(fd, &c, 1) >= 0;
  close(fd);
  return ok ? 0 : 22;
}

// Alerts of `rule` raised by process `pid`.
vigil::testing::JsonPredicate AlertOf(const std::string& rule, pid_t pid) {
  return [rule, pid](const Json& j) {
    if (!j.contains("rule") || j["rule"] != rule || !j.contains("output_fields")) return false;
    const Json& f = j["output_fields"];
    return f.contains("proc.pid") && f["proc.pid"] == pid;
  };
}

std::string Describe(const std::vector<Json>& lines) {
  std::string out;
  for (const Json& j : lines) absl::StrAppend(&out, j.dump(), "\n");
  return out;
}

// A sensor running one rule that names `secret` by identity only: no path of it is in the
// kernel's interest set, so every alert below comes through the identity set.
class FileIdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    VIGIL_REQUIRE_ROOT();
    dir_ = std::make_unique<TestDir>("fileid");
    other_ = std::make_unique<TestDir>("fileid-other");
    secret_ = dir_->WriteFile("secret/data", "hash");
    const std::string rules = dir_->WriteFile(
        "rules/r.yaml",
        absl::StrCat("- list: secrets\n  items: [", secret_, "]\n- rule: ", kRule,
                     "\n  desc: d\n  condition: evt.is_open_read = true and fd.file in (secrets)\n"
                     "  output: \"read name=%fd.name file=%fd.file ino=%fd.ino "
                     "nlink=%fd.nlink pid=%proc.pid\"\n  priority: WARNING\n- rule: ",
                     kChangeRule,
                     "\n  desc: d\n  condition: evt.type in (chmod, chown, truncate) and "
                     "fd.file in (secrets)\n  output: \"changed name=%fs.path.name "
                     "ino=%fd.ino pid=%proc.pid\"\n  priority: WARNING\n"));
    auto sensor = SensorProcess::StartWith({"--rules", rules, "--print-alerts"});
    ASSERT_TRUE(sensor.ok()) << sensor.status();
    sensor_ = std::move(*sensor);
    const Json start = sensor_->start_record();
    EXPECT_FALSE(start["all_files"].get<bool>()) << start.dump();
    // The listed path itself is a prefix only for its renames and removals (followed at
    // once); its reads come through the identity set.
    EXPECT_EQ(start["file_prefixes"], Json::array({secret_})) << start.dump();
    EXPECT_EQ(start["file_identity_paths"], Json::array({secret_})) << start.dump();
  }

  void TearDown() override {
    if (sensor_ != nullptr) vigil::testing::ExpectCleanStop(*sensor_, "file");
  }

  // Waits for the alert of `pid` and checks it names `name` and the secret's inode.
  void ExpectAlert(pid_t pid, const std::string& name, uint64_t ino) {
    ASSERT_GT(pid, 0) << "the access failed";
    auto alerts = sensor_->WaitForCount(AlertOf(kRule, pid), 1);
    ASSERT_EQ(alerts.size(), 1u) << sensor_->stderr_text();
    const Json& f = alerts[0]["output_fields"];
    EXPECT_EQ(f["fd.name"], name);
    EXPECT_EQ(f["fd.ino"].get<uint64_t>(), ino);
  }

  std::unique_ptr<TestDir> dir_;
  std::unique_ptr<TestDir> other_;
  std::string secret_;
  std::unique_ptr<SensorProcess> sensor_;
};

TEST_F(FileIdentityTest, HardLinkInAnotherDirectoryIsTheFile) {
  const std::string link_path = other_->Join("innocent");
  ASSERT_EQ(link(secret_.c_str(), link_path.c_str()), 0);
  const pid_t pid = InChild([&] { return ReadFile(link_path.c_str()); });
  ExpectAlert(pid, link_path, InodeOf(secret_));
  const Json f = sensor_->Matching(AlertOf(kRule, pid))[0]["output_fields"];
  EXPECT_EQ(f["fd.nlink"], 2);
  struct stat st {};
  ASSERT_EQ(stat(secret_.c_str(), &st), 0);
  EXPECT_EQ(f["fd.file"], absl::StrCat(st.st_dev, ":", st.st_ino));
}

TEST_F(FileIdentityTest, BindMountInAPrivateNamespaceIsTheFile) {
  const std::string target = other_->MakeDirs("mnt");
  const std::string from = dir_->Join("secret");
  const std::string through = target + "/data";
  const pid_t pid =
      InChild([&] { return ReadThroughBindMount(from.c_str(), target.c_str(), through.c_str()); });
  ExpectAlert(pid, through, InodeOf(secret_));
}

TEST_F(FileIdentityTest, OpenByHandleIsTheFile) {
  Handle handle;
  ASSERT_TRUE(HandleOf(secret_, &handle)) << "name_to_handle_at: " << strerror(errno);
  const std::string mount_dir = other_->path();
  const pid_t pid = InChild([&] { return ReadByHandle(mount_dir.c_str(), &handle); });
  ASSERT_GT(pid, 0) << "open_by_handle_at failed";
  auto alerts = sensor_->WaitForCount(AlertOf(kRule, pid), 1);
  ASSERT_EQ(alerts.size(), 1u) << sensor_->stderr_text();
  EXPECT_EQ(alerts[0]["output_fields"]["fd.ino"].get<uint64_t>(), InodeOf(secret_));
}

TEST_F(FileIdentityTest, ProcSelfRootIsTheFile) {
  const std::string through = "/proc/self/root" + secret_;
  const pid_t pid = InChild([&] { return ReadFile(through.c_str()); });
  ExpectAlert(pid, secret_, InodeOf(secret_));
}

TEST_F(FileIdentityTest, ReplacedFileIsFollowedAfterTheRefresh) {
  // Keep the old inode reachable, then replace the listed path as passwd does.
  const std::string old_link = other_->Join("old");
  ASSERT_EQ(link(secret_.c_str(), old_link.c_str()), 0);
  const uint64_t old_ino = InodeOf(secret_);
  const std::string next = dir_->WriteFile("secret/data.new", "new hash");
  ASSERT_EQ(rename(next.c_str(), secret_.c_str()), 0);
  const uint64_t new_ino = InodeOf(secret_);
  ASSERT_NE(new_ino, old_ino);
  absl::SleepFor(absl::Milliseconds(2500));  // > the sensor's 1 s refresh, with slack
  const std::string new_link = other_->Join("new");
  ASSERT_EQ(link(secret_.c_str(), new_link.c_str()), 0);
  // One process reads the old file, then the new one: once the new one's alert is in, an
  // alert for the old one would have been too.
  const pid_t pid = InChild([&] {
    const int old_read = ReadFile(old_link.c_str());
    return old_read != 0 ? old_read : ReadFile(new_link.c_str());
  });
  ExpectAlert(pid, new_link, new_ino);
  absl::SleepFor(absl::Milliseconds(300));
  const std::vector<Json> alerts = sensor_->Matching(AlertOf(kRule, pid));
  EXPECT_EQ(alerts.size(), 1u) << "the replaced inode is no longer the listed file:\n"
                               << Describe(alerts);
}

TEST_F(FileIdentityTest, ReplacedFileIsNotTheFileFromTheRenameOn) {
  // The old inode stays reachable (as the lock file usermod links may reuse its number at
  // once): read right after the rename, before any periodic refresh, it is not the file.
  const std::string old_link = other_->Join("old");
  ASSERT_EQ(link(secret_.c_str(), old_link.c_str()), 0);
  const std::string next = dir_->WriteFile("secret/data.new", "new hash");
  const std::string new_link = other_->Join("new");
  ASSERT_EQ(link(next.c_str(), new_link.c_str()), 0);
  const pid_t old_reader = InChild([&] {
    if (rename(next.c_str(), secret_.c_str()) != 0) return 40;
    return ReadFile(old_link.c_str());
  });
  ASSERT_GT(old_reader, 0) << "the rename or the read failed";
  // The sensor pushes the new identity to the kernel as soon as it reads the rename; a read
  // of the new file then alerts, and the old reader's events came before it.
  pid_t new_reader = -1;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (absl::Now() < deadline) {
    new_reader = InChild([&] { return ReadFile(new_link.c_str()); });
    ASSERT_GT(new_reader, 0);
    if (!sensor_->WaitForCount(AlertOf(kRule, new_reader), 1, absl::Milliseconds(200)).empty()) {
      break;
    }
    new_reader = -1;
  }
  ASSERT_GT(new_reader, 0) << "no alert for the new file\n" << sensor_->stderr_text();
  const std::vector<Json> stale = sensor_->Matching(AlertOf(kRule, old_reader));
  EXPECT_TRUE(stale.empty()) << "the replaced inode was taken for the listed file:\n"
                             << Describe(stale);
}

TEST_F(FileIdentityTest, UnrelatedFileOfTheSameNameIsNotTheFile) {
  const std::string unrelated = other_->WriteFile("secret/data", "hash");
  const pid_t pid = InChild([&] {
    const int first = ReadFile(unrelated.c_str());
    return first != 0 ? first : ReadFile(secret_.c_str());
  });
  ExpectAlert(pid, secret_, InodeOf(secret_));
  absl::SleepFor(absl::Milliseconds(300));
  const std::vector<Json> alerts = sensor_->Matching(AlertOf(kRule, pid));
  ASSERT_EQ(alerts.size(), 1u) << Describe(alerts);
  EXPECT_EQ(alerts[0]["output_fields"]["fd.name"], secret_);
}

// Changes by name reach the rule by identity where the kernel tells which file a path
// operation changed: the security_path_* hooks (fentry mode) or the inode-timestamp
// tracepoints (Linux 6.13+). The names go through a symlink to the listed file's directory,
// so no byte of them is the listed path.
TEST_F(FileIdentityTest, ChangesThroughASymlinkedDirectoryAreTheFile) {
  ASSERT_NE(sensor_, nullptr);
  // Each change is told by its security_path_* hook or by the timestamp tracepoints.
  bool ctime = false;
  std::set<std::string> hooks;
  const Json start = sensor_->start_record();
  for (const Json& hook : start["modules"][1]["hooks"]) {
    hooks.insert(hook.get<std::string>());
    ctime = ctime || hook == "raw_tp/inode_set_ctime_to_ts";
  }
  size_t told = 0;
  for (const char* op : {"chmod", "chown", "truncate"}) {
    told += ctime || hooks.count(absl::StrCat("fentry/security_path_", op)) != 0;
  }
  if (told == 0) {
    GTEST_SKIP() << "this kernel tells a path operation's file neither through the "
                    "security_path_* hooks nor through the inode-timestamp tracepoints (6.13+)";
  }
  const std::string alias = other_->Join("alias");
  ASSERT_EQ(symlink(dir_->Join("secret").c_str(), alias.c_str()), 0);
  const std::string through = alias + "/data";
  const pid_t pid = InChild([&] {
    if (chmod(through.c_str(), 0600) != 0) return 30;
    if (chown(through.c_str(), 0, 0) != 0) return 31;
    return truncate(through.c_str(), 2) == 0 ? 0 : 32;
  });
  ASSERT_GT(pid, 0) << "the changes failed";
  auto alerts = sensor_->WaitForCount(AlertOf(kChangeRule, pid), told);
  ASSERT_EQ(alerts.size(), told) << sensor_->stderr_text();
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(sensor_->Matching(AlertOf(kChangeRule, pid)).size(), told);
  for (const Json& alert : alerts) {
    EXPECT_EQ(alert["output_fields"]["fd.ino"].get<uint64_t>(), InodeOf(secret_)) << alert.dump();
  }
}

// --file-root: the listed paths name files under another root (a containerized sensor
// resolves them under the node's root, /host/proc/1/root).
TEST(FileRootTest, ListedPathsAreResolvedUnderTheFileRoot) {
  VIGIL_REQUIRE_ROOT();
  TestDir node("fileid-root");
  const std::string file = node.WriteFile("etc/secret", "hash");
  const std::string rules = node.WriteFile(
      "rules/r.yaml", absl::StrCat("- rule: ", kRule,
                                   "\n  desc: d\n  condition: evt.is_open_read = true and "
                                   "fd.file in (/etc/secret)\n  output: \"read %fd.name "
                                   "pid=%proc.pid\"\n  priority: WARNING\n"));
  auto started =
      SensorProcess::StartWith({"--rules", rules, "--print-alerts", "--file-root", node.path()});
  ASSERT_TRUE(started.ok()) << started.status();
  SensorProcess& sensor = **started;
  const pid_t pid = InChild([&] { return ReadFile(file.c_str()); });
  ASSERT_GT(pid, 0);
  auto alerts = sensor.WaitForCount(AlertOf(kRule, pid), 1);
  ASSERT_EQ(alerts.size(), 1u) << sensor.stderr_text();
  EXPECT_EQ(alerts[0]["output_fields"]["fd.name"], file);
  vigil::testing::ExpectCleanStop(sensor, "file");
}

// The default pack's shadow-read rule names /etc/shadow by identity too.
TEST(DefaultPackFileIdentityTest, ShadowReadThroughOtherNamesIsDetected) {
  VIGIL_REQUIRE_ROOT();
  if (access("/etc/shadow", R_OK) != 0) GTEST_SKIP() << "no readable /etc/shadow here";
  TestDir mnt("fileid-etc");
  auto started = SensorProcess::StartWith({"--rules", kPack, "--print-alerts"});
  ASSERT_TRUE(started.ok()) << started.status();
  SensorProcess& sensor = **started;

  const std::string through = mnt.path() + "/shadow";
  const pid_t bound =
      InChild([&] { return ReadThroughBindMount("/etc", mnt.path().c_str(), through.c_str()); });
  ASSERT_GT(bound, 0) << "the bind-mounted read failed";
  auto alerts = sensor.WaitForCount(AlertOf(kShadowRule, bound), 1);
  ASSERT_EQ(alerts.size(), 1u) << sensor.stderr_text();
  EXPECT_NE(alerts[0]["output"].get<std::string>().find("file=" + through), std::string::npos)
      << alerts[0].dump();

  Handle handle;
  if (!HandleOf("/etc/shadow", &handle)) {
    // Some root file systems have no file handles (9p, the kernel matrix's root).
    ASSERT_EQ(errno, EOPNOTSUPP) << "name_to_handle_at: " << strerror(errno);
    vigil::testing::ExpectCleanStop(sensor, "file");
    return;
  }
  const pid_t by_handle = InChild([&] { return ReadByHandle("/etc", &handle); });
  ASSERT_GT(by_handle, 0) << "open_by_handle_at failed";
  alerts = sensor.WaitForCount(AlertOf(kShadowRule, by_handle), 1);
  ASSERT_EQ(alerts.size(), 1u) << sensor.stderr_text();
  vigil::testing::ExpectCleanStop(sensor, "file");
}

}  // namespace
}  // namespace vigil::sensor

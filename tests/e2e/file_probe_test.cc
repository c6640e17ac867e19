// Real-kernel tests of the file module through vigil-sensor, in every attach mode: the
// reported path is the kernel's absolute path of the opened file, whatever string the
// caller used, and opens outside the interest set never reach user space.
// Test label: kernel (needs the real kernel: root, probes loaded; runs in every kernel VM).
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/sensor_process.h"
#include "tests/support/test_dir.h"

namespace vigil::sensor::probes {
namespace {

using ::vigil::testing::ExpectCleanStop;
using ::vigil::testing::Json;
using ::vigil::testing::RunHelper;
using ::vigil::testing::SensorProcess;
using ::vigil::testing::TestDir;

auto OpenBy(pid_t pid) {
  return [pid](const Json& j) {
    return j.value("type", "") == "open" && j.value("pid", 0u) == static_cast<uint32_t>(pid);
  };
}

class FileProbeTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    VIGIL_REQUIRE_ROOT();
    dir_ = std::make_unique<TestDir>("file");
    auto sensor =
        SensorProcess::Start({"--attach-mode", GetParam(), "--events", "open",
                              "--no-default-prefixes", "--file-prefix", dir_->path() + "/"});
    VIGIL_SKIP_IF_MODE_UNSUPPORTED(sensor);
    ASSERT_TRUE(sensor.ok()) << sensor.status();
    sensor_ = std::move(*sensor);
    Json start = sensor_->start_record();
    ASSERT_EQ(start["modules"][1]["name"], "file");
    ASSERT_EQ(start["modules"][1]["attach_mode"], GetParam());
  }

  void TearDown() override {
    if (sensor_ != nullptr) ExpectCleanStop(*sensor_, "file");
  }

  // Runs the helper, expects success, and returns the open events of that process once
  // `count` of them arrived.
  std::vector<Json> RunAndCollect(const std::vector<std::string>& args, size_t count) {
    const pid_t pid = RunHelper(args);
    if (pid < 0) return {};
    return sensor_->WaitForCount(OpenBy(pid), count);
  }

  std::unique_ptr<TestDir> dir_;
  std::unique_ptr<SensorProcess> sensor_;
};

TEST_P(FileProbeTest, RelativePathAfterChdirIsReportedAbsolute) {
  const std::string file = dir_->WriteFile("cwd/rel.txt");
  auto opens = RunAndCollect({"open-rel", dir_->Join("cwd"), "rel.txt"}, 1);
  ASSERT_EQ(opens.size(), 1u);
  EXPECT_EQ(opens[0]["path"], file);
  EXPECT_EQ(opens[0]["syscall"], "openat");
  EXPECT_GE(opens[0]["result"].get<int64_t>(), 0);
  EXPECT_FALSE(opens[0]["unresolved"].get<bool>());
  EXPECT_FALSE(opens[0]["hidden"].get<bool>());
}

TEST_P(FileProbeTest, OpenatRelativeToDirfdIsReportedAbsolute) {
  const std::string file = dir_->WriteFile("base/sub/f.txt");
  auto opens = RunAndCollect({"openat", dir_->Join("base"), "sub/f.txt"}, 2);
  // The directory itself is opened first (also inside the interest set).
  ASSERT_EQ(opens.size(), 2u);
  EXPECT_EQ(opens[0]["path"], dir_->Join("base"));
  EXPECT_EQ(opens[1]["path"], file);
}

TEST_P(FileProbeTest, SymlinkIsReportedAsItsTarget) {
  const std::string target = dir_->WriteFile("target/real.txt");
  const std::string link = dir_->Join("link.txt");
  ASSERT_EQ(symlink(target.c_str(), link.c_str()), 0);
  auto opens = RunAndCollect({"open", "openat", link}, 1);
  ASSERT_EQ(opens.size(), 1u);
  EXPECT_EQ(opens[0]["path"], target);
}

TEST_P(FileProbeTest, EveryOpenSyscallIsSeen) {
  struct Case {
    const char* syscall;
    const char* name;
  };
  for (const Case& c :
       {Case{"open", "a"}, Case{"openat", "b"}, Case{"openat2", "c"}, Case{"creat", "d"}}) {
    const std::string file = dir_->Join(std::string("sys-") + c.name);
    auto opens = RunAndCollect({"open", c.syscall, file}, 1);
    ASSERT_EQ(opens.size(), 1u) << c.syscall;
    EXPECT_EQ(opens[0]["syscall"], c.syscall);
    EXPECT_EQ(opens[0]["path"], file);
    EXPECT_EQ(opens[0]["file_mode"].get<uint32_t>() & 0170000, 0100000u);  // regular file
    if (std::string(c.syscall) == "creat") {
      EXPECT_EQ(opens[0]["flags"], 01101);  // O_CREAT | O_WRONLY | O_TRUNC
    } else {
      EXPECT_EQ(opens[0]["flags"], 0100);  // O_RDONLY | O_CREAT
      EXPECT_EQ(opens[0]["mode"], 0644);
    }
  }
}

TEST_P(FileProbeTest, HiddenPathOutsidePrefixesIsReportedAndFlagged) {
  TestDir other("hidden");
  const std::string file = other.WriteFile(".secret/data");
  auto opens = RunAndCollect({"open", "openat", file}, 1);
  ASSERT_EQ(opens.size(), 1u);
  EXPECT_EQ(opens[0]["path"], file);
  EXPECT_TRUE(opens[0]["hidden"].get<bool>());
}

TEST_P(FileProbeTest, OpenOutsideInterestSetNeverReachesUserSpace) {
  TestDir other("outside");
  const std::string outside = other.WriteFile("plain.txt");
  const std::string marker = dir_->WriteFile("marker.txt");
  // Same process, in order: the outside open happens before the marker's, so once the
  // marker is seen the outside open would have been seen too.
  auto opens = RunAndCollect({"open", "openat", outside, marker}, 1);
  ASSERT_EQ(opens.size(), 1u);
  EXPECT_EQ(opens[0]["path"], marker);
  for (const Json& j : sensor_->Matching([](const Json& j) { return j.contains("path"); })) {
    EXPECT_NE(j["path"], outside);
  }
}

TEST_P(FileProbeTest, PathOnAnotherMountIsResolvedAcrossTheMountPoint) {
  TestDir shm("mnt", "/dev/shm");
  const std::string file = shm.WriteFile("x/on-tmpfs.txt");
  // /dev/shm is not in the interest set: widen it by restarting with that prefix.
  sensor_->Stop();
  auto sensor = SensorProcess::Start({"--attach-mode", GetParam(), "--events", "open",
                                      "--no-default-prefixes", "--file-prefix", shm.path() + "/"});
  ASSERT_TRUE(sensor.ok()) << sensor.status();
  sensor_ = std::move(*sensor);
  auto opens = RunAndCollect({"open-rel", shm.Join("x"), "on-tmpfs.txt"}, 1);
  ASSERT_EQ(opens.size(), 1u);
  EXPECT_EQ(opens[0]["path"], file);
}

INSTANTIATE_TEST_SUITE_P(AttachModes, FileProbeTest,
                         ::testing::Values("fentry", "tp_btf", "raw_tp", "tracepoint"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace vigil::sensor::probes

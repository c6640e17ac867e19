// Real-kernel tests of the process module (fork, exec, exit) through vigil-sensor,
// in every attach mode. Each test matches only the processes it started.
// Test label: kernel (needs the real kernel: root, probes loaded; runs in every kernel VM).
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <set>
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
using ::vigil::testing::RunHelper;
using ::vigil::testing::SensorProcess;
using ::vigil::testing::Spawn;
using ::vigil::testing::TestDir;
using ::vigil::testing::WaitExit;

std::string RealPath(const std::string& path) {
  char buf[PATH_MAX];
  return realpath(path.c_str(), buf) != nullptr ? buf : path;
}

auto OfType(const std::string& type, uint32_t pid) {
  return [type, pid](const Json& j) {
    return j.value("type", "") == type && j.value("pid", 0u) == pid;
  };
}

class ProcessProbeTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    VIGIL_REQUIRE_ROOT();
    auto sensor = SensorProcess::Start(
        {"--attach-mode", GetParam(), "--events", "fork,exec,exit", "--no-default-prefixes"});
    VIGIL_SKIP_IF_MODE_UNSUPPORTED(sensor);
    ASSERT_TRUE(sensor.ok()) << sensor.status();
    sensor_ = std::move(*sensor);
    Json start = sensor_->start_record();
    ASSERT_EQ(start["modules"][0]["name"], "process");
    ASSERT_EQ(start["modules"][0]["attach_mode"], GetParam());
  }

  void TearDown() override {
    if (sensor_ != nullptr) ExpectCleanStop(*sensor_, "process");
  }

  std::unique_ptr<SensorProcess> sensor_;
};

TEST_P(ProcessProbeTest, ForkedChildrenAreProcessesWithExitCodes) {
  constexpr int kChildren = 5;
  const pid_t helper = RunHelper({"fork", std::to_string(kChildren)});
  ASSERT_GT(helper, 0);

  auto forks = sensor_->WaitForCount(OfType("fork", helper), kChildren);
  ASSERT_EQ(forks.size(), static_cast<size_t>(kChildren));
  std::set<uint32_t> children;
  for (const Json& f : forks) {
    EXPECT_FALSE(f["is_thread"].get<bool>());
    EXPECT_EQ(f["child_pid"], f["child_tid"]);
    EXPECT_NE(f["child_pid"].get<uint32_t>(), static_cast<uint32_t>(helper));
    EXPECT_EQ(f["tid"].get<uint32_t>(), static_cast<uint32_t>(helper));
    children.insert(f["child_pid"].get<uint32_t>());
  }
  ASSERT_EQ(children.size(), static_cast<size_t>(kChildren));

  std::set<int> codes;
  for (uint32_t child : children) {
    auto exits = sensor_->WaitForCount(OfType("exit", child), 1);
    ASSERT_EQ(exits.size(), 1u) << "child " << child;
    EXPECT_TRUE(exits[0]["group_dead"].get<bool>());
    EXPECT_EQ(exits[0]["signal"], 0);
    EXPECT_EQ(exits[0]["ppid"].get<uint32_t>(), static_cast<uint32_t>(helper));
    codes.insert(exits[0]["exit_status"].get<int>());
  }
  EXPECT_EQ(codes, (std::set<int>{10, 11, 12, 13, 14}));
}

TEST_P(ProcessProbeTest, ThreadsAreToldApartFromProcesses) {
  constexpr int kThreads = 3;
  const pid_t helper = RunHelper({"threads", std::to_string(kThreads)});
  ASSERT_GT(helper, 0);

  auto forks = sensor_->WaitForCount(OfType("fork", helper), kThreads);
  ASSERT_EQ(forks.size(), static_cast<size_t>(kThreads));
  std::set<uint32_t> tids;
  for (const Json& f : forks) {
    EXPECT_TRUE(f["is_thread"].get<bool>());
    EXPECT_EQ(f["child_pid"].get<uint32_t>(), static_cast<uint32_t>(helper));
    tids.insert(f["child_tid"].get<uint32_t>());
  }
  EXPECT_EQ(tids.size(), static_cast<size_t>(kThreads));
  EXPECT_EQ(tids.count(static_cast<uint32_t>(helper)), 0u);

  // Thread exits are not the process's end: exactly one exit, that of whichever task of
  // the process died last (exit_group may let the main thread go before the others),
  // ends the group, and every task's exit is reported once.
  auto exits = sensor_->WaitForCount(
      [&](const Json& j) { return OfType("exit", helper)(j) && j["group_dead"].get<bool>(); }, 1);
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(exits[0]["exit_status"], 0);
  std::set<uint32_t> tasks = tids;
  tasks.insert(static_cast<uint32_t>(helper));
  std::multiset<uint32_t> exited;
  int group_ends = 0;
  for (const Json& e : sensor_->Matching(OfType("exit", helper))) {
    const uint32_t tid = e["tid"].get<uint32_t>();
    EXPECT_TRUE(tasks.count(tid)) << "exit of task " << tid << ", not one of the helper's";
    exited.insert(tid);
    group_ends += e["group_dead"].get<bool>() ? 1 : 0;
  }
  EXPECT_EQ(group_ends, 1);
  for (uint32_t tid : tasks) EXPECT_LE(exited.count(tid), 1u) << "task " << tid;
}

TEST_P(ProcessProbeTest, ExecReportsResolvedPathAndArguments) {
  const std::vector<std::string> args = {"/bin/true", "alpha", "with space", "", "--x=y"};
  auto pid = Spawn(args);
  ASSERT_TRUE(pid.ok());
  ASSERT_EQ(WaitExit(*pid), 0);

  auto execs = sensor_->WaitForCount(OfType("exec", *pid), 1);
  ASSERT_EQ(execs.size(), 1u);
  const Json& e = execs[0];
  EXPECT_EQ(e["exe"], RealPath("/bin/true"));
  EXPECT_EQ(e["args"].get<std::vector<std::string>>(), args);
  EXPECT_FALSE(e["args_truncated"].get<bool>());
  EXPECT_FALSE(e["exe_truncated"].get<bool>());
  EXPECT_EQ(e["comm"], "true");
  EXPECT_EQ(e["ppid"].get<uint32_t>(), static_cast<uint32_t>(getpid()));
  EXPECT_EQ(e["old_tid"].get<uint32_t>(), static_cast<uint32_t>(*pid));
  struct stat st;
  ASSERT_EQ(stat("/bin/true", &st), 0);
  EXPECT_EQ(e["file_mode"].get<uint32_t>(), st.st_mode);
  EXPECT_FALSE(e["setuid"].get<bool>());
}

TEST_P(ProcessProbeTest, ExecOfRelativePathReportsAbsolutePath) {
  const std::string dir = RealPath("/bin");
  auto pid = Spawn({"./true", "rel"}, dir);
  ASSERT_TRUE(pid.ok());
  ASSERT_EQ(WaitExit(*pid), 0);
  auto execs = sensor_->WaitForCount(OfType("exec", *pid), 1);
  ASSERT_EQ(execs.size(), 1u);
  EXPECT_EQ(execs[0]["exe"], dir + "/true");
  EXPECT_EQ(execs[0]["args"], Json::array({"./true", "rel"}));
}

TEST_P(ProcessProbeTest, LongArgumentListIsTruncatedAndFlagged) {
  std::vector<std::string> args = {"/bin/true"};
  for (int i = 0; i < 200; ++i) args.push_back(std::string(40, 'a' + i % 26));
  auto pid = Spawn(args);
  ASSERT_TRUE(pid.ok());
  ASSERT_EQ(WaitExit(*pid), 0);
  auto execs = sensor_->WaitForCount(OfType("exec", *pid), 1);
  ASSERT_EQ(execs.size(), 1u);
  EXPECT_TRUE(execs[0]["args_truncated"].get<bool>());
  auto got = execs[0]["args"].get<std::vector<std::string>>();
  ASSERT_GT(got.size(), 10u);
  ASSERT_LT(got.size(), args.size());
  for (size_t i = 0; i + 1 < got.size(); ++i) EXPECT_EQ(got[i], args[i]);
}

TEST_P(ProcessProbeTest, SetuidExecByUnprivilegedUserShowsCredentialTransition) {
  constexpr uint32_t kNobody = 65534;
  TestDir dir("setuid");
  const std::string copy = dir.Join("suid-helper");
  std::filesystem::copy_file(HelperBinary(), copy);
  ASSERT_EQ(chown(copy.c_str(), 0, 0), 0);
  ASSERT_EQ(chmod(copy.c_str(), 04755), 0);

  auto pid = Spawn({HelperBinary(), "drop-exec", std::to_string(kNobody), copy, "exit", "7"});
  ASSERT_TRUE(pid.ok());
  int status = WaitExit(*pid);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 7) << "the setuid copy did not run (nosuid mount?)";

  auto execs = sensor_->WaitForCount(
      [&](const Json& j) { return OfType("exec", *pid)(j) && j["exe"] == copy; }, 1);
  ASSERT_EQ(execs.size(), 1u);
  const Json& e = execs[0];
  EXPECT_TRUE(e["setuid"].get<bool>());
  EXPECT_EQ(e["file_uid"], 0);
  EXPECT_EQ(e["file_mode"].get<uint32_t>() & 07777, 04755u);
  EXPECT_TRUE(e["creds_before_known"].get<bool>());
  EXPECT_EQ(e["uid_before"], kNobody);
  EXPECT_EQ(e["euid_before"], kNobody);
  EXPECT_EQ(e["uid"], kNobody);
  EXPECT_EQ(e["euid"], 0);
  EXPECT_EQ(e["args"], Json::array({copy, "exit", "7"}));
}

INSTANTIATE_TEST_SUITE_P(AttachModes, ProcessProbeTest,
                         ::testing::Values("tp_btf", "raw_tp", "tracepoint"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace vigil::sensor::probes

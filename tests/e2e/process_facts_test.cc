// Real-kernel tests of the facts exec events carry for rules, through vigil-sensor in every
// attach mode: an executed memfd, an executed file with no links left, and the capability
// sets before and after exec (file capabilities, and root's full set, which spans both
// words of the pre-6.3 kernel_cap_t). Each test matches only the processes it started.
// Test label: kernel (needs the real kernel: root, probes loaded; runs in every kernel VM).
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
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

constexpr uint32_t kNobody = 65534;
constexpr uint64_t kCapNetRaw = uint64_t{1} << 13;

// Exec events of process `pid` whose exe satisfies `exe_matches`.
template <typename ExeMatches>
auto ExecOf(uint32_t pid, ExeMatches exe_matches) {
  return [pid, exe_matches](const Json& j) {
    return j.value("type", "") == "exec" && j.value("pid", 0u) == pid &&
           exe_matches(j.value("exe", ""));
  };
}

// A hexadecimal capability mask of this process from /proc/self/status ("CapBnd:" say).
uint64_t OwnCapabilities(absl::string_view key) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    absl::string_view rest = line;
    if (!absl::ConsumePrefix(&rest, key)) continue;
    uint64_t mask = 0;
    EXPECT_TRUE(absl::SimpleHexAtoi(absl::StripAsciiWhitespace(rest), &mask)) << line;
    return mask;
  }
  ADD_FAILURE() << "no " << key << " in /proc/self/status";
  return 0;
}

class ProcessFactsTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    VIGIL_REQUIRE_ROOT();
    auto sensor = SensorProcess::Start(
        {"--attach-mode", GetParam(), "--events", "exec", "--no-default-prefixes"});
    VIGIL_SKIP_IF_MODE_UNSUPPORTED(sensor);
    ASSERT_TRUE(sensor.ok()) << sensor.status();
    sensor_ = std::move(*sensor);
  }

  void TearDown() override {
    if (sensor_ != nullptr) ExpectCleanStop(*sensor_, "process");
  }

  std::unique_ptr<SensorProcess> sensor_;
};

TEST_P(ProcessFactsTest, ExecOfAMemfdIsFlaggedAndNamed) {
  const pid_t helper = RunHelper({"memfd-exec", "/bin/true", "true", "from-memfd"});
  ASSERT_GT(helper, 0);

  auto execs = sensor_->WaitForCount(
      ExecOf(helper, [](const std::string& exe) { return absl::StartsWith(exe, "/memfd:"); }), 1);
  ASSERT_EQ(execs.size(), 1u);
  const Json& e = execs[0];
  EXPECT_EQ(e["exe"], "/memfd:vigil-test");
  EXPECT_TRUE(e["exe_memfd"].get<bool>());
  EXPECT_TRUE(e["exe_unlinked"].get<bool>());  // a memfd has no links either
  EXPECT_EQ(e["args"], Json::array({"true", "from-memfd"}));
  EXPECT_FALSE(e["exe_truncated"].get<bool>());

  // The helper's own exec, from its installed file, has neither flag.
  auto own = sensor_->Matching(ExecOf(helper, [](const std::string& exe) {
    return exe == std::filesystem::canonical(HelperBinary());
  }));
  ASSERT_EQ(own.size(), 1u);
  EXPECT_FALSE(own[0]["exe_memfd"].get<bool>());
  EXPECT_FALSE(own[0]["exe_unlinked"].get<bool>());
}

TEST_P(ProcessFactsTest, ExecOfAnUnlinkedFileIsFlagged) {
  TestDir dir("unlinked-exec", "/var/lib");
  const std::string copy = dir.Join("gone");
  const pid_t helper = RunHelper({"unlinked-exec", copy, "/bin/true", "true", "unlinked"});
  ASSERT_GT(helper, 0);
  EXPECT_FALSE(std::filesystem::exists(copy));

  auto execs =
      sensor_->WaitForCount(ExecOf(helper, [&](const std::string& exe) { return exe == copy; }), 1);
  ASSERT_EQ(execs.size(), 1u);
  const Json& e = execs[0];
  EXPECT_TRUE(e["exe_unlinked"].get<bool>());
  EXPECT_FALSE(e["exe_memfd"].get<bool>());
  EXPECT_EQ(e["args"], Json::array({"true", "unlinked"}));
}

TEST_P(ProcessFactsTest, FileCapabilitiesShowInTheCapabilitySets) {
  // Outside the world-writable directories, on a filesystem that keeps xattrs.
  TestDir dir("filecaps", "/var/lib");
  const std::string copy = dir.Join("caps-helper");
  std::filesystem::copy_file(HelperBinary(), copy);
  ASSERT_TRUE(vigil::testing::SetFileCapabilities(copy, kCapNetRaw).ok());

  auto pid = Spawn({HelperBinary(), "drop-exec", std::to_string(kNobody), copy, "exit", "7"});
  ASSERT_TRUE(pid.ok());
  const int status = WaitExit(*pid);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 7);

  // The helper, run by root: before exec the sets of this process (the child's are its
  // copy), after exec root's full set, the bounding set, capabilities above 31 included.
  const uint64_t bounding = OwnCapabilities("CapBnd:");
  ASSERT_NE(bounding >> 32, 0u) << "expected capabilities above 31 in the bounding set";
  auto own = sensor_->WaitForCount(
      ExecOf(
          *pid,
          [](const std::string& exe) { return exe == std::filesystem::canonical(HelperBinary()); }),
      1);
  ASSERT_EQ(own.size(), 1u);
  ASSERT_TRUE(own[0]["creds_before_known"].get<bool>());
  EXPECT_EQ(own[0]["cap_permitted_before"].get<uint64_t>(), OwnCapabilities("CapPrm:"));
  EXPECT_EQ(own[0]["cap_effective_before"].get<uint64_t>(), OwnCapabilities("CapEff:"));
  EXPECT_EQ(own[0]["cap_permitted"].get<uint64_t>(), bounding);
  EXPECT_EQ(own[0]["cap_effective"].get<uint64_t>(), bounding);

  // The copy, run as nobody (who dropped every capability when it left root): exactly
  // CAP_NET_RAW, from the file.
  auto execs =
      sensor_->WaitForCount(ExecOf(*pid, [&](const std::string& exe) { return exe == copy; }), 1);
  ASSERT_EQ(execs.size(), 1u);
  const Json& e = execs[0];
  EXPECT_EQ(e["uid"], kNobody);
  EXPECT_EQ(e["euid"], kNobody);
  EXPECT_EQ(e["uid_before"], kNobody);
  EXPECT_EQ(e["cap_permitted_before"].get<uint64_t>(), 0u);
  EXPECT_EQ(e["cap_effective_before"].get<uint64_t>(), 0u);
  EXPECT_EQ(e["cap_permitted"].get<uint64_t>(), kCapNetRaw);
  EXPECT_EQ(e["cap_effective"].get<uint64_t>(), kCapNetRaw);
  EXPECT_FALSE(e["setuid"].get<bool>());
  EXPECT_FALSE(e["exe_unlinked"].get<bool>());
}

INSTANTIATE_TEST_SUITE_P(AttachModes, ProcessFactsTest,
                         ::testing::Values("tp_btf", "raw_tp", "tracepoint"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace vigil::sensor::probes

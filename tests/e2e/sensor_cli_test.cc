// vigil-sensor as a command: clear errors and exit codes when it cannot run, --check,
// --help and --version. Runs the real binary.
// Test label: kernel (needs the real kernel: root, probes loaded; runs in every kernel VM).
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "event/schema.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/sensor_process.h"
#include "tests/support/test_dir.h"

namespace vigil::sensor {
namespace {

using ::testing::HasSubstr;
using ::vigil::testing::HelperBinary;
using ::vigil::testing::Json;
using ::vigil::testing::RunCapture;
using ::vigil::testing::RunResult;
using ::vigil::testing::TestDir;

RunResult RunSensor(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {VIGIL_SENSOR_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  auto result = RunCapture(argv);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *result : RunResult{};
}

int ExitCode(const RunResult& r) { return WIFEXITED(r.status) ? WEXITSTATUS(r.status) : -1; }

TEST(SensorCliTest, HelpAndVersion) {
  RunResult help = RunSensor({"--help"});
  EXPECT_EQ(ExitCode(help), 0);
  EXPECT_THAT(help.out, HasSubstr("--print-events"));
  EXPECT_THAT(help.out, HasSubstr("--attach-mode"));
  RunResult version = RunSensor({"--version"});
  EXPECT_EQ(ExitCode(version), 0);
  EXPECT_EQ(version.out, std::string("vigil-sensor ") + VIGIL_VERSION + "\n");
}

TEST(SensorCliTest, ListFieldsPrintsTheFieldTable) {
  RunResult fields = RunSensor({"--list-fields"});
  EXPECT_EQ(ExitCode(fields), 0);
  EXPECT_THAT(fields.out, HasSubstr("| `proc.aname[N]` | string | all |"));
  EXPECT_THAT(fields.out, HasSubstr("| `fd.name` | path | open |"));
}

TEST(SensorCliTest, ValidateRulesReportsASummaryOrTheFirstError) {
  TestDir dir("validate");
  dir.WriteFile("rules/10-base.yaml",
                "- macro: spawned\n  condition: evt.type = execve\n"
                "- rule: Shell\n  desc: d\n  condition: spawned and proc.name = bash\n"
                "  output: \"shell %proc.name\"\n  priority: WARNING\n");
  RunResult good = RunSensor({"--validate-rules", dir.Join("rules")});
  EXPECT_EQ(ExitCode(good), 0) << good.err;
  EXPECT_EQ(good.out, "ok: 1 rules (1 enabled), 1 macros, 0 lists from 1 files\n");

  dir.WriteFile("rules/20-local.yaml",
                "- rule: Shell\n  condition: and proc.pnmae = sshd\n  override:\n"
                "    condition: append\n");
  RunResult bad = RunSensor({"--validate-rules", dir.Join("rules")});
  EXPECT_EQ(ExitCode(bad), 1);
  EXPECT_EQ(bad.err, dir.Join("rules/20-local.yaml") + ":2:18: unknown field 'proc.pnmae'\n");
  EXPECT_TRUE(bad.out.empty());
}

TEST(SensorCliTest, BadArgumentsExitTwoNamingTheArgument) {
  RunResult unknown = RunSensor({"--print-events", "--frobnicate"});
  EXPECT_EQ(ExitCode(unknown), 2);
  EXPECT_THAT(unknown.err, HasSubstr("unknown option '--frobnicate'"));
  RunResult nothing = RunSensor({});
  EXPECT_EQ(ExitCode(nothing), 2);
  EXPECT_THAT(nothing.err, HasSubstr("nothing to do"));
}

TEST(SensorCliTest, UnprivilegedUserIsToldWhatIsMissing) {
  VIGIL_REQUIRE_ROOT();
  // A copy in a world-readable directory: the build tree may not be reachable by nobody.
  TestDir dir("cli");
  const std::string sensor = dir.Join("vigil-sensor");
  std::filesystem::copy_file(VIGIL_SENSOR_BINARY, sensor);
  ASSERT_EQ(chmod(sensor.c_str(), 0755), 0);
  auto result = RunCapture({HelperBinary(), "drop-exec", "65534", sensor, "--check"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(ExitCode(*result), 1) << result->err;
  EXPECT_THAT(result->err, HasSubstr("needs root, or the capabilities CAP_BPF and CAP_PERFMON"));
  EXPECT_TRUE(result->out.empty());
}

TEST(SensorCliTest, MissingOrBadBtfIsNamed) {
  VIGIL_REQUIRE_ROOT();
  RunResult missing = RunSensor({"--check", "--btf", "/nonexistent/vmlinux"});
  EXPECT_EQ(ExitCode(missing), 1);
  EXPECT_THAT(missing.err, HasSubstr("kernel BTF not found at /nonexistent/vmlinux"));
  EXPECT_THAT(missing.err, HasSubstr("CONFIG_DEBUG_INFO_BTF"));
  RunResult bad = RunSensor({"--check", "--btf", "/proc/self/status"});
  EXPECT_EQ(ExitCode(bad), 1);
  EXPECT_THAT(bad.err, HasSubstr("cannot parse kernel BTF at /proc/self/status"));
}

TEST(SensorCliTest, CheckReportsAttachModesAndStops) {
  VIGIL_REQUIRE_ROOT();
  RunResult check = RunSensor({"--check"});
  ASSERT_EQ(ExitCode(check), 0) << check.err;
  std::istringstream lines(check.out);
  std::string first, second;
  ASSERT_TRUE(std::getline(lines, first));
  ASSERT_TRUE(std::getline(lines, second));
  Json start = Json::parse(first);
  Json stop = Json::parse(second);
  EXPECT_EQ(start["type"], "sensor_start");
  ASSERT_EQ(start["modules"].size(), event::ModuleSchemas().size());
  // Each module runs in the cheapest mode this kernel accepts for it: the first mode,
  // cheapest first, in which a forced start attaches that module.
  std::map<std::string, std::string> cheapest;
  for (const char* mode : {"fentry", "tp_btf", "raw_tp", "tracepoint"}) {
    RunResult forced = RunSensor({"--check", "--attach-mode", mode});
    if (ExitCode(forced) != 0) continue;
    std::istringstream forced_lines(forced.out);
    std::string record;
    ASSERT_TRUE(std::getline(forced_lines, record));
    const Json forced_start = Json::parse(record);
    for (const Json& module : forced_start["modules"]) {
      if (module["attach_mode"] == mode) cheapest.emplace(module["name"].get<std::string>(), mode);
    }
  }
  for (const Json& module : start["modules"]) {
    const std::string name = module["name"].get<std::string>();
    ASSERT_TRUE(cheapest.count(name)) << module.dump();
    EXPECT_EQ(module["attach_mode"], cheapest[name]) << module.dump();
    EXPECT_FALSE(module["hooks"].empty());
  }
  EXPECT_EQ(stop["type"], "sensor_stop");
  EXPECT_EQ(stop["modules"]["process"]["drop_ringbuf_full"], 0);
}

}  // namespace
}  // namespace vigil::sensor

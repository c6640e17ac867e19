// Rules on the live stream, against the real kernel: `vigil-sensor --rules PATH
// --print-alerts` with the default pack detects a real fork flood, a real setuid exec by an
// unprivileged user, a real hidden-path access, real memfd and deleted-file executions, a
// real capability gain through file capabilities and a real shadow read by a process that
// names itself sshd, exactly once each, with the right fields; near misses and the test
// suite's own activity raise nothing; SIGHUP reloads the rules (moving the kernel filter)
// and a broken set is refused with a self-alert.
// Test label: kernel (needs the real kernel: root, probes loaded; runs in every kernel VM).
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/sensor_process.h"
#include "tests/support/test_dir.h"
#include "tests/support/time_scale.h"

namespace vigil::sensor {
namespace {

using ::testing::HasSubstr;
using ::vigil::testing::HelperBinary;
using ::vigil::testing::Json;
using ::vigil::testing::RunHelper;
using ::vigil::testing::SensorProcess;
using ::vigil::testing::Spawn;
using ::vigil::testing::TestDir;
using ::vigil::testing::WaitExit;

constexpr uint32_t kNobody = 65534;
const char kPack[] = VIGIL_SOURCE_DIR "/deploy/rules";

// A predicate for alerts of `rule` (any alert when empty) raised by one of `pids` or a
// child of one (any process when empty). Other real-kernel tests may run at the same
// time, so assertions look only at the processes a test started.
vigil::testing::JsonPredicate AlertOf(const std::string& rule, std::set<int64_t> pids = {}) {
  return [rule, pids](const Json& j) {
    if (!j.contains("rule") || !j.contains("output_fields")) return false;
    if (!rule.empty() && j["rule"] != rule) return false;
    if (pids.empty()) return true;
    const Json& f = j["output_fields"];
    for (const char* key : {"proc.pid", "proc.ppid"}) {
      if (f.contains(key) && f[key].is_number() && pids.count(f[key].get<int64_t>())) return true;
    }
    return false;
  };
}

// Every alert line so far about `pids` (or about anything).
std::vector<Json> Alerts(SensorProcess& sensor, std::set<int64_t> pids = {}) {
  return sensor.Matching(AlertOf("", std::move(pids)));
}

std::string Describe(const std::vector<Json>& alerts) {
  std::string out;
  for (const Json& a : alerts) absl::StrAppend(&out, a.dump(), "\n");
  return out;
}

// Lets the sensor catch up with everything before now (its wake-up interval is 10 ms).
void SettleAlerts() { absl::SleepFor(absl::Milliseconds(300)); }

// The build tree the test binaries run from (build/tests/.. ).
std::string BuildTree() {
  return std::filesystem::path(HelperBinary()).parent_path().parent_path().string();
}

class DefaultRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    VIGIL_REQUIRE_ROOT();
    // The suite runs its own programs from wherever it was built, which may be under /tmp
    // (a CI checkout): like a site's local tuning file, an override excepts that tree
    // from the exec-from-temp rules. Nothing else is changed.
    local_ = std::make_unique<TestDir>("rules-local", "/var/lib");
    const std::string local = local_->WriteFile(
        "zz-local.yaml", absl::StrCat("- macro: known_tmp_executables\n"
                                      "  condition: or proc.exepath startswith '",
                                      BuildTree(), "/'\n  override:\n    condition: append\n",
                                      vigil::testing::ScaledFloodRules()));
    auto sensor = SensorProcess::StartWith({"--rules", kPack, local, "--print-alerts"});
    ASSERT_TRUE(sensor.ok()) << sensor.status();
    sensor_ = std::move(*sensor);
    const Json start = sensor_->start_record();
    ASSERT_TRUE(start.contains("rules")) << start.dump();
    // The pack's kernel filter: hidden paths and a few /etc prefixes, never every open.
    EXPECT_FALSE(start["all_files"].get<bool>());
    EXPECT_TRUE(start["hidden"].get<bool>());
  }

  void TearDown() override {
    if (sensor_ != nullptr) vigil::testing::ExpectCleanStop(*sensor_, "process");
  }

  // Runs `program` (a copy of the helper) as nobody with "exit 7" and returns its pid;
  // -1, with a test failure, when it did not run to that exit (a nosuid mount, say).
  static pid_t RunCopyAsNobody(const std::string& program) {
    auto pid = Spawn({HelperBinary(), "drop-exec", std::to_string(kNobody), program, "exit", "7"});
    if (!pid.ok()) {
      ADD_FAILURE() << pid.status();
      return -1;
    }
    const int status = WaitExit(*pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 7) {
      ADD_FAILURE() << program << " did not run (nosuid mount?): wait status " << status;
      return -1;
    }
    return *pid;
  }

  // The alerts of `rule` about `pid`, once at least one arrived and the stream settled.
  std::vector<Json> SettledAlertsOf(const std::string& rule, pid_t pid) {
    sensor_->WaitForCount(AlertOf(rule, {pid}), 1);
    SettleAlerts();
    return sensor_->Matching(AlertOf(rule, {pid}));
  }

  std::unique_ptr<TestDir> local_;
  std::unique_ptr<SensorProcess> sensor_;
};

TEST_F(DefaultRulesTest, RealForkFloodIsDetectedOnce) {
  // A near miss first: a burst well under the threshold.
  const pid_t small = RunHelper({"fork", "100"});
  ASSERT_GT(small, 0);
  const pid_t flood = RunHelper({"vfork", "6000"});
  ASSERT_GT(flood, 0);
  const std::string rule = "Fork flood by process";
  sensor_->WaitForCount(AlertOf(rule, {flood}), 1);
  SettleAlerts();
  auto alerts = sensor_->Matching(AlertOf(rule, {flood}));
  ASSERT_EQ(alerts.size(), 1u) << Describe(Alerts(*sensor_));
  const Json& a = alerts[0];
  EXPECT_EQ(a["output_fields"]["proc.pid"], flood);
  EXPECT_EQ(a["output_fields"]["evt.count"], 1000);
  EXPECT_EQ(a["count"], 1000);
  EXPECT_EQ(a["priority"], "Warning");
  EXPECT_EQ(a["source"], "syscall");
  EXPECT_THAT(a["output"].get<std::string>(), HasSubstr("proc=vigil-test-help"));
  EXPECT_THAT(a["output"].get<std::string>(), HasSubstr(absl::StrCat("pid=", flood)));
  EXPECT_TRUE(Alerts(*sensor_, {small}).empty()) << Describe(Alerts(*sensor_, {small}));
}

TEST_F(DefaultRulesTest, RealSetuidExecByUnprivilegedUserIsDetectedOnce) {
  // Outside the world-writable directories, so only the setuid rule applies.
  TestDir dir("setuid-rule", "/var/lib");
  const std::string copy = dir.Join("suid-helper");
  std::filesystem::copy_file(HelperBinary(), copy);
  ASSERT_EQ(chown(copy.c_str(), 0, 0), 0);
  ASSERT_EQ(chmod(copy.c_str(), 04755), 0);

  // Near miss: root running the setuid-root program gains nothing.
  const pid_t as_root = RunHelper({"drop-exec", "0", copy, "exit", "0"});
  ASSERT_GT(as_root, 0);
  const pid_t pid = RunCopyAsNobody(copy);
  ASSERT_GT(pid, 0);

  auto alerts = SettledAlertsOf("Privilege elevation by setuid or setgid exec", pid);
  ASSERT_EQ(alerts.size(), 1u) << Describe(Alerts(*sensor_));
  const Json& f = alerts[0]["output_fields"];
  EXPECT_EQ(f["proc.pid"], pid);
  EXPECT_EQ(f["proc.exepath"], copy);
  EXPECT_EQ(f["user.uid"], kNobody);
  EXPECT_EQ(f["user.euid_before"], kNobody);
  EXPECT_EQ(f["user.euid"], 0);
  EXPECT_EQ(f["file.uid"], 0);
  EXPECT_EQ(f["user.name"], "nobody");
  EXPECT_EQ(alerts[0]["priority"], "Warning");
  // Nothing else about these processes: no other rule, and nothing for the root run.
  EXPECT_EQ(Alerts(*sensor_, {pid, as_root}).size(), 1u) << Describe(Alerts(*sensor_));
}

TEST_F(DefaultRulesTest, RealHiddenPathAccessIsDetectedOnce) {
  TestDir dir("hidden-rule");
  // Near misses: visible names, and a hidden name outside the world-writable roots.
  const std::string visible = dir.Join("visible.file");
  TestDir elsewhere("hidden-rule", "/var/lib");
  const std::string hidden_elsewhere = elsewhere.Join(".config");
  const pid_t near = RunHelper({"open", "openat", visible, hidden_elsewhere});
  ASSERT_GT(near, 0);

  const std::string hidden = absl::StrCat("/tmp/.vigil-test-", getpid());
  const pid_t opener = RunHelper({"open", "openat", hidden});
  unlink(hidden.c_str());
  ASSERT_GT(opener, 0);
  const std::string rule = "Hidden file in world-writable directory";
  sensor_->WaitForCount(AlertOf(rule, {opener}), 1);
  SettleAlerts();
  auto alerts = sensor_->Matching(AlertOf(rule, {opener}));
  ASSERT_EQ(alerts.size(), 1u) << Describe(Alerts(*sensor_));
  EXPECT_TRUE(Alerts(*sensor_, {near}).empty()) << Describe(Alerts(*sensor_, {near}));
  const Json& f = alerts[0]["output_fields"];
  EXPECT_EQ(f["fd.name"], hidden);
  EXPECT_EQ(f["proc.pid"], opener);
  EXPECT_EQ(f["proc.name"], "vigil-test-help");
  EXPECT_EQ(f["user.name"], "root");
}

TEST_F(DefaultRulesTest, RealExecutionFromMemfdOrDeletedFileIsDetected) {
  TestDir dir("deleted-rule", "/var/lib");
  const std::string copy = dir.Join("gone");
  // Near miss: the same program executed from its installed file.
  auto installed = Spawn({"/bin/true"});
  ASSERT_TRUE(installed.ok());
  ASSERT_EQ(WaitExit(*installed), 0);
  const pid_t memfd = RunHelper({"memfd-exec", "/bin/true", "true"});
  ASSERT_GT(memfd, 0);
  const pid_t deleted = RunHelper({"unlinked-exec", copy, "/bin/true", "true"});
  ASSERT_GT(deleted, 0);

  const std::string rule = "Execution from memfd or deleted file";
  sensor_->WaitForCount(AlertOf(rule, {deleted}), 1);
  auto alerts = SettledAlertsOf(rule, memfd);
  ASSERT_EQ(alerts.size(), 1u) << Describe(Alerts(*sensor_));
  EXPECT_EQ(alerts[0]["output_fields"]["proc.exepath"], "/memfd:vigil-test");
  EXPECT_EQ(alerts[0]["output_fields"]["proc.is_exe_from_memfd"], true);
  EXPECT_EQ(alerts[0]["output_fields"]["proc.is_exe_deleted"], false);
  EXPECT_EQ(alerts[0]["priority"], "Error");
  alerts = sensor_->Matching(AlertOf(rule, {deleted}));
  ASSERT_EQ(alerts.size(), 1u) << Describe(Alerts(*sensor_));
  EXPECT_EQ(alerts[0]["output_fields"]["proc.exepath"], copy);
  EXPECT_EQ(alerts[0]["output_fields"]["proc.is_exe_from_memfd"], false);
  EXPECT_EQ(alerts[0]["output_fields"]["proc.is_exe_deleted"], true);
  // Nothing else about these processes, and nothing for the installed file.
  EXPECT_EQ(Alerts(*sensor_, {memfd, deleted}).size(), 2u) << Describe(Alerts(*sensor_));
  EXPECT_TRUE(Alerts(*sensor_, {*installed}).empty()) << Describe(Alerts(*sensor_));
}

TEST_F(DefaultRulesTest, RealCapabilityElevationByFileCapabilitiesIsDetectedOnce) {
  constexpr uint64_t kCapNetRaw = uint64_t{1} << 13;
  // Outside the world-writable directories, so only the capability rule applies.
  TestDir dir("filecaps-rule", "/var/lib");
  const std::string copy = dir.Join("caps-helper");
  std::filesystem::copy_file(HelperBinary(), copy);
  ASSERT_TRUE(vigil::testing::SetFileCapabilities(copy, kCapNetRaw).ok());

  // Near misses: root running the same program, and an ordinary program, gain nothing.
  const pid_t as_root = RunHelper({"drop-exec", "0", copy, "exit", "0"});
  ASSERT_GT(as_root, 0);
  const pid_t plain = RunHelper({"drop-exec", "0", "/bin/true"});
  ASSERT_GT(plain, 0);
  const pid_t pid = RunCopyAsNobody(copy);
  ASSERT_GT(pid, 0);

  auto alerts = SettledAlertsOf("Capability elevation at exec", pid);
  ASSERT_EQ(alerts.size(), 1u) << Describe(Alerts(*sensor_));
  const Json& f = alerts[0]["output_fields"];
  EXPECT_EQ(f["proc.pid"], pid);
  EXPECT_EQ(f["proc.exepath"], copy);
  EXPECT_EQ(f["user.uid"], kNobody);
  EXPECT_EQ(f["user.euid"], kNobody);
  EXPECT_EQ(f["user.name"], "nobody");
  EXPECT_EQ(f["proc.cap_gained"], kCapNetRaw);
  EXPECT_EQ(f["proc.cap_permitted_before"], 0);
  EXPECT_EQ(f["proc.cap_permitted"], kCapNetRaw);
  EXPECT_EQ(f["proc.cap_effective"], kCapNetRaw);
  EXPECT_EQ(alerts[0]["priority"], "Warning");
  // Nothing else about these processes: no other rule, nothing for the root runs.
  EXPECT_EQ(Alerts(*sensor_, {pid, as_root, plain}).size(), 1u) << Describe(Alerts(*sensor_));
}

TEST_F(DefaultRulesTest, RealShadowReadByAProcessNamedSshdIsDetected) {
  // prctl(PR_SET_NAME, "sshd") makes proc.name sshd; the executable is still the helper.
  const pid_t spoof = RunHelper({"comm-open", "sshd", "/etc/shadow"});
  ASSERT_GT(spoof, 0);
  auto alerts = SettledAlertsOf("Read of shadow file by unexpected process", spoof);
  ASSERT_EQ(alerts.size(), 1u) << Describe(Alerts(*sensor_));
  const Json& f = alerts[0]["output_fields"];
  EXPECT_EQ(f["proc.pid"], spoof);
  EXPECT_EQ(f["proc.name"], "sshd");
  EXPECT_EQ(f["proc.exepath"], std::filesystem::canonical(HelperBinary()).string());
  EXPECT_EQ(f["fd.name"], "/etc/shadow");
  EXPECT_EQ(Alerts(*sensor_, {spoof}).size(), 1u) << Describe(Alerts(*sensor_));
}

TEST_F(DefaultRulesTest, TheTestSuitesOwnActivityRaisesNoAlert) {
  // The unit tests (temporary directories and files under /tmp, rule compilation, many
  // threads), a shell loop of ordinary commands, and the helper's ordinary actions.
  const std::string unit_tests =
      std::filesystem::path(HelperBinary()).parent_path() / "vigil_unit_tests";
  std::set<int64_t> pids;
  auto unit = Spawn({unit_tests, "--gtest_brief=1"});
  ASSERT_TRUE(unit.ok());
  pids.insert(*unit);
  ASSERT_EQ(WaitExit(*unit), 0);
  auto shell = Spawn({"/bin/sh", "-c",
                      "for i in 1 2 3 4 5 6 7 8 9 10; do ls /etc >/dev/null; "
                      "cat /etc/passwd >/dev/null; id >/dev/null; done; "
                      "d=$(mktemp -d); echo x > $d/f; cat $d/f >/dev/null; rm -r $d"});
  ASSERT_TRUE(shell.ok());
  pids.insert(*shell);
  ASSERT_EQ(WaitExit(*shell), 0);
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"fork", "50"}, {"threads", "20"}, {"open-rel", "/etc", "passwd"}}) {
    const pid_t helper = RunHelper(args);
    ASSERT_GT(helper, 0);
    pids.insert(helper);
  }
  SettleAlerts();
  EXPECT_TRUE(Alerts(*sensor_, pids).empty()) << Describe(Alerts(*sensor_, pids));
}

// Skips, saying why, where /etc cannot be changed or linked from /var/lib: the kernel VMs
// mount the host's root read-only with /var on tmpfs.
#define VIGIL_SKIP_WITHOUT_WRITABLE_ETC()                                                   \
  do {                                                                                      \
    struct stat etc_st {};                                                                  \
    struct stat var_st {};                                                                  \
    if (access("/etc", W_OK) != 0 || stat("/etc", &etc_st) != 0 ||                          \
        stat("/var/lib", &var_st) != 0 || etc_st.st_dev != var_st.st_dev) {                 \
      GTEST_SKIP() << "needs a writable /etc on the file system of /var/lib (not in a VM)"; \
    }                                                                                       \
  } while (0)

// Runs `script` with /bin/sh in `dir` and returns the shell's pid (its commands are its
// children: the alerts about them name it as proc.ppid).
pid_t RunScript(const std::string& dir, const std::string& script) {
  auto shell = Spawn({"/bin/sh", "-c", absl::StrCat("cd '", dir, "' && ", script)});
  if (!shell.ok()) {
    ADD_FAILURE() << shell.status();
    return -1;
  }
  const int status = WaitExit(*shell);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << script << ": " << status;
  return *shell;
}

TEST_F(DefaultRulesTest, RealBenignFileWorkRaisesNoAlert) {
  VIGIL_SKIP_WITHOUT_WRITABLE_ETC();
  // Account tools rewriting the databases by rename, an editor saving by rename, git, a
  // compiler and a test tree under /tmp, bulk removal there, ordinary modes.
  TestDir tmp("benign-files");
  const std::string user = absl::StrCat("vigilb", getpid() % 100000);
  const pid_t accounts =
      RunScript(tmp.path(), absl::StrCat("useradd -M ", user, " && echo '", user,
                                         ":Vigil-Test-1' | chpasswd && usermod -c vigil ", user,
                                         " && userdel ", user));
  const pid_t work = RunScript(
      tmp.path(),
      "printf 'a\\n' > notes.txt && sed -i s/a/b/ notes.txt && "
      "git init -q repo && git -C repo -c user.email=t@t -c user.name=t commit -q "
      "--allow-empty -m x && printf 'int main(void){return 0;}\\n' > m.c && "
      "gcc -o m m.c && mkdir -p tree && for i in $(seq 1 600); do : > tree/f$i; done && "
      "rm -r tree && mkdir shared && chmod 1777 shared && chmod 755 m && chmod 0644 notes.txt");
  ASSERT_GT(accounts, 0);
  ASSERT_GT(work, 0);
  SettleAlerts();
  EXPECT_TRUE(Alerts(*sensor_, {accounts, work}).empty())
      << Describe(Alerts(*sensor_, {accounts, work}));
}

TEST_F(DefaultRulesTest, RealFileOperationEvasionsAreDetected) {
  VIGIL_SKIP_WITHOUT_WRITABLE_ETC();
  TestDir dir("evasions", "/var/lib");
  const std::string sudoers = absl::StrCat("/etc/sudoers.d/zz-vigil-test-", getpid());
  const std::string hidden = absl::StrCat("/tmp/.vigil-evasion-", getpid());
  // A second name for the password hashes, read through it; a sudoers.d file renamed and
  // removed; a set-id copy of a program; a hidden staging directory; a wiper's removals.
  const pid_t shell = RunScript(
      dir.path(),
      absl::StrCat(
          "ln /etc/shadow copy && cat copy > /dev/null && rm copy && ",
          "made=; [ -d /etc/sudoers.d ] || { mkdir /etc/sudoers.d && made=1; } && ",
          "printf '# test\\n' > ", sudoers, " && mv ", sudoers, " ", sudoers, "x && rm ", sudoers,
          "x && cp /bin/true t && chmod 4755 t && mkdir ", hidden, " && rmdir ", hidden,
          " && mkdir -p /var/lib/vigil-wipe-$$ && cd /var/lib/vigil-wipe-$$ && "
          "for i in $(seq 1 600); do : > f$i; done && cd / && "
          "rm -r /var/lib/vigil-wipe-$$ && { [ -z \"$made\" ] || rmdir /etc/sudoers.d; }"));
  ASSERT_GT(shell, 0);
  for (const char* rule :
       {"Hard link or bind mount of sensitive file", "Read of shadow file by unexpected process",
        "Account or privilege file changed", "File made world-writable or set-id",
        "Hidden file created in world-writable directory", "Mass deletion by process"}) {
    SCOPED_TRACE(rule);
    EXPECT_FALSE(sensor_->WaitForCount(AlertOf(rule, {shell}), 1).empty())
        << Describe(Alerts(*sensor_, {shell}));
  }
  SettleAlerts();
  // The rename and the removal of the test's file (and, where the test made it, the
  // removal of /etc/sudoers.d itself).
  std::vector<Json> changed;
  for (const Json& a : sensor_->Matching(AlertOf("Account or privilege file changed", {shell}))) {
    const Json& f = a["output_fields"];
    auto text = [&f](const char* key) {
      return f.contains(key) && f[key].is_string() ? f[key].get<std::string>() : std::string();
    };
    if (absl::StartsWith(text("fs.path.name"), sudoers) ||
        absl::StartsWith(text("fs.path.source"), sudoers)) {
      changed.push_back(a);
    }
  }
  ASSERT_EQ(changed.size(), 2u) << Describe(changed);
  EXPECT_EQ(changed[0]["output_fields"]["fs.path.source"], sudoers);
  EXPECT_EQ(changed[1]["output_fields"]["fs.path.name"], sudoers + "x");
  const auto read =
      sensor_->Matching(AlertOf("Read of shadow file by unexpected process", {shell}));
  ASSERT_EQ(read.size(), 1u) << Describe(read);
  EXPECT_EQ(read[0]["output_fields"]["fd.name"], dir.Join("copy"));
}

TEST_F(DefaultRulesTest, RealAccountFileChangedThroughASymlinkedDirectoryIsDetected) {
  VIGIL_SKIP_WITHOUT_WRITABLE_ETC();
  size_t told = 0;  // of the chown and the chmod below
  const Json start = sensor_->start_record();
  for (const Json& hook : start["modules"][1]["hooks"]) {
    const std::string h = hook.get<std::string>();
    if (h == "raw_tp/inode_set_ctime_to_ts") told += 2;
    if (h == "fentry/security_path_chown" || h == "fentry/security_path_chmod") ++told;
  }
  if (told == 0) {
    GTEST_SKIP() << "this kernel tells a path operation's file neither through the "
                    "security_path_* hooks nor through the inode-timestamp tracepoints (6.13+)";
  }
  TestDir dir("symlinked-etc");
  // The owner and mode are set to what they are: only the change time moves. No byte of the
  // names is /etc/shadow.
  const pid_t shell =
      RunScript(dir.path(),
                "ln -s /etc alias && chown \"$(stat -c %u:%g /etc/shadow)\" alias/shadow && "
                "chmod \"$(stat -c %a /etc/shadow)\" alias/shadow");
  ASSERT_GT(shell, 0);
  const auto alerts =
      sensor_->WaitForCount(AlertOf("Account or privilege file changed", {shell}), told);
  ASSERT_EQ(alerts.size(), told) << Describe(Alerts(*sensor_, {shell}));
  for (const Json& a : alerts) {
    const std::string name = a["output_fields"]["fs.path.name"].get<std::string>();
    EXPECT_TRUE(name == "/etc/shadow" || name == dir.Join("alias/shadow")) << a.dump();
  }
}

std::string OpenRule(const std::string& path) {
  return absl::StrCat("- rule: watched open\n  condition: evt.is_open_read = true and fd.name = ",
                      path, "\n  output: \"opened %fd.name by %proc.pid\"\n  priority: NOTICE\n");
}

TEST(RulesReloadTest, SighupSwapsRulesAndMovesTheKernelFilter) {
  VIGIL_REQUIRE_ROOT();
  TestDir dir("reload");
  const std::string a = dir.WriteFile("a.file");
  const std::string b = dir.WriteFile("b.file");
  const std::string rules = dir.WriteFile("rules/r.yaml", OpenRule(a));
  auto started = SensorProcess::StartWith({"--rules", dir.Join("rules"), "--print-alerts"});
  ASSERT_TRUE(started.ok()) << started.status();
  SensorProcess& sensor = **started;
  EXPECT_THAT(sensor.start_record()["file_prefixes"], ::testing::ElementsAre(a));

  const pid_t first = RunHelper({"open", "openat", a, b});
  auto alerts = sensor.WaitForCount(AlertOf("watched open"), 1);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]["output"], absl::StrCat("opened ", a, " by ", first));

  // Move the rule to b: alerts for b, none for a.
  dir.WriteFile("rules/r.yaml", OpenRule(b));
  ASSERT_TRUE(sensor.Signal(SIGHUP));
  auto reloaded =
      sensor.WaitForCount([](const Json& j) { return j.value("type", "") == "rules_reloaded"; }, 1);
  ASSERT_EQ(reloaded.size(), 1u) << sensor.stderr_text();
  EXPECT_THAT(reloaded[0]["file_prefixes"], ::testing::ElementsAre(b));  // moved, not widened
  const pid_t second = RunHelper({"open", "openat", a, b});
  alerts = sensor.WaitForCount(AlertOf("watched open"), 2);
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[1]["output"], absl::StrCat("opened ", b, " by ", second));

  // A broken set is refused: a self-alert names the error, the running set stays.
  dir.WriteFile("rules/r.yaml", OpenRule(b) +
                                    "- rule: broken\n  condition: proc.nmae = x\n"
                                    "  output: o\n  priority: INFO\n");
  ASSERT_TRUE(sensor.Signal(SIGHUP));
  auto refused = sensor.WaitForCount(AlertOf("Vigil rules reload failed"), 1);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0]["priority"], "Error");
  EXPECT_EQ(refused[0]["source"], "vigil");
  EXPECT_THAT(refused[0]["output"].get<std::string>(),
              HasSubstr(absl::StrCat(rules, ":6:14: unknown field 'proc.nmae'")));
  const pid_t third = RunHelper({"open", "openat", a, b});
  alerts = sensor.WaitForCount(AlertOf("watched open"), 3);
  ASSERT_EQ(alerts.size(), 3u);
  EXPECT_EQ(alerts[2]["output"], absl::StrCat("opened ", b, " by ", third));
  SettleAlerts();
  EXPECT_EQ(sensor.Matching(AlertOf("watched open")).size(), 3u);

  EXPECT_EQ(sensor.Stop(), 0);
  const Json stop = sensor.stop_record();
  EXPECT_EQ(stop["rules"]["reloads"], 1);
  EXPECT_EQ(stop["rules"]["reload_failures"], 1);
  EXPECT_EQ(stop["rules"]["alerts"], 4);
}

TEST(RulesStartupTest, ABrokenRuleSetStopsTheSensorWithTheError) {
  VIGIL_REQUIRE_ROOT();
  TestDir dir("bad-rules");
  const std::string rules = dir.WriteFile("r.yaml", OpenRule("/etc/x") + "  bogus: 1\n");
  auto run = vigil::testing::RunCapture({VIGIL_SENSOR_BINARY, "--rules", rules, "--print-alerts"});
  ASSERT_TRUE(run.ok());
  EXPECT_TRUE(WIFEXITED(run->status));
  EXPECT_EQ(WEXITSTATUS(run->status), 1);
  EXPECT_THAT(run->err, HasSubstr(absl::StrCat(rules, ":5:3: unknown key 'bogus'")));
}

}  // namespace
}  // namespace vigil::sensor

// Alert delivery end to end, against the real kernel and the real binaries: vigil-sensor
// raises alerts on real activity and sends them to a real vigil-controller, and an in-test
// AlertService.Subscribe client counts what arrives by (sensor_id, sequence). The default
// pack's detections arrive exactly once with their context; killing the controller with
// SIGKILL mid-burst, stopping it for 30 s, and restarting the sensor with unacked alerts in
// its spool lose nothing and duplicate nothing; a rule set that one sensor refuses
// (--max-rules) shows as failed in the rollout while that sensor keeps its previous rules.
// Test label: kernel (needs the real kernel: root, probes loaded; runs in every kernel VM).
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/e2e/support/controller_process.h"
#include "tests/e2e/support/subscriber.h"
#include "tests/support/sensor_process.h"
#include "tests/support/test_dir.h"
#include "tests/support/time_scale.h"
#include "vigil/v1/fleet.grpc.pb.h"

namespace vigil::e2e {
namespace {

using ::testing::HasSubstr;
using ::vigil::testing::ControllerProcess;
using ::vigil::testing::HelperBinary;
using ::vigil::testing::Json;
using ::vigil::testing::RunHelper;
using ::vigil::testing::SensorProcess;
using ::vigil::testing::Spawn;
using ::vigil::testing::Subscriber;
using ::vigil::testing::TestDir;
using ::vigil::testing::WaitExit;
using ::vigil::v1::Alert;

constexpr uint32_t kNobody = 65534;
const char kPack[] = VIGIL_SOURCE_DIR "/deploy/rules";

// The build tree the test binaries run from (build/tests/..).
std::string BuildTree() {
  return std::filesystem::path(HelperBinary()).parent_path().parent_path().string();
}

// A sensor id unique to this test process.
std::string SensorId(const std::string& tag) { return absl::StrCat("e2e-", tag, "-", getpid()); }

// Starts a sensor linked to `controller` in plaintext, with `spool` and `sensor_id`, plus
// `extra` arguments (its rules, --max-rules ...).
std::unique_ptr<SensorProcess> StartLinkedSensor(const ControllerProcess& controller,
                                                 const std::string& spool,
                                                 const std::string& sensor_id,
                                                 const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"--controller",
                                   controller.address(),
                                   "--controller-insecure",
                                   "--spool",
                                   spool,
                                   "--sensor-id",
                                   sensor_id};
  args.insert(args.end(), extra.begin(), extra.end());
  auto sensor = SensorProcess::StartWith(args);
  EXPECT_TRUE(sensor.ok()) << sensor.status();
  return sensor.ok() ? std::move(*sensor) : nullptr;
}

// A stateless rule named `name` on read opens of exactly `path`.
std::string OpenRule(const std::string& name, const std::string& path) {
  return absl::StrCat("- rule: ", name,
                      "\n  condition: evt.is_open_read = true and fd.name = ", path,
                      "\n  output: \"", name, " %fd.name by %proc.pid\"\n", "  priority: NOTICE\n");
}

// The value of output field `name` as a number, or -1.
int64_t NumberField(const Alert& alert, const std::string& name) {
  for (const vigil::v1::AlertField& f : alert.output_fields()) {
    if (f.name() == name && f.value_case() == vigil::v1::AlertField::kNumber) return f.number();
  }
  return -1;
}

// Alerts of `rule` whose proc.pid is `pid`.
std::vector<Alert> OfRuleAndPid(const std::vector<Alert>& alerts, const std::string& rule,
                                int64_t pid) {
  std::vector<Alert> out;
  for (const Alert& a : alerts) {
    if (a.rule() == rule && NumberField(a, "proc.pid") == pid) out.push_back(a);
  }
  return out;
}

std::string Describe(const std::vector<Alert>& alerts) {
  std::string out;
  for (const Alert& a : alerts) {
    absl::StrAppend(&out, a.sequence(), " ", a.rule(), ": ", a.output(), "\n");
  }
  return out;
}

// Opens `path` `per_run` times in each of `runs` helper runs, `pause` apart; returns the
// opens made (each one a read open the burst rule alerts on).
uint64_t Burst(const std::string& path, int runs, int per_run,
               absl::Duration pause = absl::ZeroDuration()) {
  std::vector<std::string> args = {"open", "openat"};
  for (int i = 0; i < per_run; ++i) args.push_back(path);
  uint64_t opens = 0;
  for (int r = 0; r < runs; ++r) {
    if (RunHelper(args) > 0) opens += static_cast<uint64_t>(per_run);
    if (pause > absl::ZeroDuration() && r + 1 < runs) absl::SleepFor(pause);
  }
  return opens;
}

// The sensor_stop record's count of alerts raised (each took one sequence number).
uint64_t AlertsRaised(const SensorProcess& sensor) {
  const Json stop = sensor.stop_record();
  if (!stop.is_object() || !stop.contains("rules")) return 0;
  return stop["rules"]["alerts"].get<uint64_t>();
}

// Stops `sensor` (SIGTERM), expecting a clean exit; returns the alerts it raised.
uint64_t StopSensor(SensorProcess& sensor) {
  const int status = sensor.Stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "status " << status << ": " << sensor.stderr_text();
  EXPECT_TRUE(sensor.parse_errors().empty());
  EXPECT_TRUE(sensor.stop_record().is_object()) << sensor.stderr_text();
  return AlertsRaised(sensor);
}

// The delivery contract at the subscriber: every sequence 1..n of `sensor_id` arrived
// exactly once, nothing else arrived from it, and no gap record says something was lost.
void ExpectExactlyOnce(const Subscriber& subscriber, const std::string& sensor_id, uint64_t n) {
  const std::map<uint64_t, int> counts = subscriber.SequenceCounts(sensor_id);
  std::vector<uint64_t> missing;
  std::vector<std::string> repeated;
  std::vector<uint64_t> unexpected;
  for (uint64_t s = 1; s <= n; ++s) {
    auto it = counts.find(s);
    if (it == counts.end()) {
      missing.push_back(s);
    } else if (it->second > 1) {
      repeated.push_back(absl::StrCat(s, "x", it->second));
    }
  }
  for (const auto& [s, c] : counts) {
    if (s < 1 || s > n) unexpected.push_back(s);
  }
  auto head = [](const auto& v) {
    std::vector<std::string> out;
    for (size_t i = 0; i < v.size() && i < 20; ++i) out.push_back(absl::StrCat(v[i]));
    return absl::StrJoin(out, ",");
  };
  EXPECT_GT(n, 0u);
  EXPECT_TRUE(missing.empty()) << missing.size() << " of " << n
                               << " lost, first: " << head(missing);
  EXPECT_TRUE(repeated.empty()) << repeated.size() << " duplicated, first: " << head(repeated);
  EXPECT_TRUE(unexpected.empty()) << unexpected.size() << " beyond 1.." << n
                                  << ", first: " << head(unexpected);
  for (const Alert& a : subscriber.AlertsOf(sensor_id)) {
    EXPECT_EQ(a.lost(), 0u) << "gap record at " << a.sequence() << ": " << a.lost_reason();
  }
}

// One controller (database in its own directory), a subscriber following it, and a test
// directory for the sensors' spools and rules.
class DeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    VIGIL_REQUIRE_ROOT();
    controller_dir_ = std::make_unique<TestDir>("e2e-controller", "/var/lib");
    work_ = std::make_unique<TestDir>("e2e-work", "/var/lib");
    auto controller = ControllerProcess::Start(controller_dir_->path());
    ASSERT_TRUE(controller.ok()) << controller.status();
    controller_ = std::move(*controller);
    subscriber_ = std::make_unique<Subscriber>(controller_->address());
  }

  void TearDown() override {
    if (subscriber_ != nullptr) subscriber_->Stop();
    if (HasFailure() && controller_ != nullptr) {
      ADD_FAILURE() << "controller log:\n" << controller_->log_text();
    }
    controller_.reset();
  }

  // A rule directory holding the burst rule on `target` (created).
  std::string BurstRules(const std::string& target) {
    work_->WriteFile(std::filesystem::path(target).filename().string());
    work_->WriteFile("rules/burst.yaml", OpenRule("e2e burst open", target));
    return work_->Join("rules");
  }

  std::unique_ptr<TestDir> controller_dir_;
  std::unique_ptr<TestDir> work_;
  std::unique_ptr<ControllerProcess> controller_;
  std::unique_ptr<Subscriber> subscriber_;
};

TEST_F(DeliveryTest, E2eDefaultPackDetectionsReachTheSubscriberOnceWithContext) {
  // As in the rules tests, a local override excepts the build tree from exec-from-temp rules.
  const std::string local = work_->WriteFile(
      "local/zz-local.yaml", absl::StrCat("- macro: known_tmp_executables\n"
                                          "  condition: or proc.exepath startswith '",
                                          BuildTree(), "/'\n  override:\n    condition: append\n",
                                          vigil::testing::ScaledFloodRules()));
  const std::string id = SensorId("pack");
  auto sensor = StartLinkedSensor(*controller_, work_->Join("spool"), id,
                                  {"--rules", kPack, local, "--print-alerts"});
  ASSERT_NE(sensor, nullptr);

  // A real fork flood.
  const pid_t flood = RunHelper({"vfork", "6000"});
  ASSERT_GT(flood, 0);
  // A real setuid exec by an unprivileged user.
  TestDir suid_dir("e2e-setuid", "/var/lib");
  const std::string copy = suid_dir.Join("suid-helper");
  std::filesystem::copy_file(HelperBinary(), copy);
  ASSERT_EQ(chown(copy.c_str(), 0, 0), 0);
  ASSERT_EQ(chmod(copy.c_str(), 04755), 0);
  auto suid = Spawn({HelperBinary(), "drop-exec", std::to_string(kNobody), copy, "exit", "7"});
  ASSERT_TRUE(suid.ok());
  const int status = WaitExit(*suid);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 7) << "the setuid copy did not run (nosuid mount?)";
  // A real hidden-path access.
  const std::string hidden = absl::StrCat("/tmp/.vigil-e2e-", getpid());
  const pid_t opener = RunHelper({"open", "openat", hidden});
  unlink(hidden.c_str());
  ASSERT_GT(opener, 0);

  struct Expected {
    std::string rule;
    int64_t pid;
  };
  const std::vector<Expected> expected = {
      {"Fork flood by process", flood},
      {"Privilege elevation by setuid or setgid exec", *suid},
      {"Hidden file in world-writable directory", opener},
  };
  for (const Expected& e : expected) {
    EXPECT_TRUE(subscriber_->WaitFor(id,
                                     [&](const std::vector<Alert>& alerts) {
                                       return !OfRuleAndPid(alerts, e.rule, e.pid).empty();
                                     }))
        << e.rule << " for " << e.pid << " never arrived; got:\n"
        << Describe(subscriber_->AlertsOf(id)) << sensor->stderr_text();
  }
  absl::SleepFor(absl::Milliseconds(500));  // room for a duplicate to show up
  const std::vector<Alert> alerts = subscriber_->AlertsOf(id);
  for (const Expected& e : expected) {
    const std::vector<Alert> got = OfRuleAndPid(alerts, e.rule, e.pid);
    ASSERT_EQ(got.size(), 1u) << e.rule << "\n" << Describe(alerts);
    const Alert& a = got[0];
    EXPECT_EQ(a.sensor_id(), id);
    EXPECT_FALSE(a.node().empty());
    EXPECT_FALSE(a.rule_set_version().empty());
    EXPECT_EQ(a.priority(), vigil::v1::PRIORITY_WARNING) << e.rule;
    EXPECT_EQ(a.source(), "syscall");
    EXPECT_GT(a.sequence(), 0u);
    EXPECT_GT(a.time_unix_ns(), 0);
    EXPECT_FALSE(a.output().empty());
    EXPECT_EQ(NumberField(a, "proc.pid"), e.pid);
  }
  const Alert flood_alert = OfRuleAndPid(alerts, expected[0].rule, flood)[0];
  EXPECT_EQ(flood_alert.count(), 1000u);
  EXPECT_EQ(NumberField(OfRuleAndPid(alerts, expected[1].rule, *suid)[0], "user.uid"), kNobody);
  // The alerts the sensor printed are the ones the subscriber got, sequence for sequence.
  const uint64_t raised = StopSensor(*sensor);
  EXPECT_TRUE(subscriber_->WaitForDistinct(id, raised, absl::Seconds(5)));
  ExpectExactlyOnce(*subscriber_, id, raised);
}

TEST_F(DeliveryTest, DeliveryKillNineControllerMidBurstLosesAndDuplicatesNothing) {
  const std::string target = work_->Join("burst.file");
  const std::string rules = BurstRules(target);
  const std::string id = SensorId("kill9");
  auto sensor = StartLinkedSensor(*controller_, work_->Join("spool"), id, {"--rules", rules});
  ASSERT_NE(sensor, nullptr);

  // 4000 alerts over about a second; the controller dies once some have arrived.
  std::atomic<uint64_t> opens{0};
  std::thread burst([&] { opens = Burst(target, 20, 200, absl::Milliseconds(50)); });
  const bool some = subscriber_->WaitForDistinct(id, 400, absl::Seconds(30));
  const int killed = controller_->Kill(SIGKILL);
  const size_t at_kill = subscriber_->DistinctOf(id);
  EXPECT_TRUE(some);
  EXPECT_TRUE(WIFSIGNALED(killed) && WTERMSIG(killed) == SIGKILL) << killed;
  absl::SleepFor(absl::Milliseconds(300));
  ASSERT_TRUE(controller_->Restart().ok());
  const absl::Time restarted = absl::Now();
  burst.join();
  ASSERT_EQ(opens, 4000u);
  EXPECT_LT(at_kill, 4000u) << "the burst was over before the kill";

  const bool drained = subscriber_->WaitForDistinct(id, opens);
  RecordProperty("drain_ms_after_restart",
                 static_cast<int>(absl::ToInt64Milliseconds(absl::Now() - restarted)));
  const uint64_t raised = StopSensor(*sensor);
  EXPECT_TRUE(drained) << subscriber_->DistinctOf(id) << " of " << opens << " arrived";
  EXPECT_EQ(raised, opens) << sensor->stop_record().dump();
  EXPECT_GE(sensor->stop_record()["controller"]["connects"].get<uint64_t>(), 2u);
  ExpectExactlyOnce(*subscriber_, id, raised);
  RecordProperty("alerts", static_cast<int>(raised));
  RecordProperty("delivered_before_kill", static_cast<int>(at_kill));
}

TEST_F(DeliveryTest, DeliveryControllerStoppedFor30sLosesAndDuplicatesNothing) {
  const std::string target = work_->Join("burst.file");
  const std::string rules = BurstRules(target);
  const std::string id = SensorId("stop30");
  auto sensor = StartLinkedSensor(*controller_, work_->Join("spool"), id, {"--rules", rules});
  ASSERT_NE(sensor, nullptr);

  // 200 alerts every 2 s for 34 s; the controller is stopped for 30 s of it.
  std::atomic<uint64_t> opens{0};
  std::thread burst([&] { opens = Burst(target, 18, 200, absl::Seconds(2)); });
  const bool some = subscriber_->WaitForDistinct(id, 200, absl::Seconds(30));
  ASSERT_TRUE(controller_->Signal(SIGSTOP));
  absl::SleepFor(absl::Seconds(1));  // what was already on its way arrives
  const size_t at_stop = subscriber_->DistinctOf(id);
  absl::SleepFor(absl::Seconds(29));
  // Nothing got through while the controller was stopped.
  EXPECT_EQ(subscriber_->DistinctOf(id), at_stop);
  ASSERT_TRUE(controller_->Signal(SIGCONT));
  const absl::Time resumed = absl::Now();
  burst.join();
  EXPECT_TRUE(some);
  ASSERT_EQ(opens, 3600u);
  EXPECT_LT(at_stop, 3600u / 2) << "most of the burst came before the stop";

  const bool drained = subscriber_->WaitForDistinct(id, opens);
  RecordProperty("drain_ms_after_cont",
                 static_cast<int>(absl::ToInt64Milliseconds(absl::Now() - resumed)));
  RecordProperty("delivered_before_stop", static_cast<int>(at_stop));
  const uint64_t raised = StopSensor(*sensor);
  EXPECT_TRUE(drained) << subscriber_->DistinctOf(id) << " of " << opens << " arrived";
  EXPECT_EQ(raised, opens) << sensor->stop_record().dump();
  ExpectExactlyOnce(*subscriber_, id, raised);
}

TEST_F(DeliveryTest, DeliverySensorRestartWithUnackedSpoolLosesAndDuplicatesNothing) {
  const std::string target = work_->Join("burst.file");
  const std::string rules = BurstRules(target);
  const std::string id = SensorId("restart");
  const std::string spool = work_->Join("spool");
  auto first = StartLinkedSensor(*controller_, spool, id, {"--rules", rules});
  ASSERT_NE(first, nullptr);
  ASSERT_EQ(Burst(target, 2, 200), 400u);
  ASSERT_TRUE(subscriber_->WaitForDistinct(id, 400)) << subscriber_->DistinctOf(id);

  // The controller goes away; the sensor raises more, which stay unacked in its spool.
  controller_->Kill(SIGKILL);
  ASSERT_EQ(Burst(target, 3, 200), 600u);
  absl::SleepFor(absl::Milliseconds(500));  // the sensor reads the ring every 10 ms
  const uint64_t raised_first = StopSensor(*first);
  EXPECT_EQ(raised_first, 1000u) << first->stop_record().dump();
  EXPECT_GE(first->stop_record()["controller"]["spool_records"].get<uint64_t>(), 600u)
      << first->stop_record().dump();
  EXPECT_EQ(subscriber_->DistinctOf(id), 400u);

  // Controller back, a new sensor on the same spool and id: the old alerts, then new ones.
  ASSERT_TRUE(controller_->Restart().ok());
  auto second = StartLinkedSensor(*controller_, spool, id, {"--rules", rules});
  ASSERT_NE(second, nullptr);
  ASSERT_EQ(Burst(target, 1, 200), 200u);
  const bool drained = subscriber_->WaitForDistinct(id, raised_first + 200);
  const uint64_t raised_second = StopSensor(*second);
  EXPECT_TRUE(drained) << subscriber_->DistinctOf(id) << " of " << raised_first + 200;
  EXPECT_EQ(raised_second, 200u) << second->stop_record().dump();
  EXPECT_EQ(second->stop_record()["controller"]["spool_records"].get<uint64_t>(), 0u)
      << second->stop_record().dump();
  ExpectExactlyOnce(*subscriber_, id, raised_first + raised_second);
}

// Waits (up to 30 s) until `sensors` sensors are connected to the controller.
bool WaitForConnected(vigil::v1::FleetService::Stub& fleet, size_t sensors) {
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    grpc::ClientContext context;
    vigil::v1::ListSensorsResponse list;
    if (fleet.ListSensors(&context, {}, &list).ok()) {
      size_t connected = 0;
      for (const vigil::v1::Sensor& s : list.sensors()) connected += s.connected() ? 1 : 0;
      if (connected >= sensors) return true;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  return false;
}

TEST_F(DeliveryTest, RolloutRefusedByMaxRulesSensorFailsThereAndAppliesElsewhere) {
  const std::string prev = work_->WriteFile("prev.file");
  const std::string a = work_->WriteFile("a.file");
  const std::string b = work_->WriteFile("b.file");
  work_->WriteFile("rules/r.yaml", OpenRule("e2e prev open", prev));
  const std::string full_id = SensorId("full");
  const std::string small_id = SensorId("small");
  auto full = StartLinkedSensor(*controller_, work_->Join("spool-full"), full_id,
                                {"--rules", work_->Join("rules")});
  ASSERT_NE(full, nullptr);
  auto small = StartLinkedSensor(*controller_, work_->Join("spool-small"), small_id,
                                 {"--rules", work_->Join("rules"), "--max-rules", "1"});
  ASSERT_NE(small, nullptr);

  auto fleet = vigil::v1::FleetService::NewStub(
      grpc::CreateChannel(controller_->address(), grpc::InsecureChannelCredentials()));
  ASSERT_TRUE(WaitForConnected(*fleet, 2));

  vigil::v1::PutRuleSetRequest put;
  vigil::v1::RuleFile* file = put.add_files();
  file->set_name("pushed.yaml");
  file->set_content(OpenRule("e2e new open a", a) + OpenRule("e2e new open b", b));
  vigil::v1::PutRuleSetResponse created;
  {
    grpc::ClientContext context;
    const grpc::Status s = fleet->PutRuleSet(&context, put, &created);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  EXPECT_EQ(created.rules(), 2u);
  const std::string version = created.version();

  vigil::v1::Rollout rollout;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    grpc::ClientContext context;
    vigil::v1::GetRolloutRequest request;
    request.set_version(version);
    if (fleet->GetRollout(&context, request, &rollout).ok() &&
        rollout.applied() + rollout.failed() >= 2) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(rollout.summary(),
            absl::StrCat("version ", version, ": applied on 1 of 2 sensors, failed on 1"))
      << rollout.DebugString();
  for (const vigil::v1::SensorRollout& row : rollout.per_sensor()) {
    if (row.sensor_id() == full_id) {
      EXPECT_EQ(row.state(), vigil::v1::ROLLOUT_STATE_APPLIED) << row.DebugString();
    } else {
      EXPECT_EQ(row.sensor_id(), small_id);
      EXPECT_EQ(row.state(), vigil::v1::ROLLOUT_STATE_FAILED) << row.DebugString();
      EXPECT_THAT(row.error(), HasSubstr("--max-rules"));
    }
  }

  // The refusing sensor still alerts with its previous rule; the other with the new ones.
  const pid_t opener = RunHelper({"open", "openat", prev, a});
  ASSERT_GT(opener, 0);
  EXPECT_TRUE(subscriber_->WaitFor(small_id, [&](const std::vector<Alert>& alerts) {
    return !OfRuleAndPid(alerts, "e2e prev open", opener).empty();
  })) << Describe(subscriber_->AlertsOf(small_id));
  EXPECT_TRUE(subscriber_->WaitFor(full_id, [&](const std::vector<Alert>& alerts) {
    return !OfRuleAndPid(alerts, "e2e new open a", opener).empty();
  })) << Describe(subscriber_->AlertsOf(full_id));
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(OfRuleAndPid(subscriber_->AlertsOf(small_id), "e2e prev open", opener).size(), 1u);
  EXPECT_TRUE(OfRuleAndPid(subscriber_->AlertsOf(small_id), "e2e new open a", opener).empty());
  EXPECT_TRUE(OfRuleAndPid(subscriber_->AlertsOf(full_id), "e2e prev open", opener).empty());
  EXPECT_EQ(OfRuleAndPid(subscriber_->AlertsOf(full_id), "e2e new open a", opener).size(), 1u);
  for (const Alert& alert : subscriber_->AlertsOf(full_id)) {
    if (alert.rule() == "e2e new open a") {
      EXPECT_EQ(alert.rule_set_version(), version);
    }
  }
  StopSensor(*full);
  StopSensor(*small);
}

}  // namespace
}  // namespace vigil::e2e

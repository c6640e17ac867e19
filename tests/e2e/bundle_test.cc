// Probe-module bundles end to end, against the real kernel and the real binaries: the
// example bundle (modules/sigmon) is built by CMake and signed here with a test key, pushed
// through a real vigil-controller to a real vigil-sensor that pins the key, and a rule on
// its fields fires. Version 2 replaces version 1 while signals are being sent, and every
// signal is seen (make-before-break); a bundle the verifier refuses, a tampered one and an
// unsigned one are each refused with the previous version still running; a removal the
// rules in force depend on is refused, and once the rules no longer need it, it goes.
// Test label: kernel (needs the real kernel: root, probes loaded; runs in every kernel VM).
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bundle/manifest.h"
#include "bundle/signing.h"
#include "common/read_file.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/e2e/support/controller_process.h"
#include "tests/e2e/support/subscriber.h"
#include "tests/support/sensor_process.h"
#include "tests/support/test_dir.h"
#include "vigil/v1/fleet.grpc.pb.h"

namespace vigil::e2e {
namespace {

using ::testing::HasSubstr;
using ::vigil::testing::ControllerProcess;
using ::vigil::testing::SensorProcess;
using ::vigil::testing::Subscriber;
using ::vigil::testing::TestDir;
using ::vigil::v1::Alert;

const char kModules[] = VIGIL_SOURCE_DIR "/modules/sigmon";
const char kObject[] = VIGIL_BUNDLE_MODULES_DIR "/sigmon.bpf.o";
const char kRejectedObject[] = VIGIL_BUNDLE_REJECTED_OBJECT;
// The name the signal targets give themselves (the rule matches it).
const char kTargetComm[] = "vigil-e2e-sig";

// A signed bundle of `object` described by the manifest text `manifest_text`.
std::string MakeBundle(const std::string& manifest_text, const std::string& object_path,
                       EVP_PKEY* key) {
  absl::StatusOr<vigil::v1::BundleManifest> manifest =
      bundle::ParseManifestText(manifest_text, "manifest");
  EXPECT_TRUE(manifest.ok()) << manifest.status();
  absl::StatusOr<std::string> object = ReadFileHead(object_path, 8u << 20);
  EXPECT_TRUE(object.ok()) << object.status();
  if (!manifest.ok() || !object.ok()) return "";
  vigil::v1::ProbeBundle b;
  b.set_manifest(manifest->SerializeAsString());
  b.set_object(*object);
  if (key != nullptr) {
    absl::StatusOr<vigil::v1::BundleSignature> signature =
        bundle::Sign(b.manifest(), b.object(), key);
    EXPECT_TRUE(signature.ok()) << signature.status();
    if (signature.ok()) *b.mutable_signature() = *signature;
  }
  return b.SerializeAsString();
}

std::string ManifestText(const std::string& file) {
  absl::StatusOr<std::string> text = ReadFileHead(absl::StrCat(kModules, "/", file), 1u << 16);
  EXPECT_TRUE(text.ok()) << text.status();
  return text.ok() ? *text : "";
}

// The rule on sigmon's fields that the tests push.
std::string SignalRule() {
  return absl::StrCat("- rule: e2e signal to target\n", "  condition: sigmon.sig = 12 and ",
                      "sigmon.target_comm = ", kTargetComm, "\n",
                      "  output: \"signal %sigmon.sig to %sigmon.target_pid by %proc.pid\"\n",
                      "  priority: WARNING\n");
}

// A rule on built-in fields only.
std::string PlainRule() {
  return "- rule: e2e plain\n  condition: evt.type = execve and proc.name = vigil-e2e-none\n"
         "  output: \"plain %proc.name\"\n  priority: NOTICE\n";
}

int64_t NumberField(const Alert& alert, const std::string& name) {
  for (const vigil::v1::AlertField& f : alert.output_fields()) {
    if (f.name() == name && f.value_case() == vigil::v1::AlertField::kNumber) return f.number();
  }
  return -1;
}

// Child processes named kTargetComm that ignore SIGUSR2 and wait to be killed. The
// constructor returns once every one has its name and ignores the signal.
class Targets {
 public:
  explicit Targets(int count) {
    int ready[2];
    if (pipe(ready) != 0) return;
    for (int i = 0; i < count; ++i) {
      const pid_t pid = fork();
      if (pid == 0) {
        close(ready[0]);
        prctl(PR_SET_NAME, kTargetComm);
        signal(SIGUSR2, SIG_IGN);
        const char one = 1;
        (void)!write(ready[1], &one, 1);
        close(ready[1]);
        for (;;) pause();
      }
      if (pid > 0) pids_.push_back(pid);
    }
    close(ready[1]);
    char buf[64];
    size_t got = 0;
    while (got < pids_.size()) {
      const ssize_t n = read(ready[0], buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    close(ready[0]);
  }
  ~Targets() {
    for (pid_t pid : pids_) kill(pid, SIGKILL);
    for (pid_t pid : pids_) waitpid(pid, nullptr, 0);
  }
  const std::vector<pid_t>& pids() const { return pids_; }

 private:
  std::vector<pid_t> pids_;
};

class BundleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    VIGIL_REQUIRE_ROOT();
    controller_dir_ = std::make_unique<TestDir>("e2e-bundle-controller", "/var/lib");
    work_ = std::make_unique<TestDir>("e2e-bundle-work", "/var/lib");
    absl::StatusOr<bundle::KeyPairPem> pair = bundle::GenerateKeyPair();
    ASSERT_TRUE(pair.ok()) << pair.status();
    work_->WriteFile("keys/test.pem", pair->public_pem);
    absl::StatusOr<EvpPkeyPtr> key = bundle::PrivateKeyFromPem(pair->private_pem, "test key");
    ASSERT_TRUE(key.ok()) << key.status();
    key_ = std::move(*key);
    work_->WriteFile("rules/plain.yaml", PlainRule());

    auto controller = ControllerProcess::Start(controller_dir_->path());
    ASSERT_TRUE(controller.ok()) << controller.status();
    controller_ = std::move(*controller);
    subscriber_ = std::make_unique<Subscriber>(controller_->address());
    fleet_ = vigil::v1::FleetService::NewStub(
        grpc::CreateChannel(controller_->address(), grpc::InsecureChannelCredentials()));
    sensor_id_ = absl::StrCat("e2e-bundle-", getpid());
    auto sensor = SensorProcess::StartWith(
        {"--controller", controller_->address(), "--controller-insecure", "--spool",
         work_->Join("spool"), "--sensor-id", sensor_id_, "--module-keys", work_->Join("keys"),
         "--rules", work_->Join("rules")});
    ASSERT_TRUE(sensor.ok()) << sensor.status();
    sensor_ = std::move(*sensor);
    ASSERT_TRUE(WaitForConnected());
  }

  void TearDown() override {
    if (subscriber_ != nullptr) subscriber_->Stop();
    if (HasFailure() && sensor_ != nullptr) {
      ADD_FAILURE() << "sensor stderr:\n" << sensor_->stderr_text();
    }
    if (HasFailure() && controller_ != nullptr) {
      ADD_FAILURE() << "controller log:\n" << controller_->log_text();
    }
    if (sensor_ != nullptr) sensor_->Stop();
    controller_.reset();
  }

  bool WaitForConnected() {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (absl::Now() < deadline) {
      grpc::ClientContext context;
      vigil::v1::ListSensorsResponse list;
      if (fleet_->ListSensors(&context, {}, &list).ok()) {
        for (const vigil::v1::Sensor& s : list.sensors()) {
          if (s.sensor_id() == sensor_id_ && s.connected()) return true;
        }
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
    return false;
  }

  // Stores `bytes` and returns its hash ("" and a test failure on error).
  std::string Put(const std::string& bytes) {
    vigil::v1::PutProbeBundleRequest put;
    put.set_bundle(bytes);
    vigil::v1::PutProbeBundleResponse stored;
    grpc::ClientContext context;
    const grpc::Status s = fleet_->PutProbeBundle(&context, put, &stored);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return stored.hash();
  }

  // Makes `hash` (or, with an empty hash, no bundle: removal) the desired sigmon module and
  // returns the module rollout's version.
  std::string Roll(const std::string& hash) {
    vigil::v1::SetProbeModulesRequest set;
    vigil::v1::ModuleSetting* setting = set.add_modules();
    setting->set_name("sigmon");
    setting->set_enabled(!hash.empty());
    setting->set_bundle(hash);
    vigil::v1::SetProbeModulesResponse response;
    grpc::ClientContext context;
    const grpc::Status s = fleet_->SetProbeModules(&context, set, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response.version();
  }

  // Waits until this sensor answered the module rollout `version`; returns its row.
  vigil::v1::SensorRollout WaitForRollout(const std::string& version) {
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    vigil::v1::SensorRollout row;
    while (absl::Now() < deadline) {
      grpc::ClientContext context;
      vigil::v1::GetRolloutRequest request;
      request.set_kind("modules");
      request.set_version(version);
      vigil::v1::Rollout rollout;
      if (fleet_->GetRollout(&context, request, &rollout).ok()) {
        for (const vigil::v1::SensorRollout& r : rollout.per_sensor()) {
          if (r.sensor_id() == sensor_id_ && r.state() != vigil::v1::ROLLOUT_STATE_PENDING) {
            return r;
          }
        }
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
    ADD_FAILURE() << "module rollout " << version << " not answered";
    return row;
  }

  // Pushes a rule set of `content` and waits until this sensor answered it; expects it
  // applied unless `expect_applied` is false. Returns this sensor's row.
  vigil::v1::SensorRollout PushRules(const std::string& content, bool expect_applied = true) {
    vigil::v1::PutRuleSetRequest put;
    vigil::v1::RuleFile* file = put.add_files();
    file->set_name("pushed.yaml");
    file->set_content(content);
    vigil::v1::PutRuleSetResponse created;
    {
      grpc::ClientContext context;
      const grpc::Status s = fleet_->PutRuleSet(&context, put, &created);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) return {};
    }
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (absl::Now() < deadline) {
      grpc::ClientContext context;
      vigil::v1::GetRolloutRequest request;
      request.set_version(created.version());
      vigil::v1::Rollout rollout;
      if (fleet_->GetRollout(&context, request, &rollout).ok()) {
        for (const vigil::v1::SensorRollout& r : rollout.per_sensor()) {
          if (r.sensor_id() != sensor_id_ || r.state() == vigil::v1::ROLLOUT_STATE_PENDING) {
            continue;
          }
          if (expect_applied) {
            EXPECT_EQ(r.state(), vigil::v1::ROLLOUT_STATE_APPLIED) << r.DebugString();
          }
          return r;
        }
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    ADD_FAILURE() << "rule set " << created.version() << " not answered";
    return {};
  }

  // The sensor's module `name` as the sensor's sensor_start/health report it through the
  // controller (ListSensors), once `pred` holds for it (or the last seen after 30 s).
  vigil::v1::ModuleState WaitForModule(
      const std::string& name, const std::function<bool(const vigil::v1::ModuleState&)>& pred) {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    vigil::v1::ModuleState last;
    while (absl::Now() < deadline) {
      grpc::ClientContext context;
      vigil::v1::GetSensorRequest request;
      request.set_sensor_id(sensor_id_);
      vigil::v1::Sensor sensor;
      if (fleet_->GetSensor(&context, request, &sensor).ok()) {
        bool found = false;
        for (const vigil::v1::ModuleState& m : sensor.modules()) {
          if (m.name() != name) continue;
          found = true;
          last = m;
        }
        if (!found) last = vigil::v1::ModuleState();
        if (pred(last)) return last;
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
    return last;
  }

  // Pids of `targets` that some alert of the signal rule names.
  std::set<int64_t> SignalledTargets() {
    std::set<int64_t> seen;
    for (const Alert& a : subscriber_->AlertsOf(sensor_id_)) {
      if (a.rule() == "e2e signal to target") seen.insert(NumberField(a, "sigmon.target_pid"));
    }
    return seen;
  }

  std::unique_ptr<TestDir> controller_dir_;
  std::unique_ptr<TestDir> work_;
  EvpPkeyPtr key_;
  std::unique_ptr<ControllerProcess> controller_;
  std::unique_ptr<Subscriber> subscriber_;
  std::unique_ptr<vigil::v1::FleetService::Stub> fleet_;
  std::string sensor_id_;
  std::unique_ptr<SensorProcess> sensor_;
};

TEST_F(BundleTest, PushedBundleFiresItsRuleSwapsWithoutAMissAndIsRemoved) {
  // Stored, the bundle's fields are known to the controller; a rule set using them fails on
  // a node that does not run the module, and the rollout says why.
  const std::string v1 = Put(MakeBundle(ManifestText("sigmon.manifest"), kObject, key_.get()));
  ASSERT_FALSE(v1.empty());
  const vigil::v1::SensorRollout early =
      PushRules(PlainRule() + SignalRule() + "# before the module runs\n", false);
  EXPECT_EQ(early.state(), vigil::v1::ROLLOUT_STATE_FAILED) << early.DebugString();
  EXPECT_THAT(early.error(), HasSubstr("unknown field 'sigmon.sig'"));

  // Version 1 through the controller; then the rule set again.
  const vigil::v1::SensorRollout applied = WaitForRollout(Roll(v1));
  ASSERT_EQ(applied.state(), vigil::v1::ROLLOUT_STATE_APPLIED) << applied.DebugString();
  vigil::v1::ModuleState state = WaitForModule("sigmon", [&](const vigil::v1::ModuleState& m) {
    return m.state() == "running" && m.bundle() == v1;
  });
  EXPECT_EQ(state.source(), "bundle") << state.DebugString();
  EXPECT_EQ(state.version(), "1.0.0");
  EXPECT_FALSE(state.attach_mode().empty());
  PushRules(PlainRule() + SignalRule());

  {
    Targets one(1);
    ASSERT_EQ(one.pids().size(), 1u);
    ASSERT_EQ(kill(one.pids()[0], SIGUSR2), 0);
    EXPECT_TRUE(subscriber_->WaitFor(
        sensor_id_,
        [&](const std::vector<Alert>&) { return SignalledTargets().count(one.pids()[0]) == 1; }))
        << "no alert for the signal to " << one.pids()[0];
  }

  // Version 2 replaces version 1 while a signal goes to a new target every 10 ms.
  const std::string v2 = Put(MakeBundle(ManifestText("sigmon-v2.manifest"), kObject, key_.get()));
  ASSERT_FALSE(v2.empty());
  Targets many(400);
  ASSERT_EQ(many.pids().size(), 400u);
  std::atomic<size_t> sent{0};
  std::thread sender([&] {
    for (pid_t pid : many.pids()) {
      if (kill(pid, SIGUSR2) == 0) ++sent;
      absl::SleepFor(absl::Milliseconds(10));
    }
  });
  absl::SleepFor(absl::Milliseconds(800));
  const vigil::v1::SensorRollout swapped = WaitForRollout(Roll(v2));
  sender.join();
  EXPECT_EQ(swapped.state(), vigil::v1::ROLLOUT_STATE_APPLIED) << swapped.DebugString();
  ASSERT_EQ(sent.load(), many.pids().size());
  EXPECT_TRUE(subscriber_->WaitFor(
      sensor_id_,
      [&](const std::vector<Alert>&) {
        const std::set<int64_t> seen = SignalledTargets();
        for (pid_t pid : many.pids()) {
          if (!seen.count(pid)) return false;
        }
        return true;
      },
      absl::Seconds(60)));
  const std::set<int64_t> seen = SignalledTargets();
  size_t missed = 0;
  for (pid_t pid : many.pids()) missed += seen.count(pid) ? 0 : 1;
  EXPECT_EQ(missed, 0u) << "signals sent during the swap that raised no alert";
  state = WaitForModule("sigmon", [&](const vigil::v1::ModuleState& m) {
    return m.state() == "running" && m.bundle() == v2;
  });
  EXPECT_EQ(state.version(), "2.0.0") << state.DebugString();

  // Removal is refused while the rules in force read sigmon's fields ...
  const vigil::v1::SensorRollout refused = WaitForRollout(Roll(""));
  EXPECT_EQ(refused.state(), vigil::v1::ROLLOUT_STATE_FAILED) << refused.DebugString();
  EXPECT_THAT(refused.error(), HasSubstr("sigmon.sig"));
  // ... and goes through once they do not.
  PushRules(PlainRule());
  const vigil::v1::SensorRollout removed = WaitForRollout(Roll(""));
  EXPECT_EQ(removed.state(), vigil::v1::ROLLOUT_STATE_APPLIED) << removed.DebugString();
  state = WaitForModule("sigmon", [](const vigil::v1::ModuleState& m) { return m.name().empty(); });
  EXPECT_TRUE(state.name().empty()) << state.DebugString();
  EXPECT_TRUE(sensor_->Signal(0)) << sensor_->stderr_text();
}

TEST_F(BundleTest, RestartedSensorGetsItsBundleBackBeforeTheRulesThatReadIt) {
  const std::string v1 = Put(MakeBundle(ManifestText("sigmon.manifest"), kObject, key_.get()));
  ASSERT_EQ(WaitForRollout(Roll(v1)).state(), vigil::v1::ROLLOUT_STATE_APPLIED);
  PushRules(PlainRule() + SignalRule());
  sensor_->Stop();
  auto sensor = SensorProcess::StartWith({"--controller", controller_->address(),
                                          "--controller-insecure", "--spool", work_->Join("spool"),
                                          "--sensor-id", sensor_id_, "--module-keys",
                                          work_->Join("keys"), "--rules", work_->Join("rules")});
  ASSERT_TRUE(sensor.ok()) << sensor.status();
  sensor_ = std::move(*sensor);
  const vigil::v1::ModuleState state = WaitForModule(
      "sigmon",
      [&](const vigil::v1::ModuleState& m) { return m.state() == "running" && m.bundle() == v1; });
  EXPECT_EQ(state.bundle(), v1) << state.DebugString();
  // The pushed rules came back too (after the module): the signal rule fires.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  Targets one(1);
  bool fired = false;
  while (!fired && absl::Now() < deadline) {
    ASSERT_EQ(kill(one.pids()[0], SIGUSR2), 0);
    fired = subscriber_->WaitFor(
        sensor_id_,
        [&](const std::vector<Alert>&) { return SignalledTargets().count(one.pids()[0]) == 1; },
        absl::Seconds(2));
  }
  EXPECT_TRUE(fired) << "no alert for the signal rule after the restart";
}

TEST_F(BundleTest, RefusedBundlesLeaveThePreviousVersionRunning) {
  const std::string v1 = Put(MakeBundle(ManifestText("sigmon.manifest"), kObject, key_.get()));
  ASSERT_EQ(WaitForRollout(Roll(v1)).state(), vigil::v1::ROLLOUT_STATE_APPLIED);
  PushRules(PlainRule() + SignalRule());

  std::string rejected_manifest = ManifestText("sigmon.manifest");
  rejected_manifest.replace(rejected_manifest.find("\"1.0.0\""), 7, "\"9.0.0\"");
  struct Case {
    std::string what;
    std::string bytes;
    std::string error;
  };
  std::string tampered = MakeBundle(ManifestText("sigmon-v2.manifest"), kObject, key_.get());
  {
    vigil::v1::ProbeBundle b;
    ASSERT_TRUE(b.ParseFromString(tampered));
    std::string object = b.object();
    object[object.size() / 2] ^= 0x01;
    b.set_object(object);
    tampered = b.SerializeAsString();
  }
  std::string lying_manifest = ManifestText("sigmon-v2.manifest");
  lying_manifest.replace(lying_manifest.find("offset: 20 size: 16"), 19, "offset: 24 size: 12");
  absl::StatusOr<bundle::KeyPairPem> other = bundle::GenerateKeyPair();
  ASSERT_TRUE(other.ok()) << other.status();
  absl::StatusOr<EvpPkeyPtr> other_key = bundle::PrivateKeyFromPem(other->private_pem, "other");
  ASSERT_TRUE(other_key.ok()) << other_key.status();
  const std::vector<Case> cases = {
      {"verifier", MakeBundle(rejected_manifest, kRejectedObject, key_.get()),
       "unbounded memory access"},
      {"tampered", tampered, "bad signature"},
      {"unsigned", MakeBundle(ManifestText("sigmon-v2.manifest"), kObject, nullptr), "unsigned"},
      {"unpinned key", MakeBundle(ManifestText("sigmon-v2.manifest"), kObject, other_key->get()),
       "signed by unknown key"},
      {"lying manifest", MakeBundle(lying_manifest, kObject, key_.get()),
       "the member is at offset 20, the manifest says 24"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string hash = Put(c.bytes);
    ASSERT_FALSE(hash.empty());
    const vigil::v1::SensorRollout row = WaitForRollout(Roll(hash));
    EXPECT_EQ(row.state(), vigil::v1::ROLLOUT_STATE_FAILED) << row.DebugString();
    EXPECT_THAT(row.error(), HasSubstr(c.error));
    const vigil::v1::ModuleState state = WaitForModule(
        "sigmon", [](const vigil::v1::ModuleState& m) { return m.state() == "rolled_back"; });
    EXPECT_EQ(state.bundle(), v1) << state.DebugString();
    EXPECT_THAT(state.error(), HasSubstr(c.error));
    // Version 1 still runs: its rule still fires.
    Targets one(1);
    ASSERT_EQ(kill(one.pids()[0], SIGUSR2), 0);
    EXPECT_TRUE(subscriber_->WaitFor(sensor_id_, [&](const std::vector<Alert>&) {
      return SignalledTargets().count(one.pids()[0]) == 1;
    }));
  }
  // Each refusal raised the sensor's own alert.
  EXPECT_TRUE(subscriber_->WaitFor(sensor_id_, [&](const std::vector<Alert>& alerts) {
    size_t refused = 0;
    for (const Alert& a : alerts) refused += a.rule() == "Vigil probe module refused" ? 1 : 0;
    return refused >= cases.size();
  }));
  EXPECT_TRUE(sensor_->Signal(0));
}

}  // namespace
}  // namespace vigil::e2e

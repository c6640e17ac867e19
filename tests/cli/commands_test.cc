// Unit tests for cli/commands.h: every vigilctl command against an in-process gRPC server
// on 127.0.0.1 with fake AlertService and FleetService implementations, through the real
// client path (channel, stubs, bearer token metadata, deadlines, cancellation), and the
// offline bundle verbs, which call nothing. Reading the rule files that `rules push` sends
// is tested in rule_files_test.cc, the bundle files in bundle_files_test.cc.
#include "cli/commands.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <sstream>
#include <streambuf>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bundle/signing.h"
#include "cli/options.h"
#include "common/read_file.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/bundle/bundle_test_util.h"
#include "tests/support/test_dir.h"
#include "vigil/v1/alert_service.grpc.pb.h"
#include "vigil/v1/fleet.grpc.pb.h"

namespace vigil::cli {
namespace {

using ::testing::ContainsRegex;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

namespace v1 = ::vigil::v1;

constexpr int64_t kT0 = int64_t{1796020839} * 1000000000;  // 2026-11-30T06:40:39Z

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

// Waits (a bounded time) until the call is cancelled; returns whether it was.
bool WaitCancelled(grpc::ServerContext* context, absl::Duration limit = absl::Seconds(10)) {
  const absl::Time end = absl::Now() + limit;
  while (!context->IsCancelled()) {
    if (absl::Now() > end) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

// The "authorization" metadata a call carried ("" when none).
std::string AuthorizationOf(const grpc::ServerContext* context) {
  auto it = context->client_metadata().find("authorization");
  if (it == context->client_metadata().end()) return "";
  return std::string(it->second.data(), it->second.size());
}

v1::AlertEnvelope Envelope(int n) {
  v1::AlertEnvelope envelope;
  envelope.set_cursor(absl::StrCat(n));
  v1::Alert* alert = envelope.mutable_alert();
  alert->set_sequence(n);
  alert->set_node("node-1");
  alert->set_time_unix_ns(kT0 + int64_t{n} * 1000000000);
  alert->set_rule(absl::StrCat("Rule ", n));
  alert->set_priority(v1::PRIORITY_WARNING);
  alert->set_output(absl::StrCat("output ", n));
  return envelope;
}

class FakeFleet final : public v1::FleetService::Service {
 public:
  grpc::Status ListSensors(grpc::ServerContext* context, const v1::ListSensorsRequest*,
                           v1::ListSensorsResponse* response) override {
    Record(context);
    if (delay_until_cancelled) {
      cancelled_seen = WaitCancelled(context);
      return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
    }
    if (!status.ok()) return status;
    *response = sensors;
    return grpc::Status::OK;
  }
  grpc::Status PutRuleSet(grpc::ServerContext* context, const v1::PutRuleSetRequest* request,
                          v1::PutRuleSetResponse* response) override {
    Record(context);
    absl::MutexLock lock(&mu);
    put = *request;
    if (!status.ok()) return status;
    response->set_version("sha256:0123456789abcdef");
    response->set_created(true);
    response->set_rules(static_cast<uint32_t>(request->files_size()));
    return grpc::Status::OK;
  }
  grpc::Status ListRuleSets(grpc::ServerContext* context, const v1::ListRuleSetsRequest*,
                            v1::ListRuleSetsResponse* response) override {
    Record(context);
    if (!status.ok()) return status;
    *response = rule_sets;
    return grpc::Status::OK;
  }
  grpc::Status GetRollout(grpc::ServerContext* context, const v1::GetRolloutRequest* request,
                          v1::Rollout* response) override {
    Record(context);
    absl::MutexLock lock(&mu);
    rollout_request = *request;
    if (!status.ok()) return status;
    *response = rollout;
    return grpc::Status::OK;
  }
  grpc::Status SetProbeModules(grpc::ServerContext* context,
                               const v1::SetProbeModulesRequest* request,
                               v1::SetProbeModulesResponse* response) override {
    Record(context);
    absl::MutexLock lock(&mu);
    modules_request = *request;
    if (!status.ok()) return status;
    response->set_version("5");
    v1::SensorRollout* r = response->add_per_sensor();
    r->set_sensor_id("sensor-node-1");
    r->set_node("node-1");
    r->set_state(v1::ROLLOUT_STATE_PENDING);
    return grpc::Status::OK;
  }

  grpc::Status PutProbeBundle(grpc::ServerContext* context,
                              const v1::PutProbeBundleRequest* request,
                              v1::PutProbeBundleResponse* response) override {
    Record(context);
    absl::MutexLock lock(&mu);
    put_bundle = *request;
    if (!status.ok()) return status;
    if (!put_bundle_status.ok()) return put_bundle_status;
    response->set_hash("sha256:00112233445566778899");
    response->set_name("sigwatch");
    response->set_version("1.0.0");
    response->set_created(true);
    return grpc::Status::OK;
  }
  grpc::Status ListProbeBundles(grpc::ServerContext* context, const v1::ListProbeBundlesRequest*,
                                v1::ListProbeBundlesResponse* response) override {
    Record(context);
    if (!status.ok()) return status;
    *response = bundles;
    return grpc::Status::OK;
  }

  std::vector<std::string> Authorizations() {
    absl::MutexLock lock(&mu);
    return authorizations;
  }

  // What the test sets up before calls.
  grpc::Status status;  // returned by every method when not OK
  bool delay_until_cancelled = false;
  v1::ListSensorsResponse sensors;
  v1::ListRuleSetsResponse rule_sets;
  v1::Rollout rollout;
  v1::ListProbeBundlesResponse bundles;
  grpc::Status put_bundle_status;  // returned by PutProbeBundle when not OK
  // What calls carried.
  absl::Mutex mu;
  std::vector<std::string> authorizations;
  v1::PutRuleSetRequest put;
  v1::GetRolloutRequest rollout_request;
  v1::SetProbeModulesRequest modules_request;
  v1::PutProbeBundleRequest put_bundle;
  bool cancelled_seen = false;

 private:
  void Record(grpc::ServerContext* context) {
    absl::MutexLock lock(&mu);
    authorizations.push_back(AuthorizationOf(context));
  }
};

class FakeAlerts final : public v1::AlertService::Service {
 public:
  // Sends `stream` in order, then ends with `end` when set, else waits for cancellation.
  grpc::Status Subscribe(grpc::ServerContext* context, const v1::SubscribeRequest* request,
                         grpc::ServerWriter<v1::AlertEnvelope>* writer) override {
    {
      absl::MutexLock lock(&mu);
      subscribe = *request;
      authorization = AuthorizationOf(context);
    }
    subscribed.Notify();
    for (const v1::AlertEnvelope& envelope : stream) writer->Write(envelope);
    if (end.has_value()) return *end;
    WaitCancelled(context);
    return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
  }

  // Pages over `stored`, at most `max_page` per page, the token being the next offset.
  grpc::Status Query(grpc::ServerContext* context, const v1::QueryRequest* request,
                     v1::QueryResponse* response) override {
    absl::MutexLock lock(&mu);
    queries.push_back(*request);
    size_t offset = 0;
    if (!request->page_token().empty()) offset = std::stoul(request->page_token());
    const size_t size = std::min<size_t>(request->page_size(), max_page);
    size_t i = offset;
    for (; i < stored.size() && i < offset + size; ++i) *response->add_alerts() = stored[i];
    if (i < stored.size()) response->set_next_page_token(absl::StrCat(i));
    return grpc::Status::OK;
  }

  std::vector<v1::AlertEnvelope> stream;
  std::optional<grpc::Status> end;
  std::vector<v1::AlertEnvelope> stored;
  size_t max_page = 1000;
  absl::Notification subscribed;
  absl::Mutex mu;
  v1::SubscribeRequest subscribe;
  std::string authorization;
  std::vector<v1::QueryRequest> queries;
};

// An output buffer that another thread may watch while a command writes to it.
class SyncBuf : public std::streambuf {
 public:
  std::string text() {
    absl::MutexLock lock(&mu_);
    return text_;
  }
  // Waits (a bounded time) until `n` lines were written.
  bool WaitForLines(size_t n, absl::Duration limit = absl::Seconds(10)) {
    const absl::Time end = absl::Now() + limit;
    while (Lines(text()).size() < n) {
      if (absl::Now() > end) return false;
      absl::SleepFor(absl::Milliseconds(5));
    }
    return true;
  }

 protected:
  int_type overflow(int_type c) override {
    if (c == traits_type::eof()) return traits_type::not_eof(c);
    absl::MutexLock lock(&mu_);
    text_.push_back(static_cast<char>(c));
    return c;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    absl::MutexLock lock(&mu_);
    text_.append(s, static_cast<size_t>(n));
    return n;
  }

 private:
  absl::Mutex mu_;
  std::string text_;
};

class CommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&fleet_);
    builder.RegisterService(&alerts_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port_, 0);
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(std::chrono::system_clock::now());
  }

  // Parses a vigilctl command line aimed at the fake controller (plaintext).
  CliOptions Options(std::vector<std::string> args) {
    args.insert(args.begin(), {"--insecure", "--controller", absl::StrCat("127.0.0.1:", port_)});
    absl::StatusOr<CliOptions> options = ParseCliOptions(args, {});
    EXPECT_TRUE(options.ok()) << options.status();
    return options.ok() ? *options : CliOptions();
  }

  // Runs a command line to completion; its output is in out_ and err_.
  int Run(std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    return RunAgainstController(Options(std::move(args)), out_, err_, &interrupt_);
  }

  // Runs `alerts tail ...` in a thread until `lines` lines were printed, then interrupts
  // it (as SIGINT does) and returns its exit code.
  int TailUntil(std::vector<std::string> args, size_t lines, SyncBuf* buf) {
    std::ostream out(buf);
    int code = -1;
    const CliOptions options = Options(std::move(args));
    std::thread tail([&] { code = RunAgainstController(options, out, err_, &interrupt_); });
    EXPECT_TRUE(alerts_.subscribed.WaitForNotificationWithTimeout(absl::Seconds(10)));
    EXPECT_TRUE(buf->WaitForLines(lines)) << buf->text();
    interrupt_.Trigger();
    tail.join();
    return code;
  }

  FakeFleet fleet_;
  FakeAlerts alerts_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::ostringstream out_;
  std::ostringstream err_;
  Interrupt interrupt_;
};

TEST_F(CommandsTest, SensorsTable) {
  v1::Sensor* s = fleet_.sensors.add_sensors();
  s->set_sensor_id("sensor-node-1");
  s->set_node("node-1");
  s->set_connected(true);
  s->set_version("0.1.0");
  s->set_last_seen_unix_ns(absl::ToUnixNanos(absl::Now() - absl::Seconds(12)));
  s->set_rule_set_version("sha256:feedfacecafe99");
  v1::ModuleState* m = s->add_modules();
  m->set_name("process");
  m->set_attach_mode("raw_tp");
  EXPECT_EQ(Run({"sensors"}), kExitOk) << err_.str();
  const std::vector<std::string> lines = Lines(out_.str());
  ASSERT_EQ(lines.size(), 2u) << out_.str();
  EXPECT_THAT(lines[0], StartsWith("SENSOR"));
  EXPECT_THAT(lines[1], ContainsRegex("^sensor-node-1 +node-1 +yes +1[23]s ago +0\\.1\\.0 +"
                                      "feedfacecafe +process=raw_tp$"));
  EXPECT_THAT(err_.str(), IsEmpty());
}

TEST_F(CommandsTest, SensorsJson) {
  fleet_.sensors.add_sensors()->set_sensor_id("sensor-node-1");
  EXPECT_EQ(Run({"sensors", "-o", "json"}), kExitOk) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("\"sensor_id\": \"sensor-node-1\""));
  EXPECT_THAT(out_.str(), HasSubstr("\"connected\": false"));
}

TEST_F(CommandsTest, NoSensorsIsSaidOnStderr) {
  EXPECT_EQ(Run({"sensors"}), kExitOk);
  EXPECT_THAT(out_.str(), IsEmpty());
  EXPECT_EQ(err_.str(), "no sensors\n");
}

TEST_F(CommandsTest, BearerTokenFromFileIsSentAsAuthorizationMetadata) {
  vigil::testing::TestDir dir("cli-token");
  const std::string token_file = dir.WriteFile("token", "s3cret-token\n");
  EXPECT_EQ(Run({"--token-file", token_file, "sensors"}), kExitOk) << err_.str();
  EXPECT_EQ(Run({"sensors"}), kExitOk) << err_.str();
  EXPECT_THAT(fleet_.Authorizations(), ElementsAre("Bearer s3cret-token", ""));
}

TEST_F(CommandsTest, UnreadableTokenFileFailsBeforeAnyCall) {
  vigil::testing::TestDir dir("cli-token");
  EXPECT_EQ(Run({"--token-file", dir.Join("missing"), "sensors"}), kExitFailed);
  EXPECT_THAT(err_.str(), StartsWith("vigilctl: --token-file: cannot read "));
  EXPECT_EQ(Run({"--token-file", dir.WriteFile("empty", " \n"), "sensors"}), kExitFailed);
  EXPECT_THAT(err_.str(), HasSubstr("is empty"));
  EXPECT_EQ(Run({"--token-file", dir.WriteFile("two", "a\nb\n"), "sensors"}), kExitFailed);
  EXPECT_THAT(err_.str(), HasSubstr("more than one line"));
  EXPECT_THAT(fleet_.Authorizations(), IsEmpty());
}

TEST_F(CommandsTest, ServerErrorIsPrintedWithMethodAndCode) {
  fleet_.status = grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                               "FleetService.ListSensors needs the reader role");
  EXPECT_EQ(Run({"sensors"}), kExitFailed);
  EXPECT_EQ(err_.str(),
            "vigilctl: FleetService.ListSensors: PERMISSION_DENIED: FleetService.ListSensors "
            "needs the reader role\n");
  EXPECT_THAT(out_.str(), IsEmpty());
}

TEST_F(CommandsTest, UnaryCallsHaveTheTimeoutAsDeadline) {
  fleet_.delay_until_cancelled = true;
  const absl::Time start = absl::Now();
  EXPECT_EQ(Run({"sensors", "--timeout", "200ms"}), kExitFailed);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_THAT(err_.str(), StartsWith("vigilctl: FleetService.ListSensors: DEADLINE_EXCEEDED: "));
}

TEST_F(CommandsTest, UnreachableControllerIsUnavailable) {
  server_->Shutdown(std::chrono::system_clock::now());
  server_.reset();
  EXPECT_EQ(Run({"sensors", "--timeout", "5s"}), kExitFailed);
  EXPECT_THAT(err_.str(), StartsWith("vigilctl: FleetService.ListSensors: UNAVAILABLE: "));
}

TEST_F(CommandsTest, RulesPushSendsDirectoryFilesInNameOrderAsBaseNames) {
  vigil::testing::TestDir dir("cli-push");
  dir.WriteFile("rules/20-b.yaml", "- rule: b\n");
  dir.WriteFile("rules/10-a.yml", "- rule: a\n");
  dir.WriteFile("rules/notes.txt", "not rules");
  dir.WriteFile("rules/sub/30-c.yaml", "- rule: c\n");
  const std::string extra = dir.WriteFile("extra/05-z.yaml", "- rule: z\n");
  EXPECT_EQ(Run({"rules", "push", dir.Join("rules"), extra}), kExitOk) << err_.str();
  std::vector<std::string> names, contents;
  for (const v1::RuleFile& f : fleet_.put.files()) {
    names.push_back(f.name());
    contents.push_back(f.content());
  }
  EXPECT_THAT(names, ElementsAre("10-a.yml", "20-b.yaml", "05-z.yaml"));
  EXPECT_THAT(contents, ElementsAre("- rule: a\n", "- rule: b\n", "- rule: z\n"));
  EXPECT_EQ(out_.str(), "rule set sha256:0123456789abcdef: 3 rules, stored; now the desired set\n");
}

TEST_F(CommandsTest, RulesPushRejectedPrintsTheErrorAtTheLocalPath) {
  vigil::testing::TestDir dir("cli-push");
  const std::string file = dir.WriteFile("rules/20-b.yaml", "- rule: b\n");
  fleet_.status =
      grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "20-b.yaml:3:5: unknown field 'proc.nam'");
  EXPECT_EQ(Run({"rules", "push", dir.Join("rules")}), kExitFailed);
  EXPECT_EQ(err_.str(), absl::StrCat("vigilctl: FleetService.PutRuleSet: INVALID_ARGUMENT: ", file,
                                     ":3:5: unknown field 'proc.nam'\n"));
  EXPECT_THAT(out_.str(), IsEmpty());
}

TEST_F(CommandsTest, RulesPushOfMissingFileCallsNothing) {
  vigil::testing::TestDir dir("cli-push");
  EXPECT_EQ(Run({"rules", "push", dir.Join("absent.yaml")}), kExitFailed);
  EXPECT_THAT(err_.str(), StartsWith("vigilctl: rules push: cannot read "));
  EXPECT_THAT(fleet_.Authorizations(), IsEmpty());
}

TEST_F(CommandsTest, RulesPushJson) {
  vigil::testing::TestDir dir("cli-push");
  EXPECT_EQ(Run({"rules", "push", dir.WriteFile("a.yaml", "x"), "-o", "json"}), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("\"version\": \"sha256:0123456789abcdef\""));
  EXPECT_THAT(out_.str(), HasSubstr("\"rules\": 1"));
}

TEST_F(CommandsTest, RulesStatusPrintsSummaryAndRows) {
  fleet_.rollout.set_kind("rules");
  fleet_.rollout.set_summary("version sha256:abc: applied on 1 of 2 sensors, failed on 1");
  v1::SensorRollout* a = fleet_.rollout.add_per_sensor();
  a->set_sensor_id("s1");
  a->set_node("n1");
  a->set_state(v1::ROLLOUT_STATE_APPLIED);
  v1::SensorRollout* b = fleet_.rollout.add_per_sensor();
  b->set_sensor_id("s2");
  b->set_node("n2");
  b->set_state(v1::ROLLOUT_STATE_FAILED);
  b->set_error("engine too old");
  EXPECT_EQ(Run({"rules", "status", "--version", "sha256:abc"}), kExitOk) << err_.str();
  EXPECT_EQ(fleet_.rollout_request.kind(), "rules");
  EXPECT_EQ(fleet_.rollout_request.version(), "sha256:abc");
  EXPECT_EQ(out_.str(),
            "version sha256:abc: applied on 1 of 2 sensors, failed on 1\n"
            "SENSOR  NODE  STATE    ERROR\n"
            "s1      n1    applied\n"
            "s2      n2    failed   engine too old\n");
}

TEST_F(CommandsTest, ModulesStatusAsksForTheModulesRollout) {
  fleet_.rollout.set_summary("version 5: applied on 0 of 0 sensors, failed on 0");
  EXPECT_EQ(Run({"modules", "status"}), kExitOk) << err_.str();
  EXPECT_EQ(fleet_.rollout_request.kind(), "modules");
  EXPECT_EQ(fleet_.rollout_request.version(), "");
  EXPECT_EQ(out_.str(), "version 5: applied on 0 of 0 sensors, failed on 0\n");
}

TEST_F(CommandsTest, RulesListMarksDesired) {
  v1::RuleSet* set = fleet_.rule_sets.add_rule_sets();
  set->set_version("sha256:aaa");
  set->set_created_unix_ns(absl::ToUnixNanos(absl::Now() - absl::Hours(3)));
  fleet_.rule_sets.add_rule_sets()->set_version("sha256:bbb");
  fleet_.rule_sets.set_desired_version("sha256:aaa");
  EXPECT_EQ(Run({"rules", "list"}), kExitOk) << err_.str();
  const std::vector<std::string> lines = Lines(out_.str());
  ASSERT_EQ(lines.size(), 3u) << out_.str();
  EXPECT_THAT(lines[1], ContainsRegex("^sha256:aaa +3h ago +\\*$"));
  EXPECT_THAT(lines[2], ContainsRegex("^sha256:bbb +never$"));
}

TEST_F(CommandsTest, ModulesEnableAndDisableSetTheModuleOnTheNodesGiven) {
  EXPECT_EQ(Run({"modules", "enable", "file", "--node", "n1", "--node", "n2"}), kExitOk)
      << err_.str();
  ASSERT_EQ(fleet_.modules_request.modules_size(), 1);
  EXPECT_EQ(fleet_.modules_request.modules(0).name(), "file");
  EXPECT_TRUE(fleet_.modules_request.modules(0).enabled());
  EXPECT_THAT(fleet_.modules_request.nodes(), ElementsAre("n1", "n2"));
  EXPECT_THAT(out_.str(), StartsWith("modules version 5: sent to 1 sensor\n"));
  EXPECT_THAT(out_.str(), HasSubstr("sensor-node-1  node-1  pending"));

  EXPECT_EQ(Run({"modules", "disable", "process"}), kExitOk) << err_.str();
  ASSERT_EQ(fleet_.modules_request.modules_size(), 1);
  EXPECT_EQ(fleet_.modules_request.modules(0).name(), "process");
  EXPECT_FALSE(fleet_.modules_request.modules(0).enabled());
  EXPECT_THAT(fleet_.modules_request.nodes(), IsEmpty());
}

TEST_F(CommandsTest, ModulesListShowsEverySensorsModules) {
  v1::Sensor* s = fleet_.sensors.add_sensors();
  s->set_sensor_id("s1");
  s->set_node("n1");
  v1::ModuleState* m = s->add_modules();
  m->set_name("file");
  m->set_enabled(true);
  m->set_state("failed");
  m->set_error("no BTF");
  EXPECT_EQ(Run({"modules", "list"}), kExitOk) << err_.str();
  EXPECT_EQ(out_.str(),
            "SENSOR  NODE  MODULE  SOURCE   VERSION  BUNDLE  ENABLED  ATTACH  STATE   ERROR\n"
            "s1      n1    file    builtin  -        -       yes      -       failed  no BTF\n");
}

TEST_F(CommandsTest, ModulesStatusPrintsXOfYAndEachSensorsError) {
  fleet_.rollout.set_kind("modules");
  fleet_.rollout.set_version("sha256:5");
  fleet_.rollout.set_sensors(2);
  fleet_.rollout.set_applied(1);
  fleet_.rollout.set_failed(1);
  v1::SensorRollout* a = fleet_.rollout.add_per_sensor();
  a->set_sensor_id("s1");
  a->set_state(v1::ROLLOUT_STATE_APPLIED);
  v1::SensorRollout* b = fleet_.rollout.add_per_sensor();
  b->set_sensor_id("s2");
  b->set_state(v1::ROLLOUT_STATE_FAILED);
  b->set_error("sigwatch: signed by unknown key 0011223344556677");
  EXPECT_EQ(Run({"modules", "status"}), kExitOk) << err_.str();
  EXPECT_EQ(out_.str(),
            "version sha256:5: applied on 1 of 2 sensors, failed on 1\n"
            "SENSOR  NODE  STATE    ERROR\n"
            "s1      -     applied\n"
            "s2      -     failed   sigwatch: signed by unknown key 0011223344556677\n");
}

// Writes a bundle of the test manifest and a stand-in object, signed unless `sign` is false.
std::string WriteTestBundle(const vigil::testing::TestDir& dir, const std::string& name,
                            bool sign) {
  v1::ProbeBundle probe =
      bundle::testing::MakeBundle(bundle::testing::TestManifest(), bundle::testing::FakeElf());
  if (sign) {
    absl::StatusOr<bundle::KeyPairPem> keys = bundle::GenerateKeyPair();
    EXPECT_TRUE(keys.ok()) << keys.status();
    absl::StatusOr<EvpPkeyPtr> key = bundle::PrivateKeyFromPem(keys->private_pem, "key");
    EXPECT_TRUE(key.ok()) << key.status();
    absl::StatusOr<v1::BundleSignature> signature =
        bundle::Sign(probe.manifest(), probe.object(), key->get());
    EXPECT_TRUE(signature.ok()) << signature.status();
    *probe.mutable_signature() = *signature;
  }
  return dir.WriteFile(name, probe.SerializeAsString());
}

TEST_F(CommandsTest, ModulesPushStoresTheBundleThenRunsItsModule) {
  vigil::testing::TestDir dir("cli-bundle");
  const std::string path = WriteTestBundle(dir, "sigwatch.vbundle", /*sign=*/true);
  EXPECT_EQ(Run({"modules", "push", path, "--node", "n1"}), kExitOk) << err_.str();
  EXPECT_EQ(fleet_.put_bundle.bundle(), ReadSmallFile(path, 8 << 20).value());
  ASSERT_EQ(fleet_.modules_request.modules_size(), 1);
  EXPECT_EQ(fleet_.modules_request.modules(0).name(), "sigwatch");
  EXPECT_TRUE(fleet_.modules_request.modules(0).enabled());
  EXPECT_EQ(fleet_.modules_request.modules(0).bundle(), "sha256:00112233445566778899");
  EXPECT_THAT(fleet_.modules_request.nodes(), ElementsAre("n1"));
  EXPECT_THAT(out_.str(), StartsWith("bundle sha256:00112233445566778899: module sigwatch 1.0.0, "
                                     "stored\nmodules version 5: sent to 1 sensor\n"));

  EXPECT_EQ(Run({"modules", "push", path, "-o", "json"}), kExitOk) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("\"bundle\": {\"hash\":\"sha256:00112233445566778899\""));
  EXPECT_THAT(out_.str(), HasSubstr("\"modules\": {\"version\":\"5\""));
}

TEST_F(CommandsTest, ModulesPushRefusedByTheControllerNamesTheFile) {
  vigil::testing::TestDir dir("cli-bundle");
  const std::string path = WriteTestBundle(dir, "sigwatch.vbundle", /*sign=*/true);
  fleet_.put_bundle_status = grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                                          "FleetService.PutProbeBundle needs the admin role");
  EXPECT_EQ(Run({"modules", "push", path}), kExitFailed);
  EXPECT_EQ(err_.str(), absl::StrCat("vigilctl: FleetService.PutProbeBundle: PERMISSION_DENIED: ",
                                     path, ": FleetService.PutProbeBundle needs the admin role\n"));
  EXPECT_EQ(fleet_.modules_request.modules_size(), 0);  // nothing rolled out
}

TEST_F(CommandsTest, ModulesPushOfAnUnsignedOrBadBundleCallsNothing) {
  vigil::testing::TestDir dir("cli-bundle");
  const std::string unsigned_path = WriteTestBundle(dir, "unsigned.vbundle", /*sign=*/false);
  EXPECT_EQ(Run({"modules", "push", unsigned_path}), kExitFailed);
  EXPECT_EQ(err_.str(),
            absl::StrCat("vigilctl: modules push: ", unsigned_path,
                         " is not signed (vigilctl modules sign --key KEY ", unsigned_path, ")\n"));
  const std::string garbage = dir.WriteFile("garbage.vbundle", "garbage");
  EXPECT_EQ(Run({"modules", "push", garbage}), kExitFailed);
  EXPECT_THAT(err_.str(), StartsWith(absl::StrCat("vigilctl: modules push: ", garbage, ": ")));
  EXPECT_EQ(Run({"modules", "push", dir.Join("absent.vbundle")}), kExitFailed);
  EXPECT_THAT(err_.str(), StartsWith("vigilctl: modules push: cannot read "));
  EXPECT_THAT(fleet_.Authorizations(), IsEmpty());
}

TEST_F(CommandsTest, ModulesRemoveDisablesAStoredBundlesModuleOnly) {
  v1::StoredBundle* b = fleet_.bundles.add_bundles();
  b->set_hash("sha256:0011");
  b->mutable_manifest()->set_name("sigwatch");
  EXPECT_EQ(Run({"modules", "remove", "sigwatch", "--node", "n2"}), kExitOk) << err_.str();
  ASSERT_EQ(fleet_.modules_request.modules_size(), 1);
  EXPECT_EQ(fleet_.modules_request.modules(0).name(), "sigwatch");
  EXPECT_FALSE(fleet_.modules_request.modules(0).enabled());
  EXPECT_EQ(fleet_.modules_request.modules(0).bundle(), "");
  EXPECT_THAT(fleet_.modules_request.nodes(), ElementsAre("n2"));
  EXPECT_THAT(out_.str(), StartsWith("modules version 5: sent to 1 sensor\n"));

  fleet_.modules_request.Clear();
  EXPECT_EQ(Run({"modules", "remove", "process"}), kExitFailed);
  EXPECT_THAT(err_.str(),
              StartsWith("vigilctl: modules remove: no stored bundle is module 'process' ("));
  EXPECT_EQ(fleet_.modules_request.modules_size(), 0);
}

TEST_F(CommandsTest, ModulesBundlesListsTheStoredBundles) {
  EXPECT_EQ(Run({"modules", "bundles"}), kExitOk);
  EXPECT_EQ(err_.str(), "no bundles\n");
  v1::StoredBundle* b = fleet_.bundles.add_bundles();
  b->set_hash("sha256:fedcba9876543210");
  b->mutable_manifest()->set_name("sigwatch");
  b->mutable_manifest()->set_version("1.0.0");
  b->set_key_id("0011223344556677");
  b->set_size(2048);
  b->set_created_unix_ns(absl::ToUnixNanos(absl::Now() - absl::Hours(2)));
  EXPECT_EQ(Run({"modules", "bundles"}), kExitOk) << err_.str();
  const std::vector<std::string> lines = Lines(out_.str());
  ASSERT_EQ(lines.size(), 2u) << out_.str();
  EXPECT_THAT(lines[0], ContainsRegex("^HASH +NAME +VERSION +KEY +SIZE +CREATED$"));
  EXPECT_THAT(lines[1], ContainsRegex("^fedcba987654 +sigwatch +1\\.0\\.0 +0011223344556677 +"
                                      "2\\.0 KiB +2h ago$"));
  EXPECT_EQ(Run({"modules", "bundles", "-o", "json"}), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("\"key_id\": \"0011223344556677\""));
}

// keygen, build and sign work on local files only: no call, no token or certificate read.
TEST_F(CommandsTest, OfflineBundleVerbsCallNothing) {
  vigil::testing::TestDir dir("cli-bundle");
  const std::string manifest =
      dir.WriteFile("sigwatch.textproto", bundle::testing::kTestManifestText);
  const std::string bundle_path = dir.Join("sigwatch.vbundle");
  const std::string missing = dir.Join("missing");
  EXPECT_EQ(Run({"--token-file", missing, "--ca", missing, "modules", "keygen", "--out",
                 dir.Join("admin")}),
            kExitOk)
      << err_.str();
  EXPECT_THAT(out_.str(), ContainsRegex("^key id [0-9a-f]{16}\nprivate key .*admin\\.key "
                                        "\\(keep it on this machine\\)\npublic key "
                                        ".*admin\\.pub\\.pem \\(pin it on the sensors\\)\n$"));
  EXPECT_EQ(Run({"modules", "build", "--manifest", manifest, "--object", VIGIL_BUNDLE_TEST_OBJECT,
                 "--out", bundle_path}),
            kExitOk)
      << err_.str();
  EXPECT_EQ(out_.str(),
            absl::StrCat("built ", bundle_path,
                         ": module sigwatch 1.0.0, unsigned (vigilctl modules sign --key KEY ",
                         bundle_path, ")\n"));
  EXPECT_EQ(Run({"modules", "sign", "--key", dir.Join("admin.key"), bundle_path}), kExitOk)
      << err_.str();
  EXPECT_THAT(out_.str(), ContainsRegex(absl::StrCat("^signed ", bundle_path,
                                                     ": module sigwatch 1\\.0\\.0, key id "
                                                     "[0-9a-f]{16}\nhash sha256:[0-9a-f]{64}\n$")));
  EXPECT_EQ(Run({"modules", "sign", "--key", dir.Join("admin.key"), bundle_path, "-o", "json"}),
            kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("\"hash\": \"sha256:"));

  // Errors are the command's, with the file and position.
  const std::string bad = dir.WriteFile("bad.textproto", "name: \"a\"\n  nmae: \"b\"\n");
  EXPECT_EQ(Run({"modules", "build", "--manifest", bad, "--object", VIGIL_BUNDLE_TEST_OBJECT,
                 "--out", bundle_path}),
            kExitFailed);
  EXPECT_THAT(err_.str(), StartsWith(absl::StrCat("vigilctl: modules build: ", bad, ":2:")));
  EXPECT_EQ(Run({"modules", "keygen", "--out", dir.Join("admin")}), kExitFailed);
  EXPECT_THAT(err_.str(), StartsWith("vigilctl: modules keygen: "));
  EXPECT_THAT(err_.str(), HasSubstr("admin.key exists"));
  EXPECT_THAT(fleet_.Authorizations(), IsEmpty());
}

TEST_F(CommandsTest, AlertsQueryFollowsPagesUntilTheLimit) {
  for (int n = 9; n >= 1; --n) alerts_.stored.push_back(Envelope(n));  // newest first
  alerts_.max_page = 2;
  EXPECT_EQ(Run({"alerts", "query", "--limit", "5", "--priority", "error", "--rule", "Rule 9",
                 "--tag", "t", "--node", "node-1"}),
            kExitOk)
      << err_.str();
  ASSERT_EQ(alerts_.queries.size(), 3u);
  EXPECT_EQ(alerts_.queries[0].page_size(), 5u);
  EXPECT_EQ(alerts_.queries[1].page_size(), 3u);
  EXPECT_EQ(alerts_.queries[2].page_size(), 1u);
  EXPECT_EQ(alerts_.queries[0].page_token(), "");
  EXPECT_EQ(alerts_.queries[1].page_token(), "2");
  EXPECT_EQ(alerts_.queries[2].page_token(), "4");
  const v1::AlertFilter& filter = alerts_.queries[0].filter();
  EXPECT_EQ(filter.min_priority(), v1::PRIORITY_ERROR);
  EXPECT_THAT(filter.rules(), ElementsAre("Rule 9"));
  EXPECT_THAT(filter.tags(), ElementsAre("t"));
  EXPECT_THAT(filter.nodes(), ElementsAre("node-1"));
  EXPECT_EQ(alerts_.queries[0].since_unix_ns(), 0);

  const std::vector<std::string> lines = Lines(out_.str());
  ASSERT_EQ(lines.size(), 6u) << out_.str();
  EXPECT_THAT(lines[0], ContainsRegex("^TIME +PRIORITY +RULE +NODE +OUTPUT$"));
  EXPECT_THAT(lines[1], ContainsRegex("^2026-11-30T06:40:48Z +Warning +Rule 9 +node-1 +output 9$"));
  EXPECT_THAT(lines[5], HasSubstr("Rule 5"));
}

TEST_F(CommandsTest, AlertsQueryStopsAtTheLastPage) {
  for (int n = 3; n >= 1; --n) alerts_.stored.push_back(Envelope(n));
  alerts_.max_page = 2;
  EXPECT_EQ(Run({"alerts", "query", "-o", "json"}), kExitOk) << err_.str();
  ASSERT_EQ(alerts_.queries.size(), 2u);
  EXPECT_EQ(alerts_.queries[0].page_size(), 100u);
  const std::vector<std::string> lines = Lines(out_.str());
  ASSERT_EQ(lines.size(), 3u) << out_.str();
  EXPECT_THAT(lines[0], StartsWith("{\"cursor\":\"3\",\"alert\":{"));
  EXPECT_THAT(lines[2], StartsWith("{\"cursor\":\"1\","));
}

TEST_F(CommandsTest, AlertsQueryTimeWindow) {
  const absl::Time before = absl::Now();
  EXPECT_EQ(Run({"alerts", "query", "--since", "1h"}), kExitOk);
  const absl::Time after = absl::Now();
  ASSERT_EQ(alerts_.queries.size(), 1u);
  EXPECT_GE(alerts_.queries[0].since_unix_ns(), absl::ToUnixNanos(before - absl::Hours(1)));
  EXPECT_LE(alerts_.queries[0].since_unix_ns(), absl::ToUnixNanos(after - absl::Hours(1)));
  EXPECT_EQ(err_.str(), "no alerts\n");

  EXPECT_EQ(Run({"alerts", "query", "--from", "2026-11-30T06:40:39Z"}), kExitOk);
  ASSERT_EQ(alerts_.queries.size(), 2u);
  EXPECT_EQ(alerts_.queries[1].since_unix_ns(), kT0);
}

TEST_F(CommandsTest, AlertsTailJsonLinesUntilInterruptedExitsZero) {
  for (int n = 1; n <= 3; ++n) alerts_.stream.push_back(Envelope(n));
  vigil::testing::TestDir dir("cli-token");
  SyncBuf buf;
  const int code = TailUntil(
      {"alerts", "tail", "--since", "0", "--priority", "warning", "--rule", "Rule 1", "--node",
       "node-1", "-o", "json", "--token-file", dir.WriteFile("token", "tail-token")},
      3, &buf);
  EXPECT_EQ(code, kExitOk) << err_.str();
  EXPECT_THAT(err_.str(), IsEmpty());
  const std::vector<std::string> lines = Lines(buf.text());
  ASSERT_EQ(lines.size(), 3u) << buf.text();
  for (int n = 1; n <= 3; ++n) {
    EXPECT_THAT(lines[n - 1], StartsWith(absl::StrCat("{\"cursor\":\"", n, "\",\"alert\":{")));
    EXPECT_THAT(lines[n - 1], HasSubstr(absl::StrCat("\"rule\":\"Rule ", n, "\"")));
  }
  absl::MutexLock lock(&alerts_.mu);
  EXPECT_EQ(alerts_.subscribe.cursor(), "0");
  EXPECT_EQ(alerts_.subscribe.filter().min_priority(), v1::PRIORITY_WARNING);
  EXPECT_THAT(alerts_.subscribe.filter().rules(), ElementsAre("Rule 1"));
  EXPECT_THAT(alerts_.subscribe.filter().nodes(), ElementsAre("node-1"));
  EXPECT_EQ(alerts_.authorization, "Bearer tail-token");
}

TEST_F(CommandsTest, AlertsTailTableWithoutSinceAsksForNewAlertsOnly) {
  alerts_.stream.push_back(Envelope(1));
  SyncBuf buf;
  EXPECT_EQ(TailUntil({"alerts", "tail"}, 2, &buf), kExitOk) << err_.str();
  const std::vector<std::string> lines = Lines(buf.text());
  ASSERT_EQ(lines.size(), 2u) << buf.text();
  EXPECT_THAT(lines[0], ContainsRegex("^TIME +PRIORITY +RULE +NODE +OUTPUT$"));
  EXPECT_EQ(lines[1], "2026-11-30T06:40:40Z  Warning        Rule 1  node-1  output 1");
  absl::MutexLock lock(&alerts_.mu);
  EXPECT_EQ(alerts_.subscribe.cursor(), "");
  EXPECT_EQ(alerts_.authorization, "");
}

TEST_F(CommandsTest, AlertsTailInterruptedBeforeAnyAlertExitsZero) {
  SyncBuf buf;
  EXPECT_EQ(TailUntil({"alerts", "tail", "-o", "json"}, 0, &buf), kExitOk) << err_.str();
  EXPECT_THAT(buf.text(), IsEmpty());
}

TEST_F(CommandsTest, AlertsTailStreamErrorPrintsStatusAndCursorAndFails) {
  alerts_.stream.push_back(Envelope(1));
  alerts_.end = grpc::Status(grpc::StatusCode::UNAVAILABLE, "controller shutting down");
  EXPECT_EQ(Run({"alerts", "tail", "-o", "json"}), kExitFailed);
  EXPECT_EQ(Lines(out_.str()).size(), 1u);
  EXPECT_EQ(err_.str(),
            "vigilctl: AlertService.Subscribe: UNAVAILABLE: controller shutting down (resume "
            "with --since 1)\n");
}

TEST_F(CommandsTest, AlertsTailStreamEndedByControllerFails) {
  alerts_.end = grpc::Status::OK;
  EXPECT_EQ(Run({"alerts", "tail", "--since", "7"}), kExitFailed);
  EXPECT_EQ(err_.str(),
            "vigilctl: AlertService.Subscribe: OK: the controller ended the stream (resume "
            "with --since 7)\n");
}

}  // namespace
}  // namespace vigil::cli

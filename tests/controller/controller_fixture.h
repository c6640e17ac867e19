// ControllerFixture: a vigil-controller (ControllerServer) running in process for the
// gRPC service tests, plaintext on 127.0.0.1 with an in-memory SQLite database and an
// access file granting three bearer tokens (reader, admin, sensor); and SensorStream, a
// SensorLink.Connect client speaking as one sensor. Every client call has a deadline, so a
// controller bug fails a test instead of hanging the suite.
#ifndef VIGIL_TESTS_CONTROLLER_CONTROLLER_FIXTURE_H_
#define VIGIL_TESTS_CONTROLLER_CONTROLLER_FIXTURE_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/sha256.h"
#include "controller/server.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/support/test_dir.h"
#include "vigil/v1/alert_service.grpc.pb.h"
#include "vigil/v1/fleet.grpc.pb.h"
#include "vigil/v1/sensor_link.grpc.pb.h"

namespace vigil::controller::testing {

inline constexpr char kReaderToken[] = "reader-token-1";
inline constexpr char kAdminToken[] = "admin-token-2";
inline constexpr char kSensorToken[] = "sensor-token-3";

// Every client call's deadline.
inline constexpr std::chrono::seconds kCallDeadline{10};

// A valid one-rule rules file and its name.
inline constexpr char kRulesName[] = "vigil.yaml";
inline constexpr char kRulesText[] =
    "- rule: Exec seen\n  condition: evt.type = execve\n  output: exec %proc.name\n"
    "  priority: warning\n";

// A client context with the call deadline and, unless empty, a bearer token.
inline std::unique_ptr<grpc::ClientContext> Context(const std::string& token) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + kCallDeadline);
  if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
  return context;
}

// An alert as a sensor sends it.
inline vigil::v1::Alert MakeAlert(uint64_t sequence, const std::string& rule = "Exec seen",
                                  vigil::v1::Priority priority = vigil::v1::PRIORITY_WARNING,
                                  const std::string& node = "node-a",
                                  const std::vector<std::string>& tags = {}, int64_t time_ns = 0) {
  vigil::v1::Alert alert;
  alert.set_sequence(sequence);
  alert.set_node(node);
  alert.set_rule(rule);
  alert.set_priority(priority);
  alert.set_output(absl::StrCat(rule, " #", sequence));
  for (const std::string& tag : tags) alert.add_tags(tag);
  alert.set_time_unix_ns(time_ns != 0 ? time_ns : static_cast<int64_t>(sequence) * 1000);
  alert.set_source("syscall");
  alert.set_count(1);
  return alert;
}

// One SensorLink.Connect stream. Reads block until a message arrives or the call's deadline.
class SensorStream {
 public:
  SensorStream(vigil::v1::SensorLink::Stub* stub, const std::string& token)
      : context_(Context(token)), stream_(stub->Connect(context_.get())) {}
  ~SensorStream() {
    if (!finished_) {
      context_->TryCancel();
      (void)Finish();
    }
  }

  bool Send(const vigil::v1::SensorMessage& message) { return stream_->Write(message); }

  bool Hello(const std::string& sensor_id, const std::string& node = "node-a",
             const std::string& rule_set_version = "", const std::string& modules_version = "",
             const std::string& spool_epoch = "") {
    vigil::v1::SensorMessage message;
    vigil::v1::Hello* hello = message.mutable_hello();
    hello->set_sensor_id(sensor_id);
    hello->set_node(node);
    hello->set_version("0.9.0");
    hello->set_kernel("6.1.0-test");
    hello->set_rule_set_version(rule_set_version);
    hello->set_modules_version(modules_version);
    hello->set_engine_version(1);
    hello->set_spool_epoch(spool_epoch);
    vigil::v1::ModuleState* process = hello->add_modules();
    process->set_name("process");
    process->set_enabled(true);
    process->set_attach_mode("tp_btf");
    process->set_state("running");
    return Send(message);
  }

  bool SendAlerts(const std::vector<vigil::v1::Alert>& alerts) {
    vigil::v1::SensorMessage message;
    for (const vigil::v1::Alert& alert : alerts) *message.mutable_alerts()->add_alerts() = alert;
    return Send(message);
  }

  bool SendResult(uint64_t command_id, bool ok, const std::string& error,
                  const std::string& version) {
    vigil::v1::SensorMessage message;
    vigil::v1::CommandResult* result = message.mutable_result();
    result->set_command_id(command_id);
    result->set_ok(ok);
    result->set_error(error);
    result->set_version(version);
    return Send(message);
  }

  // The next message from the controller, or nullopt when the stream ended.
  std::optional<vigil::v1::ControllerMessage> Read() {
    vigil::v1::ControllerMessage message;
    if (!stream_->Read(&message)) return std::nullopt;
    return message;
  }

  // Reads until an ack of at least `sequence` (returned; 0 when the stream ended first),
  // keeping the other messages for Next().
  uint64_t AwaitAck(uint64_t sequence) {
    while (true) {
      std::optional<vigil::v1::ControllerMessage> message = Read();
      if (!message) return 0;
      if (message->has_ack()) {
        if (message->ack().sequence() >= sequence) return message->ack().sequence();
        continue;
      }
      others_.push_back(*std::move(message));
    }
  }

  // The next message that is not an ack (kept ones first), or nullopt at the end.
  std::optional<vigil::v1::ControllerMessage> Next() {
    if (!others_.empty()) {
      vigil::v1::ControllerMessage message = std::move(others_.front());
      others_.erase(others_.begin());
      return message;
    }
    while (true) {
      std::optional<vigil::v1::ControllerMessage> message = Read();
      if (!message || !message->has_ack()) return message;
    }
  }

  // After everything sent so far was handled: sends one alert numbered `sequence` and
  // waits for its ack (the controller handles a stream's messages in order).
  bool Barrier(uint64_t sequence) {
    return SendAlerts({MakeAlert(sequence, "barrier")}) && AwaitAck(sequence) == sequence;
  }

  // True when a message other than an ack arrived before the last barrier's ack (what
  // Next() returns first).
  bool HasKept() const { return !others_.empty(); }

  // Ends the stream from the sensor's side and returns the controller's status.
  grpc::Status Close() {
    stream_->WritesDone();
    vigil::v1::ControllerMessage ignored;
    while (stream_->Read(&ignored)) {
    }
    return Finish();
  }

  // The stream's status once the controller ended it (reads the rest first).
  grpc::Status Finish() {
    vigil::v1::ControllerMessage ignored;
    while (stream_->Read(&ignored)) {
    }
    finished_ = true;
    return stream_->Finish();
  }

 private:
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientReaderWriter<vigil::v1::SensorMessage, vigil::v1::ControllerMessage>>
      stream_;
  std::vector<vigil::v1::ControllerMessage> others_;
  bool finished_ = false;
};

// The access file granting the three tokens. The sensor token is shared by every sensor
// the tests play (sensor-any), so they may use any sensor id.
inline std::string TokenAccessFile() {
  return absl::StrCat("# tokens for the tests\n", "reader token sha256:", Sha256Hex(kReaderToken),
                      "\n", "admin  token sha256:", Sha256Hex(kAdminToken), "\n",
                      "sensor-any token sha256:", Sha256Hex(kSensorToken), "\n");
}

class ControllerFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    ControllerOptions options;
    options.listen = "127.0.0.1:0";
    options.db_path = ":memory:";
    options.insecure = true;
    options.access_file = dir_.WriteFile("access.txt", TokenAccessFile());
    options.retention_age_s = 0;  // the tests apply retention themselves
    options.retention_bytes = 0;
    Configure(options);
    absl::StatusOr<std::unique_ptr<ControllerServer>> server = ControllerServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    link_ = vigil::v1::SensorLink::NewStub(channel_);
    alerts_ = vigil::v1::AlertService::NewStub(channel_);
    fleet_ = vigil::v1::FleetService::NewStub(channel_);
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
  }

  // Lets a test suite change the options before the controller starts.
  virtual void Configure(ControllerOptions& options) {}

  std::unique_ptr<SensorStream> Sensor() {
    return std::make_unique<SensorStream>(link_.get(), kSensorToken);
  }

  // Connects `sensor_id`, sends `alerts` and waits for their ack; then closes the stream.
  void Deliver(const std::string& sensor_id, const std::vector<vigil::v1::Alert>& alerts) {
    std::unique_ptr<SensorStream> sensor = Sensor();
    ASSERT_TRUE(sensor->Hello(sensor_id));
    ASSERT_TRUE(sensor->SendAlerts(alerts));
    ASSERT_EQ(sensor->AwaitAck(alerts.back().sequence()), alerts.back().sequence());
    EXPECT_TRUE(sensor->Close().ok());
  }

  // AlertService.Query with the reader token; every page until next_page_token is empty.
  std::vector<vigil::v1::AlertEnvelope> QueryAll(vigil::v1::QueryRequest request) {
    std::vector<vigil::v1::AlertEnvelope> all;
    for (int page = 0; page < 1000; ++page) {
      vigil::v1::QueryResponse response;
      const grpc::Status status = alerts_->Query(Context(kReaderToken).get(), request, &response);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) break;
      all.insert(all.end(), response.alerts().begin(), response.alerts().end());
      if (response.next_page_token().empty()) break;
      request.set_page_token(response.next_page_token());
    }
    return all;
  }

  // Calls `check` every 10 ms until it returns true, for at most 5 s.
  template <typename Check>
  static bool Eventually(Check check) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < until) {
      if (check()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return check();
  }

  vigil::testing::TestDir dir_{"controller"};
  std::unique_ptr<ControllerServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<vigil::v1::SensorLink::Stub> link_;
  std::unique_ptr<vigil::v1::AlertService::Stub> alerts_;
  std::unique_ptr<vigil::v1::FleetService::Stub> fleet_;
};

// For each (access-file text, error) in `bad`: the file written in `dir` makes
// ControllerServer::Start with `options` fail INVALID_ARGUMENT with an error starting with
// the file's path followed by `error` (":LINE: reason").
inline void ExpectAccessFilesRefused(const vigil::testing::TestDir& dir, ControllerOptions options,
                                     const std::vector<std::pair<std::string, std::string>>& bad) {
  for (const auto& [text, error] : bad) {
    options.access_file = dir.WriteFile("access.txt", text);
    absl::StatusOr<std::unique_ptr<ControllerServer>> server = ControllerServer::Start(options);
    ASSERT_FALSE(server.ok()) << text;
    EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_EQ(
        std::string(server.status().message()).rfind(absl::StrCat(options.access_file, error), 0),
        0u)
        << text << ": " << server.status().message();
  }
}

// The sequence numbers of envelopes, in order.
inline std::vector<uint64_t> Sequences(const std::vector<vigil::v1::AlertEnvelope>& envelopes) {
  std::vector<uint64_t> out;
  for (const vigil::v1::AlertEnvelope& e : envelopes) out.push_back(e.alert().sequence());
  return out;
}

}  // namespace vigil::controller::testing

#endif  // VIGIL_TESTS_CONTROLLER_CONTROLLER_FIXTURE_H_

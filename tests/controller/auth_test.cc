// In-process gRPC tests of the controller's authorization (controller/auth.h): which role
// each RPC needs, by bearer token over plaintext and by client certificate over mTLS with
// the certificates scripts/dev-ca.sh makes; the access file's errors; and the gRPC health
// and reflection services ControllerServer registers.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/unknown_field_set.h"
#include "grpcpp/impl/client_unary_call.h"
#include "grpcpp/impl/rpc_method.h"
#include "gtest/gtest.h"
#include "tests/controller/controller_fixture.h"

namespace vigil::controller::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// An RPC called with some token: its status.
using Call = std::function<grpc::Status(const std::string& token)>;

struct Method {
  std::string name;
  Role needs;
  grpc::StatusCode allowed;  // what the call returns when the caller may make it
  Call call;
};

// Connect as sensor-1: hello, then end the stream; the controller's status.
grpc::Status ConnectOnce(vigil::v1::SensorLink::Stub* stub, const std::string& token) {
  SensorStream sensor(stub, token);
  (void)sensor.Hello("sensor-1");  // may fail when the controller refused the call already
  return sensor.Close();
}

// Every controller RPC, each with a request whose answer tells that the caller got past
// authorization.
std::vector<Method> Methods(vigil::v1::SensorLink::Stub* link,
                            vigil::v1::AlertService::Stub* alerts,
                            vigil::v1::FleetService::Stub* fleet) {
  using grpc::StatusCode;
  std::vector<Method> methods;
  methods.push_back({"SensorLink.Connect", Role::kSensor, StatusCode::OK,
                     [link](const std::string& token) { return ConnectOnce(link, token); }});
  methods.push_back({"AlertService.Subscribe", Role::kReader, StatusCode::NOT_FOUND,
                     [alerts](const std::string& token) {
                       auto context = Context(token);
                       vigil::v1::SubscribeRequest request;
                       request.set_cursor("999");  // beyond the newest: NOT_FOUND
                       auto reader = alerts->Subscribe(context.get(), request);
                       vigil::v1::AlertEnvelope envelope;
                       while (reader->Read(&envelope)) {
                       }
                       return reader->Finish();
                     }});
  methods.push_back(
      {"AlertService.Query", Role::kReader, StatusCode::OK, [alerts](const std::string& token) {
         vigil::v1::QueryResponse response;
         return alerts->Query(Context(token).get(), {}, &response);
       }});
  methods.push_back({"FleetService.ListSensors", Role::kReader, StatusCode::OK,
                     [fleet](const std::string& token) {
                       vigil::v1::ListSensorsResponse response;
                       return fleet->ListSensors(Context(token).get(), {}, &response);
                     }});
  methods.push_back({"FleetService.GetSensor", Role::kReader, StatusCode::NOT_FOUND,
                     [fleet](const std::string& token) {
                       vigil::v1::GetSensorRequest request;
                       request.set_sensor_id("nobody");
                       vigil::v1::Sensor response;
                       return fleet->GetSensor(Context(token).get(), request, &response);
                     }});
  methods.push_back({"FleetService.PutRuleSet", Role::kAdmin, StatusCode::INVALID_ARGUMENT,
                     [fleet](const std::string& token) {
                       vigil::v1::PutRuleSetResponse response;  // no files: refused
                       return fleet->PutRuleSet(Context(token).get(), {}, &response);
                     }});
  methods.push_back({"FleetService.GetRuleSet", Role::kReader, StatusCode::NOT_FOUND,
                     [fleet](const std::string& token) {
                       vigil::v1::RuleSet response;  // nothing put yet
                       return fleet->GetRuleSet(Context(token).get(), {}, &response);
                     }});
  methods.push_back({"FleetService.ListRuleSets", Role::kReader, StatusCode::OK,
                     [fleet](const std::string& token) {
                       vigil::v1::ListRuleSetsResponse response;
                       return fleet->ListRuleSets(Context(token).get(), {}, &response);
                     }});
  methods.push_back({"FleetService.GetRollout", Role::kReader, StatusCode::INVALID_ARGUMENT,
                     [fleet](const std::string& token) {
                       vigil::v1::GetRolloutRequest request;
                       request.set_kind("bogus");
                       vigil::v1::Rollout response;
                       return fleet->GetRollout(Context(token).get(), request, &response);
                     }});
  methods.push_back({"FleetService.SetProbeModules", Role::kAdmin, StatusCode::INVALID_ARGUMENT,
                     [fleet](const std::string& token) {
                       vigil::v1::SetProbeModulesResponse response;  // no modules: refused
                       return fleet->SetProbeModules(Context(token).get(), {}, &response);
                     }});
  methods.push_back({"FleetService.PutProbeBundle", Role::kAdmin, StatusCode::INVALID_ARGUMENT,
                     [fleet](const std::string& token) {
                       vigil::v1::PutProbeBundleResponse response;  // no bytes: refused
                       return fleet->PutProbeBundle(Context(token).get(), {}, &response);
                     }});
  methods.push_back({"FleetService.ListProbeBundles", Role::kReader, StatusCode::OK,
                     [fleet](const std::string& token) {
                       vigil::v1::ListProbeBundlesResponse response;
                       return fleet->ListProbeBundles(Context(token).get(), {}, &response);
                     }});
  return methods;
}

class AuthTest : public ControllerFixture {};

TEST_F(AuthTest, EveryRpcNeedsItsRoleByBearerToken) {
  struct Caller {
    std::string token;
    std::set<Role> holds;  // empty: no identity at all
  };
  const std::vector<Caller> callers = {
      {"", {}},
      {"not-a-granted-token", {}},
      {kSensorToken, {Role::kSensor}},
      {kReaderToken, {Role::kReader}},
      {kAdminToken, {Role::kAdmin, Role::kReader}},  // admin implies reader, not sensor
  };
  for (const Method& method : Methods(link_.get(), alerts_.get(), fleet_.get())) {
    for (const Caller& caller : callers) {
      const grpc::Status status = method.call(caller.token);
      const std::string where =
          absl::StrCat(method.name, " with token '", caller.token, "': ", status.error_message());
      if (caller.holds.empty()) {
        EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << where;
        EXPECT_THAT(status.error_message(), StartsWith(method.name)) << where;
      } else if (caller.holds.count(method.needs) == 0) {
        EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << where;
        EXPECT_THAT(status.error_message(),
                    StartsWith(absl::StrCat(method.name, " needs the ", RoleName(method.needs),
                                            " role, which token:")))
            << where;
      } else {
        EXPECT_EQ(status.error_code(), method.allowed) << where;
      }
    }
  }
}

TEST_F(AuthTest, OnlyBearerTokensAreAccepted) {
  for (const std::string& header :
       {std::string("Basic ") + kAdminToken, std::string("Bearer"), std::string("Bearer "),
        std::string("bearer ") + kAdminToken, std::string(kAdminToken)}) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
    context.AddMetadata("authorization", header);
    vigil::v1::ListSensorsResponse response;
    EXPECT_EQ(fleet_->ListSensors(&context, {}, &response).error_code(),
              grpc::StatusCode::UNAUTHENTICATED)
        << header;
  }
}

TEST(AuthDefaultsTest, PlaintextControllerWithoutAnAccessFileLetsEveryoneDoEverything) {
  ControllerOptions options;
  options.listen = "127.0.0.1:0";
  options.db_path = ":memory:";
  options.insecure = true;
  absl::StatusOr<std::unique_ptr<ControllerServer>> server = ControllerServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*server)->port()),
                                     grpc::InsecureChannelCredentials());
  auto link = vigil::v1::SensorLink::NewStub(channel);
  auto alerts = vigil::v1::AlertService::NewStub(channel);
  auto fleet = vigil::v1::FleetService::NewStub(channel);
  for (const Method& method : Methods(link.get(), alerts.get(), fleet.get())) {
    const grpc::Status status = method.call("");
    EXPECT_EQ(status.error_code(), method.allowed) << method.name << ": " << status.error_message();
  }
  (*server)->Shutdown();
}

TEST(AuthDefaultsTest, StartRefusesABadAccessFileAndTlsWithoutCertificates) {
  vigil::testing::TestDir dir("controller-auth");
  ControllerOptions options;
  options.listen = "127.0.0.1:0";
  options.db_path = ":memory:";
  options.insecure = true;
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"# ok\nreader token sha256:abc\n", ":2: a token is given as sha256:<64 hex digits>"},
      {"owner cert x\n", ":1: unknown role 'owner'"},
      {"admin key x\n", ":1: unknown kind 'key'"},
      {"\n\nadmin cert\n", ":3: expected: ROLE cert|token|serviceaccount VALUE"},
  };
  ExpectAccessFilesRefused(dir, options, bad);
  options.access_file = dir.Join("missing.txt");
  EXPECT_FALSE(ControllerServer::Start(options).ok());
  options.access_file.clear();
  options.insecure = false;
  absl::StatusOr<std::unique_ptr<ControllerServer>> tls = ControllerServer::Start(options);
  ASSERT_FALSE(tls.ok());
  EXPECT_EQ(tls.status().code(), absl::StatusCode::kInvalidArgument);
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A controller over mTLS with scripts/dev-ca.sh's certificates and access file.
class MtlsAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_ = dir_.Join("pki");
    const int status = std::system(
        absl::StrCat("bash ", VIGIL_SOURCE_DIR, "/scripts/dev-ca.sh ", pki_, " >/dev/null 2>&1")
            .c_str());
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "dev-ca.sh failed";
    ControllerOptions options;
    options.listen = "127.0.0.1:0";
    options.db_path = dir_.Join("controller.db");
    options.tls_cert = pki_ + "/controller.pem";
    options.tls_key = pki_ + "/controller-key.pem";
    options.tls_ca = pki_ + "/ca.pem";
    options.access_file = pki_ + "/access.txt";
    absl::StatusOr<std::unique_ptr<ControllerServer>> server = ControllerServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  // A channel presenting `leaf`'s certificate ("admin", "reader", "sensor"; empty: none).
  std::shared_ptr<grpc::Channel> Channel(const std::string& leaf) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ReadAll(pki_ + "/ca.pem");
    if (!leaf.empty()) {
      ssl.pem_cert_chain = ReadAll(absl::StrCat(pki_, "/", leaf, ".pem"));
      ssl.pem_private_key = ReadAll(absl::StrCat(pki_, "/", leaf, "-key.pem"));
    }
    return grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                               grpc::SslCredentials(ssl));
  }

  vigil::testing::TestDir dir_{"controller-mtls"};
  std::string pki_;
  std::unique_ptr<ControllerServer> server_;
};

TEST_F(MtlsAuthTest, RolesComeFromClientCertificates) {
  // The sensor certificate (CN=node:<this host>) connects and delivers as this node only.
  char host[256] = {};
  ASSERT_EQ(gethostname(host, sizeof(host) - 1), 0);
  auto sensor_channel = Channel("sensor");
  auto link = vigil::v1::SensorLink::NewStub(sensor_channel);
  {
    SensorStream sensor(link.get(), "");
    ASSERT_TRUE(sensor.Hello(host, host));
    ASSERT_TRUE(sensor.SendAlerts({MakeAlert(1), MakeAlert(2)}));
    EXPECT_EQ(sensor.AwaitAck(2), 2u);
    EXPECT_TRUE(sensor.Close().ok());
  }
  auto sensor_fleet = vigil::v1::FleetService::NewStub(sensor_channel);
  vigil::v1::ListSensorsResponse sensors;
  EXPECT_EQ(sensor_fleet->ListSensors(Context("").get(), {}, &sensors).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // The reader certificate subscribes, queries and lists, but may not change rules.
  auto reader_channel = Channel("reader");
  auto reader_alerts = vigil::v1::AlertService::NewStub(reader_channel);
  auto reader_fleet = vigil::v1::FleetService::NewStub(reader_channel);
  {
    auto context = Context("");
    vigil::v1::SubscribeRequest request;
    request.set_cursor("0");
    auto reader = reader_alerts->Subscribe(context.get(), request);
    vigil::v1::AlertEnvelope envelope;
    ASSERT_TRUE(reader->Read(&envelope));
    EXPECT_EQ(envelope.alert().sequence(), 1u);
    ASSERT_TRUE(reader->Read(&envelope));
    EXPECT_EQ(envelope.alert().sequence(), 2u);
    context->TryCancel();
    while (reader->Read(&envelope)) {
    }
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  vigil::v1::QueryResponse query;
  ASSERT_TRUE(reader_alerts->Query(Context("").get(), {}, &query).ok());
  EXPECT_EQ(query.alerts_size(), 2);
  ASSERT_TRUE(reader_fleet->ListSensors(Context("").get(), {}, &sensors).ok());
  ASSERT_EQ(sensors.sensors_size(), 1);
  EXPECT_EQ(sensors.sensors(0).sensor_id(), host);

  vigil::v1::PutRuleSetRequest put;
  put.add_files()->set_name(kRulesName);
  put.mutable_files(0)->set_content(kRulesText);
  vigil::v1::PutRuleSetResponse put_response;
  grpc::Status status = reader_fleet->PutRuleSet(Context("").get(), put, &put_response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("cert:vigil-reader"));

  // The admin certificate may.
  auto admin_fleet = vigil::v1::FleetService::NewStub(Channel("admin"));
  status = admin_fleet->PutRuleSet(Context("").get(), put, &put_response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(put_response.created());

  // No certificate and no token: the handshake succeeds, every call is UNAUTHENTICATED.
  auto anonymous = Channel("");
  status =
      vigil::v1::FleetService::NewStub(anonymous)->ListSensors(Context("").get(), {}, &sensors);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << status.error_message();
  EXPECT_EQ(ConnectOnce(vigil::v1::SensorLink::NewStub(anonymous).get(), "").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  status = vigil::v1::AlertService::NewStub(anonymous)->Query(Context("").get(), {}, &query);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);

  // The node certificate may not speak for another sensor.
  {
    SensorStream sensor(link.get(), "");
    (void)sensor.Hello("sensor-1", host);
    const grpc::Status status = sensor.Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr(absl::StrCat("cert:node:", host)));
  }
}

grpc::ByteBuffer Bytes(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

std::string Flatten(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  (void)buffer.Dump(&slices);
  std::string out;
  for (const grpc::Slice& s : slices) {
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return out;
}

// grpc.health.v1.Health/Check for `service`, by hand-encoded messages (the health
// protos are not installed).
grpc::Status HealthCheck(grpc::Channel* channel, const std::string& service, int* serving) {
  std::string request;
  if (!service.empty()) {
    request.push_back(0x0a);  // field 1, length-delimited
    request.push_back(static_cast<char>(service.size()));
    request += service;
  }
  grpc::internal::RpcMethod method("/grpc.health.v1.Health/Check",
                                   grpc::internal::RpcMethod::NORMAL_RPC);
  grpc::ByteBuffer response;
  auto context = Context("");
  const grpc::Status status = grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
      channel, method, context.get(), Bytes(request), &response);
  *serving = -1;
  if (status.ok()) {
    google::protobuf::UnknownFieldSet fields;
    if (fields.ParseFromString(Flatten(response))) {
      *serving = 0;  // UNKNOWN, the default
      for (int i = 0; i < fields.field_count(); ++i) {
        if (fields.field(i).number() == 1) *serving = static_cast<int>(fields.field(i).varint());
      }
    }
  }
  return status;
}

TEST_F(AuthTest, HealthServiceAnswersServing) {
  int serving = -1;
  const grpc::Status status = HealthCheck(channel_.get(), "", &serving);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(serving, 1);  // SERVING
  EXPECT_EQ(HealthCheck(channel_.get(), "no.such.Service", &serving).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

// One grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo exchange: the request
// (hand-encoded) and the response's fields.
bool Reflect(grpc::Channel* channel, const std::string& request,
             google::protobuf::UnknownFieldSet* response) {
  grpc::internal::RpcMethod method("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                                   grpc::internal::RpcMethod::BIDI_STREAMING);
  auto context = Context("");
  std::unique_ptr<grpc::ClientReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>> stream(
      grpc::internal::ClientReaderWriterFactory<grpc::ByteBuffer, grpc::ByteBuffer>::Create(
          channel, method, context.get()));
  if (!stream->Write(Bytes(request))) return false;
  stream->WritesDone();
  grpc::ByteBuffer reply;
  const bool got = stream->Read(&reply);
  grpc::ByteBuffer rest;
  while (stream->Read(&rest)) {
  }
  const grpc::Status status = stream->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
  return got && response->ParseFromString(Flatten(reply));
}

// The length-delimited fields numbered `number`.
std::vector<std::string> Field(const google::protobuf::UnknownFieldSet& fields, int number) {
  std::vector<std::string> out;
  for (int i = 0; i < fields.field_count(); ++i) {
    if (fields.field(i).number() == number &&
        fields.field(i).type() == google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
      out.push_back(fields.field(i).length_delimited());
    }
  }
  return out;
}

TEST_F(AuthTest, ReflectionListsTheServicesAndDescribesThem) {
  google::protobuf::UnknownFieldSet response;
  // list_services (field 7) = "".
  ASSERT_TRUE(Reflect(channel_.get(), std::string("\x3a\x00", 2), &response));
  std::vector<std::string> names;
  for (const std::string& list : Field(response, 6)) {  // list_services_response
    google::protobuf::UnknownFieldSet services;
    ASSERT_TRUE(services.ParseFromString(list));
    for (const std::string& service : Field(services, 1)) {
      google::protobuf::UnknownFieldSet name;
      ASSERT_TRUE(name.ParseFromString(service));
      for (const std::string& n : Field(name, 1)) names.push_back(n);
    }
  }
  EXPECT_THAT(names, Contains("vigil.v1.AlertService"));
  EXPECT_THAT(names, Contains("vigil.v1.FleetService"));
  EXPECT_THAT(names, Contains("vigil.v1.SensorLink"));
  EXPECT_THAT(names, Contains("grpc.health.v1.Health"));

  // file_containing_symbol (field 4) = "vigil.v1.AlertService".
  const std::string symbol = "vigil.v1.AlertService";
  std::string request = "\x22";
  request.push_back(static_cast<char>(symbol.size()));
  request += symbol;
  response.Clear();
  ASSERT_TRUE(Reflect(channel_.get(), request, &response));
  std::vector<std::string> descriptor_responses = Field(response, 4);
  ASSERT_EQ(descriptor_responses.size(), 1u);
  google::protobuf::UnknownFieldSet files;
  ASSERT_TRUE(files.ParseFromString(descriptor_responses[0]));
  bool found = false;
  for (const std::string& bytes : Field(files, 1)) {
    google::protobuf::FileDescriptorProto file;
    ASSERT_TRUE(file.ParseFromString(bytes));
    for (const google::protobuf::ServiceDescriptorProto& service : file.service()) {
      if (file.package() == "vigil.v1" && service.name() == "AlertService") {
        found = true;
        EXPECT_EQ(service.method_size(), 2);
      }
    }
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace vigil::controller::testing

// Tests of scripts/dev-ca.sh: the certificates it makes verify against its CA with the
// openssl command, keys are private, a second run keeps them, and vigilctl reaches an mTLS
// server with them (the identity the server sees is the admin certificate's).
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/support/test_dir.h"
#include "vigil/v1/fleet.grpc.pb.h"

namespace vigil::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs a shell command quietly; returns its exit status.
int Shell(const std::string& command) {
  const int status = std::system(absl::StrCat(command, " >/dev/null 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int DevCa(const std::string& args) {
  return Shell(absl::StrCat("bash ", VIGIL_SOURCE_DIR, "/scripts/dev-ca.sh ", args));
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

TEST(DevCaTest, MakesVerifiableCertificatesWithPrivateKeysAndKeepsThemOnRerun) {
  vigil::testing::TestDir dir("dev-ca");
  const std::string ca = dir.Join("pki");
  ASSERT_EQ(DevCa(absl::StrCat(ca, " vigil.example 10.9.8.7")), 0);

  for (const char* leaf : {"controller", "sensor", "admin", "reader"}) {
    const std::string cert = absl::StrCat(ca, "/", leaf, ".pem");
    const std::string key = absl::StrCat(ca, "/", leaf, "-key.pem");
    EXPECT_EQ(Shell(absl::StrCat("openssl verify -CAfile ", ca, "/ca.pem ", cert)), 0) << leaf;
    EXPECT_EQ(ModeOf(key), 0600u) << key;
    EXPECT_EQ(ModeOf(cert), 0644u) << cert;
    EXPECT_THAT(ReadAll(key), StartsWith("-----BEGIN PRIVATE KEY-----")) << key;
  }
  EXPECT_EQ(ModeOf(ca + "/ca-key.pem"), 0600u);
  // Names and uses: the controller serves for the names given, clients are clients.
  const std::string x509 = absl::StrCat("openssl x509 -noout -in ", ca);
  for (const char* check : {"-checkhost localhost", "-checkip 127.0.0.1",
                            "-checkhost vigil.example", "-checkip 10.9.8.7"}) {
    EXPECT_EQ(Shell(absl::StrCat(x509, "/controller.pem ", check, " | grep -q 'does match'")), 0)
        << check;
  }
  EXPECT_EQ(Shell(absl::StrCat(x509, "/admin.pem -subject | grep -q 'CN *= *vigil-admin'")), 0);
  EXPECT_EQ(Shell(absl::StrCat(x509, "/reader.pem -subject | grep -q 'CN *= *vigil-reader'")), 0);
  EXPECT_EQ(Shell(absl::StrCat(x509, "/sensor.pem -subject | grep -q 'CN *= *node:'")), 0);
  EXPECT_EQ(Shell(absl::StrCat("openssl verify -purpose sslclient -CAfile ", ca, "/ca.pem ", ca,
                               "/controller.pem")),
            2);  // a server certificate is not a client's
  EXPECT_EQ(Shell(absl::StrCat("openssl verify -purpose sslclient -CAfile ", ca, "/ca.pem ", ca,
                               "/admin.pem")),
            0);

  const std::string access = ReadAll(ca + "/access.txt");
  EXPECT_THAT(access, HasSubstr("\nadmin  cert  vigil-admin\n"));
  EXPECT_THAT(access, HasSubstr("\nreader cert  vigil-reader\n"));
  EXPECT_THAT(access, HasSubstr("\nsensor cert  node:*\n"));

  // Again with the same names: nothing is replaced.
  const std::string ca_pem = ReadAll(ca + "/ca.pem");
  const std::string controller_pem = ReadAll(ca + "/controller.pem");
  const std::string admin_key = ReadAll(ca + "/admin-key.pem");
  ASSERT_EQ(DevCa(absl::StrCat(ca, " vigil.example 10.9.8.7")), 0);
  EXPECT_EQ(ReadAll(ca + "/ca.pem"), ca_pem);
  EXPECT_EQ(ReadAll(ca + "/controller.pem"), controller_pem);
  EXPECT_EQ(ReadAll(ca + "/admin-key.pem"), admin_key);

  EXPECT_EQ(DevCa(""), 2);
}

// A FleetService that answers ListSensors and records the client certificate's CN.
class CnFleet final : public vigil::v1::FleetService::Service {
 public:
  grpc::Status ListSensors(grpc::ServerContext* context, const vigil::v1::ListSensorsRequest*,
                           vigil::v1::ListSensorsResponse*) override {
    absl::MutexLock lock(&mu);
    for (const grpc::string_ref& cn :
         context->auth_context()->FindPropertyValues("x509_common_name")) {
      names.emplace_back(cn.data(), cn.size());
    }
    return grpc::Status::OK;
  }
  absl::Mutex mu;
  std::vector<std::string> names;
};

TEST(DevCaTest, VigilctlReachesAnMtlsServerWithTheAdminCertificate) {
  vigil::testing::TestDir dir("dev-ca");
  const std::string ca = dir.Join("pki");
  ASSERT_EQ(DevCa(absl::StrCat(ca, " vigil.example")), 0);

  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  ssl.pem_root_certs = ReadAll(ca + "/ca.pem");
  ssl.pem_key_cert_pairs.push_back(
      {ReadAll(ca + "/controller-key.pem"), ReadAll(ca + "/controller.pem")});
  CnFleet fleet;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::SslServerCredentials(ssl), &port);
  builder.RegisterService(&fleet);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);

  auto run = [&](std::vector<std::string> args) {
    args.insert(args.end(), {"--timeout", "5s", "--ca", ca + "/ca.pem", "sensors"});
    absl::StatusOr<CliOptions> options = ParseCliOptions(args, {});
    EXPECT_TRUE(options.ok()) << options.status();
    std::ostringstream out, err;
    const int code = RunAgainstController(*options, out, err, nullptr);
    return std::make_pair(code, err.str());
  };
  const std::string admin_cert = ca + "/admin.pem";
  const std::string admin_key = ca + "/admin-key.pem";
  const std::string by_ip = absl::StrCat("127.0.0.1:", port);
  const std::string by_name = absl::StrCat("localhost:", port);

  EXPECT_EQ(run({"--controller", by_ip, "--cert", admin_cert, "--key", admin_key}).first, kExitOk);
  EXPECT_EQ(run({"--controller", by_name, "--cert", admin_cert, "--key", admin_key}).first,
            kExitOk);
  EXPECT_EQ(run({"--controller", by_ip, "--server-name", "vigil.example", "--cert", admin_cert,
                 "--key", admin_key})
                .first,
            kExitOk);
  {
    absl::MutexLock lock(&fleet.mu);
    EXPECT_THAT(fleet.names, ElementsAre("vigil-admin", "vigil-admin", "vigil-admin"));
  }
  // The server's certificate does not name this; a client without a certificate is refused.
  auto [code, err] = run({"--controller", by_ip, "--server-name", "elsewhere.example", "--cert",
                          admin_cert, "--key", admin_key});
  EXPECT_EQ(code, kExitFailed);
  EXPECT_THAT(err, StartsWith("vigilctl: FleetService.ListSensors: UNAVAILABLE"));
  std::tie(code, err) = run({"--controller", by_ip});
  EXPECT_EQ(code, kExitFailed);
  EXPECT_THAT(err, StartsWith("vigilctl: FleetService.ListSensors: UNAVAILABLE"));
  {
    absl::MutexLock lock(&fleet.mu);
    EXPECT_EQ(fleet.names.size(), 3u);
  }
  server->Shutdown(std::chrono::system_clock::now());
}

}  // namespace
}  // namespace vigil::cli

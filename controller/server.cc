#include "controller/server.h"

#include <time.h>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/log.h"
#include "common/read_file.h"
#include "common/status_macros.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"

namespace vigil::controller {

absl::StatusOr<std::unique_ptr<ControllerServer>> ControllerServer::Start(
    const ControllerOptions& options) {
  std::unique_ptr<ControllerServer> s(new ControllerServer());
  s->options_ = options;
  const bool tls = !options.insecure;
  if (tls && (options.tls_cert.empty() || options.tls_key.empty() || options.tls_ca.empty())) {
    return absl::InvalidArgumentError(
        "TLS needs --tls-cert, --tls-key and --tls-ca (or --insecure for local plaintext)");
  }
  SqliteStoreOptions store_options;
  store_options.durability = options.durability;
  VIGIL_ASSIGN_OR_RETURN(s->store_, SqliteStore::Open(options.db_path, store_options));
  if (options.access_file.empty()) {
    s->auth_ = std::make_unique<Authorizer>(Authorizer::Default(tls));
  } else {
    VIGIL_ASSIGN_OR_RETURN(Authorizer auth, Authorizer::FromFile(options.access_file, tls));
    s->auth_ = std::make_unique<Authorizer>(std::move(auth));
  }
  if (!options.sensor_tokens.keys.empty()) {
    VIGIL_ASSIGN_OR_RETURN(s->sensor_tokens_, SensorTokens::Load(options.sensor_tokens));
    s->auth_->SetTokenVerifier(s->sensor_tokens_->verifier());
  } else if (s->auth_->HasServiceAccountGrants()) {
    return absl::InvalidArgumentError(
        absl::StrCat(options.access_file,
                     " grants service accounts the sensor role: pass --sensor-token-keys "
                     "(\"kubernetes\" in a cluster) so their tokens can be verified"));
  }
  s->fleet_ = std::make_unique<Fleet>(s->store_.get());
  VIGIL_RETURN_IF_ERROR(s->fleet_->Load());
  s->link_ =
      std::make_unique<SensorLinkImpl>(s->store_.get(), &s->hub_, s->fleet_.get(), s->auth_.get());
  s->alerts_ = std::make_unique<AlertServiceImpl>(s->store_.get(), &s->hub_, s->auth_.get());
  s->fleet_service_ = std::make_unique<FleetServiceImpl>(s->fleet_.get(), s->auth_.get());

  std::shared_ptr<grpc::ServerCredentials> creds;
  if (tls) {
    grpc::SslServerCredentialsOptions ssl(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
    VIGIL_ASSIGN_OR_RETURN(std::string cert, ReadSmallFile(options.tls_cert));
    VIGIL_ASSIGN_OR_RETURN(std::string key, ReadSmallFile(options.tls_key));
    VIGIL_ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadSmallFile(options.tls_ca));
    ssl.pem_key_cert_pairs.push_back({key, cert});
    creds = grpc::SslServerCredentials(ssl);
  } else {
    creds = grpc::InsecureServerCredentials();
  }
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, creds, &s->port_);
  builder.RegisterService(s->link_.get());
  builder.RegisterService(s->alerts_.get());
  builder.RegisterService(s->fleet_service_.get());
  // Keepalive the sensors may use: pings every 10 s or more, also between calls.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  builder.SetMaxReceiveMessageSize(16 << 20);
  s->server_ = builder.BuildAndStart();
  if (s->server_ == nullptr || s->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen));
  }
  ControllerServer* raw = s.get();
  if (!options.metrics_address.empty()) {
    s->metrics_ = std::make_unique<ControllerMetrics>(s->fleet_.get(), s->store_.get(),
                                                      s->link_.get(), &s->hub_);
    VIGIL_ASSIGN_OR_RETURN(s->metrics_server_,
                           MetricsServer::Start(
                               options.metrics_address, s->metrics_->registry(),
                               [raw] { return raw->metrics_->NotReadyReason(); },
                               [raw] { raw->metrics_->Collect(); }));
  }
  s->retention_ = std::thread([raw] {
    while (!raw->stop_.WaitForNotificationWithTimeout(
        absl::Seconds(raw->options_.retention_interval_s))) {
      absl::StatusOr<uint64_t> deleted = raw->store_->ApplyRetention(
          raw->options_.retention_age_s * 1000000000LL, raw->options_.retention_bytes);
      if (!deleted.ok()) {
        Log("retention: ", deleted.status().message());
      }
    }
  });
  if (s->sensor_tokens_ != nullptr) {
    s->key_refresh_ = std::thread([raw] {
      while (!raw->stop_.WaitForNotificationWithTimeout(
          absl::Seconds(raw->options_.sensor_tokens.refresh_s))) {
        absl::Status refreshed = raw->sensor_tokens_->Refresh();
        if (!refreshed.ok()) {
          Log("sensor token keys (kept the current ones): ", refreshed.message());
        }
      }
    });
  }
  return s;
}

ControllerServer::~ControllerServer() { Shutdown(); }

void ControllerServer::Wait() { stop_.WaitForNotification(); }

void ControllerServer::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (server_ != nullptr) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  }
  if (retention_.joinable()) retention_.join();
  if (key_refresh_.joinable()) key_refresh_.join();
  if (metrics_server_ != nullptr) metrics_server_->Stop();
}

}  // namespace vigil::controller

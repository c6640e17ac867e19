#include "tests/support/fake_cri_server.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace vigil::testing {

absl::StatusOr<std::unique_ptr<FakeCriServer>> FakeCriServer::Start(const std::string& socket_path,
                                                                    std::string runtime_name) {
  std::unique_ptr<FakeCriServer> fake(new FakeCriServer(std::move(runtime_name)));
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat("unix:", socket_path), grpc::InsecureServerCredentials());
  builder.RegisterService(fake.get());
  fake->server_ = builder.BuildAndStart();
  if (fake->server_ == nullptr) {
    return absl::UnavailableError(absl::StrCat("fake CRI server cannot listen on ", socket_path));
  }
  return fake;
}

FakeCriServer::~FakeCriServer() { Shutdown(); }

void FakeCriServer::Shutdown() {
  if (server_ == nullptr) return;
  server_->Shutdown(std::chrono::system_clock::now());
  server_->Wait();
  server_.reset();
}

void FakeCriServer::AddContainer(const FakeContainer& container) {
  absl::MutexLock lock(&mu_);
  containers_[container.id] = container;
}

void FakeCriServer::SetDelay(absl::Duration delay) {
  absl::MutexLock lock(&mu_);
  delay_ = delay;
}

void FakeCriServer::SetFailure(grpc::StatusCode code) {
  absl::MutexLock lock(&mu_);
  failure_ = code;
}

int FakeCriServer::calls() const {
  absl::MutexLock lock(&mu_);
  return calls_;
}

grpc::Status FakeCriServer::Begin() {
  absl::Duration delay;
  grpc::StatusCode failure;
  {
    absl::MutexLock lock(&mu_);
    ++calls_;
    delay = delay_;
    failure = failure_;
  }
  if (delay > absl::ZeroDuration()) absl::SleepFor(delay);
  if (failure != grpc::StatusCode::OK) return grpc::Status(failure, "fake CRI failure");
  return grpc::Status::OK;
}

grpc::Status FakeCriServer::Version(grpc::ServerContext*, const runtime::v1::VersionRequest*,
                                    runtime::v1::VersionResponse* response) {
  grpc::Status status = Begin();
  if (!status.ok()) return status;
  response->set_version("0.1.0");
  response->set_runtime_name(runtime_name_);
  response->set_runtime_version("1.7.0");
  response->set_runtime_api_version("v1");
  return grpc::Status::OK;
}

grpc::Status FakeCriServer::ContainerStatus(grpc::ServerContext*,
                                            const runtime::v1::ContainerStatusRequest* request,
                                            runtime::v1::ContainerStatusResponse* response) {
  grpc::Status status = Begin();
  if (!status.ok()) return status;
  absl::MutexLock lock(&mu_);
  auto it = containers_.find(request->container_id());
  if (it == containers_.end()) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("container \"", request->container_id(), "\" not found"));
  }
  const FakeContainer& c = it->second;
  runtime::v1::ContainerStatus* s = response->mutable_status();
  s->set_id(c.id);
  s->mutable_metadata()->set_name("app");
  auto& labels = *s->mutable_labels();
  labels["io.kubernetes.pod.name"] = c.pod_name;
  labels["io.kubernetes.pod.namespace"] = c.pod_namespace;
  labels["io.kubernetes.pod.uid"] = c.pod_uid;
  labels["io.kubernetes.container.name"] = "app";
  return grpc::Status::OK;
}

grpc::Status FakeCriServer::ListContainers(grpc::ServerContext*,
                                           const runtime::v1::ListContainersRequest* request,
                                           runtime::v1::ListContainersResponse* response) {
  grpc::Status status = Begin();
  if (!status.ok()) return status;
  absl::MutexLock lock(&mu_);
  for (const auto& [id, c] : containers_) {
    if (!request->filter().id().empty() && request->filter().id() != id) continue;
    runtime::v1::Container* out = response->add_containers();
    out->set_id(id);
    out->set_pod_sandbox_id(c.sandbox_id);
  }
  return grpc::Status::OK;
}

grpc::Status FakeCriServer::PodSandboxStatus(grpc::ServerContext*,
                                             const runtime::v1::PodSandboxStatusRequest* request,
                                             runtime::v1::PodSandboxStatusResponse* response) {
  grpc::Status status = Begin();
  if (!status.ok()) return status;
  absl::MutexLock lock(&mu_);
  for (const auto& [id, c] : containers_) {
    if (c.sandbox_id != request->pod_sandbox_id()) continue;
    runtime::v1::PodSandboxStatus* s = response->mutable_status();
    s->set_id(c.sandbox_id);
    s->mutable_metadata()->set_name(c.pod_name);
    s->mutable_metadata()->set_namespace_(c.pod_namespace);
    s->mutable_metadata()->set_uid(c.pod_uid);
    auto& labels = *s->mutable_labels();
    for (const auto& [k, v] : c.pod_labels) labels[k] = v;
    // kubelet's own labels, which k8s.pod.labels leaves out.
    labels["io.kubernetes.pod.name"] = c.pod_name;
    return grpc::Status::OK;
  }
  return grpc::Status(grpc::StatusCode::NOT_FOUND,
                      absl::StrCat("sandbox \"", request->pod_sandbox_id(), "\" not found"));
}

}  // namespace vigil::testing

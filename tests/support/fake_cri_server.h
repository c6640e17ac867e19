// FakeCriServer: an in-process CRI RuntimeService (the subset in proto/cri/api.proto) on
// a unix socket, standing in for containerd in tests: it knows the containers a test
// adds, and can be made slow or failing.
#ifndef VIGIL_TESTS_SUPPORT_FAKE_CRI_SERVER_H_
#define VIGIL_TESTS_SUPPORT_FAKE_CRI_SERVER_H_

#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cri/api.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace vigil::testing {

// One pod container the fake runtime knows.
struct FakeContainer {
  std::string id;          // full container id
  std::string sandbox_id;  // its pod sandbox
  std::string pod_name;
  std::string pod_namespace;
  std::string pod_uid;
  std::map<std::string, std::string> pod_labels;
};

class FakeCriServer : public runtime::v1::RuntimeService::Service {
 public:
  // Serves on the unix socket at `socket_path` (created; must not exist).
  static absl::StatusOr<std::unique_ptr<FakeCriServer>> Start(
      const std::string& socket_path, std::string runtime_name = "containerd");
  ~FakeCriServer() override;

  void AddContainer(const FakeContainer& container);
  // Every call waits this long before answering (to exceed the client's deadline).
  void SetDelay(absl::Duration delay);
  // Every call fails with `code` (OK: answer normally).
  void SetFailure(grpc::StatusCode code);
  // Calls answered or failed so far (all methods).
  int calls() const;
  // Stops serving (the socket is closed; later calls fail UNAVAILABLE).
  void Shutdown();

  grpc::Status Version(grpc::ServerContext* context, const runtime::v1::VersionRequest* request,
                       runtime::v1::VersionResponse* response) override;
  grpc::Status ContainerStatus(grpc::ServerContext* context,
                               const runtime::v1::ContainerStatusRequest* request,
                               runtime::v1::ContainerStatusResponse* response) override;
  grpc::Status ListContainers(grpc::ServerContext* context,
                              const runtime::v1::ListContainersRequest* request,
                              runtime::v1::ListContainersResponse* response) override;
  grpc::Status PodSandboxStatus(grpc::ServerContext* context,
                                const runtime::v1::PodSandboxStatusRequest* request,
                                runtime::v1::PodSandboxStatusResponse* response) override;

 private:
  explicit FakeCriServer(std::string runtime_name) : runtime_name_(std::move(runtime_name)) {}
  // Counts the call, applies the delay, and returns the configured failure (or OK).
  grpc::Status Begin();

  std::string runtime_name_;
  std::unique_ptr<grpc::Server> server_;
  mutable absl::Mutex mu_;
  std::map<std::string, FakeContainer> containers_ ABSL_GUARDED_BY(mu_);
  absl::Duration delay_ ABSL_GUARDED_BY(mu_);
  grpc::StatusCode failure_ ABSL_GUARDED_BY(mu_) = grpc::StatusCode::OK;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace vigil::testing

#endif  // VIGIL_TESTS_SUPPORT_FAKE_CRI_SERVER_H_

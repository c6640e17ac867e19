// CriClient: a client of the container runtime's CRI RuntimeService (runtime.v1) over
// its unix socket, for the few read-only calls pod enrichment needs.
#ifndef VIGIL_SENSOR_ENRICH_CRI_CLIENT_H_
#define VIGIL_SENSOR_ENRICH_CRI_CLIENT_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cri/api.grpc.pb.h"
#include "sensor/enrich/pod_source.h"

namespace vigil::sensor::enrich {

// Container label keys kubelet sets on every container it creates.
inline constexpr absl::string_view kPodNameLabel = "io.kubernetes.pod.name";
inline constexpr absl::string_view kPodNamespaceLabel = "io.kubernetes.pod.namespace";
inline constexpr absl::string_view kPodUidLabel = "io.kubernetes.pod.uid";

// Every call carries its own deadline and never waits for the runtime to come up: a
// runtime that is down fails the call at once (UNAVAILABLE), a slow one after the
// deadline (DEADLINE_EXCEEDED). Errors name the socket and the call. Thread-compatible
// (gRPC channels are thread-safe; the client holds no other state).
class CriClient : public PodSource {
 public:
  // A client of the runtime at `socket`: a path ("/run/containerd/containerd.sock") or a
  // "unix://" URI. Connects lazily.
  CriClient(absl::string_view socket, absl::Duration deadline);

  // The runtime's name and version.
  absl::StatusOr<runtime::v1::VersionResponse> Version();
  // The status (with labels) of one container; NOT_FOUND when the runtime has no such
  // container.
  absl::StatusOr<runtime::v1::ContainerStatus> ContainerStatus(absl::string_view container_id);
  // The containers whose id is `container_id` (ListContainers with an id filter).
  absl::StatusOr<std::vector<runtime::v1::Container>> ListContainersById(
      absl::string_view container_id);
  // The status (metadata, labels) of one pod sandbox.
  absl::StatusOr<runtime::v1::PodSandboxStatus> PodSandboxStatus(absl::string_view sandbox_id);

  // ContainerStatus for the pod's name, namespace and UID (kubelet's labels), then
  // ListContainers for the sandbox id and PodSandboxStatus for the pod's labels.
  absl::StatusOr<PodInfo> PodOfContainer(absl::string_view container_id) override;

  // The target URI ("unix:///run/containerd/containerd.sock").
  const std::string& target() const { return target_; }

 private:
  absl::Status Error(absl::string_view call, const grpc::Status& status) const;
  // One unary call with the client's deadline: `rpc(context, &response)` sends the request.
  template <typename Response, typename Rpc>
  absl::StatusOr<Response> Call(absl::string_view name, Rpc rpc) const {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::microseconds(absl::ToInt64Microseconds(deadline_)));
    Response response;
    const grpc::Status status = rpc(&context, &response);
    if (!status.ok()) return Error(name, status);
    return response;
  }

  std::string target_;
  absl::Duration deadline_;
  std::unique_ptr<runtime::v1::RuntimeService::Stub> stub_;
};

}  // namespace vigil::sensor::enrich

#endif  // VIGIL_SENSOR_ENRICH_CRI_CLIENT_H_

#include "sensor/enrich/cri_client.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "grpcpp/grpcpp.h"

namespace vigil::sensor::enrich {
namespace {

constexpr absl::string_view kKubeletLabelPrefix = "io.kubernetes.";

const std::string* MapValue(const google::protobuf::Map<std::string, std::string>& map,
                            absl::string_view key) {
  auto it = map.find(std::string(key));
  return it == map.end() ? nullptr : &it->second;
}

}  // namespace

void SetPodLabels(std::vector<std::pair<std::string, std::string>> labels, PodInfo* pod) {
  labels.erase(std::remove_if(
                   labels.begin(), labels.end(),
                   [](const auto& kv) { return absl::StartsWith(kv.first, kKubeletLabelPrefix); }),
               labels.end());
  std::sort(labels.begin(), labels.end());
  pod->labels_text = absl::StrJoin(labels, ",", absl::PairFormatter("="));
  pod->labels = std::move(labels);
}

CriClient::CriClient(absl::string_view socket, absl::Duration deadline)
    : target_(absl::StartsWith(socket, "unix:") ? std::string(socket)
                                                : absl::StrCat("unix://", socket)),
      deadline_(deadline) {
  grpc::ChannelArguments args;
  // Responses are small; a runtime returning something huge is cut off, not buffered.
  args.SetMaxReceiveMessageSize(4 << 20);
  stub_ = runtime::v1::RuntimeService::NewStub(
      grpc::CreateCustomChannel(target_, grpc::InsecureChannelCredentials(), args));
}

absl::Status CriClient::Error(absl::string_view call, const grpc::Status& status) const {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat("CRI ", call, " at ", target_, ": ", status.error_message()));
}

absl::StatusOr<runtime::v1::VersionResponse> CriClient::Version() {
  runtime::v1::VersionRequest request;
  request.set_version("v1");
  return Call<runtime::v1::VersionResponse>(
      "Version", [&](auto* ctx, auto* out) { return stub_->Version(ctx, request, out); });
}

absl::StatusOr<runtime::v1::ContainerStatus> CriClient::ContainerStatus(
    absl::string_view container_id) {
  runtime::v1::ContainerStatusRequest request;
  request.set_container_id(std::string(container_id));
  VIGIL_ASSIGN_OR_RETURN(
      runtime::v1::ContainerStatusResponse response,
      Call<runtime::v1::ContainerStatusResponse>("ContainerStatus", [&](auto* ctx, auto* out) {
        return stub_->ContainerStatus(ctx, request, out);
      }));
  if (!response.has_status()) {
    return absl::NotFoundError(
        absl::StrCat("CRI ContainerStatus at ", target_, ": no status for ", container_id));
  }
  return std::move(*response.mutable_status());
}

absl::StatusOr<std::vector<runtime::v1::Container>> CriClient::ListContainersById(
    absl::string_view container_id) {
  runtime::v1::ListContainersRequest request;
  request.mutable_filter()->set_id(std::string(container_id));
  VIGIL_ASSIGN_OR_RETURN(
      runtime::v1::ListContainersResponse response,
      Call<runtime::v1::ListContainersResponse>("ListContainers", [&](auto* ctx, auto* out) {
        return stub_->ListContainers(ctx, request, out);
      }));
  return std::vector<runtime::v1::Container>(response.containers().begin(),
                                             response.containers().end());
}

absl::StatusOr<runtime::v1::PodSandboxStatus> CriClient::PodSandboxStatus(
    absl::string_view sandbox_id) {
  runtime::v1::PodSandboxStatusRequest request;
  request.set_pod_sandbox_id(std::string(sandbox_id));
  VIGIL_ASSIGN_OR_RETURN(
      runtime::v1::PodSandboxStatusResponse response,
      Call<runtime::v1::PodSandboxStatusResponse>("PodSandboxStatus", [&](auto* ctx, auto* out) {
        return stub_->PodSandboxStatus(ctx, request, out);
      }));
  return std::move(*response.mutable_status());
}

absl::StatusOr<PodInfo> CriClient::PodOfContainer(absl::string_view container_id) {
  VIGIL_ASSIGN_OR_RETURN(runtime::v1::ContainerStatus container, ContainerStatus(container_id));
  const std::string* name = MapValue(container.labels(), kPodNameLabel);
  const std::string* ns = MapValue(container.labels(), kPodNamespaceLabel);
  if (name == nullptr || ns == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("container ", container_id, " has no pod labels (not a Kubernetes pod)"));
  }
  PodInfo pod;
  pod.name = *name;
  pod.namespace_name = *ns;
  if (const std::string* uid = MapValue(container.labels(), kPodUidLabel)) pod.uid = *uid;

  VIGIL_ASSIGN_OR_RETURN(std::vector<runtime::v1::Container> listed,
                         ListContainersById(container_id));
  std::string sandbox_id;
  for (const runtime::v1::Container& c : listed) {
    if (c.id() == container_id) sandbox_id = c.pod_sandbox_id();
  }
  if (sandbox_id.empty() && listed.size() == 1) sandbox_id = listed[0].pod_sandbox_id();
  if (sandbox_id.empty()) {
    return absl::NotFoundError(absl::StrCat("CRI ListContainers at ", target_,
                                            ": no sandbox for container ", container_id));
  }
  VIGIL_ASSIGN_OR_RETURN(runtime::v1::PodSandboxStatus sandbox, PodSandboxStatus(sandbox_id));
  if (sandbox.has_metadata()) {
    if (!sandbox.metadata().name().empty()) pod.name = sandbox.metadata().name();
    if (!sandbox.metadata().namespace_().empty()) {
      pod.namespace_name = sandbox.metadata().namespace_();
    }
    if (!sandbox.metadata().uid().empty()) pod.uid = sandbox.metadata().uid();
  }
  SetPodLabels({sandbox.labels().begin(), sandbox.labels().end()}, &pod);
  return pod;
}

}  // namespace vigil::sensor::enrich

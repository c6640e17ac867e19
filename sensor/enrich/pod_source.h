// PodInfo and PodSource: what the sensor knows about a container's pod, and where it
// asks (the CRI runtime in production, fakes in tests).
#ifndef VIGIL_SENSOR_ENRICH_POD_SOURCE_H_
#define VIGIL_SENSOR_ENRICH_POD_SOURCE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vigil::sensor::enrich {

// The Kubernetes pod a container belongs to.
struct PodInfo {
  std::string name;
  std::string namespace_name;
  std::string uid;
  // The pod's labels sorted by key (kubelet's own io.kubernetes.* bookkeeping labels
  // left out), and the same as text "k=v,k2=v2" (k8s.pod.labels).
  std::vector<std::pair<std::string, std::string>> labels;
  std::string labels_text;

  // The value of label `key`, or null.
  const std::string* Label(absl::string_view key) const {
    for (const auto& [k, v] : labels) {
      if (k == key) return &v;
    }
    return nullptr;
  }
};

// Sorts `labels`, drops kubelet's io.kubernetes.* keys and fills labels_text.
void SetPodLabels(std::vector<std::pair<std::string, std::string>> labels, PodInfo* pod);

// Answers "which pod is container <id> in?".
class PodSource {
 public:
  virtual ~PodSource() = default;
  // The pod of the container with this full id. NOT_FOUND when the runtime does not know
  // the container (or it is not in a pod); other errors when the runtime could not be
  // asked (UNAVAILABLE, DEADLINE_EXCEEDED, ...).
  virtual absl::StatusOr<PodInfo> PodOfContainer(absl::string_view container_id) = 0;
};

}  // namespace vigil::sensor::enrich

#endif  // VIGIL_SENSOR_ENRICH_POD_SOURCE_H_

// TokenHistory: which pod currently speaks for each node, so that a superseded pod's
// service-account token is refused even while it has not expired.
//
// A bound service-account token names its pod. When a DaemonSet pod is replaced, the
// new pod's tokens are issued after the old pod's; from the first stream of the new pod
// on, the old pod is retired for its node and any token of it — a copy that leaked, or a
// pod that should be gone — is refused as a replay. Offline verification cannot learn
// that Kubernetes deleted a pod; this closes most of that window without calling the API
// server. The history lives in memory (it starts empty when the controller restarts) and
// is bounded.
#ifndef VIGIL_CONTROLLER_IDENTITY_TOKEN_HISTORY_H_
#define VIGIL_CONTROLLER_IDENTITY_TOKEN_HISTORY_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace vigil::controller {

class TokenHistory {
 public:
  // Nodes tracked at most; beyond it new nodes are admitted without history.
  static constexpr size_t kMaxNodes = 1 << 16;
  // Retired pods remembered per node.
  static constexpr size_t kRetiredPerNode = 8;

  // Admits a token of pod `pod_uid` issued at `issued_at_s` for `node`, or refuses it
  // (PERMISSION_DENIED, naming both pods) when that pod was retired for the node or a
  // newer pod's token was already admitted for it.
  absl::Status Admit(const std::string& node, const std::string& pod_uid, int64_t issued_at_s)
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct NodeHistory {
    std::string pod_uid;               // the pod speaking for the node now
    int64_t issued_at_s = 0;           // the newest of its tokens admitted
    std::vector<std::string> retired;  // oldest first
  };
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, NodeHistory> nodes_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vigil::controller

#endif  // VIGIL_CONTROLLER_IDENTITY_TOKEN_HISTORY_H_

#include "controller/identity/token_history.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace vigil::controller {

absl::Status TokenHistory::Admit(const std::string& node, const std::string& pod_uid,
                                 int64_t issued_at_s) {
  absl::MutexLock lock(&mu_);
  auto it = nodes_.find(node);
  if (it == nodes_.end()) {
    if (nodes_.size() >= kMaxNodes) return absl::OkStatus();
    nodes_[node] = NodeHistory{pod_uid, issued_at_s, {}};
    return absl::OkStatus();
  }
  NodeHistory& h = it->second;
  if (h.pod_uid == pod_uid) {
    h.issued_at_s = std::max(h.issued_at_s, issued_at_s);
    return absl::OkStatus();
  }
  if (std::find(h.retired.begin(), h.retired.end(), pod_uid) != h.retired.end()) {
    return absl::PermissionDeniedError(absl::StrCat("a token of pod ", pod_uid, ", which pod ",
                                                    h.pod_uid, " has replaced on node ", node,
                                                    ": a superseded credential replayed"));
  }
  if (issued_at_s <= h.issued_at_s) {
    return absl::PermissionDeniedError(
        absl::StrCat("a token of pod ", pod_uid, " issued at ", issued_at_s,
                     ", before the token of pod ", h.pod_uid, " already admitted for node ", node,
                     " (issued at ", h.issued_at_s, "): an older pod's credential replayed"));
  }
  h.retired.push_back(std::move(h.pod_uid));
  if (h.retired.size() > kRetiredPerNode) h.retired.erase(h.retired.begin());
  h.pod_uid = pod_uid;
  h.issued_at_s = issued_at_s;
  return absl::OkStatus();
}

}  // namespace vigil::controller

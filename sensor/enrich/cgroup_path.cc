#include "sensor/enrich/cgroup_path.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"

namespace vigil::sensor::enrich {
namespace {

constexpr size_t kIdLength = 64;
constexpr size_t kUidLength = 36;  // 8-4-4-4-12

bool IsHexId(absl::string_view s) {
  if (s.size() != kIdLength) return false;
  for (char c : s) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// A pod UID in canonical form (dashes, hex), from `raw` where the systemd driver writes
// '_' for '-'. Empty when `raw` is not one.
std::string NormalizeUid(absl::string_view raw) {
  if (raw.size() != kUidLength) return {};
  std::string uid(raw);
  for (size_t i = 0; i < uid.size(); ++i) {
    const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_position) {
      if (uid[i] != '-' && uid[i] != '_') return {};
      uid[i] = '-';
    } else if (!absl::ascii_isxdigit(static_cast<unsigned char>(uid[i]))) {
      return {};
    }
  }
  return absl::AsciiStrToLower(uid);
}

// The pod UID named by one path component, or empty.
std::string PodUidOf(absl::string_view component) {
  // cgroupfs: "pod<uid>".
  if (absl::StartsWith(component, "pod")) {
    std::string uid = NormalizeUid(component.substr(3));
    if (!uid.empty()) return uid;
  }
  // systemd: "kubepods-<qos>-pod<uid>.slice" or "kubepods-pod<uid>.slice".
  if (absl::ConsumeSuffix(&component, ".slice")) {
    const size_t at = component.rfind("-pod");
    if (at != absl::string_view::npos) return NormalizeUid(component.substr(at + 4));
  }
  return {};
}

// The container named by one component: its id and runtime, or false.
bool ContainerOf(absl::string_view component, bool under_docker, std::string* id,
                 Runtime* runtime) {
  absl::ConsumeSuffix(&component, ".scope");
  struct Prefix {
    absl::string_view text;
    Runtime runtime;
  };
  static constexpr Prefix kPrefixes[] = {
      {"cri-containerd-", Runtime::kContainerd},
      {"crio-", Runtime::kCrio},
      {"docker-", Runtime::kDocker},
  };
  for (const Prefix& p : kPrefixes) {
    absl::string_view rest = component;
    if (absl::ConsumePrefix(&rest, p.text) && IsHexId(rest)) {
      *id = absl::AsciiStrToLower(rest);
      *runtime = p.runtime;
      return true;
    }
  }
  if (IsHexId(component)) {
    *id = absl::AsciiStrToLower(component);
    *runtime = under_docker ? Runtime::kDocker : Runtime::kUnknown;
    return true;
  }
  return false;
}

}  // namespace

absl::string_view RuntimeName(Runtime runtime) {
  switch (runtime) {
    case Runtime::kHost: return "host";
    case Runtime::kContainerd: return "containerd";
    case Runtime::kCrio: return "cri-o";
    case Runtime::kDocker: return "docker";
    case Runtime::kUnknown: return "unknown";
  }
  return "unknown";
}

CgroupIdentity ParseCgroupPath(absl::string_view path) {
  CgroupIdentity out;
  if (path.size() > kMaxPathBytes) return out;
  bool under_docker = false;
  size_t begin = 0;
  while (begin <= path.size()) {
    size_t end = path.find('/', begin);
    if (end == absl::string_view::npos) end = path.size();
    const absl::string_view component = path.substr(begin, end - begin);
    begin = end + 1;
    if (component.empty()) continue;
    std::string id;
    Runtime runtime;
    if (ContainerOf(component, under_docker, &id, &runtime)) {
      // The innermost container wins (a nested one replaces its parent).
      out.container_id = std::move(id);
      out.runtime = runtime;
      continue;
    }
    if (component == "docker" || component == "docker.slice") under_docker = true;
    // A pod's cgroup encloses its containers: only a pod before any container counts.
    if (out.container_id.empty()) {
      std::string uid = PodUidOf(component);
      if (!uid.empty()) out.pod_uid = std::move(uid);
    }
  }
  return out;
}

ProcCgroup ParseProcCgroup(absl::string_view text) {
  ProcCgroup out;
  if (text.size() > kMaxFileBytes) text = text.substr(0, kMaxFileBytes);
  CgroupIdentity unified;
  CgroupIdentity first_v1_container;
  std::string any_pod_uid;
  size_t lines = 0;
  while (!text.empty() && lines < kMaxLines) {
    ++lines;
    size_t eol = text.find('\n');
    absl::string_view line = text.substr(0, eol);
    text = eol == absl::string_view::npos ? absl::string_view() : text.substr(eol + 1);
    // "hierarchy-id:controllers:path"; the path may itself contain ':'.
    const size_t c1 = line.find(':');
    if (c1 == absl::string_view::npos) continue;
    const size_t c2 = line.find(':', c1 + 1);
    if (c2 == absl::string_view::npos) continue;
    const absl::string_view hierarchy = line.substr(0, c1);
    const absl::string_view controllers = line.substr(c1 + 1, c2 - c1 - 1);
    const absl::string_view path = line.substr(c2 + 1);
    if (path.empty() || path[0] != '/') continue;
    const bool is_unified = hierarchy == "0" && controllers.empty();
    CgroupIdentity identity = ParseCgroupPath(path);
    if (any_pod_uid.empty()) any_pod_uid = identity.pod_uid;
    if (is_unified) {
      out.has_unified = true;
      unified = std::move(identity);
    } else {
      out.has_v1 = true;
      if (identity.is_container() && !first_v1_container.is_container()) {
        first_v1_container = std::move(identity);
      }
    }
  }
  if (unified.is_container()) {
    out.identity = std::move(unified);
    out.unified_names_container = true;
  } else if (first_v1_container.is_container()) {
    out.identity = std::move(first_v1_container);
  } else {
    out.identity.pod_uid = std::move(any_pod_uid);
  }
  return out;
}

}  // namespace vigil::sensor::enrich

// The kernel filter of a compiled rule set: the event types its enabled rules can match and,
// for opens, the path prefixes and hidden files they can need (rules/kernel_filter.h).
#include "rules/kernel_filter.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "absl/strings/match.h"
#include "event/modules/file.h"
#include "rules/glob.h"
#include "rules/rule_set.h"

namespace vigil::rules {
namespace {

// The paths an open event can have when a plan node is true (see the header).
struct PathReq {
  bool any = true;  // no constraint
  bool hidden = false;
  std::vector<std::string> prefixes;
  std::vector<std::string> identities;  // paths whose files are allowed by identity
};

}  // namespace

// Reads a RuleSet's plan to derive its kernel filter. Friend of RuleSet.
class KernelFilterBuilder {
  using Node = RuleSet::Node;

 public:
  explicit KernelFilterBuilder(const RuleSet& set) : set_(set) {}

  // The filter of the set's enabled rules.
  KernelFilter Build() const {
    KernelFilter filter;
    uint32_t identity_types = 0;  // types some rule constrains by identity
    // Prefixes by the event type that needs them: a type that needs every path adds none.
    std::vector<std::string> by_type[event::kEventTypeLimit];
    for (const CompiledRule& rule : set_.rules_) {
      if (!rule.enabled) continue;
      filter.event_mask |= rule.event_mask;
      for (int t = 0; t < event::kEventTypeLimit; ++t) {
        const uint32_t kind = 1u << t;
        if ((rule.event_mask & kind & kPathFiltered) == 0) continue;
        PathReq req = AnalyzePaths(rule.root, kind);
        if (req.any && kind == kOpens) filter.all_files = true;
        if (req.any && kind != kOpens) filter.all_paths_types |= kind;
        filter.hidden |= req.hidden;
        by_type[t].insert(by_type[t].end(), req.prefixes.begin(), req.prefixes.end());
        if (req.identities.empty()) continue;
        identity_types |= kind;
        filter.identity_paths.insert(filter.identity_paths.end(), req.identities.begin(),
                                     req.identities.end());
      }
    }
    std::vector<std::string>& identities = filter.identity_paths;
    // The identity set is of no use when every type it serves passes on any path.
    const uint32_t unfiltered = (filter.all_files ? kOpens : 0) | filter.all_paths_types;
    if ((identity_types & ~unfiltered) == 0) identities.clear();
    std::sort(identities.begin(), identities.end());
    identities.erase(std::unique(identities.begin(), identities.end()), identities.end());
    // Renames and removals of the listed paths reach user space, which re-resolves the
    // identities at once: the replaced file's inode number is free for the next new file.
    if (!identities.empty()) {
      for (event::EventType type : {event::kRename, event::kUnlink}) {
        filter.event_mask |= EventBit(type);
        std::vector<std::string>& prefixes = by_type[static_cast<int>(type)];
        prefixes.insert(prefixes.end(), identities.begin(), identities.end());
      }
    }
    std::map<std::string, uint32_t>& types = filter.prefix_types;
    for (int t = 0; t < event::kEventTypeLimit; ++t) {
      const uint32_t kind = 1u << t;
      if (kind == kOpens ? filter.all_files : (filter.all_paths_types & kind) != 0) continue;
      for (const std::string& p : by_type[t]) types[p] |= kind;
    }
    // A prefix is redundant under a shorter one that already passes all of its types.
    for (auto it = types.begin(); it != types.end();) {
      uint32_t covered = 0;
      for (auto up = types.begin(); up != it; ++up) {
        if (absl::StartsWith(it->first, up->first)) covered |= up->second;
      }
      it = (it->second & ~covered) == 0 ? types.erase(it) : std::next(it);
    }
    for (const auto& [prefix, kinds] : types) filter.path_prefixes.push_back(prefix);
    return filter;
  }

 private:
  static constexpr uint32_t kOpens = EventBit(event::kOpen);
  // The event types the kernel filters by path.
  static constexpr uint32_t kPathFiltered = kOpens | event::kFileOpEvents;

  // The paths an event of the types in `kind` can have when node `index` is true.
  PathReq AnalyzePaths(uint32_t index, uint32_t kind) const {
    const Node& node = set_.nodes_[index];
    PathReq req;
    if ((node.mask & kind) == 0) {
      req.any = false;
      return req;
    }
    switch (node.kind) {
      case Node::Kind::kAnd:
        for (uint32_t c : node.children) {
          PathReq sub = AnalyzePaths(c, kind);
          if (!sub.any) return sub;
        }
        return req;
      case Node::Kind::kOr:
        req.any = false;
        for (uint32_t c : node.children) {
          PathReq sub = AnalyzePaths(c, kind);
          if (sub.any) return sub;
          req.hidden |= sub.hidden;
          req.prefixes.insert(req.prefixes.end(), sub.prefixes.begin(), sub.prefixes.end());
          req.identities.insert(req.identities.end(), sub.identities.begin(), sub.identities.end());
        }
        return req;
      case Node::Kind::kNot:
      case Node::Kind::kExists: return req;
      case Node::Kind::kCompare: break;
    }
    // Only `in`: the listed paths' files, through the kernel's identity set. An operation
    // whose file the kernel cannot tell (a path operation by name where neither the
    // security_path_* hooks nor the inode-timestamp tracepoints attach) has no identity in
    // user space either, so the set loses nothing a rule could match.
    if (node.field->type == FieldType::kFile) {
      req.any = false;
      const std::vector<std::string>& paths = set_.file_identities().paths();
      for (int64_t i : node.numbers) req.identities.push_back(paths[static_cast<size_t>(i)]);
      return req;
    }
    const absl::string_view name = node.field->name;
    const bool is_name = name == "fd.name" || name == "fs.path.name" || name == "fs.path.source" ||
                         name == "fs.path.target";
    if (name == "fd.hidden" || name == "fs.path.hidden") {
      const bool want_hidden = node.numbers[0] == (node.op == CompareOp::kEq ? 1 : 0);
      if (want_hidden) {
        req.any = false;
        req.hidden = true;
      }
      return req;
    }
    if (!is_name && name != "fd.directory") return req;
    std::vector<std::string> prefixes;
    switch (node.op) {
      case CompareOp::kEq:
      case CompareOp::kIn:
        for (const std::string& s : node.strings) {
          prefixes.push_back(is_name || absl::EndsWith(s, "/") ? s : s + "/");
        }
        break;
      case CompareOp::kStartsWith: prefixes.push_back(node.strings[0]); break;
      case CompareOp::kPMatch:
        for (const std::string& s : node.strings) prefixes.push_back(s.empty() ? "/" : s);
        break;
      case CompareOp::kGlob: prefixes.push_back(GlobLiteralPrefix(node.strings[0])); break;
      default: return req;
    }
    for (const std::string& p : prefixes) {
      if (p.empty()) return req;  // matches every path
    }
    req.any = false;
    req.prefixes = std::move(prefixes);
    return req;
  }

  const RuleSet& set_;
};

KernelFilter ComputeKernelFilter(const RuleSet& set) { return KernelFilterBuilder(set).Build(); }

}  // namespace vigil::rules

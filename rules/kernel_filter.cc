// The kernel filter of a compiled rule set: the event types its enabled rules can match and,
// for opens, the path prefixes and hidden files they can need (rules/kernel_filter.h).
#include "rules/kernel_filter.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
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
    for (const CompiledRule& rule : set_.rules_) {
      if (!rule.enabled) continue;
      filter.event_mask |= rule.event_mask;
      if ((rule.event_mask & EventBit(event::kOpen)) == 0) continue;
      PathReq req = AnalyzePaths(rule.root);
      if (req.any) filter.all_files = true;
      filter.hidden |= req.hidden;
      filter.path_prefixes.insert(filter.path_prefixes.end(), req.prefixes.begin(),
                                  req.prefixes.end());
      filter.identity_paths.insert(filter.identity_paths.end(), req.identities.begin(),
                                   req.identities.end());
    }
    std::vector<std::string>& prefixes = filter.path_prefixes;
    std::vector<std::string>& identities = filter.identity_paths;
    if (filter.all_files) {
      prefixes.clear();
      identities.clear();
      return filter;
    }
    std::sort(identities.begin(), identities.end());
    identities.erase(std::unique(identities.begin(), identities.end()), identities.end());
    std::sort(prefixes.begin(), prefixes.end());
    std::vector<std::string> kept;
    for (std::string& p : prefixes) {
      if (!kept.empty() && absl::StartsWith(p, kept.back())) continue;
      kept.push_back(std::move(p));
    }
    prefixes = std::move(kept);
    return filter;
  }

 private:
  // The paths an open event can have when node `index` is true.
  PathReq AnalyzePaths(uint32_t index) const {
    const Node& node = set_.nodes_[index];
    PathReq req;
    if ((node.mask & EventBit(event::kOpen)) == 0) {
      req.any = false;
      return req;
    }
    switch (node.kind) {
      case Node::Kind::kAnd:
        for (uint32_t c : node.children) {
          PathReq sub = AnalyzePaths(c);
          if (!sub.any) return sub;
        }
        return req;
      case Node::Kind::kOr:
        req.any = false;
        for (uint32_t c : node.children) {
          PathReq sub = AnalyzePaths(c);
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
    if (node.field->type == FieldType::kFile) {  // only `in`: the listed paths' files
      req.any = false;
      const std::vector<std::string>& paths = set_.file_identities().paths();
      for (int64_t i : node.numbers) req.identities.push_back(paths[static_cast<size_t>(i)]);
      return req;
    }
    const absl::string_view name = node.field->name;
    const bool is_name = name == "fd.name";
    if (name == "fd.hidden") {
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

// The rule compiler, internal to rules/: turns a loaded RuleFileSet into a RuleSet's
// checked, indexed evaluation plan (rules/rule_set.h), then has its kernel filter derived
// (rules/kernel_filter.h). RuleSet::Compile is the entry point.
//
// Compilation (RuleSet::Compile):
//  - Lists are expanded first; an item naming another list stands for its items
//    (recursively; a cycle is an error, "list cycle: a -> b -> a").
//  - Every macro is parsed and checked, even when no rule uses it; a reference is
//    resolved by name wherever the macro is defined. Each macro is compiled once and
//    shared by all its users, so the plan is a DAG. A cycle is an error at the reference
//    that closes it: "macro cycle: a -> b -> a".
//  - Every rule, enabled or not, is parsed and checked; disabled rules stay out of the
//    plan (they never match) but a broken one still rejects the set.
//  - A rule's exceptions become "cond and not ((f1 c1 v1 and f2 c2 v2) or (tuple 2...))";
//    their errors are reported at the exception's location.
//  Any error rejects the whole set with RuleError("file:line:column: reason").
//
// Conditions made of several parts (override: append) are parsed as one text: the
// parts are joined with '\n' and parsed from a private start location, and every location
// in the tree (and in a parse error) is mapped back through the line it falls on to the
// part holding it, so errors point into the right file, line and column.
//
// Values: string and path fields take = != in contains icontains startswith endswith glob
// (paths also pmatch); int, uid and flags fields take = != < <= > >= in with integer
// values (a number, or a bare word or list item that parses as one; for uid fields -1
// means 4294967295, the "unset" id); bool fields take = != with true or false; file fields
// (fd.file) take only `in` (or `= (...)`) with absolute paths, each added to the set's
// FileIdentities and stored in the node as its index there. In `in`
// and `pmatch` lists (and `= (...)`, which is `in`) a bare word naming a list stands for
// its items; other bare words are literal values. evt.type values must be event names
// Vigil produces (execve, clone, procexit, open, openat, openat2, creat,
// open_by_handle_at).
#ifndef VIGIL_RULES_RULE_COMPILER_H_
#define VIGIL_RULES_RULE_COMPILER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rules/condition.h"
#include "rules/fields.h"
#include "rules/rule_collector.h"
#include "rules/rule_items.h"
#include "rules/rule_set.h"
#include "rules/source_location.h"

namespace vigil::rules {

// Builds a RuleSet's plan from a RuleFileSet (see the file comment). Friend of RuleSet. One
// compiler compiles one set: construct it, call Run() once.
class RuleSetCompiler {
 public:
  // `files` must outlive the compiler.
  explicit RuleSetCompiler(const RuleFileSet& files) : files_(files) {}

  // Compiles every list, macro and rule of the files into a new set with its event-type
  // index and kernel filter, or returns the first error.
  absl::StatusOr<std::unique_ptr<RuleSet>> Run();

 private:
  using Node = RuleSet::Node;

  // A value with the text to compare, its kind, and where it was written.
  struct Item {
    absl::string_view text;
    Value::Kind kind;
    int64_t number;
    const SourceLocation* where;
  };

  // Appends a node to the plan; returns its index.
  uint32_t AddNode(Node node);
  // Appends an and/or/not node over `children`, with its event mask.
  uint32_t AddBranch(Node::Kind kind, std::vector<uint32_t> children);
  // The items of list `name`, other lists expanded; `stack` holds the lists being
  // expanded, to report a cycle.
  absl::StatusOr<const std::vector<std::string>*> ExpandList(const std::string& name,
                                                             std::vector<std::string>* stack);
  // The plan node of macro `name` (compiled once), referenced at `where`.
  absl::StatusOr<uint32_t> CompileMacro(const std::string& name, const SourceLocation& where);
  // The plan node of a parsed condition.
  absl::StatusOr<uint32_t> CompileExpr(const Expr& expr);
  // Sets node->field and node->arg for field `name` with [arg].
  absl::Status ResolveField(absl::string_view name, absl::string_view arg,
                            const SourceLocation& where, Node* node);
  // Checks that `op` applies to the field's type.
  absl::Status CheckOp(const FieldInfo& field, CompareOp op, const SourceLocation& where);
  // The plan node of a comparison, its values checked against the field's type.
  absl::StatusOr<uint32_t> CompileCompare(absl::string_view field_name, absl::string_view arg,
                                          CompareOp op, const std::vector<Item>& values,
                                          const SourceLocation& where);
  // Checks a rule's exceptions and appends one node per tuple ("f1 c1 v1 and ...").
  absl::Status CompileExceptions(const RuleItem& item, std::vector<uint32_t>* tuples);
  // Compiles a stateful rule's key fields.
  absl::Status CompileKey(const std::vector<std::string>& by, const SourceLocation& where,
                          CompiledRule* rule);
  // Compiles one rule and appends it to the set.
  absl::Status CompileRule(const RuleItem& item);

  const RuleFileSet& files_;
  std::unique_ptr<RuleSet> set_;
  absl::flat_hash_map<std::string, const ListItem*> lists_;
  std::map<std::string, std::vector<std::string>> expanded_;  // stable addresses
  absl::flat_hash_map<std::string, const MacroItem*> macros_;
  absl::flat_hash_map<std::string, uint32_t> macro_roots_;
  std::vector<std::string> macro_stack_;
};

}  // namespace vigil::rules

#endif  // VIGIL_RULES_RULE_COMPILER_H_

// The syntax tree of a rule condition (Falco's condition language), as produced by
// ParseCondition (rules/condition_parser.h). It records what was written, with source
// locations; resolving macro and list names and checking fields happen later.
#ifndef VIGIL_RULES_CONDITION_H_
#define VIGIL_RULES_CONDITION_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "rules/source_location.h"

namespace vigil::rules {

// Comparison operators, in the order the language lists them.
enum class CompareOp {
  kEq,          // =  (also written ==)
  kNe,          // !=
  kLt,          // <
  kLe,          // <=
  kGt,          // >
  kGe,          // >=
  kIn,          // in (list)
  kContains,    // contains
  kIContains,   // icontains (case-insensitive contains)
  kStartsWith,  // startswith
  kEndsWith,    // endswith
  kGlob,        // glob
  kPMatch,      // pmatch (path prefix match against a list)
};

// The operator as the canonical form writes it ("=", "!=", "in", "startswith", ...).
absl::string_view CompareOpName(CompareOp op);

// A right-hand value as written: a quoted string, a number, or a bare word (a bare word
// may later turn out to be a list name, or be converted by the field's type).
struct Value {
  enum class Kind { kString, kNumber, kBareWord };

  Kind kind = Kind::kString;
  // kString: the content with escapes resolved. kNumber and kBareWord: the text as
  // written (so "04000" stays "04000").
  std::string text;
  // kNumber only: the value ("04000" is octal, so 2048).
  int64_t number = 0;
  // Where the value starts (its opening quote, for a string).
  SourceLocation where;

  // Canonical form: a string double-quoted with \\ \" \n \t escaped, others as written.
  // The parser reads it back as the same value.
  std::string ToString() const;
};

// What an Expr node is.
enum class ExprKind {
  kAnd,        // children[0] and children[1] and ...
  kOr,         // children[0] or children[1] or ...
  kNot,        // not children[0]
  kCompare,    // field op value(s)
  kExists,     // field exists
  kReference,  // a bare identifier (no dot) standing for an expression: a macro name
};

// A node of a condition. Move-only (it owns its children).
struct Expr {
  ExprKind kind = ExprKind::kReference;
  // Where the node starts: the field, the name, the 'not' keyword, or for kAnd/kOr the
  // start of the first operand.
  SourceLocation where;

  // kAnd/kOr: two or more operands. A chain at one level ("a and b and c") is a single
  // node with all operands, which keeps the tree shallow; parentheses ("(a and b) and c")
  // keep their own node. kNot: exactly one.
  std::vector<std::unique_ptr<Expr>> children;

  // kCompare/kExists: the field name, e.g. "proc.aname" (without the [N]).
  std::string field;
  // kCompare/kExists: the text inside [..] after the field, e.g. "2" for proc.aname[2];
  // empty if none.
  std::string field_arg;

  // kCompare: the operator.
  CompareOp op = CompareOp::kEq;
  // kCompare: one value, or the items of a parenthesised list "(a, 'b', 3)" (which in,
  // pmatch and = accept); list_form tells which, so "in (a)" differs from "= a".
  std::vector<Value> values;
  bool list_form = false;

  // kReference: the macro name.
  std::string name;

  // Canonical, fully parenthesised text for tests and debugging: and/or/not nodes are
  // wrapped in parentheses, e.g. "((not a) or (b.c = 1 and d.e in (x, \"y\")))". It
  // parses back to an equal tree.
  std::string ToString() const;
};

}  // namespace vigil::rules

#endif  // VIGIL_RULES_CONDITION_H_

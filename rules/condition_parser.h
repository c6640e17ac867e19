// Parser for rule conditions, Falco's condition language, e.g.
//   evt.type = execve and not proc.name in (bash, "sh") or spawned_shell
//
// Grammar (keywords are case-sensitive; whitespace, newlines included, separates tokens):
//   condition := or
//   or        := and ('or' and)*
//   and       := unary ('and' unary)*
//   unary     := 'not' unary | '(' or ')' | field 'exists' | field OP value
//              | field ('in' | 'pmatch' | '=' | '==') list | macro
//   field     := name with a dot (proc.name, k8s.ns.name), each part a letter then
//                letters, digits or '_'; optionally followed directly by '[ARG]'
//                (proc.aname[2]), ARG having no whitespace, quotes or brackets
//   macro     := a name without a dot (a letter, then letters, digits or '_')
//   OP        := = == != < <= > >= contains icontains startswith endswith glob pmatch
//   list      := '(' (value (',' value)*)? ')'
//   value     := 'quoted' | "quoted" | number | bare word
// Quoted strings take the escapes \\ \' \" \n \t (any other is an error) and may span
// lines. A number is an optional '-' and digits: decimal, or octal when it has a leading
// 0 and more than one digit (04000 is 2048); a leading-0 number with an 8 or 9 is an
// error, and other numeric-looking text (1.5, 0x10, +1) stays a bare word for the field's
// type to interpret. A bare word is a run of characters other than whitespace, control
// characters, ( ) , = and quotes, not starting with < > or !, and not one of the keywords
// and / or / not (quote those). Lists may be empty.
#ifndef VIGIL_RULES_CONDITION_PARSER_H_
#define VIGIL_RULES_CONDITION_PARSER_H_

#include <cstddef>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rules/condition.h"
#include "rules/source_location.h"

namespace vigil::rules {

// Conditions longer than this many bytes are rejected (before any parsing).
inline constexpr size_t kMaxConditionBytes = 64 * 1024;
// Parentheses and 'not's nested deeper than this are rejected, bounding recursion.
inline constexpr int kMaxConditionDepth = 64;

// Parses `text` (a condition as found in a rules file) whose first character is at
// `start`. Locations count bytes: a newline advances the line and resets the column to 1;
// on the first line columns count from start.column (left unknown when that is 0).
// On failure returns RuleError(location, reason) with the location of the offending token
// (for a missing token at the end: just after the last token) and a reason naming what
// was expected and what was found. Never reads outside `text`.
absl::StatusOr<std::unique_ptr<Expr>> ParseCondition(absl::string_view text,
                                                     const SourceLocation& start);

}  // namespace vigil::rules

#endif  // VIGIL_RULES_CONDITION_PARSER_H_

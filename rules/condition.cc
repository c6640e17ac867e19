#include "rules/condition.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace vigil::rules {

absl::string_view CompareOpName(CompareOp op) {
  switch (op) {
    case CompareOp::kEq: return "=";
    case CompareOp::kNe: return "!=";
    case CompareOp::kLt: return "<";
    case CompareOp::kLe: return "<=";
    case CompareOp::kGt: return ">";
    case CompareOp::kGe: return ">=";
    case CompareOp::kIn: return "in";
    case CompareOp::kContains: return "contains";
    case CompareOp::kIContains: return "icontains";
    case CompareOp::kStartsWith: return "startswith";
    case CompareOp::kEndsWith: return "endswith";
    case CompareOp::kGlob: return "glob";
    case CompareOp::kPMatch: return "pmatch";
  }
  return "?";
}

std::string Value::ToString() const {
  if (kind != Kind::kString) return text;
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default: out += c;
    }
  }
  out += '"';
  return out;
}

std::string Expr::ToString() const {
  switch (kind) {
    case ExprKind::kAnd:
    case ExprKind::kOr: {
      std::string out = "(";
      for (size_t i = 0; i < children.size(); ++i) {
        if (i > 0) out += kind == ExprKind::kAnd ? " and " : " or ";
        out += children[i] ? children[i]->ToString() : "<null>";
      }
      out += ")";
      return out;
    }
    case ExprKind::kNot:
      return absl::StrCat(
          "(not ", children.empty() || !children[0] ? "<null>" : children[0]->ToString(), ")");
    case ExprKind::kReference: return name;
    case ExprKind::kExists:
    case ExprKind::kCompare: {
      std::string out = field;
      if (!field_arg.empty()) absl::StrAppend(&out, "[", field_arg, "]");
      if (kind == ExprKind::kExists) return absl::StrCat(out, " exists");
      absl::StrAppend(&out, " ", CompareOpName(op), " ");
      if (!list_form) return absl::StrCat(out, values.empty() ? "<none>" : values[0].ToString());
      out += "(";
      for (size_t i = 0; i < values.size(); ++i) {
        if (i > 0) out += ", ";
        out += values[i].ToString();
      }
      out += ")";
      return out;
    }
  }
  return "<invalid>";
}

}  // namespace vigil::rules

#include "rules/condition_parser.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"

namespace vigil::rules {
namespace {

// Longest token text quoted in an error message.
constexpr size_t kMaxDescribedBytes = 32;

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool IsControl(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u < 0x20 && !IsSpace(c)) || u == 0x7f;
}
bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsNameChar(char c) { return IsLetter(c) || IsDigit(c) || c == '_'; }
bool IsQuote(char c) { return c == '\'' || c == '"'; }
// Characters a bare word (value or operator keyword) is made of.
bool IsBareChar(char c) {
  return !IsSpace(c) && !IsControl(c) && !IsQuote(c) && c != '(' && c != ')' && c != ',' &&
         c != '=';
}
// Characters of a field argument: proc.aname[ARG].
bool IsFieldArgChar(char c) {
  return !IsSpace(c) && !IsControl(c) && !IsQuote(c) && c != '[' && c != ']';
}
bool IsAndOr(absl::string_view word) { return word == "and" || word == "or"; }
bool IsKeywordValue(absl::string_view word) { return IsAndOr(word) || word == "not"; }

// The operator keywords (and 'exists'), which cannot be macro names.
std::optional<CompareOp> WordOperator(absl::string_view word) {
  if (word == "in") return CompareOp::kIn;
  if (word == "contains") return CompareOp::kContains;
  if (word == "icontains") return CompareOp::kIContains;
  if (word == "startswith") return CompareOp::kStartsWith;
  if (word == "endswith") return CompareOp::kEndsWith;
  if (word == "glob") return CompareOp::kGlob;
  if (word == "pmatch") return CompareOp::kPMatch;
  return std::nullopt;
}
bool IsReservedName(absl::string_view word) {
  return IsKeywordValue(word) || word == "exists" || WordOperator(word).has_value();
}

// A field name: parts separated by single dots, each a letter then name characters.
bool IsValidFieldName(absl::string_view name) {
  size_t part_start = 0;
  for (size_t i = 0; i <= name.size(); ++i) {
    if (i < name.size() && name[i] != '.') continue;
    if (i == part_start || !IsLetter(name[part_start])) return false;
    part_start = i + 1;
  }
  return true;
}

// Recursive-descent parser over the raw text (the language is context-sensitive enough
// that values are scanned differently from names, so there is no separate lexer).
class Parser {
 public:
  Parser(absl::string_view text, const SourceLocation& start) : text_(text), start_(start) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < text_.size(); ++i) {
      if (text_[i] == '\n') line_starts_.push_back(i + 1);
    }
  }

  absl::StatusOr<std::unique_ptr<Expr>> Parse() {
    if (text_.size() > kMaxConditionBytes) {
      return RuleError(start_, absl::StrCat("condition too long (", text_.size(),
                                            " bytes, the limit is ", kMaxConditionBytes, ")"));
    }
    SkipSpace();
    if (AtEnd()) return RuleError(start_, "empty condition");
    VIGIL_ASSIGN_OR_RETURN(auto expr, ParseOr(0, ""));
    SkipSpace();
    if (!AtEnd()) {
      if (Peek() == ')') return ErrorAt(pos_, "unexpected ')'");
      return ErrorAt(pos_, absl::StrCat("trailing input after condition: ", Describe(pos_)));
    }
    return expr;
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  void SkipSpace() {
    while (!AtEnd() && IsSpace(text_[pos_])) ++pos_;
  }

  SourceLocation LocationAt(size_t offset) const {
    offset = std::min(offset, text_.size());
    const size_t index = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset) -
                         line_starts_.begin() - 1;
    SourceLocation where = start_;
    if (index == 0) {
      if (where.column > 0) where.column += static_cast<int>(offset);
      return where;
    }
    if (where.line > 0) where.line += static_cast<int>(index);
    where.column = static_cast<int>(offset - line_starts_[index]) + 1;
    return where;
  }

  // Where a token missing at the end belongs: just after the last non-space character.
  SourceLocation EndLocation() const {
    size_t end = text_.size();
    while (end > 0 && IsSpace(text_[end - 1])) --end;
    return LocationAt(end);
  }

  absl::Status ErrorAt(size_t offset, absl::string_view reason) const {
    return RuleError(offset >= text_.size() ? EndLocation() : LocationAt(offset), reason);
  }

  // "line L, column C" for pointing at an earlier token inside a message.
  std::string LineColumn(size_t offset) const {
    const SourceLocation where = LocationAt(offset);
    if (where.line > 0 && where.column > 0) {
      return absl::StrCat("line ", where.line, ", column ", where.column);
    }
    if (where.line > 0) return absl::StrCat("line ", where.line);
    return absl::StrCat("offset ", offset);
  }

  // The token at `offset` for an error message: "end of condition", "end of line",
  // "whitespace", "control character 0x01", or its text in single quotes (shortened).
  std::string Describe(size_t offset) const {
    if (offset >= text_.size()) return "end of condition";
    const char c = text_[offset];
    if (c == '\n') return "end of line";
    if (IsSpace(c)) return "whitespace";
    if (IsControl(c)) {
      return absl::StrFormat("control character 0x%02x", static_cast<unsigned char>(c));
    }
    size_t end = offset + 1;
    if (IsQuote(c)) {
      while (end < text_.size() && text_[end] != c && text_[end] != '\n') {
        end += text_[end] == '\\' ? 2 : 1;
      }
      if (end < text_.size() && text_[end] == c) ++end;
      end = std::min(end, text_.size());
    } else if (c != '(' && c != ')' && c != ',') {
      while (end < text_.size() && !IsSpace(text_[end]) && !IsControl(text_[end]) &&
             !IsQuote(text_[end]) && text_[end] != '(' && text_[end] != ')' && text_[end] != ',') {
        ++end;
      }
    }
    absl::string_view token = text_.substr(offset, end - offset);
    if (token.size() > kMaxDescribedBytes) {
      return absl::StrCat("'", token.substr(0, kMaxDescribedBytes), "...'");
    }
    return absl::StrCat("'", token, "'");
  }

  // The name starting at `offset` (a letter, then letters, digits, '_' and '.'), or empty.
  absl::string_view NameAt(size_t offset) const {
    if (offset >= text_.size() || !IsLetter(text_[offset])) return {};
    size_t end = offset;
    while (end < text_.size() && (IsNameChar(text_[end]) || text_[end] == '.')) ++end;
    return text_.substr(offset, end - offset);
  }

  // The run of bare-word characters starting at `offset` (possibly empty).
  absl::string_view BareWordAt(size_t offset) const {
    size_t end = offset;
    while (end < text_.size() && IsBareChar(text_[end])) ++end;
    return text_.substr(offset, end - offset);
  }

  // The symbolic operator at `offset` ("=", "==", "!=", "<", "<=", ">", ">="), or empty.
  absl::string_view SymbolOperatorAt(size_t offset) const {
    if (offset >= text_.size()) return {};
    const char c = text_[offset];
    if (c != '=' && c != '!' && c != '<' && c != '>') return {};
    const bool then_eq = offset + 1 < text_.size() && text_[offset + 1] == '=';
    if (c == '!' && !then_eq) return {};
    return text_.substr(offset, then_eq ? 2 : 1);
  }

  // The keyword 'and' or 'or' if one is next (after whitespace), else empty.
  absl::string_view PeekAndOr() {
    SkipSpace();
    const absl::string_view word = NameAt(pos_);
    return IsAndOr(word) ? word : absl::string_view();
  }

  static std::unique_ptr<Expr> MakeBinary(ExprKind kind,
                                          std::vector<std::unique_ptr<Expr>> operands) {
    if (operands.size() == 1) return std::move(operands[0]);
    auto node = std::make_unique<Expr>();
    node->kind = kind;
    node->where = operands[0]->where;
    node->children = std::move(operands);
    return node;
  }

  // `after` names the preceding token for messages ("'and'"), empty at the very start.
  absl::StatusOr<std::unique_ptr<Expr>> ParseOr(int depth, absl::string_view after) {
    std::vector<std::unique_ptr<Expr>> operands;
    VIGIL_ASSIGN_OR_RETURN(auto first, ParseAnd(depth, after));
    operands.push_back(std::move(first));
    while (PeekAndOr() == "or") {
      pos_ += 2;
      VIGIL_ASSIGN_OR_RETURN(auto next, ParseAnd(depth, "'or'"));
      operands.push_back(std::move(next));
    }
    return MakeBinary(ExprKind::kOr, std::move(operands));
  }

  absl::StatusOr<std::unique_ptr<Expr>> ParseAnd(int depth, absl::string_view after) {
    std::vector<std::unique_ptr<Expr>> operands;
    VIGIL_ASSIGN_OR_RETURN(auto first, ParseUnary(depth, after));
    operands.push_back(std::move(first));
    while (PeekAndOr() == "and") {
      pos_ += 3;
      VIGIL_ASSIGN_OR_RETURN(auto next, ParseUnary(depth, "'and'"));
      operands.push_back(std::move(next));
    }
    return MakeBinary(ExprKind::kAnd, std::move(operands));
  }

  absl::Status TooDeep(size_t offset) const {
    return ErrorAt(
        offset, absl::StrCat("condition nested too deeply (over ", kMaxConditionDepth, " levels)"));
  }

  absl::StatusOr<std::unique_ptr<Expr>> ParseUnary(int depth, absl::string_view after) {
    SkipSpace();
    const size_t begin = pos_;
    const absl::string_view name = NameAt(pos_);
    if (name == "not") {
      if (depth >= kMaxConditionDepth) return TooDeep(begin);
      pos_ += name.size();
      VIGIL_ASSIGN_OR_RETURN(auto operand, ParseUnary(depth + 1, "'not'"));
      auto node = std::make_unique<Expr>();
      node->kind = ExprKind::kNot;
      node->where = LocationAt(begin);
      node->children.push_back(std::move(operand));
      return node;
    }
    if (Peek() == '(') {
      if (depth >= kMaxConditionDepth) return TooDeep(begin);
      ++pos_;
      VIGIL_ASSIGN_OR_RETURN(auto inner, ParseOr(depth + 1, "'('"));
      SkipSpace();
      if (AtEnd()) {
        return ErrorAt(pos_, absl::StrCat("unbalanced parenthesis: missing ')' for the '(' at ",
                                          LineColumn(begin)));
      }
      if (Peek() != ')') {
        return ErrorAt(pos_, absl::StrCat("expected 'and', 'or' or ')', found ", Describe(pos_)));
      }
      ++pos_;
      return inner;
    }
    if (!name.empty() && !IsReservedName(name)) {
      if (name.find('.') != absl::string_view::npos) return ParseFieldCheck(name);
      return ParseReference(name);
    }
    if (Peek() == ')' && after.empty()) return ErrorAt(pos_, "unexpected ')'");
    if (Peek() == ')' && after == "'('") return ErrorAt(pos_, "empty parentheses");
    return ErrorAt(pos_,
                   absl::StrCat("expected a field, macro name, 'not' or '('",
                                after.empty() ? "" : " after ", after, ", found ", Describe(pos_)));
  }

  absl::StatusOr<std::unique_ptr<Expr>> ParseReference(absl::string_view name) {
    const size_t begin = pos_;
    pos_ += name.size();
    // A dotless name followed by an operator is almost certainly a mistyped field.
    size_t next = pos_;
    while (next < text_.size() && IsSpace(text_[next])) ++next;
    if (next < text_.size()) {
      absl::string_view op = SymbolOperatorAt(next);
      const absl::string_view word = BareWordAt(next);
      if (op.empty() && text_[next] == '[') op = "[";
      if (op.empty() && (word == "exists" || WordOperator(word).has_value())) op = word;
      if (!op.empty()) {
        return ErrorAt(begin, absl::StrCat("expected a field (a name with a dot, like proc.name) "
                                           "before '",
                                           op, "', found '", name, "'"));
      }
    }
    auto node = std::make_unique<Expr>();
    node->kind = ExprKind::kReference;
    node->where = LocationAt(begin);
    node->name = std::string(name);
    return node;
  }

  absl::StatusOr<std::unique_ptr<Expr>> ParseFieldCheck(absl::string_view field) {
    const size_t begin = pos_;
    if (!IsValidFieldName(field)) {
      return ErrorAt(begin, absl::StrCat("malformed field name '", field,
                                         "': expected dot-separated parts each starting with "
                                         "a letter"));
    }
    auto node = std::make_unique<Expr>();
    node->where = LocationAt(begin);
    node->field = std::string(field);
    pos_ += field.size();
    if (Peek() == '[') {
      const size_t arg_begin = pos_ + 1;
      size_t arg_end = arg_begin;
      while (arg_end < text_.size() && IsFieldArgChar(text_[arg_end])) ++arg_end;
      if (arg_end >= text_.size() || text_[arg_end] != ']') {
        return ErrorAt(arg_end, absl::StrCat("expected ']' to close the argument of field '", field,
                                             "', found ", Describe(arg_end)));
      }
      if (arg_end == arg_begin) {
        return ErrorAt(pos_, absl::StrCat("empty argument '[]' after field '", field, "'"));
      }
      node->field_arg = std::string(text_.substr(arg_begin, arg_end - arg_begin));
      pos_ = arg_end + 1;
    }
    const std::string shown =
        node->field_arg.empty() ? node->field : absl::StrCat(field, "[", node->field_arg, "]");

    SkipSpace();
    const size_t op_begin = pos_;
    absl::string_view op_text;
    std::optional<CompareOp> op;
    op_text = SymbolOperatorAt(pos_);
    if (op_text == "=" || op_text == "==") {
      op = CompareOp::kEq;
    } else if (op_text == "!=") {
      op = CompareOp::kNe;
    } else if (op_text == "<" || op_text == "<=") {
      op = op_text == "<" ? CompareOp::kLt : CompareOp::kLe;
    } else if (op_text == ">" || op_text == ">=") {
      op = op_text == ">" ? CompareOp::kGt : CompareOp::kGe;
    } else {
      op_text = BareWordAt(pos_);
      if (op_text == "exists") {
        pos_ += op_text.size();
        return FinishExists(std::move(node));
      }
      op = WordOperator(op_text);
    }
    if (!op.has_value()) {
      return ErrorAt(op_begin, absl::StrCat("expected an operator after field '", shown,
                                            "', found ", Describe(op_begin)));
    }
    pos_ += op_text.size();
    node->kind = ExprKind::kCompare;
    node->op = *op;

    SkipSpace();
    const bool takes_list = *op == CompareOp::kIn || *op == CompareOp::kPMatch;
    if (Peek() == '(') {
      if (!takes_list && *op != CompareOp::kEq) {
        return ErrorAt(pos_, absl::StrCat("'", op_text, "' takes a single value, not a list"));
      }
      node->list_form = true;
      VIGIL_RETURN_IF_ERROR(ParseList(&node->values));
      return node;
    }
    if (takes_list) {
      return ErrorAt(
          pos_, absl::StrCat("'", op_text, "' needs a parenthesised list, found ", Describe(pos_)));
    }
    VIGIL_ASSIGN_OR_RETURN(Value value, ParseValue(absl::StrCat("after '", op_text, "'")));
    node->values.push_back(std::move(value));
    return node;
  }

  absl::StatusOr<std::unique_ptr<Expr>> FinishExists(std::unique_ptr<Expr> node) {
    node->kind = ExprKind::kExists;
    SkipSpace();
    if (!AtEnd() && Peek() != ')' && !IsAndOr(NameAt(pos_))) {
      return ErrorAt(pos_, absl::StrCat("'exists' takes no value, found ", Describe(pos_)));
    }
    return node;
  }

  // Parses "(v1, v2, ...)" at pos_ into *values.
  absl::Status ParseList(std::vector<Value>* values) {
    const size_t open = pos_;
    ++pos_;
    SkipSpace();
    if (Peek() == ')') {
      ++pos_;
      return absl::OkStatus();
    }
    absl::string_view after = "after '(' in list";
    while (true) {
      SkipSpace();
      if (AtEnd()) return MissingListClose(open);
      VIGIL_ASSIGN_OR_RETURN(Value value, ParseValue(after));
      values->push_back(std::move(value));
      SkipSpace();
      if (AtEnd()) return MissingListClose(open);
      if (Peek() == ')') {
        ++pos_;
        return absl::OkStatus();
      }
      if (Peek() != ',') {
        return ErrorAt(pos_, absl::StrCat("expected ',' or ')' in list, found ", Describe(pos_)));
      }
      ++pos_;
      after = "after ',' in list";
    }
  }

  absl::Status MissingListClose(size_t open) const {
    return ErrorAt(text_.size(),
                   absl::StrCat("unbalanced parenthesis: missing ')' to close the list at ",
                                LineColumn(open)));
  }

  // Parses one value at pos_ (after whitespace); `context` ("after '='") is for messages.
  absl::StatusOr<Value> ParseValue(absl::string_view context) {
    SkipSpace();
    const size_t begin = pos_;
    if (IsQuote(Peek())) return ParseQuoted();
    const absl::string_view word = BareWordAt(pos_);
    if (word.empty() || word[0] == '<' || word[0] == '>' || word[0] == '!') {
      return ErrorAt(pos_, absl::StrCat("expected a value ", context, ", found ", Describe(pos_)));
    }
    if (IsKeywordValue(word)) {
      return ErrorAt(pos_, absl::StrCat("expected a value ", context, ", found keyword '", word,
                                        "' (quote it to use it as a string)"));
    }
    Value value;
    value.where = LocationAt(begin);
    value.text = std::string(word);
    VIGIL_ASSIGN_OR_RETURN(value.kind, ClassifyWord(word, &value.number));
    pos_ += word.size();
    return value;
  }

  // A bare word is a number when it is an optional '-' and digits; *number gets its value.
  absl::StatusOr<Value::Kind> ClassifyWord(absl::string_view word, int64_t* number) const {
    const bool negative = word[0] == '-';
    const absl::string_view digits = word.substr(negative ? 1 : 0);
    if (digits.empty() || !std::all_of(digits.begin(), digits.end(), IsDigit)) {
      return Value::Kind::kBareWord;
    }
    const bool octal = digits.size() > 1 && digits[0] == '0';
    const uint64_t base = octal ? 8 : 10;
    // The magnitude may reach 2^63 only when negative.
    const uint64_t limit = negative ? (uint64_t{1} << 63) : (uint64_t{1} << 63) - 1;
    uint64_t magnitude = 0;
    for (char d : digits) {
      const uint64_t digit = static_cast<uint64_t>(d - '0');
      if (digit >= base) {
        return ErrorAt(pos_, absl::StrCat("invalid octal number '", word,
                                          "' (a leading 0 means octal: digits 0-7 only)"));
      }
      if (magnitude > (limit - digit) / base) {
        return ErrorAt(pos_, absl::StrCat("number '", word, "' out of range (64-bit signed)"));
      }
      magnitude = magnitude * base + digit;
    }
    *number = negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
    return Value::Kind::kNumber;
  }

  // Parses a quoted string at pos_, resolving escapes.
  absl::StatusOr<Value> ParseQuoted() {
    const size_t open = pos_;
    const char quote = text_[pos_++];
    Value value;
    value.kind = Value::Kind::kString;
    value.where = LocationAt(open);
    while (true) {
      if (AtEnd()) return ErrorAt(open, "unterminated string");
      const char c = text_[pos_];
      if (c == quote) {
        ++pos_;
        return value;
      }
      if (c != '\\') {
        value.text += c;
        ++pos_;
        continue;
      }
      if (pos_ + 1 >= text_.size()) return ErrorAt(open, "unterminated string");
      const char escaped = text_[pos_ + 1];
      switch (escaped) {
        case '\\': value.text += '\\'; break;
        case '\'': value.text += '\''; break;
        case '"': value.text += '"'; break;
        case 'n': value.text += '\n'; break;
        case 't': value.text += '\t'; break;
        default: {
          const auto u = static_cast<unsigned char>(escaped);
          const std::string shown = u > 0x20 && u < 0x7f
                                        ? absl::StrCat("'\\", std::string(1, escaped), "'")
                                        : absl::StrFormat("(backslash, then byte 0x%02x)", u);
          return ErrorAt(pos_, absl::StrCat("unknown escape ", shown,
                                            " in string (known: \\\\ \\' \\\" \\n \\t)"));
        }
      }
      pos_ += 2;
    }
  }

  const absl::string_view text_;
  const SourceLocation start_;
  std::vector<size_t> line_starts_;  // offset of the first character of each line
  size_t pos_ = 0;                   // the next unread character
};

}  // namespace

absl::StatusOr<std::unique_ptr<Expr>> ParseCondition(absl::string_view text,
                                                     const SourceLocation& start) {
  return Parser(text, start).Parse();
}

}  // namespace vigil::rules

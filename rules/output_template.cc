#include "rules/output_template.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "event/ip.h"

namespace vigil::rules {
namespace {

bool IsFieldChar(char c) { return absl::ascii_isalnum(c) || c == '_' || c == '.'; }

// The location of byte `offset` of a text that starts at `start`.
SourceLocation LocationAt(const TextPart& text, size_t offset) {
  SourceLocation where = text.where;
  for (size_t i = 0; i < offset && i < text.text.size(); ++i) {
    if (text.text[i] == '\n') {
      ++where.line;
      where.column = 1;
    } else if (where.column > 0) {
      ++where.column;
    }
  }
  return where;
}

}  // namespace

void AppendFlagsText(int64_t flags, std::string* out) {
  char buf[32];
  snprintf(buf, sizeof(buf), "0%llo", static_cast<unsigned long long>(flags));
  out->append(buf);
}

void AppendFieldText(const FieldInfo& field, const FieldValue& value, std::string* out) {
  if (!value.present) {
    out->append("<NA>");
    return;
  }
  switch (field.type) {
    case FieldType::kString:
    case FieldType::kPath: out->append(value.str.data(), value.str.size()); return;
    case FieldType::kBool: out->append(value.num != 0 ? "true" : "false"); return;
    case FieldType::kFlags: AppendFlagsText(value.num, out); return;
    case FieldType::kInt:
    case FieldType::kUid: absl::StrAppend(out, value.num); return;
    case FieldType::kFile: absl::StrAppend(out, value.file.dev, ":", value.file.ino); return;
    case FieldType::kIp: out->append(event::FormatIp(value.str)); return;
  }
}

absl::StatusOr<OutputTemplate> OutputTemplate::Compile(const TextPart& text) {
  OutputTemplate tmpl;
  const std::string& s = text.text;
  std::string literal;
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] != '%') {
      literal.push_back(s[i++]);
      continue;
    }
    if (i + 1 < s.size() && s[i + 1] == '%') {
      literal.push_back('%');
      i += 2;
      continue;
    }
    const size_t start = i++;
    while (i < s.size() && IsFieldChar(s[i])) ++i;
    std::string name = s.substr(start + 1, i - start - 1);
    while (!name.empty() && name.back() == '.') {  // "%proc.name." ends a sentence
      name.pop_back();
      --i;
    }
    if (name.empty()) {
      return RuleError(LocationAt(text, start),
                       "'%' must start a field reference (write %% for a literal '%')");
    }
    const FieldInfo* field = FindField(name);
    if (field == nullptr) {
      return RuleError(LocationAt(text, start),
                       absl::StrCat("unknown field '", name, "' in output"));
    }
    FieldArg arg = event::InitialFieldArg(*field);
    std::string full = name;
    if (field->takes_arg) {
      const size_t close = s.find(']', i);
      std::string error = absl::StrCat(
          name, field->key_arg ? " needs a [KEY] argument" : " needs an argument [1..16]");
      if (i >= s.size() || s[i] != '[' || close == std::string::npos ||
          !ParseFieldArg(*field, absl::string_view(s).substr(i + 1, close - i - 1), &arg, &error)) {
        return RuleError(LocationAt(text, start), error);
      }
      full = s.substr(start + 1, close - start);
      i = close + 1;
    }
    int index = -1;
    for (size_t k = 0; k < tmpl.fields_.size(); ++k) {
      if (tmpl.fields_[k].name == full) index = static_cast<int>(k);
    }
    if (index < 0) {
      index = static_cast<int>(tmpl.fields_.size());
      tmpl.fields_.push_back(FieldRef{field, arg, full});
    }
    tmpl.pieces_.push_back(Piece{std::move(literal), index});
    literal.clear();
  }
  if (!literal.empty()) tmpl.pieces_.push_back(Piece{std::move(literal), -1});
  return tmpl;
}

void OutputTemplate::Render(const EventView& view, std::string* out) const {
  for (const Piece& piece : pieces_) {
    out->append(piece.literal);
    if (piece.field < 0) continue;
    const FieldRef& ref = fields_[static_cast<size_t>(piece.field)];
    AppendFieldText(*ref.field, ReadField(*ref.field, view, ref.arg), out);
  }
}

}  // namespace vigil::rules

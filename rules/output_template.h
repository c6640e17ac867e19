// OutputTemplate: a rule's `output` text with %field references, checked when the rule
// set compiles and rendered only when the rule fires.
#ifndef VIGIL_RULES_OUTPUT_TEMPLATE_H_
#define VIGIL_RULES_OUTPUT_TEMPLATE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "rules/fields.h"
#include "rules/rule_items.h"

namespace vigil::rules {

// A field referenced by a template, e.g. %proc.aname[2].
struct FieldRef {
  const FieldInfo* field = nullptr;
  FieldArg arg;
  std::string name;  // as written, argument included ("proc.aname[2]")
};

// Appends a field's value as text: strings as they are, integers in decimal, flags
// (file.mode) in octal with a leading 0, booleans as true/false, and "<NA>" when the
// field does not apply to the event (Falco's convention).
void AppendFieldText(const FieldInfo& field, const FieldValue& value, std::string* out);

// Appends a flags value (file.mode) as text: octal with a leading 0 ("0104755").
void AppendFlagsText(int64_t flags, std::string* out);

// A compiled output template. `%name` references a field (letters, digits, '_' and '.',
// optionally followed by [N] for fields that take an argument); `%%` is a literal '%'.
// Any other '%' is an error, as is an unknown field.
class OutputTemplate {
 public:
  // Compiles `text`; errors name the file:line:column of the offending '%'.
  static absl::StatusOr<OutputTemplate> Compile(const TextPart& text);

  // Appends the rendered line to *out.
  void Render(const EventView& view, std::string* out) const;

  // The fields referenced, in order of first use, each once: the alert's output_fields.
  const std::vector<FieldRef>& fields() const { return fields_; }

 private:
  // Literal text, then (when field >= 0) the value of fields_[field].
  struct Piece {
    std::string literal;
    int field = -1;
  };

  std::vector<Piece> pieces_;
  std::vector<FieldRef> fields_;
};

}  // namespace vigil::rules

#endif  // VIGIL_RULES_OUTPUT_TEMPLATE_H_

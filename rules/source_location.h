// Where something in a rules file is: file, line and column, for error messages.
#ifndef VIGIL_RULES_SOURCE_LOCATION_H_
#define VIGIL_RULES_SOURCE_LOCATION_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace vigil::rules {

// A position in a rules file. Lines and columns count from 1; 0 means unknown.
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;

  // "file:line:column" (parts that are unknown are left out).
  std::string ToString() const {
    std::string out = file.empty() ? "<input>" : file;
    if (line > 0) absl::StrAppend(&out, ":", line);
    if (line > 0 && column > 0) absl::StrAppend(&out, ":", column);
    return out;
  }

  // The location `offset` bytes into a single-line text that starts here.
  SourceLocation Advance(int offset) const {
    SourceLocation next = *this;
    if (next.column > 0) next.column += offset;
    return next;
  }
};

// An InvalidArgument status reading "file:line:column: reason", the form of every
// rules error.
inline absl::Status RuleError(const SourceLocation& where, absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat(where.ToString(), ": ", reason));
}

}  // namespace vigil::rules

#endif  // VIGIL_RULES_SOURCE_LOCATION_H_

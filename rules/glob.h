// Shell-style glob patterns for the `glob` operator, matched without allocating.
#ifndef VIGIL_RULES_GLOB_H_
#define VIGIL_RULES_GLOB_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace vigil::rules {

// Checks that `pattern` is well formed, so matching never meets a broken one. Syntax:
// `*` matches any run of bytes ('/' included), `?` any one byte, `[abc]`, `[a-z]` and
// `[!x]` (or `[^x]`) one byte in or not in a set (a ']' right after '[' or '[!' is a
// member), and `\` makes the next byte literal. Errors: an unterminated '[' and a
// trailing '\'. The error text is the reason only (the caller adds the location).
absl::Status ValidateGlob(absl::string_view pattern);

// True when all of `text` matches `pattern` (which ValidateGlob accepted). Runs in
// O(|pattern| * |text|) worst case and allocates nothing.
bool GlobMatch(absl::string_view pattern, absl::string_view text);

// The literal text a match must start with: the pattern up to its first wildcard, with
// escapes resolved ("/etc/*.conf" gives "/etc/").
std::string GlobLiteralPrefix(absl::string_view pattern);

}  // namespace vigil::rules

#endif  // VIGIL_RULES_GLOB_H_

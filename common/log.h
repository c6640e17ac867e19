// The one logger of Vigil's programs: each message is one line on stderr, prefixed with
// the program's name ("vigil-sensor: ..."), written with a single write(2) so lines from
// different threads never interleave. Operational messages only: events and alerts have
// their own outputs.
#ifndef VIGIL_COMMON_LOG_H_
#define VIGIL_COMMON_LOG_H_

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace vigil {

// Names the program in every later line; main() calls it first. Default: "vigil".
void SetLogProgram(absl::string_view name);

// Writes "<program>: <message>\n" (a message with newlines of its own stays one write).
void LogLine(absl::string_view message);

// Writes the concatenation of `parts` (anything absl::StrCat takes) as one line.
template <typename... Parts>
void Log(const Parts&... parts) {
  LogLine(absl::StrCat(parts...));
}

}  // namespace vigil

#endif  // VIGIL_COMMON_LOG_H_

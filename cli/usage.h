// vigilctl's help: what `vigilctl --help` and `vigilctl COMMAND --help` print.
#ifndef VIGIL_CLI_USAGE_H_
#define VIGIL_CLI_USAGE_H_

#include "absl/strings/string_view.h"

namespace vigil::cli {

// The usage text for a help topic, as CliOptions::help_topic names it: "" for the global
// usage, a command group ("alerts") or a command ("alerts tail"). nullptr for unknown topics,
// which the parser has already refused.
const char* UsageFor(absl::string_view topic);

}  // namespace vigil::cli

#endif  // VIGIL_CLI_USAGE_H_

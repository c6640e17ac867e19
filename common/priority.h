// Alert priorities by name: the one table of the eight levels' names, which the rules
// language, vigilctl's flags and tables, the sensor's JSON alerts and its metrics all spell
// through, so that a name is written once and every reader accepts the same ones.
#ifndef VIGIL_COMMON_PRIORITY_H_
#define VIGIL_COMMON_PRIORITY_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace vigil {

// The number of priority levels. Levels are syslog's severities: 0 (emergency, the most
// severe) to 7 (debug), the order of the rule language's priorities, of the wire's (see
// proto/wire_enums.h, which converts between the two) and of the controller's store.
inline constexpr int kPriorityLevelCount = 8;

// The lower-case name of `level` ("emergency" .. "informational", "debug"): how rules files
// and vigilctl's flags spell it and how metrics label it. "unknown" outside 0..7.
absl::string_view PriorityLevelName(int level);

// The capitalised name of `level` ("Emergency" .. "Informational", "Debug"): Falco's spelling,
// which JSON alerts keep for existing consumers and vigilctl's tables show. "Unknown" outside
// 0..7.
absl::string_view PriorityLevelDisplayName(int level);

// The level named `name`, in any case, "info" also naming informational (Falco accepts
// both); nullopt for anything else, so callers report the name they were given.
std::optional<int> ParsePriorityLevel(absl::string_view name);

// The eight lower-case names, most severe first, for errors that list what is accepted: the
// names joined with ", ", except that `last_separator` comes before the last one (" or "
// gives "emergency, alert, ..., informational or debug").
std::string PriorityLevelNames(absl::string_view last_separator);

}  // namespace vigil

#endif  // VIGIL_COMMON_PRIORITY_H_

// vigilctl's help: the global usage and the usage of every command and command group.
#include "cli/usage.h"

#include <optional>

#include "cli/options.h"

namespace vigil::cli {
namespace {

constexpr char kGlobalUsage[] = R"(Usage: vigilctl [GLOBAL FLAGS] COMMAND [FLAGS] [ARGS]

The command-line client of vigil-controller's gRPC API.

Commands:
  sensors                   The fleet's sensors: node, connection, version, rules, modules.
  alerts tail               Print alerts as they arrive (resumable with --since CURSOR).
  alerts query              Print stored alerts, newest first.
  rules push FILE|DIR...    Store a rule set and make it the desired one.
  rules status              How far the rule set's rollout has got, per sensor.
  rules list                The stored rule sets.
  modules list              Every sensor's probe modules.
  modules enable NAME       Enable a probe module (on all nodes, or those given by --node).
  modules disable NAME      Disable a probe module.
  modules status            How far the last module change's rollout has got.

Global flags (anywhere on the line):
  --controller HOST:PORT    The controller (default $VIGIL_CONTROLLER, else 127.0.0.1:7443).
  --ca PATH                 CA certificate that signs the controller's certificate
                            (default $VIGIL_CA; none: the system's roots).
  --cert PATH, --key PATH   Client certificate and key for mTLS (default $VIGIL_CERT,
                            $VIGIL_KEY).
  --insecure                Plaintext, no TLS (a controller started with --insecure).
  --token-file PATH         Send the bearer token in this file (default $VIGIL_TOKEN_FILE).
                            Tokens are never taken on the command line.
  --server-name NAME        Expect this name in the controller's certificate.
  -o, --output table|json   Output format (default table). JSON uses the proto field names;
                            alerts are one JSON object per line.
  --timeout DURATION        Deadline of each call other than alerts tail (default 10s).
  -h, --help                Show help (vigilctl COMMAND --help for a command's).
  --version                 Print the version.

Exit status: 0 success; 1 the call failed (the controller's status is printed as
"vigilctl: <method>: <code>: <message>") or a local file could not be read;
2 the command line is wrong.
)";

constexpr char kAlertsUsage[] = R"(Usage: vigilctl alerts tail|query [FLAGS]

  tail    Print alerts as they arrive, until interrupted.
  query   Print stored alerts, newest first.

See vigilctl alerts tail --help and vigilctl alerts query --help.
)";

constexpr char kAlertsTailUsage[] = R"(Usage: vigilctl alerts tail [FLAGS]

Prints alerts as they arrive (AlertService.Subscribe) until interrupted (Ctrl-C ends
cleanly, exit 0). A broken stream prints the gRPC status and exits 1. With -o json, each
alert is one JSON object per line carrying its cursor: resume with --since CURSOR to
continue with no gap and no repeat.

  --since CURSOR      Start after this cursor; 0 starts at the oldest alert kept. Without
                      it, only new alerts are printed.
  --priority P        At least this severe: emergency, alert, critical, error, warning,
                      notice, informational (info), debug.
  --rule R            Only this rule (repeatable: any of them).
  --tag T             Only alerts with this tag (repeatable: any of them).
  --node N            Only alerts from this node (repeatable: any of them).
)";

constexpr char kAlertsQueryUsage[] = R"(Usage: vigilctl alerts query [FLAGS]

Prints stored alerts matching the filter, newest first (AlertService.Query, following the
pages until --limit alerts were printed).

  --priority P        At least this severe (emergency ... debug).
  --rule R            Only this rule (repeatable).
  --tag T             Only alerts with this tag (repeatable).
  --node N            Only alerts from this node (repeatable).
  --since DURATION    Only alerts from the last DURATION (e.g. 30m, 2h, 7d).
  --from TIME         Only alerts from TIME on (RFC 3339, e.g. 2026-01-31T08:00:00Z).
  --limit N           At most N alerts (default 100).
)";

constexpr char kSensorsUsage[] = R"(Usage: vigilctl sensors

Lists the sensors the controller knows (FleetService.ListSensors): sensor id, node,
whether it is connected, when it was last seen, its version, its rule set's version and
its probe modules (name=attach mode).
)";

constexpr char kRulesUsage[] = R"(Usage: vigilctl rules push|status|list

  push FILE|DIR...   Store a rule set and make it the desired one.
  status             How far the rule set's rollout has got, per sensor.
  list               The stored rule sets.
)";

constexpr char kRulesPushUsage[] = R"(Usage: vigilctl rules push FILE|DIR...

Sends the rules files to the controller (FleetService.PutRuleSet), which validates them,
stores them as a version named by their content and sends them to every sensor. A
directory contributes its *.yaml and *.yml files in name order, as the sensor loads
them; files are sent under their base names, in the order given. A rejected set prints
the controller's error (file:line:column: reason) and exits 1. Needs the admin role.
)";

constexpr char kRulesStatusUsage[] = R"(Usage: vigilctl rules status [--version V]

Prints how far a rule set's rollout has got (FleetService.GetRollout): a summary line,
then the state of every sensor.

  --version V   The rule set version (default: the desired one).
)";

constexpr char kRulesListUsage[] = R"(Usage: vigilctl rules list

Lists the stored rule sets, newest first; the desired one is marked with *.
)";

constexpr char kModulesUsage[] = R"(Usage: vigilctl modules list|enable|disable|status

  list                 Every sensor's probe modules: enabled, attach mode, state.
  enable NAME          Enable a probe module (all nodes, or those given by --node).
  disable NAME         Disable a probe module.
  status               How far the last module change's rollout has got.
)";

constexpr char kModulesListUsage[] = R"(Usage: vigilctl modules list

Lists every sensor's probe modules (from FleetService.ListSensors).
)";

constexpr char kModulesSetUsage[] = R"(Usage: vigilctl modules enable NAME [--node N]...
       vigilctl modules disable NAME [--node N]...

Sets the desired state of the probe module NAME (process, file) on all nodes, or on the
nodes given (FleetService.SetProbeModules), then prints the sensors it was sent to. Needs
the admin role. Follow the rollout with vigilctl modules status.

  --node N      Only this node (repeatable).
)";

constexpr char kModulesStatusUsage[] = R"(Usage: vigilctl modules status [--version V]

Prints how far a module change's rollout has got (FleetService.GetRollout, kind modules).

  --version V   The module change's version (default: the latest).
)";

struct GroupUsage {
  const char* name;
  const char* usage;
};

constexpr GroupUsage kGroupUsages[] = {
    {"alerts", kAlertsUsage},
    {"rules", kRulesUsage},
    {"modules", kModulesUsage},
};

// The usage of `command`; a switch, so a new command without usage is a compiler warning.
const char* CommandUsage(Command command) {
  switch (command) {
    case Command::kNone: return nullptr;
    case Command::kSensors: return kSensorsUsage;
    case Command::kAlertsTail: return kAlertsTailUsage;
    case Command::kAlertsQuery: return kAlertsQueryUsage;
    case Command::kRulesPush: return kRulesPushUsage;
    case Command::kRulesStatus: return kRulesStatusUsage;
    case Command::kRulesList: return kRulesListUsage;
    case Command::kModulesList: return kModulesListUsage;
    case Command::kModulesEnable:
    case Command::kModulesDisable: return kModulesSetUsage;
    case Command::kModulesStatus: return kModulesStatusUsage;
  }
  return nullptr;
}

}  // namespace

const char* UsageFor(absl::string_view topic) {
  if (topic.empty()) return kGlobalUsage;
  for (const GroupUsage& group : kGroupUsages) {
    if (topic == group.name) return group.usage;
  }
  if (std::optional<Command> command = CommandNamed(topic)) return CommandUsage(*command);
  return nullptr;
}

}  // namespace vigil::cli

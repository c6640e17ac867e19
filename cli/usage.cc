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
  modules keygen            Make a bundle signing key pair (offline).
  modules build             Make a probe-module bundle from a manifest and a BPF object
                            (offline).
  modules sign BUNDLE       Sign a bundle with a private key (offline).
  modules push BUNDLE       Store a signed bundle and run it (all nodes, or --node).
  modules remove NAME       Stop and remove a bundle module.
  modules bundles           The stored bundles.

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
       vigilctl modules keygen|build|sign|push|remove|bundles

  list                 Every sensor's probe modules: source, version, attach mode, state.
  enable NAME          Enable a built-in probe module (all nodes, or those given by --node).
  disable NAME         Disable a built-in probe module.
  status               How far the last module change's rollout has got.

Probe-module bundles (a BPF object, its manifest and a signature; docs/modules.md):
  keygen --out PREFIX  Make a signing key pair (offline).
  build                Make an unsigned bundle from a manifest and an object (offline).
  sign BUNDLE          Sign a bundle with the private key (offline).
  push BUNDLE          Store a signed bundle and run it (all nodes, or --node).
  remove NAME          Stop and remove a bundle module.
  bundles              The stored bundles.
)";

constexpr char kModulesListUsage[] = R"(Usage: vigilctl modules list

Lists every sensor's probe modules (from FleetService.ListSensors): built-in or bundle,
the bundle's version and hash, enabled, attach mode, state (running, disabled, failed, or
rolled_back: a new bundle version failed and the previous one still runs) and the error.
)";

constexpr char kModulesSetUsage[] = R"(Usage: vigilctl modules enable NAME [--node N]...
       vigilctl modules disable NAME [--node N]...

Sets the desired state of the built-in probe module NAME (process, file, net) on all
nodes, or on the nodes given (FleetService.SetProbeModules), then prints the sensors it
was sent to. Needs the admin role. Follow the rollout with vigilctl modules status.
Bundle modules are run with vigilctl modules push and stopped with vigilctl modules remove.

  --node N      Only this node (repeatable).
)";

constexpr char kModulesStatusUsage[] = R"(Usage: vigilctl modules status [--version V]

Prints how far a module change's rollout has got (FleetService.GetRollout, kind modules):
"version V: applied on X of Y sensors, failed on Z", then every sensor's state and, for a
sensor that failed, its error (a bundle it refused, or the verifier's log).

  --version V   The module change's version (default: the latest).
)";

constexpr char kModulesKeygenUsage[] = R"(Usage: vigilctl modules keygen --out PREFIX

Makes an Ed25519 key pair for signing bundles and prints its key id. Offline: nothing is
sent anywhere.

  --out PREFIX  Writes PREFIX.key, the private key (mode 0600; keep it on this machine),
                and PREFIX.pub.pem, the public key to pin on the sensors. Existing files
                are not overwritten.
)";

constexpr char kModulesBuildUsage[] =
    R"(Usage: vigilctl modules build --manifest FILE --object FILE --out BUNDLE

Makes an unsigned bundle from a text manifest (protobuf text format of
vigil.v1.BundleManifest) and a BPF object, after checking the object against the
manifest (records, fields, programs, config) as the sensor will. Offline.

  --manifest FILE   The text manifest; errors read FILE:line:column: reason.
  --object FILE     The BPF object (.bpf.o).
  --out BUNDLE      The bundle to write (replaced when it exists).
)";

constexpr char kModulesSignUsage[] = R"(Usage: vigilctl modules sign --key KEY BUNDLE [--out SIGNED]

Signs BUNDLE's manifest and object with the private key KEY (from vigilctl modules keygen)
and prints the key id and the signed bundle's hash. Offline: the private key never leaves
this machine. Here --key is the signing key, not a client certificate's key.

  --key KEY     The private key (PEM).
  --out SIGNED  Writes the signed bundle there (default: BUNDLE, replaced).
)";

constexpr char kModulesPushUsage[] = R"(Usage: vigilctl modules push BUNDLE [--node N]...

Stores the signed BUNDLE on the controller (FleetService.PutProbeBundle), then makes it
the module its manifest names on all nodes, or on the nodes given
(FleetService.SetProbeModules). Prints the bundle's hash and the module change's version;
follow the rollout with vigilctl modules status. Sensors load it only when its signature
verifies against a key pinned in their configuration. Needs the admin role.

  --node N      Only this node (repeatable).
)";

constexpr char kModulesRemoveUsage[] = R"(Usage: vigilctl modules remove NAME [--node N]...

Stops the bundle module NAME and removes it from all nodes, or from the nodes given
(FleetService.SetProbeModules). The bundles stay stored. Needs the admin role.

  --node N      Only this node (repeatable).
)";

constexpr char kModulesBundlesUsage[] = R"(Usage: vigilctl modules bundles

Lists the bundles stored on the controller, newest first (FleetService.ListProbeBundles):
hash, module name, version, signing key id, size and when it was stored.
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
    case Command::kModulesKeygen: return kModulesKeygenUsage;
    case Command::kModulesBuild: return kModulesBuildUsage;
    case Command::kModulesSign: return kModulesSignUsage;
    case Command::kModulesPush: return kModulesPushUsage;
    case Command::kModulesRemove: return kModulesRemoveUsage;
    case Command::kModulesBundles: return kModulesBundlesUsage;
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

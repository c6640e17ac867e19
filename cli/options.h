// Command-line options of vigilctl: global connection and output flags, the command, and
// the command's own flags and arguments.
#ifndef VIGIL_CLI_OPTIONS_H_
#define VIGIL_CLI_OPTIONS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "vigil/v1/alert.pb.h"

namespace vigil::cli {

// The commands vigilctl runs.
enum class Command {
  kNone,
  kSensors,         // sensors
  kAlertsTail,      // alerts tail
  kAlertsQuery,     // alerts query
  kRulesPush,       // rules push FILE|DIR...
  kRulesStatus,     // rules status
  kRulesList,       // rules list
  kModulesList,     // modules list
  kModulesEnable,   // modules enable NAME
  kModulesDisable,  // modules disable NAME
  kModulesStatus,   // modules status
  kModulesKeygen,   // modules keygen --out PREFIX (offline)
  kModulesBuild,    // modules build --manifest FILE --object FILE --out BUNDLE (offline)
  kModulesSign,     // modules sign --key KEY BUNDLE [--out SIGNED] (offline)
  kModulesPush,     // modules push BUNDLE
  kModulesRemove,   // modules remove NAME
  kModulesBundles,  // modules bundles
};

// Whether `command` works on local files only: it needs no controller, and connection
// flags and variables are not read for it.
bool IsOffline(Command command);

// How results are printed.
enum class OutputFormat { kTable, kJson };

// Where the controller is and how to authenticate to it.
struct ConnectionOptions {
  std::string controller = "127.0.0.1:7443";  // gRPC target, HOST:PORT
  // TLS (the default): the CA that signs the controller's certificate (empty: the
  // system's roots) and, for mTLS, this client's certificate and key (both or neither).
  std::string ca;
  std::string cert;
  std::string key;
  bool insecure = false;    // plaintext, only when asked for
  std::string token_file;   // file holding a bearer token; empty: none
  std::string server_name;  // TLS target-name override; empty: the host of `controller`
};

// Everything vigilctl can be told on its command line.
struct CliOptions {
  bool help = false;       // print the usage of `help_topic` and exit
  std::string help_topic;  // "", or a command or command group ("alerts", "alerts tail")
  bool version = false;    // print the version and exit
  Command command = Command::kNone;
  ConnectionOptions connection;
  OutputFormat output = OutputFormat::kTable;
  absl::Duration timeout = absl::Seconds(10);  // per unary call

  // Alert filters (alerts tail, alerts query). `nodes` also selects the nodes of
  // modules enable|disable|push|remove.
  vigil::v1::Priority min_priority = vigil::v1::PRIORITY_UNSPECIFIED;
  std::vector<std::string> rules;
  std::vector<std::string> tags;
  std::vector<std::string> nodes;
  // alerts tail --since: the cursor to resume after ("0": the oldest kept); unset: only
  // new alerts.
  std::optional<std::string> cursor;
  // alerts query: the time window's start, as a duration before now (--since) or as an
  // absolute time (--from); neither: unbounded. At most `limit` alerts are printed.
  std::optional<absl::Duration> since_ago;
  std::optional<absl::Time> from;
  uint32_t limit = 100;

  std::vector<std::string> paths;  // rules push: files and directories, in order
  std::string rollout_version;     // rules status, modules status: empty is the desired one
  std::string module;              // modules enable|disable|remove

  // Probe-module bundles. `out`: keygen's file prefix, build's bundle, sign's signed bundle
  // (empty: `bundle` in place).
  std::string out;
  std::string manifest;  // modules build: the text manifest
  std::string object;    // modules build: the BPF object
  std::string sign_key;  // modules sign: the private key (--key, not the client key)
  std::string bundle;    // modules sign|push: the bundle file
};

// Environment variables vigilctl reads defaults from.
inline constexpr const char* kEnvController = "VIGIL_CONTROLLER";
inline constexpr const char* kEnvCa = "VIGIL_CA";
inline constexpr const char* kEnvCert = "VIGIL_CERT";
inline constexpr const char* kEnvKey = "VIGIL_KEY";
inline constexpr const char* kEnvTokenFile = "VIGIL_TOKEN_FILE";

// The values of the variables above that are set (and not empty) in this process.
std::map<std::string, std::string> VigilEnvironment();

// Parses the arguments after the program name. `env` supplies defaults for the connection
// flags (see the kEnv* names); flags on the command line win, and --insecure ignores the
// TLS variables. Errors (INVALID_ARGUMENT) name the offending argument and why.
absl::StatusOr<CliOptions> ParseCliOptions(const std::vector<std::string>& args,
                                           const std::map<std::string, std::string>& env);

// Parses a priority name as the rules language spells it (emergency, alert, critical,
// error, warning, notice, informational or info, debug), in any case: common/priority.h's
// names, as the wire priority --priority filters by.
std::optional<vigil::v1::Priority> ParsePriorityName(absl::string_view name);

// Parses a duration flag such as "90s", "15m", "1h30m", "1.5h" or "7d" (days, alone) in the
// grammar of common/duration.h. Must be positive and at most 100000 days.
std::optional<absl::Duration> ParseDurationFlag(absl::string_view text);

// The command spelled by `words` ("sensors", "alerts tail"); nullopt for anything else, a
// command group's name alone included. The parser reads commands by it and the help
// (cli/usage.h) resolves topics by it, so both know the same commands.
std::optional<Command> CommandNamed(absl::string_view words);

}  // namespace vigil::cli

#endif  // VIGIL_CLI_OPTIONS_H_

// vigilctl's command-line parser: global flags, command words, command flags and arguments.
#include "cli/options.h"

#include <cstdlib>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/usage.h"
#include "common/duration.h"
#include "common/priority.h"
#include "proto/wire_enums.h"

namespace vigil::cli {
namespace {

// A command and the words that name it on the command line.
struct CommandSpec {
  const char* words;
  Command command;
};

constexpr CommandSpec kCommands[] = {
    {"sensors", Command::kSensors},
    {"alerts tail", Command::kAlertsTail},
    {"alerts query", Command::kAlertsQuery},
    {"rules push", Command::kRulesPush},
    {"rules status", Command::kRulesStatus},
    {"rules list", Command::kRulesList},
    {"modules list", Command::kModulesList},
    {"modules enable", Command::kModulesEnable},
    {"modules disable", Command::kModulesDisable},
    {"modules status", Command::kModulesStatus},
    {"modules keygen", Command::kModulesKeygen},
    {"modules build", Command::kModulesBuild},
    {"modules sign", Command::kModulesSign},
    {"modules push", Command::kModulesPush},
    {"modules remove", Command::kModulesRemove},
    {"modules bundles", Command::kModulesBundles},
};

// A command group: the first word of several commands.
struct GroupSpec {
  const char* name;
  const char* subcommands;  // for errors: the words that may follow
};

constexpr GroupSpec kGroups[] = {
    {"alerts", "tail, query"},
    {"rules", "push, status, list"},
    {"modules", "list, enable, disable, status, keygen, build, sign, push, remove, bundles"},
};

const GroupSpec* FindGroup(absl::string_view name) {
  for (const GroupSpec& g : kGroups) {
    if (name == g.name) return &g;
  }
  return nullptr;
}

const char* CommandWords(Command command) {
  for (const CommandSpec& c : kCommands) {
    if (c.command == command) return c.words;
  }
  return "";
}

// Flags that belong to commands (global flags are applied as they are read).
enum class Flag {
  kSince,
  kPriority,
  kRule,
  kTag,
  kNode,
  kFrom,
  kLimit,
  kVersion,
  kOut,
  kManifest,
  kObject,
};

struct FlagUse {
  Flag flag;
  std::string spelled;  // as written, for errors ("--since")
  std::string value;
};

bool Allowed(Flag flag, Command command) {
  switch (flag) {
    case Flag::kSince:
    case Flag::kPriority:
    case Flag::kRule:
    case Flag::kTag: return command == Command::kAlertsTail || command == Command::kAlertsQuery;
    case Flag::kNode:
      return command == Command::kAlertsTail || command == Command::kAlertsQuery ||
             command == Command::kModulesEnable || command == Command::kModulesDisable ||
             command == Command::kModulesPush || command == Command::kModulesRemove;
    case Flag::kFrom:
    case Flag::kLimit: return command == Command::kAlertsQuery;
    case Flag::kVersion:
      return command == Command::kRulesStatus || command == Command::kModulesStatus;
    case Flag::kOut:
      return command == Command::kModulesKeygen || command == Command::kModulesBuild ||
             command == Command::kModulesSign;
    case Flag::kManifest:
    case Flag::kObject: return command == Command::kModulesBuild;
  }
  return false;
}

absl::Status Invalid(absl::string_view message) { return absl::InvalidArgumentError(message); }

// The state of one parse: the command words read so far decide what comes next.
class Parser {
 public:
  explicit Parser(const std::map<std::string, std::string>& env) : env_(env) {}

  absl::StatusOr<CliOptions> Parse(const std::vector<std::string>& args);

 private:
  // Records the first error; parsing goes on so that a later --help still wins.
  void Fail(absl::Status status) {
    if (error_.ok()) error_ = std::move(status);
  }
  void Positional(const std::string& word);
  // Handles one flag; `i` is advanced past a value taken from the next argument.
  void HandleFlag(const std::vector<std::string>& args, size_t& i);
  void ApplyCommandFlags();
  void ApplyConnection();
  void CheckArguments();
  // The flags an offline command cannot do without, and sign's --key.
  void ApplyBundleFlags();

  const std::map<std::string, std::string>& env_;
  CliOptions options_;
  absl::Status error_;
  std::vector<std::string> words_;  // command words (or help topic words)
  bool help_command_ = false;       // "vigilctl help TOPIC"
  std::vector<std::string> arguments_;
  std::vector<FlagUse> command_flags_;
  // Connection flags given explicitly.
  std::optional<std::string> controller_, ca_, cert_, key_, token_file_, server_name_;
};

void Parser::Positional(const std::string& word) {
  if (help_command_) {
    words_.push_back(word);
    return;
  }
  if (options_.command != Command::kNone) {
    arguments_.push_back(word);
    return;
  }
  if (words_.empty() && word == "help") {
    help_command_ = true;
    options_.help = true;
    return;
  }
  words_.push_back(word);
  const std::string joined = absl::StrJoin(words_, " ");
  if (std::optional<Command> command = CommandNamed(joined)) {
    options_.command = *command;
    return;
  }
  if (words_.size() == 1 && FindGroup(joined) != nullptr) return;
  if (words_.size() == 2) {
    const GroupSpec* group = FindGroup(words_[0]);
    Fail(Invalid(absl::StrCat("unknown command '", joined, "' (", group->name,
                              " has: ", group->subcommands, ")")));
  } else {
    Fail(Invalid(
        absl::StrCat("unknown command '", word, "' (commands: sensors, alerts, rules, modules)")));
  }
  // Further words are arguments of no command: the error above is what is reported.
  options_.command = Command::kNone;
  help_command_ = false;
  words_.clear();
  arguments_.clear();
}

void Parser::HandleFlag(const std::vector<std::string>& args, size_t& i) {
  std::string name = args[i];
  std::optional<std::string> inline_value;
  if (name.rfind("--", 0) == 0) {
    const size_t eq = name.find('=');
    if (eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name.resize(eq);
    }
  } else if (name.size() > 2 && name[0] == '-' && name[1] == 'o') {
    inline_value = name.substr(2);  // -ojson
    if (!inline_value->empty() && (*inline_value)[0] == '=') inline_value->erase(0, 1);
    name = "-o";
  }

  // Takes the flag's value: inline, else the next argument.
  auto value = [&]() -> std::optional<std::string> {
    std::optional<std::string> v = inline_value;
    if (!v.has_value()) {
      if (i + 1 >= args.size()) {
        Fail(Invalid(absl::StrCat(name, ": missing value")));
        return std::nullopt;
      }
      v = args[++i];
    }
    if (v->empty()) {
      Fail(Invalid(absl::StrCat(name, ": empty value")));
      return std::nullopt;
    }
    return v;
  };
  auto no_value = [&]() -> bool {
    if (inline_value.has_value()) {
      Fail(Invalid(absl::StrCat(name, " takes no value")));
      return false;
    }
    return true;
  };

  if (name == "-h" || name == "--help") {
    if (no_value()) options_.help = true;
    return;
  }
  if (name == "--version") {
    // A rollout's version for rules/modules status; otherwise vigilctl's own.
    if (options_.command == Command::kRulesStatus || options_.command == Command::kModulesStatus) {
      if (auto v = value()) command_flags_.push_back({Flag::kVersion, name, *v});
    } else if (no_value()) {
      options_.version = true;
    }
    return;
  }
  if (name == "--insecure") {
    if (no_value()) options_.connection.insecure = true;
    return;
  }

  std::optional<std::string>* connection = nullptr;
  if (name == "--controller") connection = &controller_;
  if (name == "--ca") connection = &ca_;
  if (name == "--cert") connection = &cert_;
  if (name == "--key") connection = &key_;
  if (name == "--token-file") connection = &token_file_;
  if (name == "--server-name") connection = &server_name_;
  if (connection != nullptr) {
    if (auto v = value()) *connection = *v;
    return;
  }
  if (name == "-o" || name == "--output") {
    if (auto v = value()) {
      if (*v == "table") {
        options_.output = OutputFormat::kTable;
      } else if (*v == "json") {
        options_.output = OutputFormat::kJson;
      } else {
        Fail(Invalid(absl::StrCat(name, ": unknown format '", *v, "' (table or json)")));
      }
    }
    return;
  }
  if (name == "--timeout") {
    if (auto v = value()) {
      std::optional<absl::Duration> d = ParseDurationFlag(*v);
      if (d.has_value()) {
        options_.timeout = *d;
      } else {
        Fail(Invalid(absl::StrCat("--timeout: bad duration '", *v, "' (e.g. 10s, 2m)")));
      }
    }
    return;
  }

  static const std::pair<const char*, Flag> kCommandFlags[] = {
      {"--since", Flag::kSince},   {"--priority", Flag::kPriority}, {"--rule", Flag::kRule},
      {"--tag", Flag::kTag},       {"--node", Flag::kNode},         {"--from", Flag::kFrom},
      {"--limit", Flag::kLimit},   {"--out", Flag::kOut},           {"--manifest", Flag::kManifest},
      {"--object", Flag::kObject},
  };
  for (const auto& [spelled, flag] : kCommandFlags) {
    if (name == spelled) {
      if (auto v = value()) command_flags_.push_back({flag, name, *v});
      return;
    }
  }
  if (name == "--token") {
    Fail(Invalid("--token: tokens are not taken on the command line (use --token-file)"));
    return;
  }
  Fail(Invalid(absl::StrCat("unknown flag '", name, "'")));
}

void Parser::ApplyCommandFlags() {
  const Command command = options_.command;
  for (const FlagUse& use : command_flags_) {
    if (!Allowed(use.flag, command)) {
      Fail(Invalid(
          absl::StrCat(use.spelled, " is not a flag of 'vigilctl ", CommandWords(command), "'")));
      continue;
    }
    switch (use.flag) {
      case Flag::kSince:
        if (command == Command::kAlertsTail) {
          options_.cursor = use.value;
        } else if (std::optional<absl::Duration> d = ParseDurationFlag(use.value)) {
          options_.since_ago = *d;
        } else {
          Fail(Invalid(absl::StrCat("--since: bad duration '", use.value,
                                    "' (e.g. 30m, 2h, 7d; --from takes a time)")));
        }
        break;
      case Flag::kPriority:
        if (std::optional<vigil::v1::Priority> p = ParsePriorityName(use.value)) {
          options_.min_priority = *p;
        } else {
          Fail(Invalid(absl::StrCat("--priority: unknown priority '", use.value, "' (",
                                    PriorityLevelNames(", "), ")")));
        }
        break;
      case Flag::kRule: options_.rules.push_back(use.value); break;
      case Flag::kTag: options_.tags.push_back(use.value); break;
      case Flag::kNode: options_.nodes.push_back(use.value); break;
      case Flag::kFrom: {
        absl::Time t;
        std::string why;
        if (absl::ParseTime(absl::RFC3339_full, use.value, &t, &why)) {
          options_.from = t;
        } else {
          Fail(Invalid(absl::StrCat("--from: bad time '", use.value,
                                    "' (RFC 3339, e.g. 2026-01-31T08:00:00Z)")));
        }
        break;
      }
      case Flag::kLimit:
        if (!absl::SimpleAtoi(use.value, &options_.limit) || options_.limit == 0) {
          Fail(Invalid(absl::StrCat("--limit: '", use.value, "' is not a positive number")));
        }
        break;
      case Flag::kVersion: options_.rollout_version = use.value; break;
      case Flag::kOut: options_.out = use.value; break;
      case Flag::kManifest: options_.manifest = use.value; break;
      case Flag::kObject: options_.object = use.value; break;
    }
  }
  if (options_.since_ago.has_value() && options_.from.has_value()) {
    Fail(Invalid("--since and --from exclude each other"));
  }
}

void Parser::ApplyConnection() {
  ConnectionOptions& c = options_.connection;
  auto from_env = [&](const char* name) -> std::optional<std::string> {
    auto it = env_.find(name);
    if (it == env_.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };
  if (auto v = controller_ ? controller_ : from_env(kEnvController)) c.controller = *v;
  if (auto v = token_file_ ? token_file_ : from_env(kEnvTokenFile)) c.token_file = *v;
  if (server_name_) c.server_name = *server_name_;
  if (c.insecure) {
    // Explicit TLS flags contradict --insecure; the TLS variables are simply not used.
    for (const auto& [flag, value] :
         {std::pair{"--ca", &ca_}, std::pair{"--cert", &cert_}, std::pair{"--key", &key_},
          std::pair{"--server-name", &server_name_}}) {
      if (value->has_value()) {
        Fail(Invalid(absl::StrCat("--insecure and ", flag, " exclude each other")));
      }
    }
    return;
  }
  if (auto v = ca_ ? ca_ : from_env(kEnvCa)) c.ca = *v;
  if (auto v = cert_ ? cert_ : from_env(kEnvCert)) c.cert = *v;
  if (auto v = key_ ? key_ : from_env(kEnvKey)) c.key = *v;
  if (c.cert.empty() != c.key.empty()) {
    Fail(Invalid(absl::StrCat("a client certificate needs its key and the key its certificate ",
                              "(--cert ", c.cert.empty() ? "missing" : c.cert, ", --key ",
                              c.key.empty() ? "missing" : c.key, ")")));
  }
}

void Parser::CheckArguments() {
  const Command command = options_.command;
  if (command == Command::kNone) {
    if (words_.empty()) {
      Fail(Invalid("no command given"));
    } else if (const GroupSpec* group = FindGroup(words_[0])) {
      Fail(Invalid(
          absl::StrCat("'", group->name, "' needs a subcommand (", group->subcommands, ")")));
    }
    return;
  }
  const std::string where = absl::StrCat("vigilctl ", CommandWords(command));
  switch (command) {
    case Command::kRulesPush:
      if (arguments_.empty()) Fail(Invalid(absl::StrCat(where, ": no rules file or directory")));
      options_.paths = arguments_;
      return;
    case Command::kModulesEnable:
    case Command::kModulesDisable:
    case Command::kModulesRemove:
      if (arguments_.size() != 1) {
        Fail(Invalid(absl::StrCat(where, ": expects one module name, got ", arguments_.size())));
      } else {
        options_.module = arguments_[0];
      }
      return;
    case Command::kModulesSign:
    case Command::kModulesPush:
      if (arguments_.size() != 1) {
        Fail(Invalid(absl::StrCat(where, ": expects one bundle file, got ", arguments_.size())));
      } else {
        options_.bundle = arguments_[0];
      }
      return;
    default:
      if (!arguments_.empty()) {
        Fail(Invalid(absl::StrCat(where, ": unexpected argument '", arguments_[0], "'")));
      }
      return;
  }
}

absl::StatusOr<CliOptions> Parser::Parse(const std::vector<std::string>& args) {
  bool flags_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!flags_done && arg == "--") {
      flags_done = true;
    } else if (!flags_done && arg.size() > 1 && arg[0] == '-') {
      HandleFlag(args, i);
    } else {
      Positional(arg);
    }
  }
  if (options_.help) {
    options_.help_topic = absl::StrJoin(words_, " ");
    if (UsageFor(options_.help_topic) == nullptr) {
      return Invalid(absl::StrCat("no help for unknown command '", options_.help_topic, "'"));
    }
    return options_;
  }
  if (!error_.ok()) return error_;
  if (options_.version) return options_;
  CheckArguments();
  ApplyCommandFlags();
  if (IsOffline(options_.command)) {
    ApplyBundleFlags();
  } else {
    ApplyConnection();
  }
  if (!error_.ok()) return error_;
  return options_;
}

void Parser::ApplyBundleFlags() {
  const std::string where = absl::StrCat("vigilctl ", CommandWords(options_.command));
  // Signing happens offline: --key, wherever it is on the line, is the signing key.
  if (options_.command == Command::kModulesSign) {
    if (key_.has_value()) options_.sign_key = *key_;
    key_.reset();
    if (options_.sign_key.empty()) Fail(Invalid(absl::StrCat(where, ": --key KEY is required")));
  } else if (key_.has_value()) {
    Fail(Invalid(absl::StrCat("--key is not a flag of '", where, "'")));
  }
  const char* out = options_.command == Command::kModulesKeygen  ? "--out PREFIX"
                    : options_.command == Command::kModulesBuild ? "--out BUNDLE"
                                                                 : nullptr;
  if (out != nullptr && options_.out.empty()) {
    Fail(Invalid(absl::StrCat(where, ": ", out, " is required")));
  }
  if (options_.command == Command::kModulesBuild) {
    if (options_.manifest.empty()) {
      Fail(Invalid(absl::StrCat(where, ": --manifest FILE is required")));
    }
    if (options_.object.empty()) Fail(Invalid(absl::StrCat(where, ": --object FILE is required")));
  }
}

}  // namespace

std::map<std::string, std::string> VigilEnvironment() {
  std::map<std::string, std::string> env;
  for (const char* name : {kEnvController, kEnvCa, kEnvCert, kEnvKey, kEnvTokenFile}) {
    const char* value = std::getenv(name);
    if (value != nullptr && *value != '\0') env[name] = value;
  }
  return env;
}

absl::StatusOr<CliOptions> ParseCliOptions(const std::vector<std::string>& args,
                                           const std::map<std::string, std::string>& env) {
  return Parser(env).Parse(args);
}

std::optional<vigil::v1::Priority> ParsePriorityName(absl::string_view name) {
  std::optional<int> level = ParsePriorityLevel(name);
  if (!level.has_value()) return std::nullopt;
  return wire::WirePriority(*level);
}

std::optional<absl::Duration> ParseDurationFlag(absl::string_view text) {
  // Positive, and at most 100000 days (about 274 years); every form of the grammar.
  DurationLimits limits;
  limits.max = absl::Hours(24) * 100000;
  return vigil::ParseDuration(text, limits);
}

bool IsOffline(Command command) {
  return command == Command::kModulesKeygen || command == Command::kModulesBuild ||
         command == Command::kModulesSign;
}

std::optional<Command> CommandNamed(absl::string_view words) {
  for (const CommandSpec& c : kCommands) {
    if (words == c.words) return c.command;
  }
  return std::nullopt;
}

}  // namespace vigil::cli

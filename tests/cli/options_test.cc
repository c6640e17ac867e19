// Unit tests for cli/options.h: vigilctl's command line.
#include "cli/options.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

using Env = std::map<std::string, std::string>;

absl::StatusOr<CliOptions> Parse(std::vector<std::string> args, const Env& env = {}) {
  return ParseCliOptions(args, env);
}

// The error message of a parse that must fail.
std::string ErrorOf(std::vector<std::string> args, const Env& env = {}) {
  absl::StatusOr<CliOptions> options = Parse(std::move(args), env);
  if (options.ok()) return "<parsed>";
  EXPECT_EQ(options.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(options.status().message());
}

TEST(ParseCliOptionsTest, SensorsUsesDefaults) {
  absl::StatusOr<CliOptions> o = Parse({"sensors"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->command, Command::kSensors);
  EXPECT_FALSE(o->help);
  EXPECT_FALSE(o->version);
  EXPECT_EQ(o->connection.controller, "127.0.0.1:7443");
  EXPECT_FALSE(o->connection.insecure);
  EXPECT_THAT(o->connection.ca, IsEmpty());
  EXPECT_THAT(o->connection.cert, IsEmpty());
  EXPECT_THAT(o->connection.token_file, IsEmpty());
  EXPECT_EQ(o->output, OutputFormat::kTable);
  EXPECT_EQ(o->timeout, absl::Seconds(10));
}

TEST(ParseCliOptionsTest, EveryCommandIsRecognized) {
  const std::vector<std::pair<std::vector<std::string>, Command>> cases = {
      {{"sensors"}, Command::kSensors},
      {{"alerts", "tail"}, Command::kAlertsTail},
      {{"alerts", "query"}, Command::kAlertsQuery},
      {{"rules", "push", "x.yaml"}, Command::kRulesPush},
      {{"rules", "status"}, Command::kRulesStatus},
      {{"rules", "list"}, Command::kRulesList},
      {{"modules", "list"}, Command::kModulesList},
      {{"modules", "enable", "file"}, Command::kModulesEnable},
      {{"modules", "disable", "file"}, Command::kModulesDisable},
      {{"modules", "status"}, Command::kModulesStatus},
      {{"modules", "keygen", "--out", "k"}, Command::kModulesKeygen},
      {{"modules", "build", "--manifest", "m", "--object", "o", "--out", "b"},
       Command::kModulesBuild},
      {{"modules", "sign", "--key", "k.key", "b"}, Command::kModulesSign},
      {{"modules", "push", "b"}, Command::kModulesPush},
      {{"modules", "remove", "sigwatch"}, Command::kModulesRemove},
      {{"modules", "bundles"}, Command::kModulesBundles},
  };
  for (const auto& [args, command] : cases) {
    absl::StatusOr<CliOptions> o = Parse(args);
    ASSERT_TRUE(o.ok()) << args[0] << ": " << o.status();
    EXPECT_EQ(o->command, command) << args[0] << " " << args[1];
  }
}

TEST(ParseCliOptionsTest, EnvironmentSuppliesConnectionDefaults) {
  const Env env = {{"VIGIL_CONTROLLER", "ctl.example:7443"},
                   {"VIGIL_CA", "/etc/vigil/ca.pem"},
                   {"VIGIL_CERT", "/etc/vigil/admin.pem"},
                   {"VIGIL_KEY", "/etc/vigil/admin-key.pem"},
                   {"VIGIL_TOKEN_FILE", "/etc/vigil/token"}};
  absl::StatusOr<CliOptions> o = Parse({"sensors"}, env);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->connection.controller, "ctl.example:7443");
  EXPECT_EQ(o->connection.ca, "/etc/vigil/ca.pem");
  EXPECT_EQ(o->connection.cert, "/etc/vigil/admin.pem");
  EXPECT_EQ(o->connection.key, "/etc/vigil/admin-key.pem");
  EXPECT_EQ(o->connection.token_file, "/etc/vigil/token");
}

TEST(ParseCliOptionsTest, FlagsOverrideEnvironment) {
  const Env env = {{"VIGIL_CONTROLLER", "ctl.example:7443"}, {"VIGIL_CA", "/env/ca.pem"}};
  absl::StatusOr<CliOptions> o =
      Parse({"--controller", "10.0.0.1:9000", "--ca=/flag/ca.pem", "sensors"}, env);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->connection.controller, "10.0.0.1:9000");
  EXPECT_EQ(o->connection.ca, "/flag/ca.pem");
}

TEST(ParseCliOptionsTest, InsecureIgnoresTlsEnvironmentButNotController) {
  const Env env = {{"VIGIL_CONTROLLER", "ctl.example:7443"},
                   {"VIGIL_CA", "/env/ca.pem"},
                   {"VIGIL_CERT", "/env/c.pem"},
                   {"VIGIL_KEY", "/env/k.pem"}};
  absl::StatusOr<CliOptions> o = Parse({"--insecure", "sensors"}, env);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->connection.insecure);
  EXPECT_EQ(o->connection.controller, "ctl.example:7443");
  EXPECT_THAT(o->connection.ca, IsEmpty());
  EXPECT_THAT(o->connection.cert, IsEmpty());
  EXPECT_THAT(o->connection.key, IsEmpty());
}

TEST(ParseCliOptionsTest, InsecureWithExplicitTlsFlagIsAnError) {
  EXPECT_THAT(ErrorOf({"--insecure", "--ca", "ca.pem", "sensors"}),
              HasSubstr("--insecure and --ca exclude each other"));
  EXPECT_THAT(ErrorOf({"sensors", "--cert", "c.pem", "--key", "k.pem", "--insecure"}),
              HasSubstr("--insecure and --cert"));
  EXPECT_THAT(ErrorOf({"--insecure", "--server-name", "ctl", "sensors"}),
              HasSubstr("--server-name"));
}

TEST(ParseCliOptionsTest, CertificateNeedsItsKey) {
  EXPECT_THAT(ErrorOf({"--cert", "c.pem", "sensors"}), HasSubstr("--key missing"));
  EXPECT_THAT(ErrorOf({"sensors"}, {{"VIGIL_KEY", "k.pem"}}), HasSubstr("--cert missing"));
  absl::StatusOr<CliOptions> o = Parse(
      {"--ca", "ca.pem", "--cert", "c.pem", "--key", "k.pem", "--server-name", "ctl", "sensors"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->connection.cert, "c.pem");
  EXPECT_EQ(o->connection.key, "k.pem");
  EXPECT_EQ(o->connection.server_name, "ctl");
}

TEST(ParseCliOptionsTest, TokenIsNeverTakenOnTheCommandLine) {
  EXPECT_THAT(ErrorOf({"--token", "s3cret", "sensors"}), HasSubstr("--token-file"));
  absl::StatusOr<CliOptions> o = Parse({"sensors", "--token-file", "/run/token"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->connection.token_file, "/run/token");
}

TEST(ParseCliOptionsTest, OutputFormats) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"-o", "json", "sensors"},
                                             {"-ojson", "sensors"},
                                             {"sensors", "--output=json"},
                                             {"sensors", "--output", "json"}}) {
    absl::StatusOr<CliOptions> o = Parse(args);
    ASSERT_TRUE(o.ok()) << args[0] << ": " << o.status();
    EXPECT_EQ(o->output, OutputFormat::kJson) << args[0];
  }
  absl::StatusOr<CliOptions> table = Parse({"sensors", "-o", "table"});
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->output, OutputFormat::kTable);
  EXPECT_THAT(ErrorOf({"-o", "yaml", "sensors"}), HasSubstr("unknown format 'yaml'"));
}

TEST(ParseCliOptionsTest, Timeout) {
  absl::StatusOr<CliOptions> o = Parse({"sensors", "--timeout", "1m30s"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->timeout, absl::Seconds(90));
  EXPECT_THAT(ErrorOf({"sensors", "--timeout", "10"}), HasSubstr("--timeout: bad duration"));
  EXPECT_THAT(ErrorOf({"sensors", "--timeout", "0s"}), HasSubstr("--timeout: bad duration"));
}

TEST(ParseCliOptionsTest, AlertsTailFilters) {
  absl::StatusOr<CliOptions> o =
      Parse({"alerts", "tail", "--priority", "WARNING", "--rule", "A", "--rule=B", "--tag", "t1",
             "--node", "n1", "--node", "n2", "-o", "json"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->command, Command::kAlertsTail);
  EXPECT_EQ(o->min_priority, vigil::v1::PRIORITY_WARNING);
  EXPECT_THAT(o->rules, ElementsAre("A", "B"));
  EXPECT_THAT(o->tags, ElementsAre("t1"));
  EXPECT_THAT(o->nodes, ElementsAre("n1", "n2"));
  EXPECT_FALSE(o->cursor.has_value());
  EXPECT_EQ(o->output, OutputFormat::kJson);
}

TEST(ParseCliOptionsTest, AlertsTailSinceIsACursor) {
  absl::StatusOr<CliOptions> o = Parse({"alerts", "tail", "--since", "0"});
  ASSERT_TRUE(o.ok()) << o.status();
  ASSERT_TRUE(o->cursor.has_value());
  EXPECT_EQ(*o->cursor, "0");
  o = Parse({"alerts", "tail", "--since=1234"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->cursor.value_or(""), "1234");
  EXPECT_FALSE(o->since_ago.has_value());
}

TEST(ParseCliOptionsTest, AlertsQueryTimeWindowAndLimit) {
  absl::StatusOr<CliOptions> o = Parse({"alerts", "query", "--since", "2h", "--limit", "7"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->since_ago, absl::Hours(2));
  EXPECT_FALSE(o->from.has_value());
  EXPECT_EQ(o->limit, 7u);
  EXPECT_FALSE(o->cursor.has_value());

  o = Parse({"alerts", "query", "--from", "2026-01-31T08:00:00Z"});
  ASSERT_TRUE(o.ok()) << o.status();
  ASSERT_TRUE(o->from.has_value());
  EXPECT_EQ(absl::ToUnixSeconds(*o->from), 1769846400);
  EXPECT_EQ(o->limit, 100u);

  o = Parse({"alerts", "query", "--since", "7d"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->since_ago, absl::Hours(168));

  EXPECT_THAT(ErrorOf({"alerts", "query", "--since", "1h", "--from", "2026-01-31T08:00:00Z"}),
              HasSubstr("exclude each other"));
  EXPECT_THAT(ErrorOf({"alerts", "query", "--since", "yesterday"}),
              HasSubstr("--since: bad duration 'yesterday'"));
  EXPECT_THAT(ErrorOf({"alerts", "query", "--from", "2026-01-31"}), HasSubstr("--from: bad time"));
  EXPECT_THAT(ErrorOf({"alerts", "query", "--limit", "0"}), HasSubstr("--limit"));
  EXPECT_THAT(ErrorOf({"alerts", "query", "--limit", "-3"}), HasSubstr("--limit"));
}

TEST(ParseCliOptionsTest, PriorityNames) {
  EXPECT_EQ(ParsePriorityName("emergency"), vigil::v1::PRIORITY_EMERGENCY);
  EXPECT_EQ(ParsePriorityName("Alert"), vigil::v1::PRIORITY_ALERT);
  EXPECT_EQ(ParsePriorityName("CRITICAL"), vigil::v1::PRIORITY_CRITICAL);
  EXPECT_EQ(ParsePriorityName("error"), vigil::v1::PRIORITY_ERROR);
  EXPECT_EQ(ParsePriorityName("Warning"), vigil::v1::PRIORITY_WARNING);
  EXPECT_EQ(ParsePriorityName("notice"), vigil::v1::PRIORITY_NOTICE);
  EXPECT_EQ(ParsePriorityName("informational"), vigil::v1::PRIORITY_INFORMATIONAL);
  EXPECT_EQ(ParsePriorityName("info"), vigil::v1::PRIORITY_INFORMATIONAL);
  EXPECT_EQ(ParsePriorityName("debug"), vigil::v1::PRIORITY_DEBUG);
  EXPECT_FALSE(ParsePriorityName("warn").has_value());
  EXPECT_FALSE(ParsePriorityName("").has_value());
  EXPECT_THAT(ErrorOf({"alerts", "tail", "--priority", "severe"}),
              HasSubstr("--priority: unknown priority 'severe'"));
}

TEST(ParseCliOptionsTest, DurationFlags) {
  EXPECT_EQ(ParseDurationFlag("90s"), absl::Seconds(90));
  EXPECT_EQ(ParseDurationFlag("500ms"), absl::Milliseconds(500));
  EXPECT_EQ(ParseDurationFlag("1h30m"), absl::Minutes(90));
  EXPECT_EQ(ParseDurationFlag("2d"), absl::Hours(48));
  EXPECT_FALSE(ParseDurationFlag("0s").has_value());
  EXPECT_FALSE(ParseDurationFlag("-1s").has_value());
  EXPECT_FALSE(ParseDurationFlag("0d").has_value());
  EXPECT_FALSE(ParseDurationFlag("inf").has_value());
  EXPECT_FALSE(ParseDurationFlag("10").has_value());
  EXPECT_FALSE(ParseDurationFlag("d").has_value());
  EXPECT_FALSE(ParseDurationFlag("").has_value());
}

TEST(ParseCliOptionsTest, GlobalFlagsMayFollowTheCommand) {
  absl::StatusOr<CliOptions> o =
      Parse({"rules", "status", "--insecure", "--controller", "h:1", "--timeout", "3s"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->command, Command::kRulesStatus);
  EXPECT_TRUE(o->connection.insecure);
  EXPECT_EQ(o->connection.controller, "h:1");
  EXPECT_EQ(o->timeout, absl::Seconds(3));
}

TEST(ParseCliOptionsTest, RulesPushTakesPathsInOrder) {
  absl::StatusOr<CliOptions> o = Parse({"rules", "push", "b.yaml", "dir", "a.yaml"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_THAT(o->paths, ElementsAre("b.yaml", "dir", "a.yaml"));
  // After "--", arguments that look like flags are paths.
  o = Parse({"rules", "push", "--", "-odd.yaml"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_THAT(o->paths, ElementsAre("-odd.yaml"));
  EXPECT_THAT(ErrorOf({"rules", "push"}), HasSubstr("no rules file or directory"));
}

TEST(ParseCliOptionsTest, RulesStatusVersionIsTheRolloutsNotVigilctls) {
  absl::StatusOr<CliOptions> o = Parse({"rules", "status", "--version", "sha256:abc"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_FALSE(o->version);
  EXPECT_EQ(o->rollout_version, "sha256:abc");
  o = Parse({"modules", "status", "--version=7"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->rollout_version, "7");

  o = Parse({"--version"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->version);
  o = Parse({"sensors", "--version"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->version);
  EXPECT_THAT(ErrorOf({"sensors", "--version=3"}), HasSubstr("--version takes no value"));
}

TEST(ParseCliOptionsTest, ModulesEnableTakesOneNameAndNodes) {
  absl::StatusOr<CliOptions> o =
      Parse({"modules", "enable", "file", "--node", "n1", "--node", "n2"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->command, Command::kModulesEnable);
  EXPECT_EQ(o->module, "file");
  EXPECT_THAT(o->nodes, ElementsAre("n1", "n2"));
  EXPECT_THAT(ErrorOf({"modules", "disable"}), HasSubstr("expects one module name, got 0"));
  EXPECT_THAT(ErrorOf({"modules", "disable", "a", "b"}),
              HasSubstr("expects one module name, got 2"));
}

TEST(ParseCliOptionsTest, BundleVerbsTakeTheirFilesAndNodes) {
  absl::StatusOr<CliOptions> o = Parse({"modules", "keygen", "--out", "keys/modules"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->out, "keys/modules");
  EXPECT_TRUE(IsOffline(o->command));

  o = Parse({"modules", "build", "--manifest=m.textproto", "--object", "m.bpf.o", "--out", "m.vb"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->manifest, "m.textproto");
  EXPECT_EQ(o->object, "m.bpf.o");
  EXPECT_EQ(o->out, "m.vb");

  o = Parse({"modules", "push", "m.vb", "--node", "n1", "--node", "n2"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->bundle, "m.vb");
  EXPECT_THAT(o->nodes, ElementsAre("n1", "n2"));
  EXPECT_FALSE(IsOffline(o->command));

  o = Parse({"modules", "remove", "sigwatch", "--node", "n1"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->module, "sigwatch");
  EXPECT_THAT(o->nodes, ElementsAre("n1"));

  EXPECT_THAT(ErrorOf({"modules", "keygen"}), HasSubstr("keygen: --out PREFIX is required"));
  EXPECT_THAT(ErrorOf({"modules", "build", "--object", "o", "--out", "b"}),
              HasSubstr("--manifest FILE is required"));
  EXPECT_THAT(ErrorOf({"modules", "build", "--manifest", "m", "--out", "b"}),
              HasSubstr("--object FILE is required"));
  EXPECT_THAT(ErrorOf({"modules", "build", "--manifest", "m", "--object", "o"}),
              HasSubstr("--out BUNDLE is required"));
  EXPECT_THAT(ErrorOf({"modules", "push"}), HasSubstr("expects one bundle file, got 0"));
  EXPECT_THAT(ErrorOf({"modules", "remove"}), HasSubstr("expects one module name, got 0"));
  EXPECT_THAT(ErrorOf({"modules", "push", "b", "--out", "x"}),
              HasSubstr("--out is not a flag of 'vigilctl modules push'"));
  EXPECT_THAT(ErrorOf({"modules", "keygen", "--out", "k", "--node", "n"}),
              HasSubstr("--node is not a flag of 'vigilctl modules keygen'"));
  EXPECT_THAT(ErrorOf({"modules", "keygen", "--out", "k", "--key", "x"}),
              HasSubstr("--key is not a flag of 'vigilctl modules keygen'"));
}

// sign's --key is the signing key wherever it is on the line, never the client key; the
// offline verbs read no connection settings.
TEST(ParseCliOptionsTest, SignKeyIsNotTheClientKey) {
  const Env env = {{kEnvKey, "client.key"}, {kEnvCert, "client.pem"}};
  absl::StatusOr<CliOptions> o = Parse({"modules", "sign", "--key", "sign.key", "b.vb"}, env);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->sign_key, "sign.key");
  EXPECT_EQ(o->bundle, "b.vb");
  EXPECT_EQ(o->out, "");
  EXPECT_THAT(o->connection.key, IsEmpty());

  o = Parse({"--key", "sign.key", "modules", "sign", "b.vb", "--out", "signed.vb"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->sign_key, "sign.key");
  EXPECT_EQ(o->out, "signed.vb");

  EXPECT_THAT(ErrorOf({"modules", "sign", "b.vb"}), HasSubstr("sign: --key KEY is required"));
  EXPECT_THAT(ErrorOf({"modules", "sign", "--key", "k"}),
              HasSubstr("expects one bundle file, got 0"));
  // Online commands keep --key as the client certificate's key.
  o = Parse({"modules", "push", "b.vb", "--cert", "c.pem", "--key", "c.key"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->connection.key, "c.key");
}

TEST(ParseCliOptionsTest, UsageErrors) {
  EXPECT_THAT(ErrorOf({}), HasSubstr("no command given"));
  EXPECT_THAT(ErrorOf({"--insecure"}), HasSubstr("no command given"));
  EXPECT_THAT(ErrorOf({"sensor"}), HasSubstr("unknown command 'sensor'"));
  EXPECT_THAT(ErrorOf({"alerts"}), HasSubstr("'alerts' needs a subcommand (tail, query)"));
  EXPECT_THAT(ErrorOf({"alerts", "follow"}),
              HasSubstr("unknown command 'alerts follow' (alerts has: tail, query)"));
  EXPECT_THAT(ErrorOf({"sensors", "--bogus"}), HasSubstr("unknown flag '--bogus'"));
  EXPECT_THAT(ErrorOf({"sensors", "-x"}), HasSubstr("unknown flag '-x'"));
  EXPECT_THAT(ErrorOf({"sensors", "extra"}), HasSubstr("unexpected argument 'extra'"));
  EXPECT_THAT(ErrorOf({"sensors", "--controller"}), HasSubstr("--controller: missing value"));
  EXPECT_THAT(ErrorOf({"sensors", "--controller="}), HasSubstr("--controller: empty value"));
  EXPECT_THAT(ErrorOf({"sensors", "--insecure=yes"}), HasSubstr("--insecure takes no value"));
  EXPECT_THAT(ErrorOf({"alerts", "tail", "--limit", "3"}),
              HasSubstr("--limit is not a flag of 'vigilctl alerts tail'"));
  EXPECT_THAT(ErrorOf({"sensors", "--node", "n1"}),
              HasSubstr("--node is not a flag of 'vigilctl sensors'"));
  EXPECT_THAT(ErrorOf({"rules", "list", "--version=v"}), HasSubstr("--version takes no value"));
}

TEST(ParseCliOptionsTest, HelpTopics) {
  absl::StatusOr<CliOptions> o = Parse({"--help"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->help);
  EXPECT_EQ(o->help_topic, "");

  o = Parse({"alerts", "tail", "--help"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->help);
  EXPECT_EQ(o->help_topic, "alerts tail");

  o = Parse({"help", "rules", "push"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->help_topic, "rules push");

  o = Parse({"modules", "-h"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->help_topic, "modules");

  // Help wins over what would otherwise be errors in the rest of the line.
  o = Parse({"rules", "push", "--bogus", "--help"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->help_topic, "rules push");

  EXPECT_THAT(ErrorOf({"help", "frobnicate"}), HasSubstr("no help for unknown command"));
}

TEST(CommandNamedTest, NamesEveryCommandAndNothingElse) {
  EXPECT_EQ(CommandNamed("sensors"), Command::kSensors);
  EXPECT_EQ(CommandNamed("alerts tail"), Command::kAlertsTail);
  EXPECT_EQ(CommandNamed("modules disable"), Command::kModulesDisable);
  EXPECT_EQ(CommandNamed("modules bundles"), Command::kModulesBundles);
  for (const char* words : {"", "alerts", "rules", "modules", "alerts  tail", "Sensors", "help"}) {
    EXPECT_EQ(CommandNamed(words), std::nullopt) << words;
  }
}

}  // namespace
}  // namespace vigil::cli

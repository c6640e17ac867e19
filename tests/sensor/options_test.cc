// Unit tests for sensor/options.h: vigil-sensor's command line.
#include "sensor/options.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bpf/abi/file.h"
#include "bpf/abi/process.h"
#include "bpf/abi/vigil_event.h"
#include "event/modules/file.h"
#include "event/schema.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sensor/probes/attach_mode.h"

namespace vigil::sensor {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr uint32_t kSomeTypes = (1u << VIGIL_EVENT_FORK) | (1u << VIGIL_EVENT_EXEC) |
                                (1u << VIGIL_EVENT_EXIT) | (1u << VIGIL_EVENT_OPEN);

absl::StatusOr<SensorOptions> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "vigil-sensor");
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);
  return ParseSensorOptions(static_cast<int>(args.size()), argv.data());
}

std::vector<std::string> Defaults() { return DefaultFilePrefixes(); }

std::vector<std::string> DefaultsPlus(std::vector<std::string> extra) {
  std::vector<std::string> out = Defaults();
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

TEST(DefaultFilePrefixesTest, AbsoluteDirectoriesIncludingDocumentedOnes) {
  const std::vector<std::string>& prefixes = DefaultFilePrefixes();
  ASSERT_FALSE(prefixes.empty());
  for (const std::string& p : prefixes) {
    EXPECT_EQ(p.front(), '/') << p;
    EXPECT_EQ(p.back(), '/') << p;
    EXPECT_LE(p.size(), size_t{VIGIL_PREFIX_MAX}) << p;
  }
  EXPECT_THAT(prefixes, ::testing::IsSupersetOf({"/etc/", "/root/", "/bin/", "/usr/bin/",
                                                 "/run/secrets/", "/var/run/secrets/"}));
}

TEST(ParseSensorOptionsTest, PrintEventsUsesDefaults) {
  absl::StatusOr<SensorOptions> opts = Parse({"--print-events"});
  ASSERT_TRUE(opts.ok()) << opts.status();
  EXPECT_TRUE(opts->print_events);
  EXPECT_FALSE(opts->check);
  EXPECT_FALSE(opts->help);
  EXPECT_FALSE(opts->version);
  EXPECT_EQ(opts->output, "-");
  EXPECT_FALSE(opts->attach_mode.has_value());
  EXPECT_EQ(opts->file_prefixes, Defaults());
  EXPECT_FALSE(opts->all_files);
  EXPECT_TRUE(opts->hidden);
  EXPECT_FALSE(opts->failed_opens);
  EXPECT_EQ(opts->type_mask, event::RegisteredEventMask());
  EXPECT_EQ(opts->ringbuf_bytes, size_t{16} << 20);
  EXPECT_EQ(opts->process_table_size, 65536u);
  EXPECT_EQ(opts->wakeup_bytes, 256u * 1024);
  EXPECT_EQ(opts->wakeup_us, 10000u);
  EXPECT_EQ(opts->proc_root, "/proc");
  EXPECT_EQ(opts->file_root, "");
  EXPECT_FALSE(opts->verbose);
}

TEST(ParseSensorOptionsTest, BooleanFlags) {
  absl::StatusOr<SensorOptions> opts =
      Parse({"--print-events", "--all-files", "--no-hidden", "--failed-opens", "--verbose"});
  ASSERT_TRUE(opts.ok()) << opts.status();
  EXPECT_TRUE(opts->all_files);
  EXPECT_FALSE(opts->hidden);
  EXPECT_TRUE(opts->failed_opens);
  EXPECT_TRUE(opts->verbose);
}

TEST(ParseSensorOptionsTest, ActionsOtherThanPrintEvents) {
  struct Case {
    const char* flag;
    bool SensorOptions::*field;
  };
  const Case cases[] = {
      {"--check", &SensorOptions::check},
      {"--help", &SensorOptions::help},
      {"-h", &SensorOptions::help},
      {"--version", &SensorOptions::version},
  };
  for (const Case& c : cases) {
    absl::StatusOr<SensorOptions> opts = Parse({c.flag});
    ASSERT_TRUE(opts.ok()) << c.flag << ": " << opts.status();
    EXPECT_TRUE((*opts).*c.field) << c.flag;
    EXPECT_FALSE(opts->print_events) << c.flag;
  }
}

TEST(ParseSensorOptionsTest, FilePrefixRepeatedAndWithEquals) {
  absl::StatusOr<SensorOptions> opts =
      Parse({"--print-events", "--file-prefix", "/srv/data/", "--file-prefix=/opt/app/",
             "--file-prefix", "/home/"});
  ASSERT_TRUE(opts.ok()) << opts.status();
  EXPECT_EQ(opts->file_prefixes, DefaultsPlus({"/srv/data/", "/opt/app/", "/home/"}));
}

TEST(ParseSensorOptionsTest, EqualsFormKeepsLaterEquals) {
  absl::StatusOr<SensorOptions> opts = Parse({"--print-events", "--file-prefix=/a=b/"});
  ASSERT_TRUE(opts.ok()) << opts.status();
  EXPECT_EQ(opts->file_prefixes.back(), "/a=b/");
}

TEST(ParseSensorOptionsTest, NoDefaultPrefixes) {
  absl::StatusOr<SensorOptions> opts = Parse({"--print-events", "--no-default-prefixes"});
  ASSERT_TRUE(opts.ok()) << opts.status();
  EXPECT_TRUE(opts->file_prefixes.empty());

  // Order does not matter: the defaults are dropped even when the flag comes last.
  opts = Parse({"--file-prefix", "/srv/", "--print-events", "--no-default-prefixes"});
  ASSERT_TRUE(opts.ok()) << opts.status();
  EXPECT_THAT(opts->file_prefixes, ElementsAre("/srv/"));
}

TEST(ParseSensorOptionsTest, Events) {
  struct Case {
    const char* list;
    uint32_t mask;
  };
  const Case cases[] = {
      {"fork,exec", (1u << VIGIL_EVENT_FORK) | (1u << VIGIL_EVENT_EXEC)},
      {"open", 1u << VIGIL_EVENT_OPEN},
      {"exit", 1u << VIGIL_EVENT_EXIT},
      {"exec,exit,open,fork", kSomeTypes},
      {"unlink,rename,mkdir,link,symlink,chmod,chown,truncate,memfd,mount", event::kFileOpEvents},
      {"fork,fork", 1u << VIGIL_EVENT_FORK},
      {"exec,,open", (1u << VIGIL_EVENT_EXEC) | (1u << VIGIL_EVENT_OPEN)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.list);
    absl::StatusOr<SensorOptions> opts = Parse({"--print-events", "--events", c.list});
    ASSERT_TRUE(opts.ok()) << opts.status();
    EXPECT_EQ(opts->type_mask, c.mask);
    opts = Parse({"--print-events", std::string("--events=") + c.list});
    ASSERT_TRUE(opts.ok()) << opts.status();
    EXPECT_EQ(opts->type_mask, c.mask);
  }
}

TEST(ParseSensorOptionsTest, AttachMode) {
  struct Case {
    const char* name;
    probes::AttachMode mode;
  };
  const Case cases[] = {
      {"tp_btf", probes::AttachMode::kTpBtf},
      {"raw_tp", probes::AttachMode::kRawTp},
      {"tracepoint", probes::AttachMode::kTracepoint},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<SensorOptions> opts = Parse({"--check", "--attach-mode", c.name});
    ASSERT_TRUE(opts.ok()) << opts.status();
    ASSERT_TRUE(opts->attach_mode.has_value());
    EXPECT_EQ(*opts->attach_mode, c.mode);
  }
}

TEST(ParseSensorOptionsTest, Numbers) {
  absl::StatusOr<SensorOptions> opts =
      Parse({"--print-events", "--ringbuf-bytes", "4096", "--process-table-size=1",
             "--wakeup-bytes", "0", "--wakeup-us=10000000"});
  ASSERT_TRUE(opts.ok()) << opts.status();
  EXPECT_EQ(opts->ringbuf_bytes, 4096u);
  EXPECT_EQ(opts->process_table_size, 1u);
  EXPECT_EQ(opts->wakeup_bytes, 0u);
  EXPECT_EQ(opts->wakeup_us, 10000000u);

  opts = Parse({"--print-events", "--ringbuf-bytes=1073741824", "--process-table-size", "16777216",
                "--wakeup-bytes", "1073741824", "--wakeup-us", "0"});
  ASSERT_TRUE(opts.ok()) << opts.status();
  EXPECT_EQ(opts->ringbuf_bytes, size_t{1} << 30);
  EXPECT_EQ(opts->process_table_size, size_t{1} << 24);
  EXPECT_EQ(opts->wakeup_bytes, uint64_t{1} << 30);
  EXPECT_EQ(opts->wakeup_us, 0u);
}

TEST(ParseSensorOptionsTest, OutputAndProcRoot) {
  absl::StatusOr<SensorOptions> opts =
      Parse({"--print-events", "--output", "/var/log/vigil.jsonl", "--proc-root=/host/proc",
             "--file-root", "/host/proc/1/root"});
  ASSERT_TRUE(opts.ok()) << opts.status();
  EXPECT_EQ(opts->output, "/var/log/vigil.jsonl");
  EXPECT_EQ(opts->proc_root, "/host/proc");
  EXPECT_EQ(opts->file_root, "/host/proc/1/root");
  EXPECT_FALSE(Parse({"--file-root", ""}).ok());
}

TEST(ParseSensorOptionsTest, Enrichment) {
  absl::StatusOr<SensorOptions> opts = Parse({"--print-events"});
  ASSERT_TRUE(opts.ok()) << opts.status();
  EXPECT_EQ(opts->cri_socket, "");  // autodetect
  EXPECT_FALSE(opts->no_cri);
  EXPECT_EQ(opts->pod_cache_size, 4096u);

  opts = Parse({"--print-events", "--cri-socket", "/run/k3s/containerd/containerd.sock",
                "--pod-cache-size=10"});
  ASSERT_TRUE(opts.ok()) << opts.status();
  EXPECT_EQ(opts->cri_socket, "/run/k3s/containerd/containerd.sock");
  EXPECT_EQ(opts->pod_cache_size, 10u);

  opts = Parse({"--print-events", "--no-cri"});
  ASSERT_TRUE(opts.ok()) << opts.status();
  EXPECT_TRUE(opts->no_cri);

  EXPECT_FALSE(Parse({"--print-events", "--no-cri", "--cri-socket", "/x.sock"}).ok());
  EXPECT_FALSE(Parse({"--print-events", "--pod-cache-size", "0"}).ok());
  EXPECT_FALSE(Parse({"--print-events", "--cri-socket="}).ok());
  EXPECT_FALSE(Parse({"--print-events", "--no-cri=1"}).ok());
}

TEST(ParseSensorOptionsTest, LaterValueWins) {
  absl::StatusOr<SensorOptions> opts = Parse(
      {"--print-events", "--events", "fork", "--events", "open", "--output", "a", "--output", "b"});
  ASSERT_TRUE(opts.ok()) << opts.status();
  EXPECT_EQ(opts->type_mask, 1u << VIGIL_EVENT_OPEN);
  EXPECT_EQ(opts->output, "b");
}

struct ErrorCase {
  std::vector<std::string> args;
  std::vector<std::string> message_parts;  // each must appear in the error message
};

TEST(ParseSensorOptionsTest, Errors) {
  const std::string long_prefix = "/" + std::string(VIGIL_PREFIX_MAX, 'a');
  const ErrorCase cases[] = {
      // Unknown options, named as given.
      {{"--print-events", "--bogus"}, {"unknown option", "--bogus"}},
      {{"--print-events", "--bogus=1"}, {"unknown option", "--bogus=1"}},
      {{"--print-events", "-x"}, {"unknown option", "-x"}},
      {{"--print-events", "stray"}, {"unexpected argument 'stray'", "--validate-rules"}},
      {{"--validate-rules"}, {"--validate-rules: no rules files or directories given"}},
      // Missing values.
      {{"--print-events", "--file-prefix"}, {"--file-prefix", "missing value"}},
      {{"--print-events", "--events"}, {"--events", "missing value"}},
      {{"--print-events", "--output"}, {"--output", "missing value"}},
      {{"--print-events", "--ringbuf-bytes"}, {"--ringbuf-bytes", "missing value"}},
      {{"--print-events", "--attach-mode"}, {"--attach-mode", "missing value"}},
      // Bad --file-prefix.
      {{"--print-events", "--file-prefix", "etc/"}, {"--file-prefix", "'etc/'", "absolute"}},
      {{"--print-events", "--file-prefix=./x"}, {"--file-prefix", "'./x'", "absolute"}},
      {{"--print-events", "--file-prefix="}, {"--file-prefix", "absolute"}},
      {{"--print-events", "--file-prefix", long_prefix}, {"--file-prefix", "longer than"}},
      // Bad --events.
      {{"--print-events", "--events", "fork,bogus"}, {"--events", "'bogus'", "fork"}},
      {{"--print-events", "--events", "FORK"}, {"--events", "'FORK'"}},
      {{"--print-events", "--events", ","}, {"--events", "empty"}},
      {{"--print-events", "--events="}, {"--events", "empty"}},
      // Bad attach mode.
      {{"--check", "--attach-mode", "kprobe"}, {"kprobe", "tp_btf"}},
      // Bad numbers: not numbers, negative, out of range.
      {{"--print-events", "--ringbuf-bytes", "lots"}, {"--ringbuf-bytes", "'lots'", "number"}},
      {{"--print-events", "--ringbuf-bytes", "12k"}, {"--ringbuf-bytes", "'12k'"}},
      {{"--print-events", "--ringbuf-bytes", "4095"}, {"--ringbuf-bytes", "'4095'", "4096"}},
      {{"--print-events", "--ringbuf-bytes", "1073741825"}, {"--ringbuf-bytes", "1073741825"}},
      {{"--print-events", "--process-table-size", "0"}, {"--process-table-size", "'0'"}},
      {{"--print-events", "--process-table-size=-1"}, {"--process-table-size", "'-1'"}},
      {{"--print-events", "--wakeup-bytes", ""}, {"--wakeup-bytes", "number"}},
      {{"--print-events", "--wakeup-us", "10000001"}, {"--wakeup-us", "'10000001'"}},
      {{"--print-events", "--wakeup-us", "99999999999999999999999"}, {"--wakeup-us"}},
      // Flags that take no value.
      {{"--print-events=yes"}, {"--print-events", "takes no value"}},
      {{"--print-events", "--all-files=1"}, {"--all-files", "takes no value"}},
      {{"--print-events", "--no-default-prefixes="}, {"--no-default-prefixes", "no value"}},
      {{"--check", "--verbose=true"}, {"--verbose", "takes no value"}},
      // Empty output path.
      {{"--print-events", "--output="}, {"--output", "empty"}},
      // Rules.
      {{"--rules", "--print-alerts"}, {"--rules", "no rules files"}},
      {{"--rules", "r.yaml"}, {"--rules", "--print-alerts"}},
      {{"--print-alerts"}, {"--print-alerts", "needs --rules"}},
      {{"--print-events", "r.yaml"}, {"unexpected argument 'r.yaml'"}},
      {{"--validate-rules", "--rules", "r.yaml"}, {"exclude each other"}},
      {{"--rules", "r.yaml", "--print-alerts", "--passwd="}, {"--passwd", "empty"}},
      // Nothing to do.
      {{}, {"nothing to do", "--print-events", "--check"}},
      {{"--verbose", "--all-files", "--events", "exec"}, {"nothing to do"}},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(testing::PrintToString(c.args));
    absl::StatusOr<SensorOptions> opts = Parse(c.args);
    ASSERT_FALSE(opts.ok());
    EXPECT_EQ(opts.status().code(), absl::StatusCode::kInvalidArgument);
    for (const std::string& part : c.message_parts) {
      EXPECT_THAT(std::string(opts.status().message()), HasSubstr(part));
    }
  }
}

TEST(SensorOptionsTest, RulesTakePathsAndAlertOptions) {
  absl::StatusOr<SensorOptions> opts =
      Parse({"--rules", "a.yaml", "dir", "--print-alerts", "--passwd", "/p", "--hostname=n1"});
  ASSERT_TRUE(opts.ok()) << opts.status();
  EXPECT_TRUE(opts->run_rules);
  EXPECT_TRUE(opts->print_alerts);
  EXPECT_FALSE(opts->print_events);
  EXPECT_THAT(opts->rule_paths, ElementsAre("a.yaml", "dir"));
  EXPECT_EQ(opts->passwd_path, "/p");
  EXPECT_EQ(opts->hostname, "n1");
}

TEST(SensorUsageTest, MentionsEveryOption) {
  const std::string usage = SensorUsage();
  for (const char* flag : {"--print-events",
                           "--check",
                           "--help",
                           "--version",
                           "--events",
                           "--file-prefix",
                           "--no-default-prefixes",
                           "--all-files",
                           "--no-hidden",
                           "--failed-opens",
                           "--attach-mode",
                           "--output",
                           "--ringbuf-bytes",
                           "--wakeup-bytes",
                           "--wakeup-us",
                           "--process-table-size",
                           "--proc-root",
                           "--file-root",
                           "--verbose",
                           "--rules",
                           "--print-alerts",
                           "--validate-rules",
                           "--passwd",
                           "--hostname",
                           "--list-fields",
                           "--cri-socket",
                           "--no-cri",
                           "--pod-cache-size",
                           "SIGHUP"}) {
    EXPECT_THAT(usage, HasSubstr(flag));
  }
}

}  // namespace
}  // namespace vigil::sensor

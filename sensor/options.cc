#include "sensor/options.h"

#include <functional>
#include <type_traits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "bpf/abi/vigil_event.h"
#include "common/status_macros.h"
#include "event/schema.h"

namespace vigil::sensor {
namespace {

absl::StatusOr<uint32_t> ParseTypes(absl::string_view list) {
  uint32_t mask = 0;
  for (absl::string_view name : absl::StrSplit(list, ',', absl::SkipEmpty())) {
    const event::EventTypeInfo* type = event::FindEventTypeByName(name);
    if (type == nullptr) {
      std::vector<absl::string_view> known;
      for (const event::EventTypeInfo* info : event::EventTypes()) known.push_back(info->name);
      return absl::InvalidArgumentError(absl::StrCat(
          "--events: unknown event type '", name, "' (expected ", absl::StrJoin(known, ", "), ")"));
    }
    mask |= event::EventBit(type->type);
  }
  if (mask == 0) return absl::InvalidArgumentError("--events: empty list");
  return mask;
}

template <typename T>
absl::StatusOr<T> ParseNumber(absl::string_view flag, absl::string_view value, T min, T max) {
  uint64_t parsed;
  if (!absl::SimpleAtoi(value, &parsed) || parsed < static_cast<uint64_t>(min) ||
      parsed > static_cast<uint64_t>(max)) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": '", value, "' is not a number in [", min, ", ", max, "]"));
  }
  return static_cast<T>(parsed);
}

}  // namespace

const std::vector<std::string>& DefaultFilePrefixes() {
  static const auto* prefixes = new std::vector<std::string>{"/etc/",
                                                             "/root/",
                                                             "/boot/",
                                                             "/bin/",
                                                             "/sbin/",
                                                             "/usr/bin/",
                                                             "/usr/sbin/",
                                                             "/usr/local/bin/",
                                                             "/usr/local/sbin/",
                                                             "/lib/modules/",
                                                             "/var/spool/cron/",
                                                             "/run/secrets/",
                                                             "/var/run/secrets/"};
  return *prefixes;
}

const char* SensorUsage() {
  return R"(Usage: vigil-sensor [OPTIONS]

Vigil's node sensor: eBPF probes for process and file activity on this node.

Actions:
  --print-events           Print every event as one JSON object per line (docs/events.md).
                           Connections (connect, accept, close) are folded into one
                           net_summary record per process and remote endpoint and window
                           (rules still see each one) ...
  --net-events-each        ... unless this asks for each connection event.
  --net-summary-seconds N  Connection summary window (default 60; also for metrics and the
                           health report).
  --rules PATH...          Run the rules in these files or directories (their *.yaml, *.yml
                           in name order) on the live stream. The kernel filter is derived
                           from the rules. SIGHUP reloads them; a set that fails to compile
                           is refused (the running set stays) and reported as an alert.
  --print-alerts           Print alerts as JSON lines shaped like Falco's JSON output (time,
                           rule, priority, output, output_fields, hostname, tags, source).
  --controller HOST:PORT   Send alerts to vigil-controller (spooled on disk first, deleted
                           once the controller has stored them) and take rule sets and probe
                           module settings from it. Rules then need no --rules.

Controller link:
  --controller-ca PATH     CA that signed the controller's certificate (PEM).
  --controller-cert PATH   This sensor's client certificate (PEM) ...
  --controller-key PATH    ... and its key.
  --controller-token-file PATH  A credential naming this node (a Kubernetes service-account
                           token with the controller's audience), read again at every
                           connection; then no client certificate is needed.
  --controller-server-name NAME  The controller's name in its certificate, when it differs
                           from the host in --controller.
  --controller-insecure    Plaintext, no certificates (local use only).
  --spool DIR              Alert spool directory (default /var/lib/vigil/spool).
  --spool-bytes N          Spool size bound (default 268435456); beyond it alerts are
                           dropped, counted and reported as a gap.
  --sensor-id ID           This sensor's name at the controller (default: the host name).
  --max-rules N            Refuse rule sets with more than N rules (bounds memory on small
                           nodes; the refusal shows as failed in the controller's rollout).
  --check                  Load and attach the probes, print the sensor_start record
                           (attach mode per module), and exit.
  --list-fields            Print the fields rules can use (docs/rules.md) and exit.
  --validate-rules PATH... Load and compile rules files (directories: their *.yaml, *.yml
                           in name order), print every error as file:line:column: reason
                           or a summary, and exit (1 when the set is rejected).
  --help                   Show this text.
  --version                Print the version.

event::Event selection (the kernel drops what is not selected):
  --events LIST            Event types to report, comma-separated, e.g. exec,open
                           (default: all; each type is in docs/events.md).
  --file-prefix PATH       Report opens and file operations of paths starting with PATH
                           (repeatable).
  --no-default-prefixes    Do not include the default prefixes (/etc/, /root/, /bin/, ...).
  --all-files              Report every open and file operation.
  --no-hidden              Do not report opens just because a path component starts with '.'.
  --failed-opens           Also report failed opens and file operations (matched on the
                           caller's path string).

Tuning:
  --attach-mode MODE       Force fentry, tp_btf, raw_tp or tracepoint on every module that
                           has MODE; the others choose as usual (default: cheapest that
                           works; the file module has fentry, the process module not).
  --output PATH            Write JSON lines to PATH instead of stdout.
  --ringbuf-bytes N        Ring buffer size (default 16777216).
  --wakeup-bytes N         Wake the reader once N bytes are pending (default 262144).
  --wakeup-us N            ... or when the last wake-up is N microseconds old (default 10000).
  --process-table-size N   Most processes tracked (default 65536).
  --passwd PATH            passwd file for user.name (default /etc/passwd).
  --hostname NAME          Host name written in alerts (default: this machine's).

Operations:
  --metrics-address H:P    Serve Prometheus /metrics, /healthz and /readyz on H:P
                           (e.g. 0.0.0.0:9470; default: not served). docs/metrics.md.
  --stall-after-ms N       Report a stalled pipeline (metric and self-alert) once events
                           wait N ms with none consumed (default 3000, at least 2000: an
                           idle pipeline may leave batched events for up to 1 s).
  --proc-root PATH         procfs to seed the process table from (default /proc).
  --file-root PATH         Resolve the paths rules name by identity (fd.file in (...))
                           under PATH, e.g. /host/proc/1/root for the node's files from a
                           sensor in a container (default: the sensor's own root).
  --module-keys DIR        Ed25519 public keys (*.pem) that probe-module bundles pushed
                           by the controller must be signed with (docs/modules.md);
                           without keys every bundle is refused.
  --btf PATH               Kernel BTF to relocate the probes against
                           (default /sys/kernel/btf/vmlinux).
  --verbose                Print libbpf's debug output.

Container and pod enrichment (container.*, k8s.* fields; docs/enrichment.md):
  --cri-socket PATH        The container runtime's CRI socket (default: the first that
                           exists of /run/containerd/containerd.sock, /run/crio/crio.sock,
                           /var/run/cri-dockerd.sock).
  --no-cri                 Do not ask a runtime for pods (container ids still work).
  --pod-cache-size N       Most containers whose pods are remembered (default 4096).

Runs as root (or with CAP_BPF, CAP_PERFMON, CAP_SYS_RESOURCE, CAP_SYS_PTRACE).
SIGINT/SIGTERM stop it cleanly: probes detached, remaining events drained and flushed.
SIGHUP reloads the rules given to --rules.
)";
}

absl::StatusOr<SensorOptions> ParseSensorOptions(int argc, const char* const* argv) {
  SensorOptions opts;
  opts.type_mask = event::RegisteredEventMask();
  bool default_prefixes = true;
  std::vector<std::string> extra_prefixes;

  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    std::string inline_value;
    bool has_inline = false;
    if (size_t eq = arg.find('='); arg.substr(0, 2) == "--" && eq != absl::string_view::npos) {
      inline_value = std::string(arg.substr(eq + 1));
      arg = arg.substr(0, eq);
      has_inline = true;
    }
    auto value = [&]() -> absl::StatusOr<std::string> {
      if (has_inline) return inline_value;
      if (i + 1 >= argc) {
        return absl::InvalidArgumentError(absl::StrCat(arg, ": missing value"));
      }
      return std::string(argv[++i]);
    };
    auto flag_only = [&]() -> absl::Status {
      if (has_inline) {
        return absl::InvalidArgumentError(absl::StrCat(arg, " takes no value"));
      }
      return absl::OkStatus();
    };
#define VIGIL_FLAG(name, field)   \
  if (arg == name) {              \
    absl::Status s = flag_only(); \
    if (!s.ok()) return s;        \
    field;                        \
    continue;                     \
  }
    VIGIL_FLAG("--help", opts.help = true);
    VIGIL_FLAG("-h", opts.help = true);
    VIGIL_FLAG("--version", opts.version = true);
    VIGIL_FLAG("--check", opts.check = true);
    VIGIL_FLAG("--list-fields", opts.list_fields = true);
    VIGIL_FLAG("--validate-rules", opts.validate_rules = true);
    VIGIL_FLAG("--print-events", opts.print_events = true);
    VIGIL_FLAG("--net-events-each", opts.net_events_each = true);
    VIGIL_FLAG("--rules", opts.run_rules = true);
    VIGIL_FLAG("--print-alerts", opts.print_alerts = true);
    VIGIL_FLAG("--controller-insecure", opts.controller_insecure = true);
    VIGIL_FLAG("--no-default-prefixes", default_prefixes = false);
    VIGIL_FLAG("--all-files", opts.all_files = true);
    VIGIL_FLAG("--no-hidden", opts.hidden = false);
    VIGIL_FLAG("--failed-opens", opts.failed_opens = true);
    VIGIL_FLAG("--verbose", opts.verbose = true);
    VIGIL_FLAG("--no-cri", opts.no_cri = true);
#undef VIGIL_FLAG

    if (arg.substr(0, 1) != "-") {
      opts.rule_paths.emplace_back(arg);  // a rules path (for --rules or --validate-rules)
      continue;
    }
    // Options that take a value: the name, and what to do with the value.
    using Setter = std::function<absl::Status(const std::string&)>;
    auto number = [&arg](auto* field, auto min, auto max) -> Setter {
      return [&arg, field, min, max](const std::string& v) -> absl::Status {
        using T = std::remove_pointer_t<decltype(field)>;
        VIGIL_ASSIGN_OR_RETURN(*field, ParseNumber<T>(arg, v, min, max));
        return absl::OkStatus();
      };
    };
    auto path = [&arg](std::string* field) -> Setter {
      return [&arg, field](const std::string& v) -> absl::Status {
        if (v.empty()) return absl::InvalidArgumentError(absl::StrCat(arg, ": empty path"));
        *field = v;
        return absl::OkStatus();
      };
    };
    const std::pair<absl::string_view, Setter> value_options[] = {
        {"--output", path(&opts.output)},
        {"--proc-root",
         [&](const std::string& v) {
           opts.proc_root = v;
           return absl::OkStatus();
         }},
        {"--file-root", path(&opts.file_root)},
        {"--module-keys", path(&opts.module_keys_dir)},
        {"--btf", path(&opts.btf_path)},
        {"--cri-socket", path(&opts.cri_socket)},
        {"--pod-cache-size", number(&opts.pod_cache_size, size_t{1}, size_t{1} << 20)},
        {"--passwd", path(&opts.passwd_path)},
        {"--controller", path(&opts.controller)},
        {"--controller-ca", path(&opts.controller_ca)},
        {"--controller-cert", path(&opts.controller_cert)},
        {"--controller-key", path(&opts.controller_key)},
        {"--controller-token-file", path(&opts.controller_token_file)},
        {"--controller-server-name", path(&opts.controller_server_name)},
        {"--spool", path(&opts.spool_dir)},
        {"--spool-bytes", number(&opts.spool_bytes, uint64_t{1} << 20, uint64_t{1} << 40)},
        {"--sensor-id", path(&opts.sensor_id)},
        {"--max-rules", number(&opts.max_rules, size_t{1}, size_t{1} << 20)},
        {"--hostname", path(&opts.hostname)},
        {"--metrics-address", path(&opts.metrics_address)},
        {"--stall-after-ms", number(&opts.stall_after_ms, uint64_t{2000}, uint64_t{3'600'000})},
        {"--net-summary-seconds", number(&opts.net_summary_seconds, uint64_t{1}, uint64_t{3600})},
        {"--file-prefix",
         [&](const std::string& v) {
           if (v.empty() || v[0] != '/') {
             return absl::InvalidArgumentError(
                 absl::StrCat("--file-prefix: '", v, "' is not an absolute path"));
           }
           if (v.size() > VIGIL_PREFIX_MAX) {
             return absl::InvalidArgumentError(
                 absl::StrCat("--file-prefix: longer than ", VIGIL_PREFIX_MAX, " bytes"));
           }
           extra_prefixes.push_back(v);
           return absl::OkStatus();
         }},
        {"--events",
         [&](const std::string& v) -> absl::Status {
           VIGIL_ASSIGN_OR_RETURN(opts.type_mask, ParseTypes(v));
           return absl::OkStatus();
         }},
        {"--attach-mode",
         [&](const std::string& v) -> absl::Status {
           VIGIL_ASSIGN_OR_RETURN(opts.attach_mode, probes::ParseAttachMode(v));
           return absl::OkStatus();
         }},
        {"--ringbuf-bytes", number(&opts.ringbuf_bytes, size_t{4096}, size_t{1} << 30)},
        {"--process-table-size", number(&opts.process_table_size, size_t{1}, size_t{1} << 24)},
        {"--wakeup-bytes", number(&opts.wakeup_bytes, uint64_t{0}, uint64_t{1} << 30)},
        {"--wakeup-us", number(&opts.wakeup_us, uint64_t{0}, uint64_t{10'000'000})},
    };
    const Setter* setter = nullptr;
    for (const auto& [name, set] : value_options) {
      if (arg == name) setter = &set;
    }
    if (setter == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown option '", argv[i], "'"));
    }
    VIGIL_ASSIGN_OR_RETURN(std::string v, value());
    VIGIL_RETURN_IF_ERROR((*setter)(v));
  }
  if (default_prefixes) {
    opts.file_prefixes = DefaultFilePrefixes();
  }
  opts.file_prefixes.insert(opts.file_prefixes.end(), extra_prefixes.begin(), extra_prefixes.end());
  if (!opts.rule_paths.empty() && !opts.validate_rules && !opts.run_rules) {
    return absl::InvalidArgumentError(
        absl::StrCat("unexpected argument '", opts.rule_paths[0],
                     "' (rules files are given to --rules or --validate-rules)"));
  }
  if (opts.no_cri && !opts.cri_socket.empty()) {
    return absl::InvalidArgumentError("--no-cri and --cri-socket exclude each other");
  }
  if (opts.validate_rules && opts.run_rules) {
    return absl::InvalidArgumentError("--validate-rules and --rules exclude each other");
  }
  if ((opts.validate_rules || opts.run_rules) && opts.rule_paths.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(opts.run_rules ? "--rules" : "--validate-rules",
                                                   ": no rules files or directories given"));
  }
  const bool linked = !opts.controller.empty();
  if (opts.print_alerts && !opts.run_rules && !linked) {
    return absl::InvalidArgumentError("--print-alerts needs --rules PATH... or --controller");
  }
  if (opts.run_rules && !opts.print_alerts && !opts.check && !linked) {
    return absl::InvalidArgumentError(
        "--rules: alerts need a destination: pass --print-alerts or --controller");
  }
  if (linked && !opts.controller_insecure &&
      (opts.controller_ca.empty() ||
       (opts.controller_token_file.empty() &&
        (opts.controller_cert.empty() || opts.controller_key.empty())))) {
    return absl::InvalidArgumentError(
        "--controller: pass --controller-ca and either --controller-token-file or "
        "--controller-cert and --controller-key (mTLS), or --controller-insecure for local "
        "plaintext");
  }
  if (opts.controller_cert.empty() != opts.controller_key.empty()) {
    return absl::InvalidArgumentError("--controller-cert and --controller-key go together");
  }
  if (opts.controller_insecure && !opts.controller_token_file.empty()) {
    return absl::InvalidArgumentError(
        "--controller-token-file: a credential is never sent in plaintext; drop "
        "--controller-insecure");
  }
  if (!opts.help && !opts.version && !opts.check && !opts.print_events && !opts.print_alerts &&
      !opts.list_fields && !opts.validate_rules && !linked) {
    return absl::InvalidArgumentError(
        "nothing to do: pass --print-events to print events, --rules PATH... --print-alerts "
        "to run rules, or --check to test the probes");
  }
  return opts;
}

}  // namespace vigil::sensor

// Command-line options of vigil-sensor.
#ifndef VIGIL_SENSOR_OPTIONS_H_
#define VIGIL_SENSOR_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sensor/probes/attach_mode.h"

namespace vigil::sensor {

// Paths whose opens are reported by default (before any rule set narrows or widens
// the interest set): credentials, system configuration, binaries, boot and secrets.
const std::vector<std::string>& DefaultFilePrefixes();

// Everything vigil-sensor can be told on its command line.
struct SensorOptions {
  bool help = false;
  bool version = false;
  bool check = false;                       // load + attach, print the sensor_start record, exit
  bool list_fields = false;                 // print the rule fields and exit
  bool validate_rules = false;              // compile rule_paths, report, exit
  std::vector<std::string> rule_paths;      // rules files or directories, in load order
  bool run_rules = false;                   // --rules: run the engine on the live stream
  bool print_alerts = false;                // JSON lines of every alert (Falco's shape)
  std::string passwd_path = "/etc/passwd";  // user.name lookups
  std::string hostname;                     // alerts' hostname; empty: gethostname()
  // The controller link (alerts are spooled and sent; rule sets and module settings come
  // back). Empty address: no link.
  std::string controller;
  std::string controller_ca;
  std::string controller_cert;
  std::string controller_key;
  std::string controller_token_file;  // bearer credential, read at every connection
  std::string controller_server_name;
  bool controller_insecure = false;
  std::string spool_dir = "/var/lib/vigil/spool";
  uint64_t spool_bytes = 256ull << 20;
  std::string sensor_id;  // empty: the host name
  size_t max_rules = 0;   // rule sets with more rules are refused (0: no bound)
  // Serves /metrics, /healthz and /readyz ("host:port"); empty: not served.
  std::string metrics_address;
  // The watchdog reports a stall once records wait this long with no consumption.
  uint64_t stall_after_ms = 3000;
  bool print_events = false;  // JSON lines of every event
  // Connection events (connect, accept, close) printed one by one rather than folded into
  // net_summary records per process and remote endpoint.
  bool net_events_each = false;
  uint64_t net_summary_seconds = 60;  // the summary window
  std::string output = "-";           // where JSON lines go ("-" is stdout)
  std::optional<probes::AttachMode> attach_mode;
  std::vector<std::string> file_prefixes;  // defaults included unless disabled
  bool all_files = false;
  bool hidden = true;
  bool failed_opens = false;
  uint32_t type_mask = 0;  // bit (1 << EventType) per reported type
  size_t ringbuf_bytes = 16u << 20;
  size_t process_table_size = 65536;
  uint64_t wakeup_bytes = 256 * 1024;
  uint64_t wakeup_us = 10000;  // wake-up interval; also the longest an event waits
  std::string proc_root = "/proc";
  // Directory of the Ed25519 public keys (*.pem) probe-module bundles must be signed with
  // (--module-keys, docs/modules.md); empty or no keys: every bundle is refused.
  std::string module_keys_dir;
  // Directory the paths of `fd.file in (...)` are resolved under (--file-root); empty:
  // the sensor's own root.
  std::string file_root;
  // Container and pod enrichment (docs/enrichment.md): the CRI runtime's socket (empty:
  // the first of containerd's, CRI-O's and cri-dockerd's that exists), or no CRI at all.
  std::string cri_socket;
  bool no_cri = false;
  size_t pod_cache_size = 4096;
  std::string btf_path = "/sys/kernel/btf/vmlinux";  // kernel BTF for CO-RE
  bool verbose = false;
};

// Parses argv. Errors name the offending argument and why.
absl::StatusOr<SensorOptions> ParseSensorOptions(int argc, const char* const* argv);

// The --help text.
const char* SensorUsage();

}  // namespace vigil::sensor

#endif  // VIGIL_SENSOR_OPTIONS_H_

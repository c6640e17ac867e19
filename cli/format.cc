#include "cli/format.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/priority.h"
#include "google/protobuf/util/json_util.h"
#include "proto/wire_enums.h"

namespace vigil::cli {
namespace {

// Display width of UTF-8 text: one column per code point (continuation bytes excluded).
size_t Width(absl::string_view text) {
  size_t width = 0;
  for (unsigned char c : text) width += (c & 0xC0) != 0x80;
  return width;
}

// `text` padded with spaces to `width` columns.
std::string Pad(absl::string_view text, size_t width) {
  std::string out(text);
  const size_t w = Width(text);
  if (w < width) out.append(width - w, ' ');
  return out;
}

std::string OrDash(absl::string_view text) { return text.empty() ? "-" : std::string(text); }

// Fixed widths of the time and priority columns of streamed alert lines.
constexpr size_t kTimeWidth = 20;      // "2026-11-30T06:40:39Z"
constexpr size_t kPriorityWidth = 13;  // "Informational"

std::string JoinLine(const std::vector<std::string>& cells) {
  std::string line = Pad(cells[0], kTimeWidth);
  absl::StrAppend(&line, "  ", Pad(cells[1], kPriorityWidth));
  for (size_t i = 2; i < cells.size(); ++i) absl::StrAppend(&line, "  ", cells[i]);
  return absl::StrCat(line, "\n");
}

Table RolloutTable(const google::protobuf::RepeatedPtrField<vigil::v1::SensorRollout>& rows) {
  Table table({"SENSOR", "NODE", "STATE", "ERROR"});
  for (const vigil::v1::SensorRollout& r : rows) {
    table.AddRow({r.sensor_id(), OrDash(r.node()), RolloutStateName(r.state()), r.error()});
  }
  return table;
}

}  // namespace

Table::Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(rows_[0].size());
  for (std::string& cell : cells) cell = SafeCell(cell);
  rows_.push_back(std::move(cells));
}

std::string Table::Render() const {
  const size_t columns = rows_[0].size();
  std::vector<size_t> widths(columns, 0);
  for (const auto& row : rows_) {
    for (size_t c = 0; c < columns; ++c) widths[c] = std::max(widths[c], Width(row[c]));
  }
  std::string out;
  for (const auto& row : rows_) {
    std::string line;
    for (size_t c = 0; c < columns; ++c) {
      if (c > 0) line += "  ";
      line += c + 1 < columns ? Pad(row[c], widths[c]) : row[c];
    }
    // A trailing empty cell leaves spaces behind.
    absl::StripTrailingAsciiWhitespace(&line);
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

std::string SafeCell(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7f) {
      absl::StrAppendFormat(&out, "\\x%02x", c);
    } else if (c == 0xC2 && i + 1 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
      // U+0080..U+009F: C1 controls (CSI among them), which some terminals obey.
      absl::StrAppendFormat(&out, "\\u%04x", static_cast<unsigned char>(text[i + 1]));
      ++i;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string FormatRelativeTime(int64_t unix_ns, absl::Time now) {
  if (unix_ns == 0) return "never";
  const absl::Duration delta = now - absl::FromUnixNanos(unix_ns);
  const bool future = delta < absl::ZeroDuration();
  const int64_t s = absl::ToInt64Seconds(absl::AbsDuration(delta));
  std::string amount;
  if (s < 60) {
    amount = absl::StrCat(s, "s");
  } else if (s < 3600) {
    amount = absl::StrCat(s / 60, "m");
  } else if (s < 48 * 3600) {
    amount = absl::StrCat(s / 3600, "h");
  } else {
    amount = absl::StrCat(s / 86400, "d");
  }
  return future ? absl::StrCat("in ", amount) : absl::StrCat(amount, " ago");
}

std::string FormatTimestamp(int64_t unix_ns) {
  if (unix_ns == 0) return "-";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixNanos(unix_ns), absl::UTCTimeZone());
}

std::string ShortVersion(absl::string_view version) {
  if (version.empty()) return "-";
  absl::string_view hex = version;
  if (absl::ConsumePrefix(&hex, "sha256:")) return std::string(hex.substr(0, 12));
  return std::string(version);
}

std::string FormatBytes(uint64_t bytes) {
  if (bytes < 1024) return absl::StrCat(bytes, " B");
  if (bytes < 1024 * 1024) return absl::StrFormat("%.1f KiB", bytes / 1024.0);
  return absl::StrFormat("%.1f MiB", bytes / (1024.0 * 1024.0));
}

std::string PriorityDisplayName(vigil::v1::Priority priority) {
  if (priority == vigil::v1::PRIORITY_UNSPECIFIED || !vigil::v1::Priority_IsValid(priority)) {
    return "-";
  }
  return std::string(PriorityLevelDisplayName(wire::PriorityLevel(priority)));
}

std::string RolloutStateName(vigil::v1::RolloutState state) {
  switch (state) {
    case vigil::v1::ROLLOUT_STATE_PENDING: return "pending";
    case vigil::v1::ROLLOUT_STATE_APPLIED: return "applied";
    case vigil::v1::ROLLOUT_STATE_FAILED: return "failed";
    default: return "-";
  }
}

std::string ModulesSummary(const vigil::v1::Sensor& sensor) {
  std::vector<std::string> parts;
  for (const vigil::v1::ModuleState& m : sensor.modules()) {
    std::string how = m.attach_mode();
    if (how.empty()) how = m.state().empty() ? (m.enabled() ? "?" : "disabled") : m.state();
    parts.push_back(absl::StrCat(m.name(), "=", how));
  }
  return parts.empty() ? "-" : absl::StrJoin(parts, ",");
}

std::string RolloutSummary(const vigil::v1::Rollout& rollout) {
  if (!rollout.summary().empty()) return rollout.summary();
  return absl::StrCat("version ", OrDash(rollout.version()), ": applied on ", rollout.applied(),
                      " of ", rollout.sensors(), " sensors, failed on ", rollout.failed());
}

std::vector<std::string> AlertHeader() { return {"TIME", "PRIORITY", "RULE", "NODE", "OUTPUT"}; }

std::vector<std::string> AlertCells(const vigil::v1::Alert& alert) {
  std::string rule = alert.rule();
  std::string output = alert.output();
  if (rule.empty() && alert.lost() > 0) {
    rule = "(gap)";
    output = absl::StrCat(alert.lost(), " alerts lost", alert.lost_reason().empty() ? "" : ": ",
                          alert.lost_reason());
  }
  return {FormatTimestamp(alert.time_unix_ns()), PriorityDisplayName(alert.priority()),
          OrDash(rule), OrDash(alert.node()), output};
}

std::string AlertLine(const vigil::v1::Alert& alert) {
  std::vector<std::string> cells = AlertCells(alert);
  for (std::string& cell : cells) cell = SafeCell(cell);
  return JoinLine(cells);
}

std::string AlertHeaderLine() { return JoinLine(AlertHeader()); }

std::string SensorsTable(const vigil::v1::ListSensorsResponse& response, absl::Time now) {
  Table table({"SENSOR", "NODE", "CONNECTED", "LAST SEEN", "VERSION", "RULES", "MODULES"});
  for (const vigil::v1::Sensor& s : response.sensors()) {
    table.AddRow({s.sensor_id(), OrDash(s.node()), s.connected() ? "yes" : "no",
                  FormatRelativeTime(s.last_seen_unix_ns(), now), OrDash(s.version()),
                  ShortVersion(s.rule_set_version()), ModulesSummary(s)});
  }
  return table.Render();
}

std::string ModulesTable(const vigil::v1::ListSensorsResponse& response) {
  Table table({"SENSOR", "NODE", "MODULE", "SOURCE", "VERSION", "BUNDLE", "ENABLED", "ATTACH",
               "STATE", "ERROR"});
  for (const vigil::v1::Sensor& s : response.sensors()) {
    if (s.modules().empty()) {
      table.AddRow({s.sensor_id(), OrDash(s.node()), "-", "-", "-", "-", "-", "-", "-", ""});
    }
    for (const vigil::v1::ModuleState& m : s.modules()) {
      // Sensors from before bundles report no source: their modules are built in.
      std::string source = m.source();
      if (source.empty()) source = m.bundle().empty() ? "builtin" : "bundle";
      table.AddRow({s.sensor_id(), OrDash(s.node()), m.name(), source, OrDash(m.version()),
                    ShortVersion(m.bundle()), m.enabled() ? "yes" : "no", OrDash(m.attach_mode()),
                    OrDash(m.state()), m.error()});
    }
  }
  return table.Render();
}

std::string RolloutText(const vigil::v1::Rollout& rollout) {
  std::string out = absl::StrCat(SafeCell(RolloutSummary(rollout)), "\n");
  if (!rollout.per_sensor().empty()) out += RolloutTable(rollout.per_sensor()).Render();
  return out;
}

std::string RuleSetsTable(const vigil::v1::ListRuleSetsResponse& response, absl::Time now) {
  Table table({"VERSION", "CREATED", "DESIRED"});
  for (const vigil::v1::RuleSet& set : response.rule_sets()) {
    table.AddRow({set.version(), FormatRelativeTime(set.created_unix_ns(), now),
                  set.version() == response.desired_version() ? "*" : ""});
  }
  return table.Render();
}

std::string PutRuleSetText(const vigil::v1::PutRuleSetResponse& response) {
  return absl::StrCat("rule set ", SafeCell(response.version()), ": ", response.rules(),
                      response.rules() == 1 ? " rule" : " rules",
                      response.created() ? ", stored" : ", stored before",
                      "; now the desired set\n");
}

std::string SetProbeModulesText(const vigil::v1::SetProbeModulesResponse& response) {
  std::string out = absl::StrCat("modules version ", SafeCell(response.version()), ": sent to ",
                                 response.per_sensor_size(),
                                 response.per_sensor_size() == 1 ? " sensor\n" : " sensors\n");
  if (!response.per_sensor().empty()) out += RolloutTable(response.per_sensor()).Render();
  return out;
}

std::string BundlesTable(const vigil::v1::ListProbeBundlesResponse& response, absl::Time now) {
  Table table({"HASH", "NAME", "VERSION", "KEY", "SIZE", "CREATED"});
  for (const vigil::v1::StoredBundle& b : response.bundles()) {
    table.AddRow({ShortVersion(b.hash()), OrDash(b.manifest().name()),
                  OrDash(b.manifest().version()), b.key_id().empty() ? "unsigned" : b.key_id(),
                  FormatBytes(b.size()), FormatRelativeTime(b.created_unix_ns(), now)});
  }
  return table.Render();
}

std::string PutProbeBundleText(const vigil::v1::PutProbeBundleResponse& response) {
  return absl::StrCat("bundle ", SafeCell(response.hash()), ": module ", SafeCell(response.name()),
                      " ", SafeCell(response.version()),
                      response.created() ? ", stored\n" : ", stored before\n");
}

std::string ToJson(const google::protobuf::Message& message, bool multiline) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = multiline;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string out;
  // Printing a well-formed message only fails for Any fields with unknown types, which
  // these messages do not have.
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  absl::StripTrailingAsciiWhitespace(&out);
  return out;
}

}  // namespace vigil::cli

// Rendering of vigilctl's results: aligned tables for people, protobuf JSON for programs,
// and the small conversions the tables use (relative times, short versions, names).
#ifndef VIGIL_CLI_FORMAT_H_
#define VIGIL_CLI_FORMAT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "vigil/v1/alert.pb.h"
#include "vigil/v1/alert_service.pb.h"
#include "vigil/v1/fleet.pb.h"

namespace vigil::cli {

// A table: a header and rows of cells, rendered with every column but the last padded to
// its widest cell and two spaces between columns. Cells are made safe for a terminal
// first (see SafeCell).
class Table {
 public:
  explicit Table(std::vector<std::string> header);

  // Appends a row; missing cells are empty, extra cells are dropped.
  void AddRow(std::vector<std::string> cells);
  // The number of rows added (the header excluded).
  size_t rows() const { return rows_.size() - 1; }
  // The header and rows, one line each, "\n"-terminated.
  std::string Render() const;

 private:
  std::vector<std::vector<std::string>> rows_;  // rows_[0] is the header
};

// `text` with every control character (C0, DEL and C1, newlines included) written as an
// escape ("\n", "\t", "\x1b", "\u009b"), so text from the fleet (alert outputs, file
// names) stays on one line and cannot drive the terminal.
std::string SafeCell(absl::string_view text);

// How long before `now` a time was: "12s ago", "5m ago", "3h ago", "2d ago"; "never" for 0;
// "in 4s" for a time ahead of `now`.
std::string FormatRelativeTime(int64_t unix_ns, absl::Time now);

// A time as RFC 3339 in UTC to the second ("2026-11-30T06:40:39Z"); "-" for 0.
std::string FormatTimestamp(int64_t unix_ns);

// A content version shortened for tables: "sha256:<hex>" becomes the first 12 hex digits;
// other versions are kept whole; "-" for none.
std::string ShortVersion(absl::string_view version);

// A byte count for tables: "812 B", "12.4 KiB", "3.9 MiB".
std::string FormatBytes(uint64_t bytes);

// A priority as alerts spell it ("Warning", "Informational": common/priority.h's display
// names); "-" when unspecified or unknown.
std::string PriorityDisplayName(vigil::v1::Priority priority);

// A rollout state in lower case ("pending", "applied", "failed"; "-" when unspecified).
std::string RolloutStateName(vigil::v1::RolloutState state);

// A sensor's modules as "name=attach_mode" (or "name=<state>" when not attached), comma
// separated; "-" for none.
std::string ModulesSummary(const vigil::v1::Sensor& sensor);

// A rollout's summary line: the controller's own, or one made from its counts in the same
// words ("version V: applied on X of Y sensors, failed on Z").
std::string RolloutSummary(const vigil::v1::Rollout& rollout);

// The cells of an alert row: time, priority, rule, node, output. A gap record shows
// "(gap)" as its rule and how many alerts were lost, and why, as its output.
std::vector<std::string> AlertCells(const vigil::v1::Alert& alert);

// The header of alert tables and of `alerts tail`.
std::vector<std::string> AlertHeader();

// One line of `alerts tail`: the alert's cells with the time and priority columns at a
// fixed width (the stream cannot align what it has not seen).
std::string AlertLine(const vigil::v1::Alert& alert);

// The header line of `alerts tail`, aligned as AlertLine.
std::string AlertHeaderLine();

// Tables of the fleet's answers, "\n"-terminated. Relative times are taken against `now`.
std::string SensorsTable(const vigil::v1::ListSensorsResponse& response, absl::Time now);
std::string ModulesTable(const vigil::v1::ListSensorsResponse& response);
std::string RolloutText(const vigil::v1::Rollout& rollout);
std::string RuleSetsTable(const vigil::v1::ListRuleSetsResponse& response, absl::Time now);
std::string PutRuleSetText(const vigil::v1::PutRuleSetResponse& response);
std::string SetProbeModulesText(const vigil::v1::SetProbeModulesResponse& response);
std::string BundlesTable(const vigil::v1::ListProbeBundlesResponse& response, absl::Time now);
std::string PutProbeBundleText(const vigil::v1::PutProbeBundleResponse& response);

// `message` as JSON with the proto field names and every field, defaults included; on one
// line, or indented when `multiline`.
std::string ToJson(const google::protobuf::Message& message, bool multiline);

}  // namespace vigil::cli

#endif  // VIGIL_CLI_FORMAT_H_

#include "sensor/output/alert_json.h"

#include <ctime>
#include <utility>

#include "absl/strings/str_format.h"
#include "common/priority.h"
#include "proto/wire_enums.h"
#include "sensor/output/json_writer.h"

namespace vigil::sensor {
namespace {

bool NamesField(const vigil::v1::Alert& alert, absl::string_view name) {
  for (const vigil::v1::AlertField& f : alert.output_fields()) {
    if (f.name() == name) return true;
  }
  return false;
}

}  // namespace

absl::string_view AlertPriorityName(rules::Priority priority) {
  return PriorityLevelDisplayName(static_cast<int>(priority));
}

std::string FormatWallTime(uint64_t wall_ns) {
  const time_t secs = static_cast<time_t>(wall_ns / 1000000000ull);
  struct tm tm;
  gmtime_r(&secs, &tm);
  return absl::StrFormat("%04d-%02d-%02dT%02d:%02d:%02d.%09uZ", tm.tm_year + 1900, tm.tm_mon + 1,
                         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                         static_cast<unsigned>(wall_ns % 1000000000ull));
}

void AppendAlertJson(const vigil::v1::Alert& alert, std::string* out) {
  JsonWriter w(out);
  w.BeginObject();
  w.String("time", FormatWallTime(static_cast<uint64_t>(alert.time_unix_ns())));
  w.String("rule", alert.rule());
  w.String("priority",
           AlertPriorityName(static_cast<rules::Priority>(wire::PriorityLevel(alert.priority()))));
  w.String("output", alert.output());
  w.BeginObject("output_fields");
  for (const vigil::v1::AlertField& f : alert.output_fields()) {
    switch (f.value_case()) {
      case vigil::v1::AlertField::kText: w.String(f.name(), f.text()); break;
      case vigil::v1::AlertField::kNumber: w.Int(f.name(), f.number()); break;
      case vigil::v1::AlertField::kFlag: w.Bool(f.name(), f.flag()); break;
      case vigil::v1::AlertField::VALUE_NOT_SET: w.Null(f.name()); break;
    }
  }
  const std::pair<absl::string_view, const std::string*> context[] = {
      {"container.id", &alert.container_id()},
      {"k8s.pod.name", &alert.pod_name()},
      {"k8s.ns.name", &alert.pod_namespace()},
      {"k8s.pod.uid", &alert.pod_uid()}};
  for (const auto& [name, value] : context) {
    if (value->empty() || NamesField(alert, name)) continue;
    w.String(name, *value);
  }
  w.EndObject();
  w.String("hostname", alert.node());
  w.BeginArray("tags");
  for (const std::string& tag : alert.tags()) w.ArrayString(tag);
  w.EndArray();
  w.String("source", alert.source());
  if (alert.count() > 1) w.Uint("count", alert.count());
  w.EndObject();
}

}  // namespace vigil::sensor

#include "sensor/alert_json.h"

#include <ctime>
#include <utility>

#include "absl/strings/str_format.h"
#include "rules/output_template.h"
#include "sensor/json_writer.h"

namespace vigil::sensor {
namespace {

bool NamesField(const std::vector<rules::AlertField>* fields, absl::string_view name) {
  if (fields == nullptr) return false;
  for (const rules::AlertField& f : *fields) {
    if (f.name == name) return true;
  }
  return false;
}

}  // namespace

absl::string_view AlertPriorityName(rules::Priority priority) {
  switch (priority) {
    case rules::Priority::kEmergency: return "Emergency";
    case rules::Priority::kAlert: return "Alert";
    case rules::Priority::kCritical: return "Critical";
    case rules::Priority::kError: return "Error";
    case rules::Priority::kWarning: return "Warning";
    case rules::Priority::kNotice: return "Notice";
    case rules::Priority::kInformational: return "Informational";
    case rules::Priority::kDebug: return "Debug";
  }
  return "Warning";
}

std::string FormatWallTime(uint64_t wall_ns) {
  const time_t secs = static_cast<time_t>(wall_ns / 1000000000ull);
  struct tm tm;
  gmtime_r(&secs, &tm);
  return absl::StrFormat("%04d-%02d-%02dT%02d:%02d:%02d.%09uZ", tm.tm_year + 1900, tm.tm_mon + 1,
                         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                         static_cast<unsigned>(wall_ns % 1000000000ull));
}

void AppendAlertJson(const AlertLine& alert, absl::string_view hostname, std::string* out) {
  JsonWriter w(out);
  w.BeginObject();
  w.String("time", FormatWallTime(alert.wall_ns));
  w.String("rule", alert.rule);
  w.String("priority", AlertPriorityName(alert.priority));
  w.String("output", alert.output);
  w.BeginObject("output_fields");
  if (alert.fields != nullptr) {
    std::string text;
    for (const rules::AlertField& f : *alert.fields) {
      if (!f.present) {
        w.Null(f.name);
        continue;
      }
      switch (f.type) {
        case rules::FieldType::kString:
        case rules::FieldType::kPath: w.String(f.name, f.str); break;
        case rules::FieldType::kBool: w.Bool(f.name, f.num != 0); break;
        case rules::FieldType::kInt:
        case rules::FieldType::kUid: w.Int(f.name, f.num); break;
        case rules::FieldType::kFlags:
          text.clear();
          rules::AppendFlagsText(f.num, &text);
          w.String(f.name, text);
          break;
      }
    }
  }
  const std::pair<absl::string_view, absl::string_view> context[] = {
      {"container.id", alert.container_id},
      {"k8s.pod.name", alert.pod_name},
      {"k8s.ns.name", alert.pod_namespace},
      {"k8s.pod.uid", alert.pod_uid}};
  for (const auto& [name, value] : context) {
    if (value.empty() || NamesField(alert.fields, name)) continue;
    w.String(name, value);
  }
  w.EndObject();
  w.String("hostname", hostname);
  w.BeginArray("tags");
  if (alert.tags != nullptr) {
    for (const std::string& tag : *alert.tags) w.ArrayString(tag);
  }
  w.EndArray();
  w.String("source", alert.source);
  if (alert.count > 1) w.Uint("count", alert.count);
  w.EndObject();
}

}  // namespace vigil::sensor

#include "sensor/run_records.h"

#include <unistd.h>

#include "event/schema.h"
#include "sensor/output/json_writer.h"

namespace vigil::sensor {
namespace {

// Counters whose growth means events were lost (reported as gaps).
constexpr int kDropStats[] = {VIGIL_STAT_DROP_RINGBUF_FULL, VIGIL_STAT_DROP_SCRATCH};

void WriteSelection(const Selection& selection, JsonWriter* w) {
  w->BeginArray("file_prefixes");
  for (const std::string& prefix : selection.prefixes) w->ArrayString(prefix);
  w->EndArray();
  w->BeginArray("file_identity_paths");
  for (const std::string& path : selection.identity_paths) w->ArrayString(path);
  w->EndArray();
  w->Bool("all_files", selection.all_files);
  w->BeginArray("all_paths_types");
  for (const event::EventTypeInfo* info : event::EventTypes()) {
    if (selection.all_paths_types & event::EventBit(info->type)) w->ArrayString(info->name);
  }
  w->EndArray();
  w->Bool("hidden", selection.hidden);
}

std::string GapRecord(absl::string_view module, absl::string_view reason, uint64_t count) {
  std::string line;
  JsonWriter w(&line);
  w.BeginObject();
  w.String("type", "gap");
  w.String("module", module);
  w.String("reason", reason);
  w.Uint("count", count);
  w.EndObject();
  line.push_back('\n');
  return line;
}

}  // namespace

std::string SensorStartRecord(const StartInfo& info) {
  std::string line;
  JsonWriter w(&line);
  w.BeginObject();
  w.String("type", "sensor_start");
  w.String("version", VIGIL_VERSION);
  w.String("kernel", info.kernel);
  w.Uint("pid", static_cast<uint64_t>(getpid()));
  w.Uint("process_table_size", info.process_table_size);
  w.Uint("ringbuf_bytes", info.ringbuf_bytes);
  w.BeginArray("modules");
  for (const ModuleAttachment& module : info.modules) {
    w.BeginObject();
    w.String("name", module.name);
    w.String("attach_mode", module.attach_mode);
    w.BeginArray("hooks");
    for (const std::string& hook : module.hooks) w.ArrayString(hook);
    w.EndArray();
    w.BeginArray("skipped");
    for (const std::string& hook : module.skipped) w.ArrayString(hook);
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  WriteSelection(*info.selection, &w);
  w.Bool("failed_opens", info.selection->failed_opens);
  if (info.engine != nullptr) {
    w.BeginObject("rules");
    w.Uint("rules", info.engine->rule_set().rules().size());
    w.BeginArray("paths");
    for (const std::string& path : *info.rule_paths) w.ArrayString(path);
    w.EndArray();
    w.EndObject();
  }
  w.EndObject();
  line.push_back('\n');
  return line;
}

std::string RulesReloadedRecord(const std::string& version, size_t rules,
                                const Selection& selection) {
  std::string line;
  JsonWriter w(&line);
  w.BeginObject();
  w.String("type", "rules_reloaded");
  w.String("version", version);
  w.Uint("rules", rules);
  WriteSelection(selection, &w);
  w.EndObject();
  line.push_back('\n');
  return line;
}

std::string SensorStopRecord(const StopInfo& info) {
  std::string line;
  JsonWriter w(&line);
  w.BeginObject();
  w.String("type", "sensor_stop");
  w.BeginObject("events");
  for (const event::EventTypeInfo* type : event::EventTypes()) {
    w.Uint(type->name, (*info.events_by_type)[static_cast<int>(type->type)]);
  }
  w.EndObject();
  w.BeginObject("modules");
  for (const ModuleSnapshot& module : info.modules) {
    w.BeginObject(module.name);
    if (module.stats_read) {
      for (int s = 0; s < VIGIL_STAT_MAX; ++s) w.Uint(probes::StatName(s), module.stats[s]);
    }
    w.EndObject();
  }
  w.EndObject();
  w.BeginObject("decoder");
  w.Uint("decoded", info.decoder->decoded());
  for (size_t e = 0; e < info.decoder->errors().size(); ++e) {
    w.Uint(DecodeErrorName(static_cast<DecodeError>(e)), info.decoder->errors()[e]);
  }
  w.EndObject();
  w.Uint("process_table_size", info.process_table_size);
  w.Uint("process_table_evictions", info.process_table_evictions);
  if (info.link != nullptr) {
    w.BeginObject("controller");
    w.Uint("connects", info.link->connects);
    w.Uint("alerts_sent", info.link->alerts_sent);
    w.Uint("acks", info.link->acks);
    w.Uint("commands", info.link->commands);
    w.Uint("spool_records", info.spool->records());
    w.Uint("spool_dropped", info.spool->dropped());
    w.EndObject();
  }
  if (info.engine != nullptr) {
    w.BeginObject("rules");
    w.Uint("alerts", info.alerts);
    w.Uint("reloads", info.reloads);
    w.Uint("reload_failures", info.reload_failures);
    w.Uint("state_evictions", info.engine->evictions());
    w.Uint("state_keys", info.engine->tracked_keys());
    w.EndObject();
  }
  w.EndObject();
  line.push_back('\n');
  return line;
}

std::string GapReporter::Report(const std::vector<ModuleSnapshot>& modules,
                                const Decoder& decoder) {
  std::string lines;
  for (const ModuleSnapshot& module : modules) {
    if (!module.stats_read) continue;
    Reported& reported = modules_[module.name];
    if (reported.starts != module.starts) reported = Reported{module.starts, {}};
    for (int stat : kDropStats) {
      const uint64_t now = module.stats[stat];
      if (now > reported.stats[stat]) {
        lines += GapRecord(module.name, probes::StatName(stat), now - reported.stats[stat]);
        reported.stats[stat] = now;
      }
    }
  }
  const auto& errors = decoder.errors();
  for (size_t e = 0; e < errors.size(); ++e) {
    if (errors[e] > decode_[e]) {
      lines += GapRecord("decoder", DecodeErrorName(static_cast<DecodeError>(e)),
                         errors[e] - decode_[e]);
      decode_[e] = errors[e];
    }
  }
  return lines;
}

}  // namespace vigil::sensor

#include "sensor/metrics.h"

#include <string>

#include "bpf/abi/process.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"

namespace vigil::sensor {
namespace {

std::string Text(const SensorMetrics& metrics) {
  return prometheus::TextSerializer().Serialize(metrics.registry()->Collect());
}

bool Has(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

ModuleSnapshot Module(const std::string& name, bool running, uint64_t ringbuf_full,
                      uint64_t filtered_path) {
  ModuleSnapshot m;
  m.name = name;
  m.running = running;
  m.attach_mode = running ? "tp_btf" : "";
  m.stats[VIGIL_STAT_DROP_RINGBUF_FULL] = ringbuf_full;
  m.stats[VIGIL_STAT_FILTERED_PATH] = filtered_path;
  return m;
}

TEST(SensorMetricsTest, EverySeriesIsPresentFromTheStartAtZero) {
  SensorMetrics metrics;
  const std::string text = Text(metrics);
  for (const char* line :
       {"vigil_sensor_events_total{type=\"exec\"} 0",
        "vigil_sensor_drops_total{reason=\"ringbuf_full\"} 0",
        "vigil_sensor_drops_total{reason=\"spool_overflow\"} 0",
        "vigil_sensor_drops_total{reason=\"rule_state_eviction\"} 0",
        "vigil_sensor_drops_total{reason=\"decoder\"} 0", "vigil_sensor_pipeline_stalled 0",
        "vigil_sensor_controller_connected 0"}) {
    EXPECT_TRUE(Has(text, line)) << line;
  }
}

TEST(SensorMetricsTest, CountersAdvanceByWhatGrewBetweenSyncs) {
  SensorMetrics metrics;
  MetricsSnapshot s;
  s.events_by_type[VIGIL_EVENT_EXEC] = 5;
  s.decode_errors = 2;
  s.has_spool = true;
  s.spool_dropped = 1;
  s.alerts_spooled = 7;
  s.rule_set_version = "sha256:aaa";
  s.rules_loaded = 8;
  metrics.Sync(s);
  s.events_by_type[VIGIL_EVENT_EXEC] = 12;
  s.alerts_spooled = 9;
  metrics.Sync(s);
  const std::string text = Text(metrics);
  EXPECT_TRUE(Has(text, "vigil_sensor_events_total{type=\"exec\"} 12"));
  EXPECT_TRUE(Has(text, "vigil_sensor_drops_total{reason=\"decoder\"} 2"));
  EXPECT_TRUE(Has(text, "vigil_sensor_drops_total{reason=\"spool_overflow\"} 1"));
  EXPECT_TRUE(Has(text, "vigil_sensor_alerts_spooled_total 9"));
  EXPECT_TRUE(Has(text, "vigil_sensor_rule_set_info{version=\"sha256:aaa\"} 1"));
  EXPECT_TRUE(Has(text, "vigil_sensor_rules_loaded 8"));
}

TEST(SensorMetricsTest, ANewRuleSetVersionReplacesTheOldInfoSeries) {
  SensorMetrics metrics;
  MetricsSnapshot s;
  s.rule_set_version = "sha256:old";
  metrics.Sync(s);
  s.rule_set_version = "sha256:new";
  metrics.Sync(s);
  const std::string text = Text(metrics);
  EXPECT_TRUE(Has(text, "vigil_sensor_rule_set_info{version=\"sha256:new\"} 1"));
  EXPECT_EQ(text.find("sha256:old"), std::string::npos);
}

TEST(SensorMetricsTest, KernelDropsSumOverModulesAndSurviveAModuleRestart) {
  SensorMetrics metrics;
  metrics.SyncModules({Module("process", true, 3, 0), Module("file", true, 4, 100)});
  metrics.SyncModules({Module("process", true, 5, 0), Module("file", false, 0, 0)});
  // Restarted: its counters start from zero again; what it counts now is added.
  metrics.SyncModules({Module("process", true, 5, 0), Module("file", true, 2, 10)});
  const std::string text = Text(metrics);
  EXPECT_TRUE(Has(text, "vigil_sensor_drops_total{reason=\"ringbuf_full\"} 11")) << text;
  EXPECT_TRUE(Has(text, "vigil_sensor_kernel_filtered_total{filter=\"path\",module=\"file\"} 110"));
  EXPECT_TRUE(Has(
      text, "vigil_sensor_probe_info{attach_mode=\"tp_btf\",module=\"file\",state=\"running\"} 1"));
  EXPECT_EQ(text.find("state=\"disabled\""), std::string::npos);  // replaced, not kept
}

TEST(SensorMetricsTest, MatchesStallsAndDetachesAreLabelled) {
  SensorMetrics metrics;
  metrics.CountMatch("Fork flood", "Critical");
  metrics.CountMatch("Fork flood", "Critical");
  metrics.SetStalled(true);
  metrics.CountStall();
  metrics.SetProbeAttached("file", false);
  metrics.CountProbeDetach("file");
  metrics.SetRingFill(1024, 4096);
  const std::string text = Text(metrics);
  EXPECT_TRUE(
      Has(text, "vigil_sensor_rule_matches_total{priority=\"Critical\",rule=\"Fork flood\"} 2"));
  EXPECT_TRUE(Has(text, "vigil_sensor_pipeline_stalled 1"));
  EXPECT_TRUE(Has(text, "vigil_sensor_pipeline_stalls_total 1"));
  EXPECT_TRUE(Has(text, "vigil_sensor_probe_attached{module=\"file\"} 0"));
  EXPECT_TRUE(Has(text, "vigil_sensor_probe_detaches_total{module=\"file\"} 1"));
  EXPECT_TRUE(Has(text, "vigil_sensor_ringbuf_fill_ratio 0.25"));
}

}  // namespace
}  // namespace vigil::sensor

// Unit tests for cli/format.h: vigilctl's tables, JSON and time rendering.
#include "cli/format.h"

#include <string>

#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

namespace v1 = ::vigil::v1;

// 2026-11-30T06:40:39Z.
constexpr int64_t kT0 = int64_t{1796020839} * 1000000000;
const absl::Time kNow = absl::FromUnixNanos(kT0);

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

TEST(TableTest, PadsEveryColumnButTheLast) {
  Table table({"A", "LONGER", "LAST"});
  table.AddRow({"wide cell", "x", "tail text"});
  table.AddRow({"b", "", ""});
  EXPECT_EQ(table.rows(), 2u);
  EXPECT_EQ(table.Render(),
            "A          LONGER  LAST\n"
            "wide cell  x       tail text\n"
            "b\n");
}

TEST(TableTest, MissingCellsAreEmptyAndWidthCountsCodePoints) {
  Table table({"K", "V"});
  table.AddRow({"größe"});
  table.AddRow({"k", "v"});
  EXPECT_EQ(table.Render(),
            "K      V\n"
            "größe\n"
            "k      v\n");
}

TEST(SafeCellTest, EscapesControlCharacters) {
  EXPECT_EQ(SafeCell("plain text"), "plain text");
  EXPECT_EQ(SafeCell("a\nb\tc\rd"), "a\\nb\\tc\\rd");
  EXPECT_EQ(SafeCell("\x1b[31mred"), "\\x1b[31mred");
  EXPECT_EQ(SafeCell("del\x7f"), "del\\x7f");
  EXPECT_EQ(SafeCell("csi\xc2\x9b"
                     "2J"),
            "csi\\u009b2J");
  EXPECT_EQ(SafeCell("ünïcode"), "ünïcode");
}

TEST(TableTest, CellsFromTheFleetCannotBreakLines) {
  Table table({"RULE", "OUTPUT"});
  table.AddRow({"r", "line one\nline two \x1b]0;title\x07"});
  EXPECT_EQ(Lines(table.Render()).size(), 2u);
  EXPECT_THAT(table.Render(), Not(HasSubstr("\x1b")));
}

TEST(FormatRelativeTimeTest, Units) {
  EXPECT_EQ(FormatRelativeTime(0, kNow), "never");
  EXPECT_EQ(FormatRelativeTime(kT0, kNow), "0s ago");
  EXPECT_EQ(FormatRelativeTime(kT0 - 12'500'000'000, kNow), "12s ago");
  EXPECT_EQ(FormatRelativeTime(kT0 - int64_t{59} * 1000000000, kNow), "59s ago");
  EXPECT_EQ(FormatRelativeTime(kT0 - int64_t{5 * 60 + 30} * 1000000000, kNow), "5m ago");
  EXPECT_EQ(FormatRelativeTime(kT0 - int64_t{3 * 3600} * 1000000000, kNow), "3h ago");
  EXPECT_EQ(FormatRelativeTime(kT0 - int64_t{47 * 3600} * 1000000000, kNow), "47h ago");
  EXPECT_EQ(FormatRelativeTime(kT0 - int64_t{50 * 3600} * 1000000000, kNow), "2d ago");
  EXPECT_EQ(FormatRelativeTime(kT0 + int64_t{4} * 1000000000, kNow), "in 4s");
}

TEST(FormatTimestampTest, Rfc3339Utc) {
  EXPECT_EQ(FormatTimestamp(kT0 + 999'999'999), "2026-11-30T06:40:39Z");
  EXPECT_EQ(FormatTimestamp(0), "-");
}

TEST(ShortVersionTest, ShortensContentHashes) {
  EXPECT_EQ(ShortVersion("sha256:0123456789abcdef0123456789abcdef"), "0123456789ab");
  EXPECT_EQ(ShortVersion("sha256:abc"), "abc");
  EXPECT_EQ(ShortVersion("7"), "7");
  EXPECT_EQ(ShortVersion(""), "-");
}

TEST(PriorityDisplayNameTest, AlertSpelling) {
  EXPECT_EQ(PriorityDisplayName(v1::PRIORITY_EMERGENCY), "Emergency");
  EXPECT_EQ(PriorityDisplayName(v1::PRIORITY_WARNING), "Warning");
  EXPECT_EQ(PriorityDisplayName(v1::PRIORITY_INFORMATIONAL), "Informational");
  EXPECT_EQ(PriorityDisplayName(v1::PRIORITY_DEBUG), "Debug");
  EXPECT_EQ(PriorityDisplayName(v1::PRIORITY_UNSPECIFIED), "-");
}

v1::Alert ShadowAlert() {
  v1::Alert alert;
  alert.set_sequence(42);
  alert.set_sensor_id("sensor-node-1");
  alert.set_node("node-1");
  alert.set_time_unix_ns(kT0);
  alert.set_rule("Read of shadow file by unexpected process");
  alert.set_priority(v1::PRIORITY_WARNING);
  alert.set_output("Password hash file read (file=/etc/shadow proc=cat)");
  return alert;
}

TEST(AlertFormatTest, RowShowsTimePriorityRuleNodeOutput) {
  EXPECT_THAT(
      AlertCells(ShadowAlert()),
      ElementsAre("2026-11-30T06:40:39Z", "Warning", "Read of shadow file by unexpected process",
                  "node-1", "Password hash file read (file=/etc/shadow proc=cat)"));
  EXPECT_EQ(AlertLine(ShadowAlert()),
            "2026-11-30T06:40:39Z  Warning        Read of shadow file by unexpected process  "
            "node-1  Password hash file read (file=/etc/shadow proc=cat)\n");
  EXPECT_EQ(AlertHeaderLine(), "TIME                  PRIORITY       RULE  NODE  OUTPUT\n");
}

TEST(AlertFormatTest, LineStaysOneLine) {
  v1::Alert alert = ShadowAlert();
  alert.set_output("multi\nline\x1b[2J");
  const std::string line = AlertLine(alert);
  EXPECT_EQ(Lines(line).size(), 1u);
  EXPECT_THAT(line, HasSubstr("multi\\nline\\x1b[2J"));
}

TEST(AlertFormatTest, GapRecord) {
  v1::Alert gap;
  gap.set_node("node-2");
  gap.set_time_unix_ns(kT0);
  gap.set_lost(17);
  gap.set_lost_reason("spool full");
  EXPECT_THAT(AlertCells(gap), ElementsAre("2026-11-30T06:40:39Z", "-", "(gap)", "node-2",
                                           "17 alerts lost: spool full"));
}

v1::Sensor NodeOneSensor() {
  v1::Sensor s;
  s.set_sensor_id("sensor-node-1");
  s.set_node("node-1");
  s.set_version("0.1.0");
  s.set_connected(true);
  s.set_last_seen_unix_ns(kT0 - int64_t{12} * 1000000000);
  s.set_rule_set_version("sha256:feedfacecafe0123456789");
  v1::ModuleState* process = s.add_modules();
  process->set_name("process");
  process->set_enabled(true);
  process->set_attach_mode("tp_btf");
  process->set_state("running");
  v1::ModuleState* file = s.add_modules();
  file->set_name("file");
  file->set_enabled(false);
  file->set_state("disabled");
  return s;
}

TEST(ModulesSummaryTest, NameEqualsAttachModeOrState) {
  EXPECT_EQ(ModulesSummary(NodeOneSensor()), "process=tp_btf,file=disabled");
  EXPECT_EQ(ModulesSummary(v1::Sensor()), "-");
}

TEST(SensorsTableTest, Columns) {
  v1::ListSensorsResponse response;
  *response.add_sensors() = NodeOneSensor();
  v1::Sensor* gone = response.add_sensors();
  gone->set_sensor_id("sensor-node-2");
  gone->set_node("node-2");
  gone->set_last_seen_unix_ns(kT0 - int64_t{3 * 86400} * 1000000000);
  const std::vector<std::string> lines = Lines(SensorsTable(response, kNow));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0],
            "SENSOR         NODE    CONNECTED  LAST SEEN  VERSION  RULES         MODULES");
  EXPECT_EQ(lines[1],
            "sensor-node-1  node-1  yes        12s ago    0.1.0    feedfacecafe  "
            "process=tp_btf,file=disabled");
  EXPECT_EQ(lines[2], "sensor-node-2  node-2  no         3d ago     -        -             -");
}

TEST(ModulesTableTest, OneRowPerModule) {
  v1::ListSensorsResponse response;
  *response.add_sensors() = NodeOneSensor();
  response.mutable_sensors(0)->mutable_modules(1)->set_error("");
  const std::vector<std::string> lines = Lines(ModulesTable(response));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_THAT(lines[0], StartsWith("SENSOR"));
  EXPECT_THAT(lines[1], HasSubstr("process  builtin  -        -       yes      tp_btf  running"));
  EXPECT_THAT(lines[2], HasSubstr("file     builtin  -        -       no       -       disabled"));
}

TEST(ModulesTableTest, BundleModulesShowSourceVersionBundleAndRollBack) {
  v1::ListSensorsResponse response;
  v1::Sensor* s = response.add_sensors();
  s->set_sensor_id("s1");
  s->set_node("n1");
  v1::ModuleState* m = s->add_modules();
  m->set_name("sigwatch");
  m->set_enabled(true);
  m->set_attach_mode("tp_btf");
  m->set_state("rolled_back");
  m->set_error("2.0.0: the verifier refused signal_generate:\nR1 invalid mem access");
  m->set_source("bundle");
  m->set_version("1.0.0");
  m->set_bundle("sha256:0123456789abcdef0123");
  v1::Sensor* empty = response.add_sensors();
  empty->set_sensor_id("s2");
  EXPECT_EQ(ModulesTable(response),
            "SENSOR  NODE  MODULE    SOURCE  VERSION  BUNDLE        ENABLED  ATTACH  STATE        "
            "ERROR\n"
            "s1      n1    sigwatch  bundle  1.0.0    0123456789ab  yes      tp_btf  rolled_back  "
            "2.0.0: the verifier refused signal_generate:\\nR1 invalid mem access\n"
            "s2      -     -         -       -        -             -        -       -\n");
}

TEST(FormatBytesTest, UnitsFromBytesToMebibytes) {
  EXPECT_EQ(FormatBytes(0), "0 B");
  EXPECT_EQ(FormatBytes(1023), "1023 B");
  EXPECT_EQ(FormatBytes(1024), "1.0 KiB");
  EXPECT_EQ(FormatBytes(12698), "12.4 KiB");
  EXPECT_EQ(FormatBytes(4u << 20), "4.0 MiB");
}

TEST(BundlesTableTest, ShortHashNameVersionKeySizeAge) {
  v1::ListProbeBundlesResponse response;
  v1::StoredBundle* b = response.add_bundles();
  b->set_hash("sha256:fedcba9876543210fedc");
  b->mutable_manifest()->set_name("sigwatch");
  b->mutable_manifest()->set_version("1.0.0");
  b->set_key_id("0011223344556677");
  b->set_size(12698);
  b->set_created_unix_ns(kT0 - int64_t{3600} * 1000000000);
  v1::StoredBundle* unsigned_bundle = response.add_bundles();
  unsigned_bundle->set_hash("sha256:aa");
  unsigned_bundle->mutable_manifest()->set_name("x");
  unsigned_bundle->mutable_manifest()->set_version("0");
  unsigned_bundle->set_size(10);
  EXPECT_EQ(BundlesTable(response, kNow),
            "HASH          NAME      VERSION  KEY               SIZE      CREATED\n"
            "fedcba987654  sigwatch  1.0.0    0011223344556677  12.4 KiB  1h ago\n"
            "aa            x         0        unsigned          10 B      never\n");
}

TEST(PutProbeBundleTextTest, HashModuleAndWhetherNew) {
  v1::PutProbeBundleResponse response;
  response.set_hash("sha256:abc");
  response.set_name("sigwatch");
  response.set_version("1.0.0");
  response.set_created(true);
  EXPECT_EQ(PutProbeBundleText(response), "bundle sha256:abc: module sigwatch 1.0.0, stored\n");
  response.set_created(false);
  EXPECT_EQ(PutProbeBundleText(response),
            "bundle sha256:abc: module sigwatch 1.0.0, stored before\n");
}

v1::Rollout RulesRollout() {
  v1::Rollout rollout;
  rollout.set_kind("rules");
  rollout.set_version("sha256:abc");
  rollout.set_sensors(3);
  rollout.set_applied(1);
  rollout.set_failed(1);
  rollout.set_pending(1);
  rollout.set_summary("version sha256:abc: applied on 1 of 3 sensors, failed on 1");
  v1::SensorRollout* a = rollout.add_per_sensor();
  a->set_sensor_id("s1");
  a->set_node("n1");
  a->set_state(v1::ROLLOUT_STATE_APPLIED);
  v1::SensorRollout* b = rollout.add_per_sensor();
  b->set_sensor_id("s2");
  b->set_node("n2");
  b->set_state(v1::ROLLOUT_STATE_FAILED);
  b->set_error("a.yaml:3:5: unknown field 'proc.nam'");
  v1::SensorRollout* c = rollout.add_per_sensor();
  c->set_sensor_id("s3");
  c->set_node("n3");
  c->set_state(v1::ROLLOUT_STATE_PENDING);
  return rollout;
}

TEST(RolloutTextTest, SummaryLineThenRows) {
  EXPECT_EQ(RolloutText(RulesRollout()),
            "version sha256:abc: applied on 1 of 3 sensors, failed on 1\n"
            "SENSOR  NODE  STATE    ERROR\n"
            "s1      n1    applied\n"
            "s2      n2    failed   a.yaml:3:5: unknown field 'proc.nam'\n"
            "s3      n3    pending\n");
}

TEST(RolloutTextTest, SummaryMadeFromCountsWhenAbsent) {
  v1::Rollout rollout = RulesRollout();
  rollout.clear_summary();
  rollout.clear_per_sensor();
  rollout.set_version("v9");
  EXPECT_EQ(RolloutText(rollout), "version v9: applied on 1 of 3 sensors, failed on 1\n");
}

TEST(RuleSetsTableTest, MarksTheDesiredSet) {
  v1::ListRuleSetsResponse response;
  v1::RuleSet* newer = response.add_rule_sets();
  newer->set_version("sha256:bbb");
  newer->set_created_unix_ns(kT0 - int64_t{120} * 1000000000);
  v1::RuleSet* older = response.add_rule_sets();
  older->set_version("sha256:aaa");
  older->set_created_unix_ns(kT0 - int64_t{7200} * 1000000000);
  response.set_desired_version("sha256:aaa");
  EXPECT_EQ(RuleSetsTable(response, kNow),
            "VERSION     CREATED  DESIRED\n"
            "sha256:bbb  2m ago\n"
            "sha256:aaa  2h ago   *\n");
}

TEST(PutRuleSetTextTest, VersionAndRuleCount) {
  v1::PutRuleSetResponse response;
  response.set_version("sha256:abc");
  response.set_rules(12);
  response.set_created(true);
  EXPECT_EQ(PutRuleSetText(response),
            "rule set sha256:abc: 12 rules, stored; now the desired set\n");
  response.set_created(false);
  response.set_rules(1);
  EXPECT_EQ(PutRuleSetText(response),
            "rule set sha256:abc: 1 rule, stored before; now the desired set\n");
}

TEST(SetProbeModulesTextTest, VersionAndSensors) {
  v1::SetProbeModulesResponse response;
  response.set_version("4");
  v1::SensorRollout* r = response.add_per_sensor();
  r->set_sensor_id("s1");
  r->set_node("n1");
  r->set_state(v1::ROLLOUT_STATE_PENDING);
  EXPECT_EQ(SetProbeModulesText(response),
            "modules version 4: sent to 1 sensor\n"
            "SENSOR  NODE  STATE    ERROR\n"
            "s1      n1    pending\n");
}

TEST(ToJsonTest, ProtoFieldNamesAndDefaults) {
  v1::ListSensorsResponse response;
  v1::Sensor* s = response.add_sensors();
  s->set_sensor_id("s1");
  s->set_last_seen_unix_ns(5);
  const std::string json = ToJson(response, /*multiline=*/false);
  EXPECT_THAT(json, StartsWith("{\"sensors\":[{"));
  EXPECT_THAT(json, HasSubstr("\"sensor_id\":\"s1\""));
  EXPECT_THAT(json, HasSubstr("\"last_seen_unix_ns\":\"5\""));
  EXPECT_THAT(json, HasSubstr("\"connected\":false"));
  EXPECT_THAT(json, Not(HasSubstr("sensorId")));
  EXPECT_THAT(json, Not(HasSubstr("\n")));
  EXPECT_GT(Lines(ToJson(response, /*multiline=*/true)).size(), 3u);
}

TEST(ToJsonTest, AlertEnvelopeCarriesCursorAndEnumNames) {
  v1::AlertEnvelope envelope;
  envelope.set_cursor("17");
  *envelope.mutable_alert() = ShadowAlert();
  const std::string json = ToJson(envelope, /*multiline=*/false);
  EXPECT_THAT(json, StartsWith("{\"cursor\":\"17\",\"alert\":{"));
  EXPECT_THAT(json, HasSubstr("\"priority\":\"PRIORITY_WARNING\""));
  EXPECT_THAT(json, HasSubstr("\"rule\":\"Read of shadow file by unexpected process\""));
}

}  // namespace
}  // namespace vigil::cli

// Unit tests for sensor/output/alert_json.h: alerts, in their one wire form, as lines in the
// shape of Falco's JSON output.
#include "sensor/output/alert_json.h"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sensor/delivery/alert_proto.h"

namespace vigil::sensor {
namespace {

TEST(AlertJsonTest, FalcoShapedWithTypedFields) {
  std::vector<rules::AlertField> fields(5);
  fields[0].name = "proc.name";
  fields[0].type = rules::FieldType::kString;
  fields[0].present = true;
  fields[0].str = "ba\"sh";
  fields[1].name = "proc.pid";
  fields[1].type = rules::FieldType::kInt;
  fields[1].present = true;
  fields[1].num = 42;
  fields[2].name = "file.mode";
  fields[2].type = rules::FieldType::kFlags;
  fields[2].present = true;
  fields[2].num = 0104755;
  fields[3].name = "proc.is_thread";
  fields[3].type = rules::FieldType::kBool;
  fields[3].present = true;
  fields[3].num = 1;
  fields[4].name = "fd.name";
  fields[4].type = rules::FieldType::kPath;
  fields[4].present = false;
  const std::vector<std::string> tags = {"a", "b"};
  AlertLine line;
  line.rule = "R";
  line.priority = rules::Priority::kCritical;
  line.output = "out";
  line.fields = &fields;
  line.tags = &tags;
  line.wall_ns = 1796020800123456789ull;  // 2026-11-30T06:40:00.123456789Z
  line.count = 7;
  std::string text;
  AppendAlertJson(ToAlertProto(line, "sensor-1", "node-1", ""), &text);
  const nlohmann::json j = nlohmann::json::parse(text);
  EXPECT_EQ(j["time"], "2026-11-30T06:40:00.123456789Z");
  EXPECT_EQ(j["rule"], "R");
  EXPECT_EQ(j["priority"], "Critical");
  EXPECT_EQ(j["output"], "out");
  EXPECT_EQ(j["hostname"], "node-1");
  EXPECT_EQ(j["source"], "syscall");
  EXPECT_EQ(j["tags"], nlohmann::json({"a", "b"}));
  EXPECT_EQ(j["count"], 7);
  const nlohmann::json& f = j["output_fields"];
  EXPECT_EQ(f["proc.name"], "ba\"sh");
  EXPECT_EQ(f["proc.pid"], 42);
  EXPECT_EQ(f["file.mode"], "0104755");
  EXPECT_EQ(f["proc.is_thread"], true);
  EXPECT_TRUE(f["fd.name"].is_null());
}

TEST(AlertJsonTest, MinimalAlertHasEveryKey) {
  AlertLine line;
  line.rule = "self";
  line.priority = rules::Priority::kError;
  line.source = "vigil";
  std::string text;
  AppendAlertJson(ToAlertProto(line, "sensor-1", "h", ""), &text);
  const nlohmann::json j = nlohmann::json::parse(text);
  for (const char* key :
       {"time", "rule", "priority", "output", "output_fields", "hostname", "tags", "source"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_FALSE(j.contains("count"));
  EXPECT_EQ(j["priority"], "Error");
  EXPECT_EQ(j["time"], "1970-01-01T00:00:00.000000000Z");
}

TEST(AlertJsonTest, ContainerAndPodAreAddedUnlessTheOutputNamesThem) {
  std::vector<rules::AlertField> fields(1);
  fields[0].name = "k8s.pod.name";
  fields[0].type = rules::FieldType::kString;
  fields[0].present = true;
  fields[0].str = "from-rule";
  AlertLine line;
  line.rule = "R";
  line.fields = &fields;
  line.container_id = "host";
  line.pod_name = "web-1";
  line.pod_namespace = "shop";
  std::string text;
  AppendAlertJson(ToAlertProto(line, "sensor-1", "h", ""), &text);
  const nlohmann::json f = nlohmann::json::parse(text)["output_fields"];
  EXPECT_EQ(f["container.id"], "host");
  EXPECT_EQ(f["k8s.pod.name"], "from-rule");  // named once, as the rule's output has it
  EXPECT_EQ(f["k8s.ns.name"], "shop");
  EXPECT_FALSE(f.contains("k8s.pod.uid"));  // unknown: left out
  EXPECT_EQ(f.size(), 3u);

  const vigil::v1::Alert proto = ToAlertProto(line, "s", "h", "v");
  EXPECT_EQ(proto.container_id(), "host");
  EXPECT_EQ(proto.pod_name(), "web-1");
  EXPECT_EQ(proto.pod_namespace(), "shop");
  EXPECT_EQ(proto.pod_uid(), "");
}

TEST(AlertJsonTest, PriorityNamesFollowFalco) {
  EXPECT_EQ(AlertPriorityName(rules::Priority::kEmergency), "Emergency");
  EXPECT_EQ(AlertPriorityName(rules::Priority::kInformational), "Informational");
  EXPECT_EQ(AlertPriorityName(rules::Priority::kDebug), "Debug");
  EXPECT_EQ(AlertPriorityName(rules::Priority::kNotice), "Notice");
}

}  // namespace
}  // namespace vigil::sensor

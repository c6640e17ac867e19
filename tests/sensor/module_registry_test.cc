// The probe-module registry (event/modules.h) is consistent across the layers that expand
// it, and docs/adding-a-probe-module.md lists exactly its modules.
#include "sensor/probes/module_registry.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "event/fields.h"
#include "event/schema.h"
#include "gtest/gtest.h"
#include "sensor/probes/record_registry.h"

namespace vigil::sensor {
namespace {

TEST(ModuleRegistryTest, RecordTypesMatchTheSchema) {
  ASSERT_TRUE(probes::CheckRecordRegistry().ok()) << probes::CheckRecordRegistry();
  size_t schema_types = 0;
  for (const event::ModuleSchema* schema : event::ModuleSchemas()) {
    schema_types += schema->event_types.size();
    for (const event::EventTypeInfo& info : schema->event_types) {
      const probes::RecordType* record = probes::FindRecordType(static_cast<uint16_t>(info.type));
      ASSERT_NE(record, nullptr) << info.name;
      EXPECT_EQ(record->type, info.type) << info.name;
      EXPECT_EQ(event::FindEventTypeByName(info.name), &info);
      EXPECT_EQ(event::EventTypeName(info.type), info.name);
      EXPECT_FALSE(info.evt_type_names.empty()) << info.name;
    }
  }
  // ... and the one record type of every bundle, last.
  EXPECT_EQ(probes::RecordTypes().size(), schema_types + 1);
  EXPECT_EQ(probes::FindRecordType(VIGIL_EVENT_BUNDLE), &probes::RecordTypes().back());
  EXPECT_EQ(probes::RecordTypes().back().type, event::kBundle);
  EXPECT_EQ(event::EventTypeName(event::kBundle), "bundle");
  EXPECT_EQ(probes::FindRecordType(0), nullptr);
  EXPECT_EQ(probes::FindRecordType(VIGIL_EVENT_TYPE_LIMIT), nullptr);
}

TEST(ModuleRegistryTest, LoadersFollowTheRegistryOrder) {
  const std::vector<std::unique_ptr<probes::ProbeModule>> modules = probes::CreateModules();
  ASSERT_EQ(modules.size(), event::ModuleSchemas().size());
  for (size_t i = 0; i < modules.size(); ++i) {
    EXPECT_EQ(modules[i]->name(), event::ModuleSchemas()[i]->name);
    EXPECT_FALSE(modules[i]->running());
  }
}

TEST(ModuleRegistryTest, ModuleFieldsApplyOnlyToRegisteredTypesAndAreUnique) {
  std::vector<std::string> names;
  for (const event::FieldInfo& field : event::FieldTable()) {
    names.emplace_back(field.name);
    if (field.event_mask != event::kAllEvents) {
      EXPECT_NE(field.event_mask & event::RegisteredEventMask(), 0u) << field.name;
      EXPECT_EQ(field.event_mask & ~event::RegisteredEventMask(), 0u) << field.name;
    }
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end());
}

// The rows of the table under "## The modules": module, event types, default, summary.
std::vector<std::vector<std::string>> DocsModuleTable() {
  std::ifstream in(std::string(VIGIL_SOURCE_DIR) + "/docs/adding-a-probe-module.md");
  std::stringstream text;
  text << in.rdbuf();
  std::vector<std::vector<std::string>> rows;
  bool in_section = false;
  for (absl::string_view line : absl::StrSplit(text.str(), '\n')) {
    if (absl::StartsWith(line, "## ")) in_section = line == "## The modules";
    if (!in_section || !absl::StartsWith(line, "| `")) continue;
    std::vector<std::string> cells;
    for (absl::string_view cell : absl::StrSplit(line, '|', absl::SkipEmpty())) {
      cells.emplace_back(absl::StripAsciiWhitespace(cell));
    }
    rows.push_back(std::move(cells));
  }
  return rows;
}

TEST(ModuleRegistryDocsTest, RecipeTableListsExactlyTheRegistry) {
  std::vector<std::vector<std::string>> expected;
  for (const event::ModuleSchema* schema : event::ModuleSchemas()) {
    std::vector<std::string> types;
    for (const event::EventTypeInfo& info : schema->event_types) {
      types.push_back(absl::StrCat("`", info.name, "`"));
    }
    expected.push_back({absl::StrCat("`", schema->name, "`"), absl::StrJoin(types, ", "),
                        schema->enabled_by_default ? "yes" : "no", std::string(schema->summary)});
  }
  EXPECT_EQ(DocsModuleTable(), expected)
      << "docs/adding-a-probe-module.md's module table differs from event/modules.h";
}

}  // namespace
}  // namespace vigil::sensor

// The example bundle's rules (modules/sigmon/rules.yaml) against its manifest: they compile
// only while the bundle's fields are active, and they read a sigmon record as the manifest
// lays it out (a kill of a protected process fires; the same kill by a process manager,
// and other signals, do not).
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bundle/event_schema.h"
#include "bundle/manifest.h"
#include "common/read_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/rules/fake_event_view.h"
#include "tests/rules/rule_set_helpers.h"

namespace vigil::rules {
namespace {

using ::testing::HasSubstr;

constexpr char kDir[] = VIGIL_SOURCE_DIR "/modules/sigmon/";

std::string Read(const std::string& name) {
  absl::StatusOr<std::string> text = ReadFileHead(kDir + name, 1u << 20);
  EXPECT_TRUE(text.ok()) << text.status();
  return text.ok() ? *text : "";
}

// The body of a sigmon_signal record (modules/sigmon/sigmon.h).
struct Body {
  int32_t sig;
  int32_t code;
  int32_t result;
  uint32_t target_pid;
  uint8_t group;
  uint8_t pad[3];
  char target_comm[16];
};
static_assert(sizeof(Body) == 36, "the manifest says 36 bytes");

class ExampleRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<vigil::v1::BundleManifest> manifest =
        bundle::ParseManifestText(Read("sigmon-v2.manifest"), "sigmon-v2.manifest");
    ASSERT_TRUE(manifest.ok()) << manifest.status();
    auto schema = bundle::EventSchemaOf(*manifest, "sha256:test");
    ASSERT_TRUE(schema.ok()) << schema.status();
    schema_ = *schema;
    event::SetActiveBundleSchemas({schema_});
  }
  void TearDown() override { event::SetActiveBundleSchemas({}); }

  // A sigmon record of `sig` to `target` sent by a process named `sender`.
  FakeView SignalView(int sig, const char* target, const char* sender) {
    body_ = Body{};
    body_.sig = sig;
    body_.target_pid = 4242;
    body_.group = 1;
    std::strncpy(body_.target_comm, target, sizeof(body_.target_comm) - 1);
    event::Event e = TaskEvent(event::kBundle);
    e.task.comm = sender;
    e.bundle = event::BundleData{schema_.get(), schema_->FindRecord(1),
                                 reinterpret_cast<const uint8_t*>(&body_), sizeof(body_)};
    FakeView view(e);
    view.process_.pid = 42;
    view.process_.comm = sender;
    return view;
  }

  std::vector<std::string> Matches(const RuleSet& set, const FakeView& view) {
    std::vector<std::string> matched;
    set.Evaluate(view, [&](const CompiledRule& r) { matched.push_back(r.name); });
    return matched;
  }

  std::shared_ptr<const event::BundleSchema> schema_;
  Body body_{};
};

TEST_F(ExampleRulesTest, KillOfAProtectedProcessFiresAndOrdinarySignalsDoNot) {
  auto set = CompileFiles({{"rules.yaml", Read("rules.yaml")}});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_THAT(Matches(**set, SignalView(9, "vigil-sensor", "bash")),
              ::testing::ElementsAre("Signal to a protected process"));
  EXPECT_THAT(Matches(**set, SignalView(19, "kubelet", "python3")),
              ::testing::ElementsAre("Signal to a protected process"));
  EXPECT_THAT(Matches(**set, SignalView(15, "vigil-sensor", "systemd")), ::testing::IsEmpty());
  EXPECT_THAT(Matches(**set, SignalView(10, "vigil-sensor", "bash")), ::testing::IsEmpty());
  EXPECT_THAT(Matches(**set, SignalView(9, "nginx", "bash")), ::testing::IsEmpty());
  // Other events never match, even with a protected name in the task.
  FakeView exec = ExecView();
  EXPECT_THAT(Matches(**set, exec), ::testing::IsEmpty());
}

TEST_F(ExampleRulesTest, RulesOnBundleFieldsFailWithoutTheBundle) {
  event::SetActiveBundleSchemas({});
  const std::string error = CompileError({{"rules.yaml", Read("rules.yaml")}});
  EXPECT_THAT(error, HasSubstr("rules.yaml:"));
  EXPECT_THAT(error, HasSubstr("unknown field 'sigmon."));
}

TEST_F(ExampleRulesTest, FieldsAreTypedByTheManifest) {
  EXPECT_THAT(CompileError({{"r.yaml", OneRule("sigmon.target_comm > 3")}}),
              HasSubstr("does not apply to string field sigmon.target_comm"));
  EXPECT_EQ(CompileError({{"r.yaml", OneRule("sigmon.group = true and sigmon.sig >= 9")}}),
            "compiled");
  EXPECT_THAT(CompileError({{"r.yaml", OneRule("sigmon.nope = 1")}}),
              HasSubstr("unknown field 'sigmon.nope'"));
}

}  // namespace
}  // namespace vigil::rules

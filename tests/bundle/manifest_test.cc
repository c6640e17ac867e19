#include "bundle/manifest.h"

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bundle/bundle.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/bundle/bundle_test_util.h"

namespace vigil::bundle {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using vigil::bundle::testing::kTestManifestText;
using vigil::bundle::testing::TestManifest;
using vigil::v1::BundleField;
using vigil::v1::BundleManifest;

TEST(ManifestTextTest, ValidManifestParses) {
  auto manifest = ParseManifestText(kTestManifestText, "sigwatch.textproto");
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  EXPECT_EQ(manifest->name(), "sigwatch");
  EXPECT_EQ(manifest->version(), "1.0.0");
  ASSERT_EQ(manifest->hooks_size(), 1);
  EXPECT_EQ(manifest->hooks(0).slot(), "signal_generate");
  EXPECT_THAT(manifest->hooks(0).modes(), ::testing::ElementsAre("tp_btf", "tracepoint"));
  ASSERT_EQ(manifest->records_size(), 1);
  EXPECT_EQ(manifest->records(0).c_type(), "test_rec");
  ASSERT_EQ(manifest->records(0).fields_size(), 4);
  EXPECT_EQ(manifest->records(0).fields(3).kind(), vigil::v1::BUNDLE_FIELD_KIND_STRING);
  EXPECT_EQ(manifest->records(0).fields(3).offset(), 16u);
  ASSERT_EQ(manifest->config_size(), 3);
  EXPECT_TRUE(manifest->config(2).map_entry());
  EXPECT_EQ(manifest->config(2).index(), 3u);
  EXPECT_TRUE(ValidateManifest(*manifest).ok());
}

TEST(ManifestTextTest, SyntaxErrorNamesFileLineAndColumn) {
  const std::string text = "name: \"sigwatch\"\nversion: \"1\"\nhooks { slot: 12 }\n";
  auto manifest = ParseManifestText(text, "m.textproto");
  ASSERT_FALSE(manifest.ok());
  EXPECT_EQ(manifest.status().code(), absl::StatusCode::kInvalidArgument);
  // "12" starts at line 3, column 15.
  EXPECT_THAT(std::string(manifest.status().message()), StartsWith("m.textproto:3:15: "));
  EXPECT_THAT(std::string(manifest.status().message()), HasSubstr("string"));
}

TEST(ManifestTextTest, UnknownFieldNamesItsPosition) {
  auto manifest = ParseManifestText("name: \"a\"\n  nmae: \"b\"\n", "m.textproto");
  ASSERT_FALSE(manifest.ok());
  EXPECT_THAT(std::string(manifest.status().message()), StartsWith("m.textproto:2:"));
  EXPECT_THAT(std::string(manifest.status().message()), HasSubstr("nmae"));
}

TEST(ManifestTextTest, ContentErrorIsPrefixedWithTheFile) {
  std::string text = kTestManifestText;
  text.replace(text.find("\"sigwatch\""), 10, "\"process\"");
  auto manifest = ParseManifestText(text, "dir/m.textproto");
  ASSERT_FALSE(manifest.ok());
  EXPECT_EQ(manifest.status().message(),
            "dir/m.textproto: module name 'process' is taken by a built-in module or common "
            "field prefix");
}

TEST(ManifestTextTest, EmptyTextIsRefusedForItsContent) {
  auto manifest = ParseManifestText("", "empty.textproto");
  ASSERT_FALSE(manifest.ok());
  EXPECT_THAT(std::string(manifest.status().message()),
              StartsWith("empty.textproto: module name ''"));
}

TEST(ManifestTextTest, OversizedTextIsRefused) {
  const std::string text(1 << 20, ' ');
  auto manifest = ParseManifestText(text, "big.textproto");
  ASSERT_FALSE(manifest.ok());
  EXPECT_THAT(std::string(manifest.status().message()), HasSubstr("1048576 bytes, more than the"));
}

struct RuleCase {
  std::string label;
  std::function<void(BundleManifest&)> change;
  std::string error;  // the whole message ValidateManifest gives
};

BundleField& Field(BundleManifest& m, int i) { return *m.mutable_records(0)->mutable_fields(i); }

std::vector<RuleCase> RuleCases() {
  using vigil::v1::BundleFieldKind;
  auto kind_size = [](BundleFieldKind kind, uint32_t size) {
    return [kind, size](BundleManifest& m) {
      Field(m, 0).set_kind(kind);
      Field(m, 0).set_size(size);
    };
  };
  return {
      {"NameEmpty", [](BundleManifest& m) { m.set_name(""); },
       "module name '' does not match [a-z][a-z0-9_]{0,31}"},
      {"NameUpperCase", [](BundleManifest& m) { m.set_name("SigWatch"); },
       "module name 'SigWatch' does not match [a-z][a-z0-9_]{0,31}"},
      {"NameTooLong", [](BundleManifest& m) { m.set_name(std::string(33, 'a')); },
       absl::StrCat("module name '", std::string(33, 'a'),
                    "' does not match [a-z][a-z0-9_]{0,31}")},
      {"NameOfBuiltInModule", [](BundleManifest& m) { m.set_name("net"); },
       "module name 'net' is taken by a built-in module or common field prefix"},
      {"NameOfFieldPrefix", [](BundleManifest& m) { m.set_name("k8s"); },
       "module name 'k8s' is taken by a built-in module or common field prefix"},
      {"NameBundle", [](BundleManifest& m) { m.set_name("bundle"); },
       "module name 'bundle' is taken by a built-in module or common field prefix"},
      {"VersionEmpty", [](BundleManifest& m) { m.set_version(""); },
       "version '' must be 1 to 64 characters"},
      {"VersionTooLong", [](BundleManifest& m) { m.set_version(std::string(65, '1')); },
       absl::StrCat("version '", std::string(64, '1'), "...' must be 1 to 64 characters")},
      {"VersionWithSpace", [](BundleManifest& m) { m.set_version("1.0 beta"); },
       "version '1.0 beta' must be printable ASCII without spaces"},
      {"VersionWithControl", [](BundleManifest& m) { m.set_version("1\n"); },
       "version '1\\n' must be printable ASCII without spaces"},
      {"DescriptionTooLong", [](BundleManifest& m) { m.set_description(std::string(1025, 'x')); },
       "description is 1025 bytes, more than the 1024 allowed"},
      {"DescriptionNotUtf8", [](BundleManifest& m) { m.set_description("caf\xe9"); },
       "description is not UTF-8"},
      {"DescriptionWithOverlongUtf8", [](BundleManifest& m) { m.set_description("\xc0\xaf"); },
       "description is not UTF-8"},
      {"FieldDescriptionWithSurrogate",
       [](BundleManifest& m) { Field(m, 0).set_description("\xed\xa0\x80"); },
       "record 'signal' field 'pid': description is not UTF-8"},
      {"FieldDescriptionCutInACharacter",
       [](BundleManifest& m) { Field(m, 0).set_description("\xe6\x97"); },
       "record 'signal' field 'pid': description is not UTF-8"},
      {"NoHooks", [](BundleManifest& m) { m.clear_hooks(); }, "the manifest declares no hook"},
      {"TooManyHooks",
       [](BundleManifest& m) {
         for (int i = 0; i < kMaxHooks; ++i) {
           auto* hook = m.add_hooks();
           hook->set_slot(absl::StrCat("h", i));
           hook->add_modes("tp_btf");
         }
       },
       "33 hooks, more than the 32 allowed"},
      {"HookSlotInvalid", [](BundleManifest& m) { m.mutable_hooks(0)->set_slot("Sig"); },
       "hook 1: slot 'Sig' does not match [a-z][a-z0-9_]{0,47}"},
      {"HookSlotWithSeparator",
       [](BundleManifest& m) { m.mutable_hooks(0)->set_slot("signal__generate"); },
       "hook 'signal__generate': a slot may neither contain \"__\" nor end with '_'"},
      {"HookSlotTwice", [](BundleManifest& m) { *m.add_hooks() = m.hooks(0); },
       "hook 'signal_generate': slot declared twice"},
      {"HookWithoutModes", [](BundleManifest& m) { m.mutable_hooks(0)->clear_modes(); },
       "hook 'signal_generate': no attach modes"},
      {"HookUnknownMode", [](BundleManifest& m) { m.mutable_hooks(0)->add_modes("kprobe"); },
       "hook 'signal_generate': unknown attach mode 'kprobe' (expected tp_btf, raw_tp, "
       "tracepoint, fentry)"},
      // There is no lsm attach mode (sensor/probes/attach_mode.h): LSM programs are
      // stand-ins only, so a hook declaring mode lsm could never be attached.
      {"HookLsmMode", [](BundleManifest& m) { m.mutable_hooks(0)->add_modes("lsm"); },
       "hook 'signal_generate': unknown attach mode 'lsm' (expected tp_btf, raw_tp, "
       "tracepoint, fentry)"},
      {"HookModeTwice", [](BundleManifest& m) { m.mutable_hooks(0)->add_modes("tp_btf"); },
       "hook 'signal_generate': attach mode 'tp_btf' listed twice"},
      {"NoRecords", [](BundleManifest& m) { m.clear_records(); },
       "the manifest declares no record"},
      {"TooManyRecords",
       [](BundleManifest& m) {
         for (int i = 0; i < kMaxRecords; ++i) {
           auto* record = m.add_records();
           *record = m.records(0);
           record->set_name(absl::StrCat("r", i));
           record->set_id(10 + i);
         }
       },
       "17 records, more than the 16 allowed"},
      {"RecordNameInvalid", [](BundleManifest& m) { m.mutable_records(0)->set_name("1st"); },
       "record 1: name '1st' does not match [a-z][a-z0-9_]{0,31}"},
      {"RecordNameTwice",
       [](BundleManifest& m) {
         *m.add_records() = m.records(0);
         m.mutable_records(1)->set_id(2);
       },
       "record 'signal': declared twice"},
      {"RecordIdZero", [](BundleManifest& m) { m.mutable_records(0)->set_id(0); },
       "record 'signal': id 0 is not in 1..255"},
      {"RecordIdTooLarge", [](BundleManifest& m) { m.mutable_records(0)->set_id(256); },
       "record 'signal': id 256 is not in 1..255"},
      {"RecordIdTwice",
       [](BundleManifest& m) {
         *m.add_records() = m.records(0);
         m.mutable_records(1)->set_name("other");
       },
       "record 'other': id 1 is taken by another record"},
      {"RecordCTypeNotIdentifier",
       [](BundleManifest& m) { m.mutable_records(0)->set_c_type("struct test_rec"); },
       "record 'signal': c_type 'struct test_rec' is not a C identifier"},
      {"RecordSizeZero", [](BundleManifest& m) { m.mutable_records(0)->set_size(0); },
       "record 'signal': size 0 is not in 1..4096"},
      {"RecordSizeTooLarge", [](BundleManifest& m) { m.mutable_records(0)->set_size(4097); },
       "record 'signal': size 4097 is not in 1..4096"},
      {"RecordWithoutFields", [](BundleManifest& m) { m.mutable_records(0)->clear_fields(); },
       "record 'signal': no fields"},
      {"RecordWithTooManyFields",
       [](BundleManifest& m) {
         auto* record = m.mutable_records(0);
         record->clear_fields();
         record->set_size(kMaxRecordBody);
         for (int i = 0; i <= kMaxFieldsPerRecord; ++i) {
           auto* field = record->add_fields();
           field->set_name(absl::StrCat("f", i));
           field->set_kind(vigil::v1::BUNDLE_FIELD_KIND_U8);
           field->set_offset(i);
           field->set_size(1);
         }
       },
       "record 'signal': 65 fields, more than the 64 allowed"},
      {"FieldNameInvalid", [](BundleManifest& m) { Field(m, 1).set_name("sig-no"); },
       "record 'signal': field 2: name 'sig-no' does not match [a-z][a-z0-9_]{0,31}"},
      {"FieldNameTwice", [](BundleManifest& m) { Field(m, 1).set_name("pid"); },
       "record 'signal' field 'pid': declared twice"},
      {"FieldKindUnspecified",
       [](BundleManifest& m) { Field(m, 1).set_kind(vigil::v1::BUNDLE_FIELD_KIND_UNSPECIFIED); },
       "record 'signal' field 'sig': no kind"},
      {"FieldKindUnknown",
       [](BundleManifest& m) { Field(m, 1).set_kind(static_cast<BundleFieldKind>(42)); },
       "record 'signal' field 'sig': unknown kind 42"},
      {"U8OfTwoBytes", kind_size(vigil::v1::BUNDLE_FIELD_KIND_U8, 2),
       "record 'signal' field 'pid': size 2 is not one BUNDLE_FIELD_KIND_U8 allows (1)"},
      {"U16OfFourBytes", kind_size(vigil::v1::BUNDLE_FIELD_KIND_U16, 4),
       "record 'signal' field 'pid': size 4 is not one BUNDLE_FIELD_KIND_U16 allows (2)"},
      {"U32OfTwoBytes", kind_size(vigil::v1::BUNDLE_FIELD_KIND_U32, 2),
       "record 'signal' field 'pid': size 2 is not one BUNDLE_FIELD_KIND_U32 allows (4)"},
      {"S32OfEightBytes", kind_size(vigil::v1::BUNDLE_FIELD_KIND_S32, 8),
       "record 'signal' field 'pid': size 8 is not one BUNDLE_FIELD_KIND_S32 allows (4)"},
      {"UidOfTwoBytes", kind_size(vigil::v1::BUNDLE_FIELD_KIND_UID, 2),
       "record 'signal' field 'pid': size 2 is not one BUNDLE_FIELD_KIND_UID allows (4)"},
      {"U64OfFourBytes", kind_size(vigil::v1::BUNDLE_FIELD_KIND_U64, 4),
       "record 'signal' field 'pid': size 4 is not one BUNDLE_FIELD_KIND_U64 allows (8)"},
      {"S64OfFourBytes", kind_size(vigil::v1::BUNDLE_FIELD_KIND_S64, 4),
       "record 'signal' field 'pid': size 4 is not one BUNDLE_FIELD_KIND_S64 allows (8)"},
      {"BoolOfFourBytes", kind_size(vigil::v1::BUNDLE_FIELD_KIND_BOOL, 4),
       "record 'signal' field 'pid': size 4 is not one BUNDLE_FIELD_KIND_BOOL allows (1)"},
      {"FlagsOfTwoBytes", kind_size(vigil::v1::BUNDLE_FIELD_KIND_FLAGS, 2),
       "record 'signal' field 'pid': size 2 is not one BUNDLE_FIELD_KIND_FLAGS allows (4 or 8)"},
      {"StringOfNoBytes", kind_size(vigil::v1::BUNDLE_FIELD_KIND_STRING, 0),
       "record 'signal' field 'pid': size 0 is not one BUNDLE_FIELD_KIND_STRING allows (1 to "
       "256)"},
      {"StringTooLong",
       [](BundleManifest& m) {
         m.mutable_records(0)->set_size(1024);
         Field(m, 3).set_size(257);
       },
       "record 'signal' field 'comm': size 257 is not one BUNDLE_FIELD_KIND_STRING allows (1 to "
       "256)"},
      {"FieldPastTheRecord", [](BundleManifest& m) { Field(m, 2).set_offset(28); },
       "record 'signal' field 'flags': offset 28 + size 8 is past the record's 32 bytes"},
      {"FieldOffsetNearTheLimitDoesNotWrap",
       [](BundleManifest& m) { Field(m, 2).set_offset(0xfffffffc); },
       "record 'signal' field 'flags': offset 4294967292 + size 8 is past the record's 32 "
       "bytes"},
      {"FieldsOverlap", [](BundleManifest& m) { Field(m, 2).set_offset(4); },
       "record 'signal' field 'flags': bytes 4..11 overlap field 'sig' (bytes 4..7)"},
      {"FieldsOverlapByOneByte",
       [](BundleManifest& m) {
         Field(m, 3).set_offset(15);
         Field(m, 3).set_size(17);
       },
       "record 'signal' field 'comm': bytes 15..31 overlap field 'flags' (bytes 8..15)"},
      {"FieldDescriptionTooLong",
       [](BundleManifest& m) { Field(m, 0).set_description(std::string(1025, 'd')); },
       "record 'signal' field 'pid': description is 1025 bytes, more than the 1024 allowed"},
      {"ConfigNameNotIdentifier", [](BundleManifest& m) { m.mutable_config(0)->set_name("a-b"); },
       "config 1: name 'a-b' is not a C identifier"},
      {"ConfigTwice", [](BundleManifest& m) { *m.add_config() = m.config(0); },
       "config 'some_config': set twice"},
      {"ConfigMapEntryTwice", [](BundleManifest& m) { *m.add_config() = m.config(2); },
       "config 'limits' index 3: set twice"},
      {"ConfigOfTheInstanceGlobal",
       [](BundleManifest& m) { m.mutable_config(0)->set_name("vigil_bundle_instance"); },
       "config 'vigil_bundle_instance': the sensor sets this global itself"},
      {"ConfigGlobalWithIndex", [](BundleManifest& m) { m.mutable_config(0)->set_index(1); },
       "config 'some_config': an index is for map entries only (map_entry: true)"},
      {"TooManyConfig",
       [](BundleManifest& m) {
         for (int i = 0; i < kMaxConfig; ++i) m.add_config()->set_name(absl::StrCat("c", i));
       },
       "67 config values, more than the 64 allowed"},
      {"UnknownKernelFeature", [](BundleManifest& m) { m.add_kernel_features("kprobe_multi"); },
       "unknown kernel feature 'kprobe_multi' (expected btf, ringbuf, tp_btf, raw_tp, "
       "tracepoint, fentry, lsm, bpf_loop)"},
      {"KernelFeatureTwice", [](BundleManifest& m) { m.add_kernel_features("btf"); },
       "kernel feature 'btf' listed twice"},
  };
}

class ManifestRuleTest : public ::testing::TestWithParam<RuleCase> {};

TEST_P(ManifestRuleTest, IsRefusedWithItsReason) {
  BundleManifest manifest = TestManifest();
  ASSERT_TRUE(ValidateManifest(manifest).ok());
  GetParam().change(manifest);
  absl::Status status = ValidateManifest(manifest);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(ManifestRules, ManifestRuleTest, ::testing::ValuesIn(RuleCases()),
                         [](const ::testing::TestParamInfo<RuleCase>& info) {
                           return info.param.label;
                         });

TEST(ManifestTest, SerializedManifestOverItsLimitIsRefused) {
  // Every count at its limit, every description at its longest: the serialized manifest
  // passes every per-item rule but not kMaxManifestBytes.
  BundleManifest manifest = TestManifest();
  manifest.clear_records();
  for (int r = 0; r < kMaxRecords; ++r) {
    auto* record = manifest.add_records();
    record->set_name(absl::StrCat("r", r));
    record->set_id(r + 1);
    record->set_c_type("test_rec");
    record->set_size(kMaxFieldsPerRecord);
    for (int f = 0; f < kMaxFieldsPerRecord; ++f) {
      auto* field = record->add_fields();
      field->set_name(absl::StrCat("f", f));
      field->set_kind(vigil::v1::BUNDLE_FIELD_KIND_U8);
      field->set_offset(f);
      field->set_size(1);
      field->set_description(std::string(64, 'd'));
    }
  }
  absl::Status status = ValidateManifest(manifest);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("bytes serialized, more than the 65536 allowed"));
}

TEST(ManifestTest, AllKindsAtTheirSizesAreAccepted) {
  BundleManifest manifest = TestManifest();
  auto* record = manifest.mutable_records(0);
  record->clear_fields();
  record->set_size(512);
  const std::vector<std::pair<vigil::v1::BundleFieldKind, uint32_t>> kinds = {
      {vigil::v1::BUNDLE_FIELD_KIND_U8, 1},     {vigil::v1::BUNDLE_FIELD_KIND_U16, 2},
      {vigil::v1::BUNDLE_FIELD_KIND_U32, 4},    {vigil::v1::BUNDLE_FIELD_KIND_U64, 8},
      {vigil::v1::BUNDLE_FIELD_KIND_S32, 4},    {vigil::v1::BUNDLE_FIELD_KIND_S64, 8},
      {vigil::v1::BUNDLE_FIELD_KIND_BOOL, 1},   {vigil::v1::BUNDLE_FIELD_KIND_UID, 4},
      {vigil::v1::BUNDLE_FIELD_KIND_FLAGS, 4},  {vigil::v1::BUNDLE_FIELD_KIND_FLAGS, 8},
      {vigil::v1::BUNDLE_FIELD_KIND_STRING, 1}, {vigil::v1::BUNDLE_FIELD_KIND_STRING, 256},
  };
  uint32_t offset = 0;
  for (size_t i = 0; i < kinds.size(); ++i) {
    auto* field = record->add_fields();
    field->set_name(absl::StrCat("f", i));
    field->set_kind(kinds[i].first);
    field->set_offset(offset);
    field->set_size(kinds[i].second);
    offset += kinds[i].second;
  }
  EXPECT_TRUE(ValidateManifest(manifest).ok()) << ValidateManifest(manifest);
}

TEST(ManifestTest, Utf8DescriptionsAreAccepted) {
  BundleManifest manifest = TestManifest();
  manifest.set_description("caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80");
  Field(manifest, 0).set_description("\xf4\x8f\xbf\xbf");  // U+10FFFF
  EXPECT_TRUE(ValidateManifest(manifest).ok()) << ValidateManifest(manifest);
  // Text-format escapes produce the same bytes.
  std::string text = kTestManifestText;
  const std::string old_description = "description: \"Signals sent (test module)\"";
  ASSERT_NE(text.find(old_description), std::string::npos);
  text.replace(text.find(old_description), old_description.size(),
               "description: \"caf\\303\\251\"");
  auto parsed = ParseManifestText(text, "m.textproto");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->description(), "caf\xc3\xa9");
  text = kTestManifestText;
  text.replace(text.find(old_description), old_description.size(), "description: \"caf\\351\"");
  auto refused = ParseManifestText(text, "m.textproto");
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("m.textproto"));
}

TEST(ManifestTest, AdjacentFieldsDoNotOverlap) {
  BundleManifest manifest = TestManifest();
  // pid 0..3 and sig 4..7 touch; a field exactly at the record's end is allowed.
  Field(manifest, 3).set_offset(16);
  Field(manifest, 3).set_size(16);
  EXPECT_TRUE(ValidateManifest(manifest).ok());
  EXPECT_EQ(uint64_t{Field(manifest, 3).offset()} + Field(manifest, 3).size(),
            manifest.records(0).size());
}

TEST(ManifestTest, EveryAttachModeAndKernelFeatureIsAccepted) {
  BundleManifest manifest = TestManifest();
  manifest.mutable_hooks(0)->clear_modes();
  for (const char* mode : {"tp_btf", "raw_tp", "tracepoint", "fentry"}) {
    manifest.mutable_hooks(0)->add_modes(mode);
  }
  // "lsm" is a kernel feature (the BPF LSM, for lsm/ stand-ins), though not an attach mode.
  manifest.clear_kernel_features();
  for (const char* feature :
       {"btf", "ringbuf", "tp_btf", "raw_tp", "tracepoint", "fentry", "lsm", "bpf_loop"}) {
    manifest.add_kernel_features(feature);
  }
  EXPECT_TRUE(ValidateManifest(manifest).ok()) << ValidateManifest(manifest);
}

}  // namespace
}  // namespace vigil::bundle

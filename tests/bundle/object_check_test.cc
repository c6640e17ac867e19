#include "bundle/object_check.h"

#include <functional>
#include <string>
#include <vector>

#include "bundle/manifest.h"
#include "common/read_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/bundle/bundle_test_util.h"

namespace vigil::bundle {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using vigil::bundle::testing::FakeElf;
using vigil::bundle::testing::TestManifest;
using vigil::bundle::testing::TestObject;
using vigil::v1::BundleField;
using vigil::v1::BundleManifest;

BundleField& Field(BundleManifest& m, int i) { return *m.mutable_records(0)->mutable_fields(i); }

TEST(ObjectCheckTest, MatchingManifestPasses) {
  const std::string object = TestObject();
  ASSERT_FALSE(object.empty());
  absl::Status status = CheckObject(TestManifest(), object);
  EXPECT_TRUE(status.ok()) << status;
}

TEST(ObjectCheckTest, ObjectLibbpfCannotOpenIsInvalid) {
  absl::Status fake = CheckObject(TestManifest(), FakeElf());
  EXPECT_EQ(fake.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(fake.message()), StartsWith("libbpf cannot open the object"));
  EXPECT_EQ(CheckObject(TestManifest(), "").code(), absl::StatusCode::kInvalidArgument);
  // A cut-short object never opens either.
  const std::string object = TestObject();
  EXPECT_EQ(CheckObject(TestManifest(), object.substr(0, object.size() / 2)).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ObjectCheckTest, ObjectThatCrashesLibbpfIsRefusedAndTheCallerLivesOn) {
  // The test object with its symbol table overwritten (a fuzzer's find): libbpf 1.1 reads
  // past its buffers opening it. The check runs in a child process, so only that dies.
  auto crash = ReadSmallFile(std::string(VIGIL_SOURCE_DIR) + "/tests/bundle/data/libbpf_crash.o");
  ASSERT_TRUE(crash.ok()) << crash.status();
  absl::Status status = CheckObject(TestManifest(), *crash);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(std::string(status.message()), StartsWith("libbpf c")) << status;
  // Still here, and still checking.
  EXPECT_TRUE(CheckObject(TestManifest(), TestObject()).ok());
}

struct LieCase {
  std::string label;
  std::function<void(BundleManifest&)> change;
  std::string error;  // a part of the message
};

std::vector<LieCase> LieCases() {
  return {
      {"FieldOffset",
       [](BundleManifest& m) {
         Field(m, 2).set_kind(vigil::v1::BUNDLE_FIELD_KIND_U32);
         Field(m, 2).set_size(4);
         Field(m, 2).set_offset(12);
       },
       "record 'signal' field 'flags' (struct test_rec): the member is at offset 8, the "
       "manifest says 12"},
      {"FieldSize",
       [](BundleManifest& m) {
         Field(m, 2).set_kind(vigil::v1::BUNDLE_FIELD_KIND_U32);
         Field(m, 2).set_size(4);
       },
       "record 'signal' field 'flags' (struct test_rec): the member's type is an integer "
       "of 8 bytes, the manifest says an integer of 4 bytes"},
      {"StringSize", [](BundleManifest& m) { Field(m, 3).set_size(8); },
       "record 'signal' field 'comm' (struct test_rec): the member's type is char[16], the "
       "manifest says char[8]"},
      {"IntegerAsString",
       [](BundleManifest& m) { Field(m, 0).set_kind(vigil::v1::BUNDLE_FIELD_KIND_STRING); },
       "record 'signal' field 'pid' (struct test_rec): the member's type is an integer of 4 "
       "bytes, the manifest says char[4]"},
      {"StringAsInteger",
       [](BundleManifest& m) {
         Field(m, 3).set_kind(vigil::v1::BUNDLE_FIELD_KIND_U64);
         Field(m, 3).set_size(8);
       },
       "record 'signal' field 'comm' (struct test_rec): the member's type is char[16], the "
       "manifest says an integer of 8 bytes"},
      {"FieldMissing", [](BundleManifest& m) { Field(m, 1).set_name("signo"); },
       "record 'signal' field 'signo' (struct test_rec): the struct has no member signo"},
      {"RecordSize", [](BundleManifest& m) { m.mutable_records(0)->set_size(48); },
       "record 'signal': struct test_rec is 32 bytes, the manifest says 48"},
      {"CTypeMissing", [](BundleManifest& m) { m.mutable_records(0)->set_c_type("no_such_rec"); },
       "record 'signal': struct no_such_rec is not in the object's BTF"},
      {"CTypeNotAStruct", [](BundleManifest& m) { m.mutable_records(0)->set_c_type("__u32"); },
       "record 'signal': struct __u32 is not in the object's BTF"},
      {"ProgramWithoutDeclaredHook",
       [](BundleManifest& m) { m.mutable_hooks(0)->set_slot("signal_deliver"); },
       "program btf_signal_generate (section tp_btf/signal_generate): the manifest declares no "
       "hook 'signal_generate'"},
      {"ProgramOfUndeclaredMode",
       [](BundleManifest& m) { m.mutable_hooks(0)->mutable_modes()->RemoveLast(); },
       "program tp_signal_generate (section tracepoint/signal/signal_generate): hook "
       "'signal_generate' does not declare mode tracepoint"},
      {"DeclaredModeWithoutProgram",
       [](BundleManifest& m) { m.mutable_hooks(0)->add_modes("raw_tp"); },
       "hook 'signal_generate' mode raw_tp: the object has no program raw_signal_generate"},
      {"DeclaredHookWithoutProgram",
       [](BundleManifest& m) {
         auto* hook = m.add_hooks();
         hook->set_slot("signal_deliver");
         hook->add_modes("fentry");
       },
       "hook 'signal_deliver' mode fentry: the object has no program fe_signal_deliver"},
      {"ConfigGlobalMissing",
       [](BundleManifest& m) { m.mutable_config(0)->set_name("no_such_config"); },
       "config 'no_such_config': the object has no .rodata global no_such_config"},
      {"ConfigGlobalNotInRodata",
       [](BundleManifest& m) { m.mutable_config(0)->set_name("rec_example"); },
       "config 'rec_example': the object has no .rodata global rec_example"},
      {"ConfigValueTooLargeForTheGlobal",
       [](BundleManifest& m) { m.mutable_config(1)->set_value(256); },
       "config 'small_config': value 256 does not fit the 1-byte global"},
      {"ConfigMapMissing", [](BundleManifest& m) { m.mutable_config(2)->set_name("no_such_map"); },
       "config 'no_such_map' index 3: the object has no map no_such_map"},
      {"ConfigMapIndexPastItsEntries", [](BundleManifest& m) { m.mutable_config(2)->set_index(4); },
       "config 'limits' index 4: past the map's 4 entries"},
      {"ConfigMapNotAnArray", [](BundleManifest& m) { m.mutable_config(2)->set_name("stats"); },
       "config 'stats' index 3: map stats is not an array of __u32 keys and 8-byte values"},
      {"ConfigMapAsGlobal", [](BundleManifest& m) { m.mutable_config(2)->set_map_entry(false); },
       "config 'limits': an index is for map entries only"},
  };
}

class ObjectCheckLieTest : public ::testing::TestWithParam<LieCase> {};

TEST_P(ObjectCheckLieTest, IsRefusedNamingIt) {
  const std::string object = TestObject();
  ASSERT_FALSE(object.empty());
  BundleManifest manifest = TestManifest();
  GetParam().change(manifest);
  absl::Status valid = ValidateManifest(manifest);
  absl::Status status = valid.ok() ? CheckObject(manifest, object) : valid;
  if (valid.ok()) {
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  }
  EXPECT_THAT(std::string(status.message()), HasSubstr(GetParam().error));
}

INSTANTIATE_TEST_SUITE_P(ObjectCheckLies, ObjectCheckLieTest, ::testing::ValuesIn(LieCases()),
                         [](const ::testing::TestParamInfo<LieCase>& info) {
                           return info.param.label;
                         });

TEST(ObjectCheckTest, LiesAreValidManifests) {
  // The object check sees what ValidateManifest cannot: each lie above (except the one
  // meant for ValidateManifest) is a well-formed manifest.
  int valid = 0;
  for (const LieCase& lie : LieCases()) {
    BundleManifest manifest = TestManifest();
    lie.change(manifest);
    if (ValidateManifest(manifest).ok()) ++valid;
  }
  EXPECT_EQ(valid, static_cast<int>(LieCases().size()) - 1);
}

// The test object with every NUL-terminated occurrence of the name `from` (in the ELF
// string tables and in BTF's; as a suffix too, since the linker shares ".rel<section>"'s
// tail with "<section>") replaced by `to`, of the same length: an object whose map, global,
// program or section has another name. `*count` is the number replaced.
std::string Renamed(std::string object, const std::string& from, const std::string& to,
                    int* count) {
  const std::string needle = from + std::string(1, '\0');
  const std::string replacement = to + std::string(1, '\0');
  *count = 0;
  for (size_t at = object.find(needle); at != std::string::npos; at = object.find(needle, at + 1)) {
    object.replace(at, needle.size(), replacement);
    ++*count;
  }
  return object;
}

TEST(ObjectCheckTest, ObjectWithRenamedPartsIsRefusedNamingThem) {
  const std::string object = TestObject();
  ASSERT_FALSE(object.empty());
  struct Rename {
    std::string from;
    std::string to;
    std::string error;
  };
  for (const Rename& rename : std::vector<Rename>{
           {"events", "evenTs", "the object has no map events (a ring buffer)"},
           {"stats", "statZ", "the object has no map stats (a per-CPU array)"},
           {"vigil_bundle_instance", "vigil_bundle_instancE",
            "the object has no .rodata global vigil_bundle_instance (const volatile __u32, "
            "bpf/vigil_bundle.bpf.h)"},
           {"some_config", "some_confiG",
            "config 'some_config': the object has no .rodata global some_config (a const "
            "volatile global)"},
           {"limits", "limitZ", "config 'limits' index 3: the object has no map limits"},
           {"tp_signal_generate", "kp_signal_generate",
            "program kp_signal_generate (section tracepoint/signal/signal_generate): not named "
            "<mode prefix><hook slot> (prefixes btf_, raw_, tp_, fe_, any_)"},
           {"btf_signal_generate", "btf_signal_generatE",
            "program btf_signal_generatE (section tp_btf/signal_generate): the manifest "
            "declares no hook 'signal_generatE'"},
           {"tp_btf/signal_generate", "raw_tp/signal_generate",
            "program btf_signal_generate (section raw_tp/signal_generate): a btf_ program's "
            "section is tp_btf/..."},
           {"flags", "flagZ",
            "record 'signal' field 'flags' (struct test_rec): the struct has no member flags"},
       }) {
    int count = 0;
    const std::string renamed = Renamed(object, rename.from, rename.to, &count);
    ASSERT_GT(count, 0) << rename.from;
    absl::Status status = CheckObject(TestManifest(), renamed);
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << rename.from << status;
    EXPECT_EQ(std::string(status.message()), rename.error) << rename.from;
  }
}

TEST(ObjectCheckTest, InvalidManifestIsRefusedBeforeTheObjectIsOpened) {
  BundleManifest manifest = TestManifest();
  manifest.mutable_records(0)->set_id(0);
  absl::Status status = CheckObject(manifest, TestObject());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(status.message()), "manifest: record 'signal': id 0 is not in 1..255");
}

// CheckProgram alone: names and sections the test object does not have.
BundleManifest ProgramManifest() {
  BundleManifest manifest = TestManifest();
  manifest.clear_hooks();
  auto* exec = manifest.add_hooks();
  exec->set_slot("exec");
  for (const char* mode : {"tp_btf", "raw_tp", "tracepoint", "fentry"}) {
    exec->add_modes(mode);
  }
  auto* open = manifest.add_hooks();
  open->set_slot("open");
  open->add_modes("tp_btf");
  return manifest;
}

TEST(ObjectCheckProgramTest, EachModeWithItsSections) {
  const BundleManifest manifest = ProgramManifest();
  for (const auto& [name, section] : std::vector<std::pair<std::string, std::string>>{
           {"btf_exec", "tp_btf/sched_process_exec"},
           {"raw_exec", "raw_tp/sched_process_exec"},
           {"tp_exec", "tracepoint/sched/sched_process_exec"},
           // The sensor attaches only the section kinds it knows (probe_module.cc).
           {"fe_exec", "fentry/do_execveat_common"},
           {"fe_exec", "fexit/do_execveat_common"},
           {"btf_exec__core", "tp_btf/sched_process_exec"},
           // Stand-ins may have the section of any mode, or lsm/ (there is no lsm mode).
           {"btf_exec__lsm", "lsm/bprm_committing_creds"},
           {"tp_exec__fentry", "fentry/do_execveat_common"},
           {"any_exec__lsm", "lsm/bprm_committing_creds"},
           {"any_exec__tp", "tracepoint/sched/sched_process_exec"},
           {"any_open__fentry", "fentry/do_sys_openat2"},
           {"any_open__lsm", "lsm/file_open"},
       }) {
    absl::Status status = CheckProgram(manifest, name, section);
    EXPECT_TRUE(status.ok()) << name << " " << section << ": " << status;
  }
}

TEST(ObjectCheckProgramTest, MisfitsAreRefusedNamingTheProgram) {
  const BundleManifest manifest = ProgramManifest();
  struct Misfit {
    std::string name;
    std::string section;
    std::string error;
  };
  for (const Misfit& misfit : std::vector<Misfit>{
           {"btf_exec", "raw_tp/sched_process_exec",
            "program btf_exec (section raw_tp/sched_process_exec): a btf_ program's section is "
            "tp_btf/..."},
           {"tp_exec", "kprobe/do_execve", "a tp_ program's section is tracepoint/..."},
           {"tp_exec", "tp/sched/sched_process_exec", "a tp_ program's section is tracepoint/..."},
           {"raw_exec", "raw_tracepoint/sched_process_exec",
            "a raw_ program's section is raw_tp/..."},
           {"fe_exec", "tp_btf/x", "a fe_ program's section is fentry/... or fexit/..."},
           // Only stand-ins may have lsm/ sections: a primary has its mode's.
           {"btf_exec", "lsm/bprm_committing_creds", "a btf_ program's section is tp_btf/..."},
           {"fe_exec", "lsm/bprm_committing_creds",
            "a fe_ program's section is fentry/... or fexit/..."},
           {"raw_open", "raw_tp/x", "hook 'open' does not declare mode raw_tp"},
           {"raw_open__core", "raw_tp/x", "hook 'open' does not declare mode raw_tp"},
           {"raw_open__lsm", "lsm/x", "hook 'open' does not declare mode raw_tp"},
           {"btf_exec__kprobe", "kprobe/x",
            "program btf_exec__kprobe (section kprobe/x): a stand-in program's section is "
            "tp_btf/..., raw_tp/..., tracepoint/..., fentry/..., "
            "fexit/... or lsm/..."},
           {"btf_exec__lsm", "lsm", "a stand-in program's section is tp_btf/..."},
           {"btf_close", "tp_btf/x", "the manifest declares no hook 'close'"},
           {"btf_", "tp_btf/x", "the manifest declares no hook ''"},
           {"any_exec", "lsm/x", "a stand-in program is named any_<slot>__<kind>"},
           {"any___lsm", "lsm/x", "a stand-in program is named any_<slot>__<kind>"},
           {"any_close__lsm", "lsm/x", "the manifest declares no hook 'close'"},
           {"any_exec__kprobe", "kprobe/x",
            "program any_exec__kprobe (section kprobe/x): a stand-in program's section is "
            "tp_btf/..., raw_tp/..., tracepoint/..., fentry/..., "
            "fexit/... or lsm/..."},
           {"any_exec__lsm", "lsm", "a stand-in program's section is tp_btf/..."},
           {"kp_exec", "kprobe/x",
            "program kp_exec (section kprobe/x): not named <mode prefix><hook slot> (prefixes "
            "btf_, raw_, tp_, fe_, any_)"},
           // There is no lsm mode, so no lsm_ prefix: LSM programs are stand-ins only.
           {"lsm_exec", "lsm/bprm_committing_creds",
            "program lsm_exec (section lsm/bprm_committing_creds): not named <mode prefix><hook "
            "slot> (prefixes btf_, raw_, tp_, fe_, any_)"},
           {"handle", ".text", "not named <mode prefix><hook slot>"},
       }) {
    absl::Status status = CheckProgram(manifest, misfit.name, misfit.section);
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << misfit.name;
    EXPECT_THAT(std::string(status.message()), HasSubstr(misfit.error)) << misfit.name;
    EXPECT_THAT(std::string(status.message()), HasSubstr(misfit.name));
  }
}

TEST(ObjectCheckTest, LsmHookModeIsRefusedAsAnInvalidManifest) {
  // There is no lsm attach mode: a hook declaring one could never be attached.
  BundleManifest manifest = TestManifest();
  manifest.mutable_hooks(0)->add_modes("lsm");
  absl::Status status = CheckObject(manifest, TestObject());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "manifest: hook 'signal_generate': unknown attach mode 'lsm' (expected tp_btf, "
            "raw_tp, tracepoint, fentry)");
}

}  // namespace
}  // namespace vigil::bundle

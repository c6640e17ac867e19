// Shared by the bundle tests: a valid manifest that describes tests/bundle/data/
// test_module.bpf.c exactly, that object's bytes, and bundles made from them.
#ifndef VIGIL_TESTS_BUNDLE_BUNDLE_TEST_UTIL_H_
#define VIGIL_TESTS_BUNDLE_BUNDLE_TEST_UTIL_H_

#include <string>

#include "bundle/manifest.h"
#include "common/read_file.h"
#include "gtest/gtest.h"
#include "vigil/v1/bundle.pb.h"

namespace vigil::bundle::testing {

// The text form of a manifest matching the test object (struct test_rec, the
// signal_generate slot in modes tp_btf and tracepoint, some_config and the limits map).
inline constexpr char kTestManifestText[] = R"pb(
  name: "sigwatch"
  version: "1.0.0"
  description: "Signals sent (test module)"
  hooks {
    slot: "signal_generate"
    modes: [ "tp_btf", "tracepoint" ]
  }
  records {
    name: "signal"
    id: 1
    c_type: "test_rec"
    size: 32
    fields { name: "pid" kind: BUNDLE_FIELD_KIND_U32 offset: 0 size: 4 }
    fields { name: "sig" kind: BUNDLE_FIELD_KIND_S32 offset: 4 size: 4 }
    fields { name: "flags" kind: BUNDLE_FIELD_KIND_FLAGS offset: 8 size: 8 }
    fields { name: "comm" kind: BUNDLE_FIELD_KIND_STRING offset: 16 size: 16 }
  }
  config { name: "some_config" value: 1 }
  config { name: "small_config" value: 255 }
  config { name: "limits" map_entry: true index: 3 value: 100 }
  kernel_features: [ "btf", "ringbuf", "tp_btf" ]
)pb";

inline vigil::v1::BundleManifest TestManifest() {
  auto manifest = ParseManifestText(kTestManifestText, "test.textproto");
  EXPECT_TRUE(manifest.ok()) << manifest.status();
  return manifest.ok() ? *manifest : vigil::v1::BundleManifest();
}

// The compiled test object (tests/CMakeLists.txt builds it).
inline std::string TestObject() {
  auto object = ReadSmallFile(VIGIL_BUNDLE_TEST_OBJECT, 4 << 20);
  EXPECT_TRUE(object.ok()) << object.status();
  return object.ok() ? *object : std::string();
}

// A stand-in object for tests that never open it: the ELF magic and a few bytes.
inline std::string FakeElf() {
  return std::string(
             "\x7f"
             "ELF\x02\x01\x01",
             7) +
         "object";
}

// An unsigned bundle of `manifest` and `object`.
inline vigil::v1::ProbeBundle MakeBundle(const vigil::v1::BundleManifest& manifest,
                                         const std::string& object) {
  vigil::v1::ProbeBundle bundle;
  bundle.set_manifest(manifest.SerializeAsString());
  bundle.set_object(object);
  return bundle;
}

}  // namespace vigil::bundle::testing

#endif  // VIGIL_TESTS_BUNDLE_BUNDLE_TEST_UTIL_H_

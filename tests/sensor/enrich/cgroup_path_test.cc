// The cgroup-path parser against the layouts of containerd, CRI-O and Docker under the
// systemd and cgroupfs drivers, host paths, whole /proc/<pid>/cgroup files, and garbage.
#include "sensor/enrich/cgroup_path.h"

#include <random>
#include <string>

#include "gtest/gtest.h"

namespace vigil::sensor::enrich {
namespace {

const std::string kId = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const std::string kId2 = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
const std::string kUid = "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d";
const std::string kUidSystemd = "1b2c3d4e_5f60_4a7b_8c9d_0e1f2a3b4c5d";

struct PathCase {
  std::string name;
  std::string path;
  std::string container_id;
  Runtime runtime;
  std::string pod_uid;
};

class CgroupPathTest : public ::testing::TestWithParam<PathCase> {};

TEST_P(CgroupPathTest, Parses) {
  const PathCase& c = GetParam();
  const CgroupIdentity got = ParseCgroupPath(c.path);
  EXPECT_EQ(got.container_id, c.container_id) << c.path;
  EXPECT_EQ(RuntimeName(got.runtime), RuntimeName(c.runtime)) << c.path;
  EXPECT_EQ(got.pod_uid, c.pod_uid) << c.path;
}

INSTANTIATE_TEST_SUITE_P(
    Layouts, CgroupPathTest,
    ::testing::Values(
        // systemd driver
        PathCase{"ContainerdSystemdBurstable",
                 "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + kUidSystemd +
                     ".slice/cri-containerd-" + kId + ".scope",
                 kId, Runtime::kContainerd, kUid},
        // Seen from a sensor in its own cgroup namespace (Kubernetes pods on cgroup v2):
        // paths outside the namespace start with "/..".
        PathCase{"ContainerdSystemdFromACgroupNamespace",
                 "/../../kubepods-burstable-pod" + kUidSystemd + ".slice/cri-containerd-" + kId +
                     ".scope",
                 kId, Runtime::kContainerd, kUid},
        PathCase{"HostFromACgroupNamespace", "/../../../system.slice/containerd.service", "",
                 Runtime::kHost, ""},
        PathCase{"ContainerdSystemdGuaranteed",
                 "/kubepods.slice/kubepods-pod" + kUidSystemd + ".slice/cri-containerd-" + kId +
                     ".scope",
                 kId, Runtime::kContainerd, kUid},
        PathCase{"CrioSystemdBestEffort",
                 "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + kUidSystemd +
                     ".slice/crio-" + kId + ".scope",
                 kId, Runtime::kCrio, kUid},
        PathCase{"CrioSystemdScopeChild",
                 "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + kUidSystemd +
                     ".slice/crio-" + kId + ".scope/container",
                 kId, Runtime::kCrio, kUid},
        PathCase{"DockerSystemdKubepods",
                 "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + kUidSystemd +
                     ".slice/docker-" + kId + ".scope",
                 kId, Runtime::kDocker, kUid},
        PathCase{"DockerSystemdPlain", "/system.slice/docker-" + kId + ".scope", kId,
                 Runtime::kDocker, ""},
        // cgroupfs driver
        PathCase{"CgroupfsBurstable", "/kubepods/burstable/pod" + kUid + "/" + kId, kId,
                 Runtime::kUnknown, kUid},
        PathCase{"CgroupfsBestEffort", "/kubepods/besteffort/pod" + kUid + "/" + kId, kId,
                 Runtime::kUnknown, kUid},
        PathCase{"CgroupfsGuaranteed", "/kubepods/pod" + kUid + "/" + kId, kId, Runtime::kUnknown,
                 kUid},
        PathCase{"CgroupfsCrioPrefixed", "/kubepods/burstable/pod" + kUid + "/crio-" + kId, kId,
                 Runtime::kCrio, kUid},
        PathCase{"CgroupfsDockerKubepods", "/kubepods/burstable/pod" + kUid + "/docker/" + kId, kId,
                 Runtime::kDocker, kUid},
        PathCase{"DockerCgroupfsPlain", "/docker/" + kId, kId, Runtime::kDocker, ""},
        PathCase{"UpperCaseIdIsLowered", "/docker/" + std::string(64, 'A'), std::string(64, 'a'),
                 Runtime::kDocker, ""},
        // nesting: the innermost container wins; a pod after a container does not count
        PathCase{"NestedDocker", "/docker/" + kId + "/docker/" + kId2, kId2, Runtime::kDocker, ""},
        PathCase{"PodAfterContainerIgnored", "/docker/" + kId + "/pod" + kUid, kId,
                 Runtime::kDocker, ""},
        // host
        PathCase{"Root", "/", "", Runtime::kHost, ""},
        PathCase{"Empty", "", "", Runtime::kHost, ""},
        PathCase{"SystemSlice", "/system.slice/containerd.service", "", Runtime::kHost, ""},
        PathCase{"UserSlice", "/user.slice/user-1000.slice/session-3.scope", "", Runtime::kHost,
                 ""},
        PathCase{"InitScope", "/init.scope", "", Runtime::kHost, ""},
        PathCase{"PodWithoutContainer", "/kubepods/burstable/pod" + kUid, "", Runtime::kHost, kUid},
        // near misses
        PathCase{"ShortId", "/docker/" + kId.substr(1), "", Runtime::kHost, ""},
        PathCase{"LongId", "/docker/" + kId + "0", "", Runtime::kHost, ""},
        PathCase{"NonHexId", "/docker/" + std::string(63, 'a') + "g", "", Runtime::kHost, ""},
        PathCase{"UnknownPrefix", "/system.slice/libfoo-" + kId + ".scope", "", Runtime::kHost, ""},
        PathCase{"BadPodUid", "/kubepods/burstable/pod1234/" + kId, kId, Runtime::kUnknown, ""},
        PathCase{"TooLong", "/docker/" + kId + "/" + std::string(kMaxPathBytes, 'x'), "",
                 Runtime::kHost, ""}),
    [](const ::testing::TestParamInfo<PathCase>& info) { return info.param.name; });

TEST(ProcCgroupTest, PureV2) {
  const ProcCgroup got = ParseProcCgroup("0::/kubepods/besteffort/pod" + kUid + "/" + kId + "\n");
  EXPECT_EQ(got.identity.container_id, kId);
  EXPECT_EQ(got.identity.pod_uid, kUid);
  EXPECT_TRUE(got.has_unified);
  EXPECT_FALSE(got.has_v1);
  EXPECT_TRUE(got.unified_names_container);
}

TEST(ProcCgroupTest, HybridContainerOnlyInV1) {
  const std::string text =
      "12:pids:/kubepods/burstable/pod" + kUid + "/" + kId + "\n11:memory:/kubepods/burstable/pod" +
      kUid + "/" + kId + "\n1:name=systemd:/kubepods/burstable/pod" + kUid + "/" + kId + "\n0::/\n";
  const ProcCgroup got = ParseProcCgroup(text);
  EXPECT_EQ(got.identity.container_id, kId);
  EXPECT_EQ(got.identity.pod_uid, kUid);
  EXPECT_TRUE(got.has_v1);
  EXPECT_TRUE(got.has_unified);
  // The v2 cgroup ("/") is shared with host processes: it does not name the container.
  EXPECT_FALSE(got.unified_names_container);
}

TEST(ProcCgroupTest, HybridPrefersTheUnifiedLine) {
  const std::string text =
      "4:memory:/docker/" + kId2 + "\n0::/kubepods/pod" + kUid + "/" + kId + "\n";
  const ProcCgroup got = ParseProcCgroup(text);
  EXPECT_EQ(got.identity.container_id, kId);
  EXPECT_TRUE(got.unified_names_container);
}

TEST(ProcCgroupTest, HostOnHybridNode) {
  // This machine's shape: v1 controllers with host paths, v2 at the root.
  const ProcCgroup got = ParseProcCgroup(
      "9:name=systemd:/\n8:pids:/\n4:memory:/process_api/0b1f7f4964621d5d56debbd1cda5a198\n"
      "0::/\n");
  EXPECT_FALSE(got.identity.is_container());
  EXPECT_EQ(got.identity.runtime, Runtime::kHost);
  EXPECT_TRUE(got.has_v1);
  EXPECT_FALSE(got.unified_names_container);
}

TEST(ProcCgroupTest, PathWithColons) {
  const ProcCgroup got = ParseProcCgroup("0::/docker/" + kId + "/a:b\n");
  EXPECT_EQ(got.identity.container_id, kId);
}

TEST(ProcCgroupTest, MalformedLinesAreSkipped) {
  const ProcCgroup got = ParseProcCgroup("garbage\n::\n1:cpu\n2:cpu:relative/" + kId +
                                         "\n3:cpu:/docker/" + kId + "\r\n\n0::/docker/" + kId);
  // "3:cpu:/docker/<id>\r" has a trailing \r: the id is not 64 hex digits.
  EXPECT_EQ(got.identity.container_id, kId);  // from the last (unterminated) v2 line
  EXPECT_TRUE(got.unified_names_container);
}

TEST(ProcCgroupTest, EmptyIsHost) {
  const ProcCgroup got = ParseProcCgroup("");
  EXPECT_FALSE(got.identity.is_container());
  EXPECT_FALSE(got.has_unified);
  EXPECT_FALSE(got.has_v1);
}

TEST(ProcCgroupTest, LinesBeyondTheBoundAreIgnored) {
  std::string text;
  for (size_t i = 0; i < kMaxLines; ++i) text += "1:cpu:/\n";
  text += "0::/docker/" + kId + "\n";
  EXPECT_FALSE(ParseProcCgroup(text).identity.is_container());
}

TEST(ProcCgroupTest, RandomBytesNeverCrash) {
  std::mt19937 rng(42);
  const std::string alphabet = "0123456789abcdef:/\n-_.podkubescrioxz\r";
  for (int round = 0; round < 2000; ++round) {
    std::string text(rng() % 600, '\0');
    for (char& ch : text) ch = alphabet[rng() % alphabet.size()];
    const ProcCgroup got = ParseProcCgroup(text);
    if (got.identity.is_container()) {
      EXPECT_EQ(got.identity.container_id.size(), 64u);
    }
  }
}

}  // namespace
}  // namespace vigil::sensor::enrich

// FileProbe driven in-process: the filter, the interest set and the identity set change
// while the probe runs (as a rule-set reload does), and the kernel follows at once.
// Test label: kernel (needs the real kernel: root, probes loaded; runs in every kernel VM).
#include "sensor/probes/file/file_module.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "sensor/decoder.h"
#include "sensor/probes/kernel_env.h"
#include "sensor/probes/ring_reader.h"
#include "tests/support/sensor_process.h"
#include "tests/support/test_dir.h"

namespace vigil::sensor::probes {
namespace {

using ::vigil::testing::HelperBinary;
using ::vigil::testing::Spawn;

// The interest-set types of an open (EventBit).
constexpr uint32_t kOpenType = 1u << VIGIL_EVENT_OPEN;
using ::vigil::testing::TestDir;
using ::vigil::testing::WaitExit;

// Collects the paths of open events of one process from the ring buffer (other tests
// may be opening files at the same time).
class PathSink : public RecordSink {
 public:
  void OnRecord(const void* data, size_t size) override {
    event::Event event;
    if (decoder_.Decode(data, size, &event).ok() && event.type == event::kOpen &&
        event.task.pid == pid) {
      paths.emplace_back(event.open.path);
    }
  }
  uint32_t pid = 0;
  std::vector<std::string> paths;

 private:
  Decoder decoder_;
};

class FileProbeRuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    VIGIL_REQUIRE_ROOT();
    auto env = KernelEnv::Probe();
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = std::make_unique<KernelEnv>(std::move(*env));
    auto ring = RingReader::Create(1 << 20, &sink_);
    ASSERT_TRUE(ring.ok()) << ring.status();
    ring_ = std::move(*ring);
    options_.self_tgid = static_cast<uint32_t>(getpid());
    options_.ringbuf_fd = ring_->map_fd();
    options_.filter.type_mask = 1u << VIGIL_EVENT_OPEN;
    options_.filter.file_flags = VIGIL_FILTER_HIDDEN;
    ASSERT_TRUE(probe_.SetPathPrefixes({{a_.path() + "/", kOpenType}}).ok());
    ASSERT_TRUE(probe_.Start(*env_, options_).ok());
  }

  // Opens `paths` in order from a child process, then waits until `marker` (opened
  // last, inside the interest set) arrives. Returns every path seen meanwhile.
  std::vector<std::string> OpenAndCollect(std::vector<std::string> paths,
                                          const std::string& marker) {
    sink_.paths.clear();
    std::vector<std::string> argv = {HelperBinary(), "open", "openat"};
    argv.insert(argv.end(), paths.begin(), paths.end());
    argv.push_back(marker);
    auto pid = Spawn(argv);
    EXPECT_TRUE(pid.ok());
    if (pid.ok()) {
      // Records wait in the ring until Consume(), so setting the filter now misses none.
      sink_.pid = static_cast<uint32_t>(*pid);
      EXPECT_EQ(WaitExit(*pid), 0);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      EXPECT_TRUE(ring_->Consume().ok());
      for (const std::string& p : sink_.paths) {
        if (p == marker) return sink_.paths;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ADD_FAILURE() << "marker " << marker << " never arrived";
    return sink_.paths;
  }

  TestDir a_{"runtime-a"};
  TestDir b_{"runtime-b"};
  PathSink sink_;
  std::unique_ptr<KernelEnv> env_;
  std::unique_ptr<RingReader> ring_;
  ModuleOptions options_;
  FileProbe probe_;
};

TEST_F(FileProbeRuntimeTest, InterestSetWidensAndNarrowsWhileRunning) {
  const std::string in_b = b_.WriteFile("f.txt");
  const std::string marker = a_.WriteFile("marker.txt");
  EXPECT_EQ(OpenAndCollect({in_b}, marker), std::vector<std::string>({marker}));

  ASSERT_TRUE(
      probe_.SetPathPrefixes({{a_.path() + "/", kOpenType}, {b_.path() + "/", kOpenType}}).ok());
  EXPECT_EQ(OpenAndCollect({in_b}, marker), std::vector<std::string>({in_b, marker}));

  ASSERT_TRUE(probe_.SetPathPrefixes({{a_.path() + "/", kOpenType}}).ok());
  EXPECT_EQ(OpenAndCollect({in_b}, marker), std::vector<std::string>({marker}));
}

TEST_F(FileProbeRuntimeTest, HiddenAndAllFilesFlagsApplyWhileRunning) {
  const std::string hidden = b_.WriteFile(".h/f");
  const std::string plain = b_.WriteFile("plain");
  const std::string marker = a_.WriteFile("marker.txt");
  EXPECT_EQ(OpenAndCollect({hidden, plain}, marker), std::vector<std::string>({hidden, marker}));

  probe_.SetFilter({1u << VIGIL_EVENT_OPEN, 0});
  EXPECT_EQ(OpenAndCollect({hidden, plain}, marker), std::vector<std::string>({marker}));

  probe_.SetFilter({1u << VIGIL_EVENT_OPEN, VIGIL_FILTER_ALL_FILES});
  auto all = OpenAndCollect({hidden, plain}, marker);
  // The helper's loader opens libraries too; ours must all be there, in order.
  std::vector<std::string> ours;
  for (const std::string& p : all) {
    if (p == hidden || p == plain || p == marker) ours.push_back(p);
  }
  EXPECT_EQ(ours, std::vector<std::string>({hidden, plain, marker}));
}

// The identity (st_dev, st_ino) of `path`.
event::FileId IdOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return event::FileId{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
}

TEST_F(FileProbeRuntimeTest, IdentitySetAdmitsItsFilesWhateverThePathWhileRunning) {
  const std::string in_b = b_.WriteFile("f.txt");
  const std::string other_b = b_.WriteFile("g.txt");
  const std::string marker = a_.WriteFile("marker.txt");
  EXPECT_EQ(OpenAndCollect({in_b, other_b}, marker), std::vector<std::string>({marker}));

  ASSERT_TRUE(probe_.SetFileIdentities({IdOf(in_b)}).ok());
  EXPECT_EQ(OpenAndCollect({in_b, other_b}, marker), std::vector<std::string>({in_b, marker}));

  // Moved to the other file: added first, then the old one removed.
  ASSERT_TRUE(probe_.SetFileIdentities({IdOf(other_b)}).ok());
  EXPECT_EQ(OpenAndCollect({in_b, other_b}, marker), std::vector<std::string>({other_b, marker}));

  // Kept across a restart, as the interest set is.
  probe_.Stop();
  ASSERT_TRUE(probe_.Start(*env_, options_).ok());
  EXPECT_EQ(OpenAndCollect({in_b, other_b}, marker), std::vector<std::string>({other_b, marker}));

  ASSERT_TRUE(probe_.SetFileIdentities({}).ok());
  EXPECT_EQ(OpenAndCollect({in_b, other_b}, marker), std::vector<std::string>({marker}));
  std::vector<event::FileId> too_many(VIGIL_FILE_IDS_MAX + 1);
  for (size_t i = 0; i < too_many.size(); ++i) too_many[i] = event::FileId{1, i + 1};
  EXPECT_FALSE(probe_.SetFileIdentities(too_many).ok());
  EXPECT_TRUE(probe_.file_ids().empty());
}

TEST_F(FileProbeRuntimeTest, RejectsBadPrefixesAndKeepsTheOldSet) {
  EXPECT_FALSE(probe_.SetPathPrefixes({{"relative/", kOpenType}}).ok());
  EXPECT_FALSE(probe_.SetPathPrefixes({{"/" + std::string(300, 'x'), kOpenType}}).ok());
  EXPECT_EQ(probe_.prefixes(), PathPrefixes({{a_.path() + "/", kOpenType}}));
}

}  // namespace
}  // namespace vigil::sensor::probes

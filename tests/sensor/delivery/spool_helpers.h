// Helpers of the spool tests (spool_test.cc, spool_recovery_test.cc and
// spool_epoch_test.cc): opening and reading a spool, its segment files' names and sizes,
// damaging files the way crashes and bad disks do, and running a spool in a child process
// that dies without closing it.
//
// In vigil::sensor (not a nested namespace) so that the tests name them unqualified.
#ifndef VIGIL_TESTS_SENSOR_DELIVERY_SPOOL_HELPERS_H_
#define VIGIL_TESTS_SENSOR_DELIVERY_SPOOL_HELPERS_H_

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "sensor/delivery/spool.h"

namespace vigil::sensor {

// Sizes of the on-disk framing, for the expected file and spool sizes.
inline constexpr uint64_t kHeader = 16;    // segment header
inline constexpr uint64_t kOverhead = 20;  // record framing

// The spool in `dir`, failing the test (and returning null) when it does not open.
inline std::unique_ptr<Spool> OpenSpool(const std::string& dir, const SpoolOptions& options = {}) {
  absl::StatusOr<std::unique_ptr<Spool>> spool = Spool::Open(dir, options);
  if (!spool.ok()) {
    ADD_FAILURE() << spool.status();
    return nullptr;
  }
  return std::move(spool).value();
}

// 100-byte payloads make 120-byte records.
inline std::string Payload(uint64_t i) {
  std::string p = absl::StrCat("alert-", i, "-");
  p.resize(100, 'x');
  return p;
}

// The records from `from` on, failing the test when they cannot be read.
inline std::vector<SpoolRecord> ReadAll(Spool& spool, uint64_t from = 1) {
  absl::StatusOr<std::vector<SpoolRecord>> records = spool.ReadFrom(from, 1 << 20, 1 << 30);
  EXPECT_TRUE(records.ok()) << records.status();
  return records.ok() ? *std::move(records) : std::vector<SpoolRecord>();
}

// The sequence numbers of `records`.
inline std::vector<uint64_t> Seqs(const std::vector<SpoolRecord>& records) {
  std::vector<uint64_t> out;
  for (const SpoolRecord& r : records) out.push_back(r.seq);
  return out;
}

// The segment files in `dir`, oldest first.
inline std::vector<std::string> SegmentFiles(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name.rfind("seg-", 0) == 0) out.push_back(dir + "/" + name);
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

// The path of the segment whose first record is `first`.
inline std::string SegmentPath(const std::string& dir, uint64_t first) {
  return absl::StrFormat("%s/seg-%020u.log", dir, first);
}

// The size of the file at `path` (0 when it is missing).
inline uint64_t FileSize(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

// Changes one bit of the byte at `offset` of the file at `path`.
inline void FlipByte(const std::string& path, uint64_t offset) {
  const int fd = open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0) << path;
  char c;
  ASSERT_EQ(pread(fd, &c, 1, static_cast<off_t>(offset)), 1);
  c = static_cast<char>(c ^ 0x40);
  ASSERT_EQ(pwrite(fd, &c, 1, static_cast<off_t>(offset)), 1);
  close(fd);
}

// Appends `bytes` to the file at `path`.
inline void AppendBytes(const std::string& path, const std::string& bytes) {
  const int fd = open(path.c_str(), O_WRONLY | O_APPEND);
  ASSERT_GE(fd, 0) << path;
  ASSERT_EQ(write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  close(fd);
}

// Runs `body` in a child process that then dies without closing anything, as a kill -9
// would leave it.
template <typename Body>
void RunAndCrash(Body body) {
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    body();
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

}  // namespace vigil::sensor

#endif  // VIGIL_TESTS_SENSOR_DELIVERY_SPOOL_HELPERS_H_

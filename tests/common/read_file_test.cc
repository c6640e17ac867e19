// Unit tests for common/read_file.h: whole small files (bounded) and bounded heads, including
// files whose size is not known in advance (procfs, pipes).
#include "common/read_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_dir.h"

namespace vigil {
namespace {

using ::testing::StartsWith;

// Bytes 0..255 repeated: binary content, NULs included.
std::string Pattern(size_t size) {
  std::string text(size, '\0');
  for (size_t i = 0; i < size; ++i) text[i] = static_cast<char>(i % 256);
  return text;
}

// The text read; a failed read is reported and gives a text no test expects.
std::string TextOf(const absl::StatusOr<std::string>& text) {
  if (!text.ok()) {
    ADD_FAILURE() << text.status();
    return "<read failed>";
  }
  return *text;
}

// The message of a failed read, which must be FAILED_PRECONDITION; a read that succeeded is
// reported and gives an empty message.
std::string ErrorOf(const absl::StatusOr<std::string>& text) {
  if (text.ok()) {
    ADD_FAILURE() << "read " << text->size() << " bytes, wanted an error";
    return "";
  }
  EXPECT_EQ(text.status().code(), absl::StatusCode::kFailedPrecondition) << text.status();
  return std::string(text.status().message());
}

// Each test's files, in a private directory.
class ReadFileTest : public ::testing::Test {
 protected:
  // Writes `content` to `name` in the directory; its path.
  std::string Write(const std::string& name, const std::string& content) {
    return dir_.WriteFile(name, content);
  }

  vigil::testing::TestDir dir_{"read-file"};
};

TEST_F(ReadFileTest, WholeNormalFile) {
  const std::string content = Pattern(100000);  // more than the first read of a file
  EXPECT_EQ(TextOf(ReadSmallFile(Write("data.bin", content))), content);
}

TEST_F(ReadFileTest, WholeEmptyFile) { EXPECT_EQ(TextOf(ReadSmallFile(Write("empty", ""))), ""); }

TEST_F(ReadFileTest, WholeFileOfExactlyTheBound) {
  EXPECT_EQ(TextOf(ReadSmallFile(Write("exact", Pattern(64)), 64)), Pattern(64));
}

TEST_F(ReadFileTest, WholeFileOverTheBoundIsRefused) {
  const std::string path = Write("big", Pattern(65));
  EXPECT_EQ(ErrorOf(ReadSmallFile(path, 64)), absl::StrCat(path, " is larger than 64 bytes"));
}

TEST_F(ReadFileTest, MissingFileNamesThePathAndTheReason) {
  const std::string path = dir_.Join("absent");
  const std::string want = absl::StrCat("cannot read ", path, ": No such file or directory");
  EXPECT_EQ(ErrorOf(ReadSmallFile(path)), want);
  EXPECT_EQ(ErrorOf(ReadFileHead(path, 10)), want);
}

TEST_F(ReadFileTest, DirectoryIsAnErrorNamingIt) {
  const std::string path = dir_.MakeDirs("sub");
  EXPECT_EQ(ErrorOf(ReadSmallFile(path)), absl::StrCat("cannot read ", path, ": Is a directory"));
}

TEST_F(ReadFileTest, HeadOfAShorterFileIsTheWholeFile) {
  EXPECT_EQ(TextOf(ReadFileHead(Write("short", "abc"), 10)), "abc");
  EXPECT_EQ(TextOf(ReadFileHead(Write("empty", ""), 10)), "");
}

TEST_F(ReadFileTest, HeadOfALongerFileIsCutAtTheBound) {
  const std::string path = Write("long", Pattern(10000));
  EXPECT_EQ(TextOf(ReadFileHead(path, 5000)), Pattern(5000));
  EXPECT_EQ(TextOf(ReadFileHead(path, 0)), "");
}

// procfs reports size 0 for its files: they are read until end of file all the same.
TEST(ReadProcFileTest, ProcSelfStatIsReadFully) {
  struct stat st;
  ASSERT_EQ(stat("/proc/self/stat", &st), 0);
  ASSERT_EQ(st.st_size, 0) << "procfs no longer reports size 0; the test shows nothing";
  const std::string text = TextOf(ReadSmallFile("/proc/self/stat"));
  // "pid (comm) state ppid ...": the whole record, up to its only newline, at the end.
  EXPECT_THAT(text, StartsWith(absl::StrCat(getpid(), " (")));
  EXPECT_EQ(text.find('\n'), text.size() - 1);
  const size_t comm_end = text.rfind(')');
  ASSERT_NE(comm_end, std::string::npos);
  std::vector<std::string> fields =
      absl::StrSplit(text.substr(comm_end + 2), ' ', absl::SkipEmpty());
  EXPECT_GE(fields.size(), 50u);  // 52 fields in all since Linux 3.5, pid and comm excluded
  int ppid = 0;
  ASSERT_GE(fields.size(), 2u);
  ASSERT_TRUE(absl::SimpleAtoi(fields[1], &ppid)) << fields[1];
  EXPECT_EQ(ppid, getppid());
}

TEST(ReadProcFileTest, ProcFileOverTheBoundIsRefused) {
  EXPECT_EQ(ErrorOf(ReadSmallFile("/proc/self/stat", 8)), "/proc/self/stat is larger than 8 bytes");
}

TEST(ReadProcFileTest, HeadOfAProcFileIsCutAtTheBound) {
  const std::string whole = TextOf(ReadSmallFile("/proc/self/stat"));
  // Pid and the start of comm come first and do not change between the reads.
  EXPECT_EQ(TextOf(ReadFileHead("/proc/self/stat", 8)), whole.substr(0, 8));
}

// A pipe has no size at all; what it delivers is read to its end, through many reads.
class ReadFifoTest : public ReadFileTest {
 protected:
  void SetUp() override {
    path_ = dir_.Join("fifo");
    ASSERT_EQ(mkfifo(path_.c_str(), 0600), 0);
  }
  void TearDown() override {
    if (writer_.joinable()) writer_.join();
  }

  // Writes `content` into the fifo from another thread, then closes it.
  void Feed(const std::string& content) {
    writer_ = std::thread([path = path_, content] {
      std::ofstream out(path, std::ios::binary);
      out.write(content.data(), static_cast<std::streamsize>(content.size()));
    });
  }

  std::string path_;
  std::thread writer_;
};

TEST_F(ReadFifoTest, PipeIsReadToItsEnd) {
  const std::string content = Pattern(300000);
  Feed(content);
  EXPECT_EQ(TextOf(ReadSmallFile(path_)), content);
}

TEST_F(ReadFifoTest, PipeOverTheBoundIsRefused) {
  Feed(Pattern(5000));  // fits the pipe's buffer: the writer finishes whatever is read
  EXPECT_EQ(ErrorOf(ReadSmallFile(path_, 4096)), absl::StrCat(path_, " is larger than 4096 bytes"));
}

}  // namespace
}  // namespace vigil

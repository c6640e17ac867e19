// Unit tests for common/log.h: one prefixed line per message, in one write.
#include "common/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "gtest/gtest.h"

namespace vigil {
namespace {

// Runs `body` with stderr redirected to a pipe and returns what it wrote.
template <typename Body>
std::string CaptureStderr(Body body) {
  int fds[2];
  EXPECT_EQ(pipe2(fds, O_CLOEXEC), 0);
  const int saved = dup(STDERR_FILENO);
  EXPECT_GE(saved, 0);
  EXPECT_EQ(dup2(fds[1], STDERR_FILENO), STDERR_FILENO);
  close(fds[1]);
  body();
  EXPECT_EQ(dup2(saved, STDERR_FILENO), STDERR_FILENO);
  close(saved);
  std::string out;
  char buf[256];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  return out;
}

TEST(LogTest, PrefixesTheProgramAndEndsTheLine) {
  SetLogProgram("vigil-test");
  EXPECT_EQ(CaptureStderr([] { LogLine("hello"); }), "vigil-test: hello\n");
  EXPECT_EQ(CaptureStderr([] { Log("module ", std::string("file"), " on port ", 8080); }),
            "vigil-test: module file on port 8080\n");
  SetLogProgram("vigil");
}

TEST(LogTest, AMultiLineMessageKeepsItsLines) {
  SetLogProgram("p");
  EXPECT_EQ(CaptureStderr([] { Log("bad flag", "\nTry 'p --help'."); }),
            "p: bad flag\nTry 'p --help'.\n");
  SetLogProgram("vigil");
}

}  // namespace
}  // namespace vigil

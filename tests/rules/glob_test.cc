// Unit tests for rules/glob.h: matching, validation and literal prefixes.
#include "rules/glob.h"

#include "gtest/gtest.h"

namespace vigil::rules {
namespace {

struct GlobCase {
  const char* pattern;
  const char* text;
  bool match;
};

TEST(GlobTest, Matches) {
  const GlobCase cases[] = {
      {"/etc/*", "/etc/passwd", true},
      {"/etc/*", "/etc/ssh/sshd_config", true},  // '*' crosses '/'
      {"/etc/*", "/etc", false},
      {"*", "", true},
      {"", "", true},
      {"", "a", false},
      {"a*b*c", "axxbyyc", true},
      {"a*b*c", "axxbyy", false},
      {"*.conf", "/etc/a.conf", true},
      {"*.conf", "/etc/a.conf.bak", false},
      {"?", "a", true},
      {"?", "", false},
      {"?", "ab", false},
      {"/tmp/??", "/tmp/ab", true},
      {"[abc]x", "bx", true},
      {"[abc]x", "dx", false},
      {"[a-z]1", "q1", true},
      {"[a-z]1", "Q1", false},
      {"[!x]y", "ay", true},
      {"[!x]y", "xy", false},
      {"[^x]y", "xy", false},
      {"[]]", "]", true},
      {"[!]]", "]", false},
      {"\\*", "*", true},
      {"\\*", "a", false},
      {"*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
      {"/home/*/.ssh/*", "/home/bob/.ssh/id_rsa", true},
      {"/home/*/.ssh/*", "/home/bob/ssh/id_rsa", false},
  };
  for (const GlobCase& c : cases) {
    ASSERT_TRUE(ValidateGlob(c.pattern).ok()) << c.pattern;
    EXPECT_EQ(GlobMatch(c.pattern, c.text), c.match) << c.pattern << " vs " << c.text;
  }
}

TEST(GlobTest, RejectsBrokenPatterns) {
  EXPECT_EQ(ValidateGlob("/etc/[ab").message(), "bad glob pattern '/etc/[ab': unterminated [");
  EXPECT_EQ(ValidateGlob("[]").message(), "bad glob pattern '[]': unterminated [");
  EXPECT_EQ(ValidateGlob("ab\\").message(), "bad glob pattern 'ab\\': trailing \\");
  EXPECT_TRUE(ValidateGlob("[]]").ok());
  EXPECT_TRUE(ValidateGlob("a\\[").ok());
}

TEST(GlobTest, LiteralPrefix) {
  EXPECT_EQ(GlobLiteralPrefix("/etc/*.conf"), "/etc/");
  EXPECT_EQ(GlobLiteralPrefix("/etc/pass?d"), "/etc/pass");
  EXPECT_EQ(GlobLiteralPrefix("/var/[ab]"), "/var/");
  EXPECT_EQ(GlobLiteralPrefix("/a\\*b*"), "/a*b");
  EXPECT_EQ(GlobLiteralPrefix("*"), "");
  EXPECT_EQ(GlobLiteralPrefix("/exact"), "/exact");
}

}  // namespace
}  // namespace vigil::rules

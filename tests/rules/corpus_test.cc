// The malformed-rules corpus: every file in tests/rules/corpus/malformed/ must be rejected
// (by RuleFileSet::AddFile or, when it loads, by RuleSet::Compile) with the error its first
// line states:
//   # expect: LINE:COLUMN: REASON
// The error must read "<path>:LINE:COLUMN: " followed by text containing REASON. One test
// per file, named after it; new files are picked up without changing this test.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rules/rule_file.h"
#include "rules/rule_set.h"

namespace vigil::rules {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Fewer files than this means the corpus went missing or was not found.
constexpr size_t kMinCorpusFiles = 30;

std::string CorpusDir() { return std::string(VIGIL_SOURCE_DIR) + "/tests/rules/corpus/malformed"; }

// Every *.yaml and *.yml file of the corpus, by name.
std::vector<std::string> CorpusFiles() {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(CorpusDir(), ec)) {
    const std::string ext = entry.path().extension().string();
    if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) {
      files.push_back(entry.path().filename().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// What a corpus file's first line says the error is.
struct Expectation {
  int line = 0;
  int column = 0;
  std::string reason;
};

// Parses "# expect: LINE:COLUMN: REASON" (a trailing '\r' is ignored).
bool ParseExpectation(absl::string_view first_line, Expectation* out) {
  absl::string_view rest = absl::StripSuffix(first_line, "\r");
  if (!absl::ConsumePrefix(&rest, "# expect: ")) return false;
  const size_t colon1 = rest.find(':');
  if (colon1 == absl::string_view::npos) return false;
  const size_t colon2 = rest.find(':', colon1 + 1);
  if (colon2 == absl::string_view::npos) return false;
  if (!absl::SimpleAtoi(rest.substr(0, colon1), &out->line) ||
      !absl::SimpleAtoi(rest.substr(colon1 + 1, colon2 - colon1 - 1), &out->column) ||
      out->line < 1 || out->column < 1) {
    return false;
  }
  rest.remove_prefix(colon2 + 1);
  if (!absl::ConsumePrefix(&rest, " ") || rest.empty()) return false;
  out->reason = std::string(rest);
  return true;
}

// The error loading and compiling `path` gives, or OK when it is accepted.
absl::Status LoadAndCompile(const std::string& path) {
  RuleFileSet files;
  absl::Status loaded = files.AddFile(path);
  if (!loaded.ok()) return loaded;
  absl::StatusOr<std::unique_ptr<RuleSet>> set = RuleSet::Compile(files);
  return set.status();
}

// A test name from a file name: "07_bad_glob.yaml" -> "07_bad_glob".
std::string TestNameOf(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = std::filesystem::path(info.param).stem().string();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

class RuleCorpusTest : public ::testing::TestWithParam<std::string> {};

TEST_P(RuleCorpusTest, IsRejectedWithTheStatedError) {
  const std::string path = CorpusDir() + "/" + GetParam();
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << "cannot read " << path;
  std::string first_line;
  std::getline(in, first_line);
  Expectation expect;
  ASSERT_TRUE(ParseExpectation(first_line, &expect))
      << path << ": the first line must be '# expect: LINE:COLUMN: REASON', not '" << first_line
      << "'";

  const absl::Status status = LoadAndCompile(path);
  ASSERT_FALSE(status.ok()) << path << " was accepted; expected " << first_line;
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  const std::string prefix = absl::StrCat(path, ":", expect.line, ":", expect.column, ": ");
  ASSERT_THAT(std::string(status.message()), StartsWith(prefix));
  EXPECT_THAT(std::string(status.message().substr(prefix.size())), HasSubstr(expect.reason));
}

INSTANTIATE_TEST_SUITE_P(CorpusMalformed, RuleCorpusTest, ::testing::ValuesIn(CorpusFiles()),
                         TestNameOf);

TEST(CorpusTest, HasEnoughFiles) {
  EXPECT_GE(CorpusFiles().size(), kMinCorpusFiles) << "in " << CorpusDir();
}

TEST(CorpusTest, ExpectationLinesParse) {
  Expectation e;
  ASSERT_TRUE(ParseExpectation("# expect: 4:15: unknown field 'proc.nme'\r", &e));
  EXPECT_EQ(e.line, 4);
  EXPECT_EQ(e.column, 15);
  EXPECT_EQ(e.reason, "unknown field 'proc.nme'");
  EXPECT_FALSE(ParseExpectation("# expect: 4: unknown field", &e));
  EXPECT_FALSE(ParseExpectation("# expect: 4:15:", &e));
  EXPECT_FALSE(ParseExpectation("# expect: 0:15: reason", &e));
  EXPECT_FALSE(ParseExpectation("- rule: x", &e));
}

}  // namespace
}  // namespace vigil::rules

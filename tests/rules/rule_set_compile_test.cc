// Unit tests for RuleSet::Compile (rules/rule_set.h): errors in conditions, macros, lists
// and exceptions named by file, line and column, and overrides that append to a rule's
// condition (compiled, and their errors placed in the part they came from).
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rules/rule_set.h"
#include "tests/rules/rule_set_helpers.h"

namespace vigil::rules {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kBase[] = R"(- rule: r
  desc: d
  condition: |
    evt.type = execve
      and proc.name = bash
  output: o
  priority: WARNING
)";

TEST(RuleSetOverrideTest, AppendedPartsCompile) {
  constexpr char kOver[] = R"(- rule: r
  condition: and not user.uid = 0
  override:
    condition: append
)";
  auto set = CompileFiles({{"base.yaml", kBase}, {"over.yaml", kOver}});
  ASSERT_TRUE(set.ok()) << set.status();
  FakeView view = ExecView();
  EXPECT_THAT(Fired(**set, view), ElementsAre("r"));
  view.event_.task.uid = 0;
  EXPECT_THAT(Fired(**set, view), IsEmpty());
}

TEST(RuleSetOverrideTest, ErrorsPointIntoTheRightPart) {
  // Type error in the appended part (line 2, text at column 14).
  EXPECT_EQ(CompileError({{"base.yaml", kBase},
                          {"over.yaml",
                           "- rule: r\n  condition: and not user.uid = rooot\n"
                           "  override:\n    condition: append\n"}}),
            "over.yaml:2:33: type mismatch: user.uid is a uid, 'rooot' is not a number");
  // Syntax error in the appended part.
  EXPECT_EQ(CompileError({{"base.yaml", kBase},
                          {"over.yaml",
                           "- rule: r\n  condition: and and\n"
                           "  override:\n    condition: append\n"}}),
            "over.yaml:2:18: expected a field, macro name, 'not' or '(' after 'and', found 'and'");
  // Error in the base part's second line, with a part appended after it.
  constexpr char kBadBase[] = R"(- rule: r
  desc: d
  condition: |
    evt.type = execve
      and proc.nme = bash
  output: o
  priority: WARNING
)";
  EXPECT_EQ(CompileError({{"base.yaml", kBadBase},
                          {"over.yaml",
                           "- rule: r\n  condition: and user.uid = 0\n"
                           "  override:\n    condition: append\n"}}),
            "base.yaml:5:11: unknown field 'proc.nme'");
  // Two appends: an error in the third part.
  EXPECT_EQ(CompileError({{"base.yaml", kBase},
                          {"o1.yaml",
                           "- rule: r\n  condition: and user.uid = 1000\n"
                           "  override:\n    condition: append\n"},
                          {"o2.yaml",
                           "# comment\n- rule: r\n  condition: or evt.type = exceve\n"
                           "  override:\n    condition: append\n"}}),
            "o2.yaml:3:28: unknown event type 'exceve'");
}

struct ErrorCase {
  const char* condition;
  const char* error;
};

TEST(RuleSetCompileTest, ConditionErrorsNameFileLineColumn) {
  const ErrorCase cases[] = {
      {"proc.nme = bash", "t.yaml:3:14: unknown field 'proc.nme'"},
      {"proc.name = a and fd.nam exists", "t.yaml:3:32: unknown field 'fd.nam'"},
      {"proc.aname = bash", "t.yaml:3:14: proc.aname needs an argument [1..16]"},
      {"proc.aname[0] = bash", "t.yaml:3:14: proc.aname needs an argument [1..16]"},
      {"proc.aname[17] = bash", "t.yaml:3:14: proc.aname needs an argument [1..16]"},
      {"proc.aname[x] = bash", "t.yaml:3:14: proc.aname needs an argument [1..16]"},
      {"proc.name[2] = bash", "t.yaml:3:14: field 'proc.name' takes no argument"},
      {"user.uid = root", "t.yaml:3:25: type mismatch: user.uid is a uid, 'root' is not a number"},
      {"proc.pid = '42'", "t.yaml:3:25: type mismatch: proc.pid is an int, '42' is not a number"},
      {"user.uid in (0, root)",
       "t.yaml:3:30: type mismatch: user.uid is a uid, 'root' is not a number"},
      {"user.uid startswith 1",
       "t.yaml:3:14: operator 'startswith' does not apply to uid field user.uid"},
      {"proc.name pmatch (/bin)",
       "t.yaml:3:14: operator 'pmatch' does not apply to string field proc.name"},
      {"proc.name < 3", "t.yaml:3:14: operator '<' does not apply to string field proc.name"},
      {"evt.failed contains x",
       "t.yaml:3:14: operator 'contains' does not apply to bool field evt.failed"},
      {"evt.failed = yes",
       "t.yaml:3:27: type mismatch: evt.failed is a bool, 'yes' is not true or false"},
      {"evt.type = exceve", "t.yaml:3:25: unknown event type 'exceve'"},
      {"evt.type in (execve, clonee)", "t.yaml:3:35: unknown event type 'clonee'"},
      {"fd.name glob '/etc/[ab'", "t.yaml:3:27: bad glob pattern '/etc/[ab': unterminated ["},
      {"spawned_proces and proc.name = x", "t.yaml:3:14: unknown macro 'spawned_proces'"},
      {"proc.name = x or not spawned_proces", "t.yaml:3:35: unknown macro 'spawned_proces'"},
  };
  for (const ErrorCase& c : cases) {
    EXPECT_EQ(CompileError({{"t.yaml", OneRule(c.condition)}}), c.error) << c.condition;
  }
}

TEST(RuleSetCompileTest, ItemErrorsNameFileLineColumn) {
  // A macro cycle, reported where it closes (macro b's reference to a).
  EXPECT_EQ(CompileError({{"c.yaml",
                           "- macro: a\n  condition: b and proc.name = x\n"
                           "- macro: b\n  condition: proc.pid = 1 or a\n" +
                               OneRule("a")}}),
            "c.yaml:4:30: macro cycle: a -> b -> a");
  // A macro referring to itself.
  EXPECT_EQ(CompileError({{"c.yaml", "- macro: a\n  condition: not a\n"}}),
            "c.yaml:2:18: macro cycle: a -> a");
  // A list cycle, at the list whose item closes it.
  EXPECT_EQ(CompileError({{"l.yaml", "- list: a\n  items: [b, x]\n- list: b\n  items: [y, a]\n"}}),
            "l.yaml:3:3: list cycle: a -> b -> a");
  // A list item that is not a number, reported at the list name in the condition.
  EXPECT_EQ(CompileError(
                {{"t.yaml", "- list: uids\n  items: [0, root]\n" + OneRule("user.uid in (uids)")}}),
            "t.yaml:5:27: type mismatch: user.uid is a uid, 'root' is not a number");
  // Errors inside an unused macro still reject the set, at the macro's text.
  EXPECT_EQ(
      CompileError({{"m.yaml", "- macro: m\n  condition: proc.name = a and fd.hiden = true\n"}}),
      "m.yaml:2:32: unknown field 'fd.hiden'");
  // Syntax errors in a macro.
  EXPECT_EQ(CompileError({{"m.yaml", "- macro: m\n  condition: proc.name bash\n"}}),
            "m.yaml:2:24: expected an operator after field 'proc.name', found 'bash'");
  // A disabled rule is still checked.
  EXPECT_EQ(CompileError({{"t.yaml", OneRule("proc.nme = x") + "  enabled: false\n"}}),
            "t.yaml:3:14: unknown field 'proc.nme'");
}

TEST(RuleSetCompileTest, ExceptionErrorsAtTheException) {
  auto with_exception = [](absl::string_view fields, absl::string_view comps,
                           absl::string_view values) {
    return absl::StrCat(OneRule("proc.name = bash"), "  exceptions:\n    - name: ex\n",
                        "      fields: ", fields, "\n      comps: ", comps,
                        "\n      values:\n        - ", values, "\n");
  };
  // The exception item starts at line 7, column 7.
  EXPECT_EQ(CompileError({{"t.yaml", with_exception("[proc.nam]", "[=]", "[x]")}}),
            "t.yaml:7:7: unknown field 'proc.nam'");
  EXPECT_EQ(CompileError({{"t.yaml", with_exception("[proc.name]", "[like]", "[x]")}}),
            "t.yaml:7:7: exception 'ex': unknown comparison 'like'");
  EXPECT_EQ(CompileError({{"t.yaml", with_exception("[user.uid]", "[startswith]", "[x]")}}),
            "t.yaml:7:7: operator 'startswith' does not apply to uid field user.uid");
  EXPECT_EQ(CompileError({{"t.yaml", with_exception("[user.uid]", "[=]", "[root]")}}),
            "t.yaml:7:7: type mismatch: user.uid is a uid, 'root' is not a number");
  EXPECT_EQ(CompileError({{"t.yaml", with_exception("[proc.aname]", "[=]", "[x]")}}),
            "t.yaml:7:7: proc.aname needs an argument [1..16]");
  EXPECT_EQ(CompileError({{"t.yaml", with_exception("[evt.type]", "[=]", "[exceve]")}}),
            "t.yaml:7:7: unknown event type 'exceve'");
  EXPECT_EQ(CompileError({{"t.yaml", with_exception("[fd.name]", "[glob]", "['/x/[']")}}),
            "t.yaml:7:7: bad glob pattern '/x/[': unterminated [");
  EXPECT_EQ(CompileError({{"t.yaml", with_exception("['proc.aname[2]']", "[=]", "[x]")}}),
            "compiled");
}

}  // namespace
}  // namespace vigil::rules

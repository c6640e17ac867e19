// Unit tests for rules/condition_parser.h: condition text in, syntax tree or a located
// error out.
//
// One file for one parser: the well-formed and malformed tables, the bounds and the
// random-input check share its helpers (the start location, canonical form) and cover one
// grammar; its length is mostly the error table, one case a line.
#include "rules/condition_parser.h"

#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rules/condition.h"
#include "rules/source_location.h"

namespace vigil::rules {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Not line 1 / column 1, so that location arithmetic is exercised.
const SourceLocation kStart{"rules.yaml", 10, 15};

// Parses `text`, failing the test (and returning null) when it does not parse.
std::unique_ptr<Expr> MustParse(const std::string& text) {
  absl::StatusOr<std::unique_ptr<Expr>> parsed = ParseCondition(text, kStart);
  EXPECT_TRUE(parsed.ok()) << "condition: " << text << "\nerror: " << parsed.status();
  if (!parsed.ok()) return nullptr;
  return std::move(parsed).value();
}

// The canonical form of `text`, or "ERROR: <message>".
std::string Canonical(const std::string& text) {
  absl::StatusOr<std::unique_ptr<Expr>> parsed = ParseCondition(text, kStart);
  if (!parsed.ok()) return absl::StrCat("ERROR: ", parsed.status().message());
  return (*parsed)->ToString();
}

// "line:column" of a location, for compact assertions.
std::string LineCol(const SourceLocation& where) {
  return absl::StrCat(where.line, ":", where.column);
}

struct CanonicalCase {
  std::string input;
  std::string expected;
};

TEST(ConditionParserTest, PrecedenceAndAssociativity) {
  const std::vector<CanonicalCase> cases = {
      {"a or b and c", "(a or (b and c))"},
      {"a and b or c", "((a and b) or c)"},
      {"a and b or c and d", "((a and b) or (c and d))"},
      {"not a and b", "((not a) and b)"},
      {"not a or b", "((not a) or b)"},
      {"a and not b or c", "((a and (not b)) or c)"},
      {"not (a or b)", "(not (a or b))"},
      {"(a or b) and c", "((a or b) and c)"},
      // A chain at one level is one node; written parentheses keep theirs.
      {"a and b and c", "(a and b and c)"},
      {"a or b or c or d", "(a or b or c or d)"},
      {"(a and b) and c", "((a and b) and c)"},
      {"a and (b and c)", "(a and (b and c))"},
      {"((a))", "a"},
      {"a.b = 1 or c.d exists and not e", "(a.b = 1 or (c.d exists and (not e)))"},
      // Keywords need no surrounding spaces next to parentheses.
      {"not(a)and(b)or(c)", "(((not a) and b) or c)"},
      // Keywords are case-sensitive: these are macro names.
      {"a AND b", "ERROR: rules.yaml:10:17: trailing input after condition: 'AND'"},
      {"NOT", "NOT"},
      // Names that merely start with a keyword are names.
      {"android or orange and notes", "(android or (orange and notes))"},
  };
  for (const CanonicalCase& c : cases) {
    EXPECT_EQ(Canonical(c.input), c.expected) << "input: " << c.input;
  }
}

TEST(ConditionParserTest, ChainsAreFlatAndNested) {
  std::unique_ptr<Expr> expr = MustParse("a and b and c or d");
  ASSERT_NE(expr, nullptr);
  ASSERT_EQ(expr->kind, ExprKind::kOr);
  ASSERT_EQ(expr->children.size(), 2u);
  const Expr& conj = *expr->children[0];
  ASSERT_EQ(conj.kind, ExprKind::kAnd);
  ASSERT_EQ(conj.children.size(), 3u);
  EXPECT_EQ(conj.children[0]->name, "a");
  EXPECT_EQ(conj.children[1]->name, "b");
  EXPECT_EQ(conj.children[2]->name, "c");
  EXPECT_EQ(expr->children[1]->kind, ExprKind::kReference);
  EXPECT_EQ(expr->children[1]->name, "d");
}

struct OperatorCase {
  std::string input;
  CompareOp op;
  std::string canonical;
};

TEST(ConditionParserTest, EveryOperator) {
  const std::vector<OperatorCase> cases = {
      {"proc.name = bash", CompareOp::kEq, "proc.name = bash"},
      {"proc.name == bash", CompareOp::kEq, "proc.name = bash"},
      {"proc.name=bash", CompareOp::kEq, "proc.name = bash"},
      {"proc.name != bash", CompareOp::kNe, "proc.name != bash"},
      {"proc.name!=bash", CompareOp::kNe, "proc.name != bash"},
      {"proc.pid < 100", CompareOp::kLt, "proc.pid < 100"},
      {"proc.pid <= 100", CompareOp::kLe, "proc.pid <= 100"},
      {"proc.pid<=100", CompareOp::kLe, "proc.pid <= 100"},
      {"proc.pid > 100", CompareOp::kGt, "proc.pid > 100"},
      {"proc.pid >= 100", CompareOp::kGe, "proc.pid >= 100"},
      {"proc.pid>100", CompareOp::kGt, "proc.pid > 100"},
      {"proc.name in (bash, sh)", CompareOp::kIn, "proc.name in (bash, sh)"},
      {"proc.name in(bash,sh)", CompareOp::kIn, "proc.name in (bash, sh)"},
      {"proc.cmdline contains nc", CompareOp::kContains, "proc.cmdline contains nc"},
      {"proc.cmdline icontains NC", CompareOp::kIContains, "proc.cmdline icontains NC"},
      {"fd.name startswith /etc/", CompareOp::kStartsWith, "fd.name startswith /etc/"},
      {"fd.name endswith .sh", CompareOp::kEndsWith, "fd.name endswith .sh"},
      {"fd.name glob '/tmp/*'", CompareOp::kGlob, "fd.name glob \"/tmp/*\""},
      {"fd.name pmatch (/etc, /usr/lib)", CompareOp::kPMatch, "fd.name pmatch (/etc, /usr/lib)"},
      {"fd.name contains\"x\"", CompareOp::kContains, "fd.name contains \"x\""},
  };
  for (const OperatorCase& c : cases) {
    SCOPED_TRACE(c.input);
    std::unique_ptr<Expr> expr = MustParse(c.input);
    ASSERT_NE(expr, nullptr);
    EXPECT_EQ(expr->kind, ExprKind::kCompare);
    EXPECT_EQ(expr->op, c.op);
    EXPECT_EQ(expr->ToString(), c.canonical);
    EXPECT_EQ(expr->list_form, c.op == CompareOp::kIn || c.op == CompareOp::kPMatch);
  }
}

TEST(ConditionParserTest, CompareOpNames) {
  EXPECT_EQ(CompareOpName(CompareOp::kEq), "=");
  EXPECT_EQ(CompareOpName(CompareOp::kNe), "!=");
  EXPECT_EQ(CompareOpName(CompareOp::kGe), ">=");
  EXPECT_EQ(CompareOpName(CompareOp::kIContains), "icontains");
  EXPECT_EQ(CompareOpName(CompareOp::kPMatch), "pmatch");
}

TEST(ConditionParserTest, Exists) {
  std::unique_ptr<Expr> expr = MustParse("container.id exists and not proc.aname[3] exists");
  ASSERT_NE(expr, nullptr);
  EXPECT_EQ(expr->ToString(), "(container.id exists and (not proc.aname[3] exists))");
  ASSERT_EQ(expr->kind, ExprKind::kAnd);
  const Expr& first = *expr->children[0];
  EXPECT_EQ(first.kind, ExprKind::kExists);
  EXPECT_EQ(first.field, "container.id");
  EXPECT_TRUE(first.values.empty());
  const Expr& second = *expr->children[1]->children[0];
  EXPECT_EQ(second.kind, ExprKind::kExists);
  EXPECT_EQ(second.field, "proc.aname");
  EXPECT_EQ(second.field_arg, "3");
}

struct ValueCase {
  std::string written;  // the right-hand side of "a.b = ..."
  Value::Kind kind;
  std::string text;
  int64_t number;
};

TEST(ConditionParserTest, Values) {
  const std::vector<ValueCase> cases = {
      {"execve", Value::Kind::kBareWord, "execve", 0},
      {"/etc/shadow", Value::Kind::kBareWord, "/etc/shadow", 0},
      {"*.sh", Value::Kind::kBareWord, "*.sh", 0},
      {"1.5", Value::Kind::kBareWord, "1.5", 0},
      {"0x10", Value::Kind::kBareWord, "0x10", 0},
      {"-", Value::Kind::kBareWord, "-", 0},
      {"-e", Value::Kind::kBareWord, "-e", 0},
      {"exists", Value::Kind::kBareWord, "exists", 0},
      {"'single'", Value::Kind::kString, "single", 0},
      {"\"double\"", Value::Kind::kString, "double", 0},
      {"''", Value::Kind::kString, "", 0},
      {"'it\\'s'", Value::Kind::kString, "it's", 0},
      {"\"say \\\"hi\\\"\"", Value::Kind::kString, "say \"hi\"", 0},
      {"'back\\\\slash'", Value::Kind::kString, "back\\slash", 0},
      {"'l1\\nl2\\tx'", Value::Kind::kString, "l1\nl2\tx", 0},
      {"\"it's\"", Value::Kind::kString, "it's", 0},
      {"'a and b'", Value::Kind::kString, "a and b", 0},
      {"'not'", Value::Kind::kString, "not", 0},
      {"'123'", Value::Kind::kString, "123", 0},
      {"42", Value::Kind::kNumber, "42", 42},
      {"-7", Value::Kind::kNumber, "-7", -7},
      {"0", Value::Kind::kNumber, "0", 0},
      {"-0", Value::Kind::kNumber, "-0", 0},
      {"04000", Value::Kind::kNumber, "04000", 2048},
      {"0777", Value::Kind::kNumber, "0777", 511},
      {"-010", Value::Kind::kNumber, "-010", -8},
      {"9223372036854775807", Value::Kind::kNumber, "9223372036854775807",
       std::numeric_limits<int64_t>::max()},
      {"-9223372036854775808", Value::Kind::kNumber, "-9223372036854775808",
       std::numeric_limits<int64_t>::min()},
      {"0777777777777777777777", Value::Kind::kNumber, "0777777777777777777777",
       std::numeric_limits<int64_t>::max()},
  };
  for (const ValueCase& c : cases) {
    SCOPED_TRACE(c.written);
    std::unique_ptr<Expr> expr = MustParse("a.b = " + c.written);
    ASSERT_NE(expr, nullptr);
    ASSERT_EQ(expr->kind, ExprKind::kCompare);
    EXPECT_FALSE(expr->list_form);
    ASSERT_EQ(expr->values.size(), 1u);
    const Value& value = expr->values[0];
    EXPECT_EQ(value.kind, c.kind);
    EXPECT_EQ(value.text, c.text);
    EXPECT_EQ(value.number, c.number);
    EXPECT_EQ(LineCol(value.where), "10:21");
  }
}

TEST(ConditionParserTest, ListsWithMixedValues) {
  std::unique_ptr<Expr> expr =
      MustParse("proc.name in (bash, 'sh', \"z sh\", 3, -1, 017, /bin/ls, shell_binaries)");
  ASSERT_NE(expr, nullptr);
  ASSERT_EQ(expr->kind, ExprKind::kCompare);
  EXPECT_EQ(expr->op, CompareOp::kIn);
  EXPECT_TRUE(expr->list_form);
  ASSERT_EQ(expr->values.size(), 8u);
  const std::vector<Value::Kind> kinds = {
      Value::Kind::kBareWord, Value::Kind::kString, Value::Kind::kString,   Value::Kind::kNumber,
      Value::Kind::kNumber,   Value::Kind::kNumber, Value::Kind::kBareWord, Value::Kind::kBareWord,
  };
  const std::vector<std::string> texts = {"bash", "sh",  "z sh",    "3",
                                          "-1",   "017", "/bin/ls", "shell_binaries"};
  for (size_t i = 0; i < kinds.size(); ++i) {
    EXPECT_EQ(expr->values[i].kind, kinds[i]) << i;
    EXPECT_EQ(expr->values[i].text, texts[i]) << i;
  }
  EXPECT_EQ(expr->values[3].number, 3);
  EXPECT_EQ(expr->values[4].number, -1);
  EXPECT_EQ(expr->values[5].number, 15);
  // "proc.name in (" is 14 bytes; "bash, " 6 more.
  EXPECT_EQ(LineCol(expr->values[0].where), "10:29");
  EXPECT_EQ(LineCol(expr->values[1].where), "10:35");
  EXPECT_EQ(expr->ToString(),
            "proc.name in (bash, \"sh\", \"z sh\", 3, -1, 017, /bin/ls, shell_binaries)");
}

TEST(ConditionParserTest, ListForms) {
  const std::vector<CanonicalCase> cases = {
      {"proc.name in (bash)", "proc.name in (bash)"},
      {"proc.name in ()", "proc.name in ()"},
      {"proc.name in ( )", "proc.name in ()"},
      {"proc.name = (a, b)", "proc.name = (a, b)"},
      {"proc.name == (a)", "proc.name = (a)"},
      {"proc.name in (\n  a,\n  b\n)", "proc.name in (a, b)"},
      {"fd.name pmatch (shell_dirs)", "fd.name pmatch (shell_dirs)"},
  };
  for (const CanonicalCase& c : cases) {
    EXPECT_EQ(Canonical(c.input), c.expected) << "input: " << c.input;
  }
  // A one-item list differs from a single value.
  std::unique_ptr<Expr> list = MustParse("proc.name = (a)");
  std::unique_ptr<Expr> single = MustParse("proc.name = a");
  ASSERT_NE(list, nullptr);
  ASSERT_NE(single, nullptr);
  EXPECT_TRUE(list->list_form);
  EXPECT_FALSE(single->list_form);
  EXPECT_EQ(list->values.size(), 1u);
  EXPECT_EQ(single->values.size(), 1u);
}

TEST(ConditionParserTest, FieldArguments) {
  std::unique_ptr<Expr> expr =
      MustParse("proc.aname[2] = bash and proc.aname[1]=sshd and evt.arg[path] contains /x");
  ASSERT_NE(expr, nullptr);
  ASSERT_EQ(expr->kind, ExprKind::kAnd);
  ASSERT_EQ(expr->children.size(), 3u);
  EXPECT_EQ(expr->children[0]->field, "proc.aname");
  EXPECT_EQ(expr->children[0]->field_arg, "2");
  EXPECT_EQ(expr->children[0]->values[0].text, "bash");
  EXPECT_EQ(expr->children[1]->field, "proc.aname");
  EXPECT_EQ(expr->children[1]->field_arg, "1");
  EXPECT_EQ(expr->children[1]->values[0].text, "sshd");
  EXPECT_EQ(expr->children[2]->field, "evt.arg");
  EXPECT_EQ(expr->children[2]->field_arg, "path");
  EXPECT_EQ(expr->ToString(),
            "(proc.aname[2] = bash and proc.aname[1] = sshd and evt.arg[path] contains /x)");

  std::unique_ptr<Expr> plain = MustParse("k8s.ns.name = default");
  ASSERT_NE(plain, nullptr);
  EXPECT_EQ(plain->field, "k8s.ns.name");
  EXPECT_EQ(plain->field_arg, "");
}

TEST(ConditionParserTest, MacroReferences) {
  std::unique_ptr<Expr> expr = MustParse("spawned_process and not shell_procs or open_write");
  ASSERT_NE(expr, nullptr);
  EXPECT_EQ(expr->ToString(), "((spawned_process and (not shell_procs)) or open_write)");
  const Expr& conj = *expr->children[0];
  EXPECT_EQ(conj.children[0]->kind, ExprKind::kReference);
  EXPECT_EQ(conj.children[0]->name, "spawned_process");
  EXPECT_EQ(LineCol(conj.children[0]->where), "10:15");
  EXPECT_EQ(conj.children[1]->kind, ExprKind::kNot);
  EXPECT_EQ(conj.children[1]->children[0]->name, "shell_procs");
  EXPECT_EQ(LineCol(conj.children[1]->children[0]->where), "10:39");
  EXPECT_EQ(expr->children[1]->name, "open_write");

  std::unique_ptr<Expr> alone = MustParse("  inbound_outbound  ");
  ASSERT_NE(alone, nullptr);
  EXPECT_EQ(alone->kind, ExprKind::kReference);
  EXPECT_EQ(alone->name, "inbound_outbound");
  EXPECT_EQ(LineCol(alone->where), "10:17");
}

TEST(ConditionParserTest, NotChains) {
  std::unique_ptr<Expr> expr = MustParse("not not not a.b exists");
  ASSERT_NE(expr, nullptr);
  EXPECT_EQ(expr->ToString(), "(not (not (not a.b exists)))");
  const Expr* node = expr.get();
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(node->kind, ExprKind::kNot);
    ASSERT_EQ(node->children.size(), 1u);
    EXPECT_EQ(LineCol(node->where), absl::StrCat("10:", 15 + 4 * i));
    node = node->children[0].get();
  }
  EXPECT_EQ(node->kind, ExprKind::kExists);
  EXPECT_EQ(Canonical("not not (not a)"), "(not (not (not a)))");
  EXPECT_EQ(Canonical("not\nnot\ta"), "(not (not a))");
}

TEST(ConditionParserTest, MultiLinePositions) {
  const std::string text =
      "evt.type = execve and\n"
      "  proc.name in (bash,\n"
      "    'sh', 04000)\n"
      "  and not my_macro";
  std::unique_ptr<Expr> expr = MustParse(text);
  ASSERT_NE(expr, nullptr);
  ASSERT_EQ(expr->kind, ExprKind::kAnd);
  ASSERT_EQ(expr->children.size(), 3u);
  EXPECT_EQ(expr->where.file, "rules.yaml");
  EXPECT_EQ(LineCol(expr->where), "10:15");
  const Expr& type = *expr->children[0];
  EXPECT_EQ(LineCol(type.where), "10:15");
  EXPECT_EQ(LineCol(type.values[0].where), "10:26");
  const Expr& name = *expr->children[1];
  EXPECT_EQ(LineCol(name.where), "11:3");
  ASSERT_EQ(name.values.size(), 3u);
  EXPECT_EQ(LineCol(name.values[0].where), "11:17");
  EXPECT_EQ(LineCol(name.values[1].where), "12:5");
  EXPECT_EQ(LineCol(name.values[2].where), "12:11");
  EXPECT_EQ(name.values[2].number, 2048);
  const Expr& negation = *expr->children[2];
  EXPECT_EQ(LineCol(negation.where), "13:7");
  EXPECT_EQ(LineCol(negation.children[0]->where), "13:11");

  // CR LF line ends: the CR is whitespace, the LF starts a line.
  std::unique_ptr<Expr> crlf = MustParse("a.b = 1\r\nand c");
  ASSERT_NE(crlf, nullptr);
  EXPECT_EQ(LineCol(crlf->children[1]->where), "11:5");

  // A string spanning lines keeps its newline and moves later positions.
  std::unique_ptr<Expr> spanning = MustParse("a.b = 'x\ny' and c");
  ASSERT_NE(spanning, nullptr);
  EXPECT_EQ(spanning->children[0]->values[0].text, "x\ny");
  EXPECT_EQ(LineCol(spanning->children[1]->where), "11:8");
}

TEST(ConditionParserTest, UnknownStartColumn) {
  // With no column for the first line, first-line errors name only the line; later lines
  // still know their columns.
  const SourceLocation start{"r.yaml", 3, 0};
  EXPECT_EQ(ParseCondition("a.b foo", start).status().message(),
            "r.yaml:3: expected an operator after field 'a.b', found 'foo'");
  EXPECT_EQ(ParseCondition("a.b = 1 and\n  c.d foo", start).status().message(),
            "r.yaml:4:7: expected an operator after field 'c.d', found 'foo'");
}

struct ErrorCase {
  std::string input;
  std::string error;  // the whole message: "file:line:column: reason"
};

TEST(ConditionParserTest, MalformedConditions) {
  const std::vector<ErrorCase> cases = {
      {"", "rules.yaml:10:15: empty condition"},
      {"  \n\t ", "rules.yaml:10:15: empty condition"},
      {"proc.name foo",
       "rules.yaml:10:25: expected an operator after field 'proc.name', found 'foo'"},
      {"proc.name",
       "rules.yaml:10:24: expected an operator after field 'proc.name', found end "
       "of condition"},
      {"a.b ! c", "rules.yaml:10:19: expected an operator after field 'a.b', found '!'"},
      {"proc.aname[2] bash",
       "rules.yaml:10:29: expected an operator after field 'proc.aname[2]', found 'bash'"},
      {"proc.name = 'abc", "rules.yaml:10:27: unterminated string"},
      {"a.b in (x, 'y)", "rules.yaml:10:26: unterminated string"},
      {"a.b = 'x\\", "rules.yaml:10:21: unterminated string"},
      {"proc.name = \"a\\qb\"",
       "rules.yaml:10:29: unknown escape '\\q' in string (known: \\\\ \\' \\\" \\n \\t)"},
      {"(proc.name = a",
       "rules.yaml:10:29: unbalanced parenthesis: missing ')' for the '(' at line 10, column 15"},
      {"((a) or b",
       "rules.yaml:10:24: unbalanced parenthesis: missing ')' for the '(' at line "
       "10, column 15"},
      {"proc.name = a)", "rules.yaml:10:28: unexpected ')'"},
      {") a", "rules.yaml:10:15: unexpected ')'"},
      {"()", "rules.yaml:10:16: empty parentheses"},
      {"(a b)", "rules.yaml:10:18: expected 'and', 'or' or ')', found 'b'"},
      {"proc.name exists foo", "rules.yaml:10:32: 'exists' takes no value, found 'foo'"},
      {"a.b exists (x)", "rules.yaml:10:26: 'exists' takes no value, found '('"},
      {"proc.name in bash", "rules.yaml:10:28: 'in' needs a parenthesised list, found 'bash'"},
      {"proc.name pmatch",
       "rules.yaml:10:31: 'pmatch' needs a parenthesised list, found end of condition"},
      {"proc.name contains (a, b)",
       "rules.yaml:10:34: 'contains' takes a single value, not a list"},
      {"proc.name in (a, b",
       "rules.yaml:10:33: unbalanced parenthesis: missing ')' to close the list at line 10, "
       "column 28"},
      {"proc.name in (a b)", "rules.yaml:10:31: expected ',' or ')' in list, found 'b'"},
      {"proc.name in (a,)", "rules.yaml:10:31: expected a value after ',' in list, found ')'"},
      {"proc.name in (,a)", "rules.yaml:10:29: expected a value after '(' in list, found ','"},
      {"proc.name = a x", "rules.yaml:10:29: trailing input after condition: 'x'"},
      {"a.b = x, y", "rules.yaml:10:22: trailing input after condition: ','"},
      {"proc.name = a\x01",
       "rules.yaml:10:28: trailing input after condition: control "
       "character 0x01"},
      {"proc.name =", "rules.yaml:10:26: expected a value after '=', found end of condition"},
      {"a.b => c", "rules.yaml:10:20: expected a value after '=', found '>'"},
      {"a.b = ==", "rules.yaml:10:21: expected a value after '=', found '=='"},
      {"proc.name = and",
       "rules.yaml:10:27: expected a value after '=', found keyword 'and' "
       "(quote it to use it as a string)"},
      {"a.b = 1 and",
       "rules.yaml:10:26: expected a field, macro name, 'not' or '(' after 'and', found end of "
       "condition"},
      {"a or\n\n",
       "rules.yaml:10:19: expected a field, macro name, 'not' or '(' after 'or', "
       "found end of condition"},
      {"not",
       "rules.yaml:10:18: expected a field, macro name, 'not' or '(' after 'not', found "
       "end of condition"},
      {"proc.name = 'a' or (b and)",
       "rules.yaml:10:40: expected a field, macro name, 'not' or '(' after 'and', found ')'"},
      {"and a", "rules.yaml:10:15: expected a field, macro name, 'not' or '(', found 'and'"},
      {"in", "rules.yaml:10:15: expected a field, macro name, 'not' or '(', found 'in'"},
      {"'x' = a", "rules.yaml:10:15: expected a field, macro name, 'not' or '(', found ''x''"},
      {"foo = bar",
       "rules.yaml:10:15: expected a field (a name with a dot, like proc.name) before '=', found "
       "'foo'"},
      {"foo[1] exists",
       "rules.yaml:10:15: expected a field (a name with a dot, like proc.name) before '[', found "
       "'foo'"},
      {"a and foo contains x",
       "rules.yaml:10:21: expected a field (a name with a dot, like proc.name) before "
       "'contains', found 'foo'"},
      {"proc..name = x",
       "rules.yaml:10:15: malformed field name 'proc..name': expected "
       "dot-separated parts each starting with a letter"},
      {"proc.name. = x",
       "rules.yaml:10:15: malformed field name 'proc.name.': expected "
       "dot-separated parts each starting with a letter"},
      {"proc.aname[2 = x",
       "rules.yaml:10:27: expected ']' to close the argument of field "
       "'proc.aname', found whitespace"},
      {"proc.aname[2",
       "rules.yaml:10:27: expected ']' to close the argument of field "
       "'proc.aname', found end of condition"},
      {"proc.aname[] = x", "rules.yaml:10:25: empty argument '[]' after field 'proc.aname'"},
      {"proc.pid = 089",
       "rules.yaml:10:26: invalid octal number '089' (a leading 0 means "
       "octal: digits 0-7 only)"},
      {"proc.pid = 9223372036854775808",
       "rules.yaml:10:26: number '9223372036854775808' out of range (64-bit signed)"},
      {"proc.pid = -9223372036854775809",
       "rules.yaml:10:26: number '-9223372036854775809' out of range (64-bit signed)"},
      {"a.b = averyveryveryverylongvaluethatgoesonandon x",
       "rules.yaml:10:63: trailing input after condition: 'x'"},
      {"a.b = x averyveryveryverylongvaluethatgoesonandon",
       "rules.yaml:10:23: trailing input after condition: 'averyveryveryverylongvaluethatgo...'"},
      // Errors on later lines of a multi-line condition.
      {"evt.type = execve and\n  (proc.name = bash or\n   proc.name = 'sh\n",
       "rules.yaml:12:16: unterminated string"},
      {"evt.type = execve and\n  (proc.name = bash or\n   proc.name = sh\n",
       "rules.yaml:12:18: unbalanced parenthesis: missing ')' for the '(' at line 11, column 3"},
      {"evt.type = execve\nand proc.name\n  foo",
       "rules.yaml:12:3: expected an operator after field 'proc.name', found 'foo'"},
      {"a.b in (x,\n  y,\n  'z\\d')",
       "rules.yaml:12:5: unknown escape '\\d' in string (known: \\\\ \\' \\\" \\n \\t)"},
      {"a.b = x\n  and\n",
       "rules.yaml:11:6: expected a field, macro name, 'not' or '(' after "
       "'and', found end of condition"},
      {"proc.aname[2\n] = x",
       "rules.yaml:10:27: expected ']' to close the argument of field "
       "'proc.aname', found end of line"},
  };
  for (const ErrorCase& c : cases) {
    absl::StatusOr<std::unique_ptr<Expr>> parsed = ParseCondition(c.input, kStart);
    ASSERT_FALSE(parsed.ok()) << "input: " << c.input << "\nparsed as: " << (*parsed)->ToString();
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << c.input;
    EXPECT_EQ(parsed.status().message(), c.error) << "input: " << c.input;
  }
}

TEST(ConditionParserTest, NestingDepthIsBounded) {
  // 64 levels of parentheses are fine; the 65th '(' (offset 64) is rejected.
  const std::string ok = std::string(64, '(') + "a" + std::string(64, ')');
  EXPECT_EQ(Canonical(ok), "a");
  const std::string deep = std::string(65, '(') + "a" + std::string(65, ')');
  EXPECT_EQ(Canonical(deep),
            "ERROR: rules.yaml:10:79: condition nested too deeply (over 64 levels)");

  // 'not' counts too, alone and mixed with parentheses.
  std::string nots;
  for (int i = 0; i < 64; ++i) nots += "not ";
  EXPECT_TRUE(ParseCondition(nots + "a", kStart).ok());
  EXPECT_EQ(Canonical("not " + nots + "a"),
            "ERROR: rules.yaml:10:271: condition nested too deeply (over 64 levels)");
  std::string mixed;
  for (int i = 0; i < 33; ++i) mixed += "not (";
  EXPECT_THAT(Canonical(mixed + "a" + std::string(33, ')')),
              HasSubstr("condition nested too deeply (over 64 levels)"));

  // Far deeper input fails the same way instead of exhausting the stack.
  EXPECT_THAT(Canonical(std::string(50000, '(') + "a"),
              HasSubstr("condition nested too deeply (over 64 levels)"));
}

TEST(ConditionParserTest, LongChainsStayShallow) {
  std::string text = "a";
  for (int i = 0; i < 10000; ++i) text += " or a";
  std::unique_ptr<Expr> expr = MustParse(text);
  ASSERT_NE(expr, nullptr);
  EXPECT_EQ(expr->kind, ExprKind::kOr);
  EXPECT_EQ(expr->children.size(), 10001u);
}

TEST(ConditionParserTest, SizeIsBounded) {
  // Exactly 64 KiB is accepted, one byte more is not.
  std::string text = "a" + std::string(kMaxConditionBytes - 1, ' ');
  EXPECT_TRUE(ParseCondition(text, kStart).ok());
  text += ' ';
  EXPECT_EQ(ParseCondition(text, kStart).status().message(),
            "rules.yaml:10:15: condition too long (65537 bytes, the limit is 65536)");
}

TEST(ConditionParserTest, CanonicalFormParsesBack) {
  const std::vector<std::string> inputs = {
      "evt.type in (execve, execveat) and proc.aname[2] startswith 'run' or not x",
      "fd.name = 'quote\\'s \"double\" back\\\\slash\\nnew\\tline' and a.b != -04",
      "(a or b) and (c or (d and not e.f exists))",
      "k8s.ns.name pmatch () or proc.pid >= 9223372036854775807",
  };
  for (const std::string& input : inputs) {
    const std::string once = Canonical(input);
    ASSERT_THAT(once, ::testing::Not(StartsWith("ERROR"))) << input;
    EXPECT_EQ(Canonical(once), once) << input;
  }
}

// Parses and, on success, checks the canonical form parses back the same; on failure
// checks the error has the required form.
void CheckNoCrash(const std::string& text) {
  absl::StatusOr<std::unique_ptr<Expr>> parsed = ParseCondition(text, kStart);
  if (parsed.ok()) {
    ASSERT_NE(*parsed, nullptr);
    const std::string canonical = (*parsed)->ToString();
    absl::StatusOr<std::unique_ptr<Expr>> again = ParseCondition(canonical, kStart);
    ASSERT_TRUE(again.ok()) << "input: " << text << "\ncanonical: " << canonical
                            << "\nerror: " << again.status();
    EXPECT_EQ((*again)->ToString(), canonical) << "input: " << text;
  } else {
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(std::string(parsed.status().message()), StartsWith("rules.yaml:1"))
        << "input: " << text;
  }
}

TEST(ConditionParserTest, RandomInputNeverCrashes) {
  std::mt19937 rng(20240611);
  // Random printable characters (and newlines and tabs).
  for (int i = 0; i < 20000; ++i) {
    std::string text(rng() % 40, ' ');
    for (char& c : text) {
      const int r = static_cast<int>(rng() % 100);
      c = r < 3 ? '\n' : r < 5 ? '\t' : static_cast<char>(' ' + rng() % 95);
    }
    CheckNoCrash(text);
  }
  // Arbitrary bytes.
  for (int i = 0; i < 5000; ++i) {
    std::string text(rng() % 40, ' ');
    for (char& c : text) c = static_cast<char>(rng() % 256);
    CheckNoCrash(text);
  }
  // Soup of the language's own tokens, which reaches far deeper into the grammar.
  const std::vector<std::string> tokens = {
      "proc.name",  "proc.aname[2]",
      "a",          "my_macro",
      "and",        "or",
      "not",        "(",
      ")",          "(",
      ")",          "=",
      "==",         "!=",
      "<",          ">=",
      "in",         "pmatch",
      "exists",     "contains",
      "glob",       ",",
      "'x'",        "\"y",
      "'z\\'s'",    "1",
      "-2",         "04000",
      "089",        "/etc/shadow",
      "\n",         "\t",
      "[",          "]",
      "!",          "icontains",
      "startswith", "and",
      "or",         "not",
      "'a\\n\\t'",
  };
  int parsed_ok = 0;
  for (int i = 0; i < 30000; ++i) {
    std::string text;
    const int count = static_cast<int>(rng() % 12);
    for (int j = 0; j < count; ++j) {
      if (rng() % 3 != 0) text += ' ';
      text += tokens[rng() % tokens.size()];
    }
    CheckNoCrash(text);
    if (ParseCondition(text, kStart).ok()) ++parsed_ok;
  }
  // The soup is not all errors: valid conditions are produced and round-tripped too.
  EXPECT_GT(parsed_ok, 100);
}

}  // namespace
}  // namespace vigil::rules

// Unit tests for sensor/event_json.h and sensor/json_writer.h: the --print-events lines.
#include "sensor/output/event_json.h"

#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "event/event.h"
#include "gtest/gtest.h"
#include "sensor/output/json_writer.h"
#include "sensor/process_table.h"

namespace vigil::sensor {
namespace {

using Json = nlohmann::json;

// A string literal that may hold NULs, without its terminating NUL.
template <size_t N>
absl::string_view Lit(const char (&s)[N]) {
  return absl::string_view(s, N - 1);
}

event::TaskContext SampleTask() {
  event::TaskContext t;
  t.time_boot_ns = 18446744073709551615ull;  // largest uint64 survives
  t.pid = 4242;
  t.tid = 4243;
  t.ppid = 1;
  t.uid = 1000;
  t.euid = 0;
  t.gid = 100;
  t.loginuid = 4294967295u;
  t.mntns = 4026531840u;
  t.pidns = 4026531836u;
  t.cgroup_id = 0x123456789abcull;
  t.comm = "sudo";
  return t;
}

// Renders `event` and checks the line shape: one JSON object and exactly one '\n', last.
Json Render(const event::Event& event, const event::ProcessInfo* parent = nullptr) {
  std::string line;
  AppendEventJson(event, parent, &line);
  EXPECT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1) << line;
  EXPECT_EQ(line.front(), '{');
  Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << "not valid JSON: " << line;
  EXPECT_TRUE(j.is_object()) << line;
  return j;
}

void ExpectCommonFields(const Json& j) {
  EXPECT_EQ(j.at("time_boot_ns").get<uint64_t>(), 18446744073709551615ull);
  EXPECT_EQ(j.at("pid").get<uint64_t>(), 4242u);
  EXPECT_EQ(j.at("tid").get<uint64_t>(), 4243u);
  EXPECT_EQ(j.at("ppid").get<uint64_t>(), 1u);
  EXPECT_EQ(j.at("uid").get<uint64_t>(), 1000u);
  EXPECT_EQ(j.at("euid").get<uint64_t>(), 0u);
  EXPECT_EQ(j.at("gid").get<uint64_t>(), 100u);
  EXPECT_EQ(j.at("loginuid").get<uint64_t>(), 4294967295u);
  EXPECT_EQ(j.at("mntns").get<uint64_t>(), 4026531840u);
  EXPECT_EQ(j.at("pidns").get<uint64_t>(), 4026531836u);
  EXPECT_EQ(j.at("cgroup_id").get<uint64_t>(), 0x123456789abcull);
  EXPECT_EQ(j.at("comm").get<std::string>(), "sudo");
  for (const char* key : {"time_boot_ns", "pid", "tid", "ppid", "uid", "euid", "gid", "loginuid",
                          "mntns", "pidns", "cgroup_id"}) {
    EXPECT_TRUE(j.at(key).is_number_unsigned()) << key;
  }
}

TEST(EventJsonTest, Fork) {
  event::Event event;
  event.type = event::kFork;
  event.task = SampleTask();
  event.fork.child_pid = 5000;
  event.fork.child_tid = 5001;
  event.fork.is_thread = false;
  Json j = Render(event);
  EXPECT_EQ(j.at("type"), "fork");
  ExpectCommonFields(j);
  EXPECT_EQ(j.at("child_pid").get<uint64_t>(), 5000u);
  EXPECT_EQ(j.at("child_tid").get<uint64_t>(), 5001u);
  EXPECT_EQ(j.at("is_thread"), false);
  EXPECT_FALSE(j.contains("pcomm"));
  EXPECT_FALSE(j.contains("pexe"));
  EXPECT_FALSE(j.contains("exe"));
  EXPECT_FALSE(j.contains("path"));

  event.fork.is_thread = true;
  EXPECT_EQ(Render(event).at("is_thread"), true);
}

TEST(EventJsonTest, ParentAddsPcommAndPexe) {
  event::Event event;
  event.type = event::kFork;
  event.task = SampleTask();
  event::ProcessInfo parent;
  parent.pid = 1;
  parent.comm = "systemd";
  parent.exe = "/usr/lib/systemd/systemd";
  Json j = Render(event, &parent);
  EXPECT_EQ(j.at("pcomm"), "systemd");
  EXPECT_EQ(j.at("pexe"), "/usr/lib/systemd/systemd");
  ExpectCommonFields(j);
}

event::Event SampleExec() {
  event::Event event;
  event.type = event::kExec;
  event.task = SampleTask();
  event::ExecData& x = event.exec;
  x.exe = "/usr/bin/sudo";
  x.argv = Lit("sudo\0-u\0root\0id\0");
  x.old_tid = 4244;
  x.egid = 101;
  x.file_mode = 0100755;
  x.file_uid = 0;
  x.file_gid = 0;
  return event;
}

TEST(EventJsonTest, Exec) {
  event::Event event = SampleExec();
  Json j = Render(event);
  EXPECT_EQ(j.at("type"), "exec");
  ExpectCommonFields(j);
  EXPECT_EQ(j.at("exe"), "/usr/bin/sudo");
  ASSERT_TRUE(j.at("args").is_array());
  EXPECT_EQ(j.at("args").get<std::vector<std::string>>(),
            (std::vector<std::string>{"sudo", "-u", "root", "id"}));
  EXPECT_EQ(j.at("exe_truncated"), false);
  EXPECT_EQ(j.at("args_truncated"), false);
  EXPECT_EQ(j.at("old_tid").get<uint64_t>(), 4244u);
  EXPECT_EQ(j.at("egid").get<uint64_t>(), 101u);
  EXPECT_EQ(j.at("file_mode").get<uint64_t>(), 0100755u);
  EXPECT_EQ(j.at("file_uid").get<uint64_t>(), 0u);
  EXPECT_EQ(j.at("file_gid").get<uint64_t>(), 0u);
  EXPECT_EQ(j.at("setuid"), false);
  EXPECT_EQ(j.at("setgid"), false);
  EXPECT_EQ(j.at("exe_memfd"), false);
  EXPECT_EQ(j.at("exe_unlinked"), false);
  EXPECT_EQ(j.at("cap_permitted").get<uint64_t>(), 0u);
  EXPECT_EQ(j.at("cap_effective").get<uint64_t>(), 0u);
  EXPECT_EQ(j.at("creds_before_known"), false);
  for (const char* key : {"uid_before", "euid_before", "gid_before", "egid_before",
                          "cap_permitted_before", "cap_effective_before"}) {
    EXPECT_FALSE(j.contains(key)) << key;
  }
}

TEST(EventJsonTest, ExecSetuidSetgidFromFileMode) {
  struct Case {
    uint32_t mode;
    bool setuid;
    bool setgid;
  };
  // 01755: the sticky bit is neither.
  const Case cases[] = {
      {0100755, false, false}, {04755, true, false},   {02755, false, true},  {06755, true, true},
      {0104755, true, false},  {0102711, false, true}, {01755, false, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.mode);
    event::Event event = SampleExec();
    event.exec.file_mode = c.mode;
    Json j = Render(event);
    EXPECT_EQ(j.at("setuid").get<bool>(), c.setuid);
    EXPECT_EQ(j.at("setgid").get<bool>(), c.setgid);
    EXPECT_EQ(j.at("file_mode").get<uint64_t>(), c.mode);
  }
}

TEST(EventJsonTest, ExecCredsBefore) {
  event::Event event = SampleExec();
  event.exec.creds_before_known = true;
  event.exec.uid_before = 1000;
  event.exec.euid_before = 1001;
  event.exec.gid_before = 100;
  event.exec.egid_before = 102;
  Json j = Render(event);
  EXPECT_EQ(j.at("creds_before_known"), true);
  EXPECT_EQ(j.at("uid_before").get<uint64_t>(), 1000u);
  EXPECT_EQ(j.at("euid_before").get<uint64_t>(), 1001u);
  EXPECT_EQ(j.at("gid_before").get<uint64_t>(), 100u);
  EXPECT_EQ(j.at("egid_before").get<uint64_t>(), 102u);
  // Credentials from the process table carry no capability sets.
  EXPECT_FALSE(j.contains("cap_permitted_before"));
  EXPECT_FALSE(j.contains("cap_effective_before"));
}

TEST(EventJsonTest, ExecFileFlagsAndCapabilities) {
  event::Event event = SampleExec();
  event.exec.file_is_memfd = true;
  event.exec.file_unlinked = true;
  event.exec.cap_permitted = 0x1ffffffffff;
  event.exec.cap_effective = 0x2000;
  event.exec.creds_before_known = true;
  event.exec.caps_before_known = true;
  event.exec.cap_permitted_before = 0x400;
  event.exec.cap_effective_before = 0x10000000000;
  Json j = Render(event);
  EXPECT_EQ(j.at("exe_memfd"), true);
  EXPECT_EQ(j.at("exe_unlinked"), true);
  EXPECT_EQ(j.at("cap_permitted").get<uint64_t>(), 0x1ffffffffffu);
  EXPECT_EQ(j.at("cap_effective").get<uint64_t>(), 0x2000u);
  EXPECT_EQ(j.at("cap_permitted_before").get<uint64_t>(), 0x400u);
  EXPECT_EQ(j.at("cap_effective_before").get<uint64_t>(), 0x10000000000u);
}

TEST(EventJsonTest, ExecTruncationFlagsAndPartialLastArgument) {
  event::Event event = SampleExec();
  event.exec.exe_truncated = true;
  event.exec.args_truncated = true;
  event.exec.argv = Lit("sh\0-c\0echo hel");
  Json j = Render(event);
  EXPECT_EQ(j.at("exe_truncated"), true);
  EXPECT_EQ(j.at("args_truncated"), true);
  EXPECT_EQ(j.at("args").get<std::vector<std::string>>(),
            (std::vector<std::string>{"sh", "-c", "echo hel"}));
}

TEST(EventJsonTest, ExecEmptyArgsIsEmptyArray) {
  event::Event event = SampleExec();
  event.exec.argv = {};
  Json j = Render(event);
  ASSERT_TRUE(j.at("args").is_array());
  EXPECT_TRUE(j.at("args").empty());
}

TEST(EventJsonTest, ExecArgsKeepEmptyAndEscapedArguments) {
  event::Event event = SampleExec();
  event.exec.argv = Lit("a\0\0say \"hi\"\\\0tab\there\0\xff\0");
  Json j = Render(event);
  EXPECT_EQ(j.at("args").get<std::vector<std::string>>(),
            (std::vector<std::string>{"a", "", "say \"hi\"\\", "tab\there", "\xc3\xbf"}));
}

TEST(EventJsonTest, Exit) {
  struct Case {
    int32_t raw;
    bool group_dead;
    int exit_status;
    int signal;
  };
  const Case cases[] = {
      {0, true, 0, 0},           {1 << 8, true, 1, 0},
      {255 << 8, false, 255, 0}, {9, true, 0, 9},  // SIGKILL
      {11 | 0x80, true, 0, 11},                    // SIGSEGV, core dumped
      {15, false, 0, 15},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.raw);
    event::Event event;
    event.type = event::kExit;
    event.task = SampleTask();
    event.exit.raw_status = c.raw;
    event.exit.group_dead = c.group_dead;
    Json j = Render(event);
    EXPECT_EQ(j.at("type"), "exit");
    ExpectCommonFields(j);
    EXPECT_EQ(j.at("exit_status").get<int>(), c.exit_status);
    EXPECT_EQ(j.at("signal").get<int>(), c.signal);
    EXPECT_EQ(j.at("group_dead").get<bool>(), c.group_dead);
  }
}

TEST(EventJsonTest, Open) {
  event::Event event;
  event.type = event::kOpen;
  event.task = SampleTask();
  event::OpenData& o = event.open;
  o.syscall = event::OpenSyscall::kOpenAt;
  o.path = "/etc/shadow";
  o.result = 3;
  o.flags = 02101;  // O_WRONLY | O_CREAT | O_APPEND
  o.mode = 0600;
  o.file_mode = 0100640;
  Json j = Render(event);
  EXPECT_EQ(j.at("type"), "open");
  ExpectCommonFields(j);
  EXPECT_EQ(j.at("syscall"), "openat");
  EXPECT_EQ(j.at("path"), "/etc/shadow");
  EXPECT_EQ(j.at("result").get<int64_t>(), 3);
  EXPECT_EQ(j.at("flags").get<uint64_t>(), 02101u);
  EXPECT_EQ(j.at("mode").get<uint64_t>(), 0600u);
  EXPECT_EQ(j.at("file_mode").get<uint64_t>(), 0100640u);
  EXPECT_EQ(j.at("path_truncated"), false);
  EXPECT_EQ(j.at("hidden"), false);
  EXPECT_EQ(j.at("unresolved"), false);
  EXPECT_EQ(j.at("compat"), false);
  EXPECT_FALSE(j.contains("exe"));
  EXPECT_FALSE(j.contains("args"));
}

TEST(EventJsonTest, OpenFailedWithFlags) {
  event::Event event;
  event.type = event::kOpen;
  event.task = SampleTask();
  event::OpenData& o = event.open;
  o.syscall = event::OpenSyscall::kOpen;
  o.path = "../.ssh/id_rsa";
  o.result = -2;  // -ENOENT
  o.path_truncated = true;
  o.hidden = true;
  o.unresolved = true;
  o.compat = true;
  Json j = Render(event);
  EXPECT_EQ(j.at("result").get<int64_t>(), -2);
  EXPECT_TRUE(j.at("result").is_number_integer());
  EXPECT_EQ(j.at("path"), "../.ssh/id_rsa");
  EXPECT_EQ(j.at("path_truncated"), true);
  EXPECT_EQ(j.at("hidden"), true);
  EXPECT_EQ(j.at("unresolved"), true);
  EXPECT_EQ(j.at("compat"), true);
}

TEST(EventJsonTest, OpenSyscallNames) {
  struct Case {
    event::OpenSyscall syscall;
    const char* name;
  };
  const Case cases[] = {
      {event::OpenSyscall::kOpen, "open"},
      {event::OpenSyscall::kOpenAt, "openat"},
      {event::OpenSyscall::kOpenAt2, "openat2"},
      {event::OpenSyscall::kCreat, "creat"},
      {event::OpenSyscall::kOpenByHandleAt, "open_by_handle_at"},
  };
  for (const Case& c : cases) {
    event::Event event;
    event.type = event::kOpen;
    event.task = SampleTask();
    event.open.syscall = c.syscall;
    event.open.path = "/etc/hosts";
    EXPECT_EQ(Render(event).at("syscall"), c.name);
    EXPECT_EQ(event::OpenSyscallName(c.syscall), c.name);
  }
}

TEST(EventJsonTest, EventTypeNames) {
  EXPECT_EQ(event::EventTypeName(event::kFork), "fork");
  EXPECT_EQ(event::EventTypeName(event::kExec), "exec");
  EXPECT_EQ(event::EventTypeName(event::kExit), "exit");
  EXPECT_EQ(event::EventTypeName(event::kOpen), "open");
}

TEST(EventJsonTest, AppendsOneLinePerEvent) {
  event::Event fork;
  fork.type = event::kFork;
  fork.task = SampleTask();
  event::Event exit;
  exit.type = event::kExit;
  exit.task = SampleTask();
  std::string out = "existing\n";
  AppendEventJson(fork, nullptr, &out);
  AppendEventJson(exit, nullptr, &out);
  ASSERT_EQ(std::count(out.begin(), out.end(), '\n'), 3);
  EXPECT_EQ(out.rfind("existing\n", 0), 0u);
  const size_t first_end = out.find('\n', 9);
  Json a = Json::parse(out.substr(9, first_end - 9));
  Json b = Json::parse(out.substr(first_end + 1));
  EXPECT_EQ(a.at("type"), "fork");
  EXPECT_EQ(b.at("type"), "exit");
  EXPECT_EQ(out.back(), '\n');
}

TEST(EventJsonTest, HostileStringsStayOnOneLineAndParse) {
  event::Event event;
  event.type = event::kOpen;
  event.task = SampleTask();
  const std::string comm("a\"b\\c\nd", 7);
  const std::string path = "/tmp/\"x\"\\\n\r\t\x01\x1f\x7f\xff\xfe\xc3\xa9/\xe2\x82\xac";
  event.task.comm = comm;
  event.open.path = path;
  event::ProcessInfo parent;
  parent.comm = "p\n";
  parent.exe = "/bin/\x80";
  Json j = Render(event, &parent);
  EXPECT_EQ(j.at("comm"), comm);
  EXPECT_EQ(j.at("path"), "/tmp/\"x\"\\\n\r\t\x01\x1f\x7f\xc3\xbf\xc3\xbe\xc3\xa9/\xe2\x82\xac");
  EXPECT_EQ(j.at("pcomm"), "p\n");
  EXPECT_EQ(j.at("pexe"), "/bin/\xc2\x80");
}

// --- JsonWriter ---------------------------------------------------------------------------

std::string Quote(absl::string_view s) {
  std::string out;
  JsonWriter::AppendQuoted(s, &out);
  return out;
}

TEST(JsonWriterTest, AppendQuotedEscapes) {
  struct Case {
    std::string in;
    std::string out;
  };
  const Case cases[] = {
      {"", R"("")"},
      {"plain /etc/passwd", R"("plain /etc/passwd")"},
      {"a\"b", R"("a\"b")"},
      {"a\\b", R"("a\\b")"},
      {"\n\r\t", R"("\n\r\t")"},
      {std::string("\0", 1), R"("\u0000")"},
      {"\x01\x08\x0c\x1b\x1f", R"("\u0001\u0008\u000c\u001b\u001f")"},
      {"\x7f", R"("\u007f")"},
      {"/", R"("/")"},
      // Invalid UTF-8: each offending byte becomes \u00XX of its value.
      {"\xff", R"("\u00ff")"},
      {"a\xfe/", R"("a\u00fe/")"},
      {"\x80", R"("\u0080")"},                                // lone continuation byte
      {"\xc0\x80", R"("\u00c0\u0080")"},                      // overlong NUL
      {"\xc1\xbf", R"("\u00c1\u00bf")"},                      // overlong
      {"\xe0\x80\xaf", R"("\u00e0\u0080\u00af")"},            // overlong 3-byte
      {"\xed\xa0\x80", R"("\u00ed\u00a0\u0080")"},            // UTF-16 surrogate
      {"\xf4\x90\x80\x80", R"("\u00f4\u0090\u0080\u0080")"},  // above U+10FFFF
      {"\xf5\x80\x80\x80", R"("\u00f5\u0080\u0080\u0080")"},
      {"\xe2\x82", R"("\u00e2\u0082")"},    // truncated at end
      {"\xe2\x82x", R"("\u00e2\u0082x")"},  // truncated mid-string
      {"\xc3", R"("\u00c3")"},
      // Valid multi-byte UTF-8 passes through unchanged.
      {"\xc3\xa9", "\"\xc3\xa9\""},
      {"\xc2\x80", "\"\xc2\x80\""},
      {"\xe2\x82\xac", "\"\xe2\x82\xac\""},
      {"\xef\xbf\xbf", "\"\xef\xbf\xbf\""},
      {"\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""},
      {"\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\""},  // U+10FFFF
      {"caf\xc3\xa9\xff", "\"caf\xc3\xa9\\u00ff\""},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Quote(c.in), c.out) << testing::PrintToString(c.in);
  }
}

TEST(JsonWriterTest, AppendQuotedAppends) {
  std::string out = "x=";
  JsonWriter::AppendQuoted("y", &out);
  EXPECT_EQ(out, "x=\"y\"");
}

// The UTF-8 a parser yields for \u00XX of byte `b`.
std::string Latin1ToUtf8(unsigned char b) {
  if (b < 0x80) return std::string(1, static_cast<char>(b));
  return {static_cast<char>(0xc0 | (b >> 6)), static_cast<char>(0x80 | (b & 0x3f))};
}

TEST(JsonWriterTest, EverySingleByteParsesBackLosslessly) {
  for (int b = 0; b < 256; ++b) {
    const std::string in(1, static_cast<char>(b));
    const std::string quoted = Quote(in);
    Json j = Json::parse(quoted, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(j.is_discarded()) << "byte " << b << ": " << quoted;
    EXPECT_EQ(j.get<std::string>(), Latin1ToUtf8(static_cast<unsigned char>(b))) << b;
  }
}

TEST(JsonWriterTest, ValidUtf8RoundTrips) {
  const std::string inputs[] = {
      "/home/ユーザー/ファイル.txt",
      "Ünïcödé ✓ 𝄞",
      "\xf0\x90\x80\x80",
      "mixed \"q\" \\ \t ok €",
  };
  for (const std::string& in : inputs) {
    const std::string quoted = Quote(in);
    Json j = Json::parse(quoted, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(j.is_discarded()) << quoted;
    EXPECT_EQ(j.get<std::string>(), in);
  }
}

TEST(JsonWriterTest, ArbitraryBytesAlwaysParse) {
  uint32_t state = 12345;
  auto next = [&state] {
    state = state * 1103515245u + 12345u;
    return static_cast<char>((state >> 16) & 0xff);
  };
  for (int round = 0; round < 2000; ++round) {
    std::string in(static_cast<size_t>(round % 17), '\0');
    for (char& c : in) c = next();
    std::string line;
    JsonWriter w(&line);
    w.BeginObject();
    w.String(in, in);  // keys are escaped too
    w.EndObject();
    Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(j.is_discarded()) << testing::PrintToString(in) << " -> " << line;
    ASSERT_EQ(j.size(), 1u);
    // Each byte maps to itself or to its \u00XX form: the decoded value is never shorter.
    EXPECT_GE(j.begin().value().get<std::string>().size(), in.size());
    EXPECT_EQ(line.find('\n'), std::string::npos);
  }
}

TEST(JsonWriterTest, BuildsNestedObjectsAndArrays) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Uint("a", 1);
  w.BeginObject("o");
  w.Bool("t", true);
  w.Bool("f", false);
  w.EndObject();
  w.BeginArray("arr");
  w.ArrayString("x");
  w.ArrayString("y\"");
  w.EndArray();
  w.BeginArray("empty");
  w.EndArray();
  w.BeginObject("inner_empty");
  w.EndObject();
  w.Int("n", -5);
  w.Int("min", INT64_MIN);
  w.Uint("max", UINT64_MAX);
  w.String("s", "v");
  w.EndObject();
  EXPECT_EQ(out, R"({"a":1,"o":{"t":true,"f":false},"arr":["x","y\""],"empty":[],)"
                 R"("inner_empty":{},"n":-5,"min":-9223372036854775808,)"
                 R"("max":18446744073709551615,"s":"v"})");
  Json j = Json::parse(out);
  EXPECT_EQ(j.at("min").get<int64_t>(), INT64_MIN);
  EXPECT_EQ(j.at("max").get<uint64_t>(), UINT64_MAX);
  EXPECT_EQ(j.at("arr")[1], "y\"");
}

TEST(JsonWriterTest, KeyThenRawValue) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("k\n");
  out.append("null");
  w.Uint("z", 0);
  w.EndObject();
  EXPECT_EQ(out, R"({"k\n":null,"z":0})");
}

}  // namespace
}  // namespace vigil::sensor

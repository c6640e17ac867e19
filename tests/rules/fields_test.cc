// Unit tests for rules/fields.h: the table's integrity, every extractor on real-shaped
// events, and docs/rules.md listing exactly the fields of the table.
#include "rules/fields.h"

#include <fcntl.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/rules/fake_event_view.h"

namespace vigil::rules {
namespace {

using event::Event;
using event::EventType;
using event::ProcessInfo;

using FakeView = FakeEventView;

event::Event BaseEvent(event::EventType type) {
  event::Event e;
  e.type = type;
  e.task.time_boot_ns = 123456789;
  e.task.pid = 42;
  e.task.tid = 43;
  e.task.ppid = 7;
  e.task.uid = 1000;
  e.task.euid = 0;
  e.task.gid = 100;
  e.task.loginuid = 1000;
  e.task.comm = "sudo";
  return e;
}

FieldValue Get(const EventView& view, absl::string_view name, int arg = 0) {
  const FieldInfo* field = FindField(name);
  EXPECT_NE(field, nullptr) << name;
  FieldArg field_arg;
  field_arg.index = arg;
  return field == nullptr ? FieldValue{} : field->extract(view, field_arg);
}

TEST(FieldTableTest, NamesAreUniqueAndDescribed) {
  std::set<std::string> names;
  for (const FieldInfo& f : FieldTable()) {
    EXPECT_TRUE(names.insert(std::string(f.name)).second) << "duplicate " << f.name;
    EXPECT_FALSE(f.desc.empty()) << f.name;
    EXPECT_NE(f.extract, nullptr) << f.name;
    EXPECT_NE(f.event_mask & kAllEvents, 0u) << f.name;
  }
  // The fields the rule language promises.
  for (const char* required :
       {"evt.type",     "evt.time",         "proc.pid",          "proc.tgid", "proc.ppid",
        "proc.name",    "proc.exe",         "proc.cmdline",      "proc.args", "proc.pname",
        "proc.pexe",    "proc.aname",       "proc.is_thread",    "user.uid",  "user.euid",
        "user.name",    "user.loginuid",    "group.gid",         "fd.name",   "fd.directory",
        "fd.filename",  "evt.is_open_read", "evt.is_open_write", "file.mode", "file.is_setuid",
        "container.id", "k8s.pod.name",     "k8s.ns.name"}) {
    EXPECT_NE(FindField(required), nullptr) << required;
  }
  EXPECT_EQ(FindField("proc.nonsense"), nullptr);
  EXPECT_TRUE(FindField("proc.aname")->takes_arg);
  EXPECT_FALSE(FindField("proc.name")->takes_arg);
}

TEST(FieldsTest, ExecEventFields) {
  event::Event e = BaseEvent(event::kExec);
  static const char kArgv[] = "/usr/bin/sudo\0-u\0root\0";
  e.exec.argv = absl::string_view(kArgv, sizeof(kArgv) - 1);
  e.exec.exe = "/usr/bin/sudo";
  e.exec.file_mode = 0104755;
  e.exec.file_uid = 0;
  e.exec.creds_before_known = true;
  e.exec.uid_before = 1000;
  e.exec.euid_before = 1000;
  FakeView v(e);
  v.container_id_ = "c0ffee";
  v.process_.cmdline = "/usr/bin/sudo -u root";
  v.process_.exe = "/usr/bin/sudo";
  event::ProcessInfo parent;
  parent.comm = "bash";
  parent.exe = "/usr/bin/bash";
  parent.cmdline = "-bash --login";
  event::ProcessInfo grandparent;
  grandparent.comm = "sshd";
  v.ancestors_ = {parent, grandparent};

  EXPECT_EQ(Get(v, "evt.type").str, "execve");
  EXPECT_EQ(Get(v, "evt.time").num, 123456789);
  EXPECT_EQ(Get(v, "proc.pid").num, 42);
  EXPECT_EQ(Get(v, "proc.tgid").num, 42);
  EXPECT_EQ(Get(v, "proc.tid").num, 43);
  EXPECT_EQ(Get(v, "proc.ppid").num, 7);
  EXPECT_EQ(Get(v, "proc.name").str, "sudo");
  EXPECT_EQ(Get(v, "proc.exe").str, "/usr/bin/sudo");
  EXPECT_EQ(Get(v, "proc.exepath").str, "/usr/bin/sudo");
  EXPECT_EQ(Get(v, "proc.cmdline").str, "/usr/bin/sudo -u root");
  EXPECT_EQ(Get(v, "proc.args").str, "-u root");
  EXPECT_EQ(Get(v, "proc.pname").str, "bash");
  EXPECT_EQ(Get(v, "proc.pexe").str, "-bash");
  EXPECT_EQ(Get(v, "proc.pexepath").str, "/usr/bin/bash");
  EXPECT_EQ(Get(v, "proc.aname", 1).str, "bash");
  EXPECT_EQ(Get(v, "proc.aname", 2).str, "sshd");
  EXPECT_FALSE(Get(v, "proc.aname", 3).present);
  EXPECT_EQ(Get(v, "user.uid").num, 1000);
  EXPECT_EQ(Get(v, "user.euid").num, 0);
  EXPECT_EQ(Get(v, "user.name").str, "alice");
  EXPECT_EQ(Get(v, "user.loginuid").num, 1000);
  EXPECT_EQ(Get(v, "user.uid_before").num, 1000);
  EXPECT_EQ(Get(v, "user.euid_before").num, 1000);
  EXPECT_EQ(Get(v, "group.gid").num, 100);
  EXPECT_EQ(Get(v, "file.mode").num, 0104755);
  EXPECT_EQ(Get(v, "file.uid").num, 0);
  EXPECT_EQ(Get(v, "file.is_setuid").num, 1);
  EXPECT_EQ(Get(v, "file.is_setgid").num, 0);
  EXPECT_EQ(Get(v, "proc.is_thread").num, 1);  // tid 43 is not the main thread
  EXPECT_EQ(Get(v, "container.id").str, "c0ffee");
  EXPECT_TRUE(Get(v, "k8s.pod.name").str.empty());

  v.event_.exec.creds_before_known = false;
  EXPECT_FALSE(Get(v, "user.euid_before").present);
  v.has_process_ = false;
  v.ancestors_.clear();
  EXPECT_FALSE(Get(v, "proc.cmdline").present);
  EXPECT_FALSE(Get(v, "proc.pname").present);
  EXPECT_EQ(Get(v, "proc.exe").str, "/usr/bin/sudo");  // from the event itself
  v.users_.clear();
  EXPECT_FALSE(Get(v, "user.name").present);
}

TEST(FieldsTest, ExecFileFactsAndCapabilities) {
  event::Event e = BaseEvent(event::kExec);
  e.exec.exe = "/memfd:x (deleted)";
  e.exec.file_is_memfd = true;
  e.exec.file_unlinked = true;
  e.exec.creds_before_known = true;
  e.exec.caps_before_known = true;
  e.exec.cap_permitted = 0x2400;  // CAP_NET_RAW, CAP_NET_BIND_SERVICE
  e.exec.cap_effective = 0x2000;
  e.exec.cap_permitted_before = 0x400;
  e.exec.cap_effective_before = 0x400;
  FakeView v(e);
  v.process_.exe_from_memfd = false;  // the event, not the table, answers for an exec

  EXPECT_EQ(Get(v, "proc.is_exe_from_memfd").num, 1);
  EXPECT_EQ(Get(v, "proc.is_exe_deleted").num, 0);  // a memfd is not "deleted"
  EXPECT_EQ(Get(v, "proc.cap_permitted").num, 0x2400);
  EXPECT_EQ(Get(v, "proc.cap_effective").num, 0x2000);
  EXPECT_EQ(Get(v, "proc.cap_permitted_before").num, 0x400);
  EXPECT_EQ(Get(v, "proc.cap_effective_before").num, 0x400);
  EXPECT_EQ(Get(v, "proc.cap_gained").num, 0x2000);

  // An unlinked ordinary file.
  v.event_.exec.file_is_memfd = false;
  EXPECT_EQ(Get(v, "proc.is_exe_from_memfd").num, 0);
  EXPECT_EQ(Get(v, "proc.is_exe_deleted").num, 1);

  // Credentials before from the process table (kernels without a credential hook) carry
  // no capability sets: the before and gained fields are absent, the after fields are not.
  v.event_.exec.caps_before_known = false;
  EXPECT_FALSE(Get(v, "proc.cap_permitted_before").present);
  EXPECT_FALSE(Get(v, "proc.cap_effective_before").present);
  EXPECT_FALSE(Get(v, "proc.cap_gained").present);
  EXPECT_EQ(Get(v, "proc.cap_permitted").num, 0x2400);

  // Capabilities and deletion are facts of the exec: other events do not define them.
  for (const char* name : {"proc.is_exe_deleted", "proc.cap_permitted", "proc.cap_gained"}) {
    EXPECT_EQ(FindField(name)->event_mask, event::EventBit(event::kExec)) << name;
  }
}

TEST(FieldsTest, ExeFromMemfdIsCarriedToLaterEventsByTheProcessTable) {
  FakeView v(BaseEvent(event::kOpen));
  v.process_.exe_from_memfd = true;
  EXPECT_EQ(Get(v, "proc.is_exe_from_memfd").num, 1);
  v.process_.exe_from_memfd = false;
  EXPECT_EQ(Get(v, "proc.is_exe_from_memfd").num, 0);
  v.has_process_ = false;
  EXPECT_FALSE(Get(v, "proc.is_exe_from_memfd").present);
}

TEST(FieldsTest, OpenEventFields) {
  struct Case {
    uint32_t flags;
    bool read;
    bool write;
  };
  for (const Case& c :
       {Case{O_RDONLY, true, false}, Case{O_WRONLY, false, true}, Case{O_RDWR, true, true},
        Case{O_RDONLY | O_CREAT, true, true}, Case{O_RDONLY | O_TRUNC, true, true}}) {
    event::Event e = BaseEvent(event::kOpen);
    e.open.syscall = event::OpenSyscall::kOpenAt2;
    e.open.path = "/tmp/.cache/x.so";
    e.open.flags = c.flags;
    e.open.result = 3;
    e.open.file_mode = 0100644;
    e.open.hidden = true;
    FakeView v(e);
    EXPECT_EQ(Get(v, "evt.is_open_read").num, c.read) << c.flags;
    EXPECT_EQ(Get(v, "evt.is_open_write").num, c.write) << c.flags;
    EXPECT_EQ(Get(v, "evt.type").str, "openat2");
    EXPECT_EQ(Get(v, "fd.name").str, "/tmp/.cache/x.so");
    EXPECT_EQ(Get(v, "fd.directory").str, "/tmp/.cache");
    EXPECT_EQ(Get(v, "fd.filename").str, "x.so");
    EXPECT_EQ(Get(v, "fd.hidden").num, 1);
    EXPECT_EQ(Get(v, "evt.failed").num, 0);
    EXPECT_EQ(Get(v, "evt.rawres").num, 3);
    EXPECT_EQ(Get(v, "file.is_setuid").num, 0);
  }
}

TEST(FieldsTest, PathPartsAtTheEdges) {
  struct Case {
    const char* path;
    const char* dir;
    const char* file;
  };
  for (const Case& c : {Case{"/etc", "/", "etc"}, Case{"/", "/", ""},
                        Case{"relative", "", "relative"}, Case{"a/b", "a", "b"}}) {
    event::Event e = BaseEvent(event::kOpen);
    e.open.path = c.path;
    FakeView v(e);
    EXPECT_EQ(Get(v, "fd.directory").str, c.dir) << c.path;
    EXPECT_EQ(Get(v, "fd.filename").str, c.file) << c.path;
  }
}

TEST(FieldsTest, EventTypeNamesFollowFalco) {
  EXPECT_EQ(EvtTypeName(BaseEvent(event::kFork)), "clone");
  EXPECT_EQ(EvtTypeName(BaseEvent(event::kExit)), "procexit");
  event::Event open = BaseEvent(event::kOpen);
  open.open.syscall = event::OpenSyscall::kCreat;
  EXPECT_EQ(EvtTypeName(open), "creat");
  event::Event fork = BaseEvent(event::kFork);
  fork.fork.is_thread = true;
  FakeView v(fork);
  EXPECT_EQ(Get(v, "proc.is_thread").num, 1);
}

// docs/rules.md documents every field: its "## Fields" table has one row per field of
// the table, in the same order, with the same type.
TEST(FieldDocsTest, RulesDocListsExactlyTheTable) {
  std::ifstream in(std::string(VIGIL_SOURCE_DIR) + "/docs/rules.md");
  ASSERT_TRUE(in) << "docs/rules.md missing";
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  const size_t section = doc.find("\n## Fields\n");
  ASSERT_NE(section, std::string::npos);
  std::vector<std::pair<std::string, std::string>> rows;
  std::istringstream lines(doc.substr(section));
  std::string line;
  std::getline(lines, line);  // the blank line before the heading
  std::getline(lines, line);  // the heading
  while (std::getline(lines, line)) {
    if (line.rfind("## ", 0) == 0) break;
    if (line.rfind("| `", 0) != 0) continue;
    const size_t name_end = line.find('`', 3);
    const size_t type_start = line.find("| ", name_end) + 2;
    const size_t type_end = line.find(' ', type_start);
    rows.emplace_back(line.substr(3, name_end - 3), line.substr(type_start, type_end - type_start));
  }
  std::vector<std::pair<std::string, std::string>> expected;
  for (const FieldInfo& f : FieldTable()) {
    std::string name(f.name);
    if (f.takes_arg) name += f.key_arg ? "[KEY]" : "[N]";
    expected.emplace_back(name, std::string(FieldTypeName(f.type)));
  }
  EXPECT_EQ(rows, expected);
}

}  // namespace
}  // namespace vigil::rules

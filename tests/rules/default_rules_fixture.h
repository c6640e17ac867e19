// DefaultRulesTest: the fixture of the default rule pack's tests (default_rules_test.cc
// and default_rules_*_test.cc, one a rule family). It compiles deploy/rules once, gives
// each test a fresh engine, builds synthetic fork, exec and open events of a described
// process (seen through FakeEventView, timed by task.time_boot_ns), and records every alert
// raised. The rule names and the process model are members, so that the tests name them
// unqualified.
#ifndef VIGIL_TESTS_RULES_DEFAULT_RULES_FIXTURE_H_
#define VIGIL_TESTS_RULES_DEFAULT_RULES_FIXTURE_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "event/event.h"
#include "event/ip.h"
#include "gtest/gtest.h"
#include "rules/engine.h"
#include "rules/rule_file.h"
#include "rules/rule_set.h"
#include "tests/rules/fake_event_view.h"

namespace vigil::rules {

class DefaultRulesTest : public ::testing::Test {
 protected:
  static constexpr uint64_t kMs = 1000 * 1000;
  static constexpr uint64_t kSec = 1000 * kMs;
  // Events start well after boot, so "time 0" never has a special meaning.
  static constexpr uint64_t kT0 = 1000 * kSec;

  static constexpr char kForkByProcess[] = "Fork flood by process";
  static constexpr char kForkByContainer[] = "Fork flood by container";
  static constexpr char kSetuid[] = "Privilege elevation by setuid or setgid exec";
  static constexpr char kHidden[] = "Hidden file in world-writable directory";
  static constexpr char kSensitiveWrite[] = "Write to account or privilege file";
  static constexpr char kShadowRead[] = "Read of shadow file by unexpected process";
  static constexpr char kTmpExec[] = "Execution from world-writable directory";
  static constexpr char kTmpElevation[] =
      "Privilege elevation after execution from world-writable directory";
  static constexpr char kHiddenCreated[] = "Hidden file created in world-writable directory";
  static constexpr char kSensitiveChange[] = "Account or privilege file changed";
  static constexpr char kSensitiveLink[] = "Hard link or bind mount of sensitive file";
  static constexpr char kMassDeletion[] = "Mass deletion by process";
  static constexpr char kModeChange[] = "File made world-writable or set-id";
  static constexpr char kFilelessExec[] = "Execution from memfd or deleted file";
  static constexpr char kCapElevation[] = "Capability elevation at exec";
  static constexpr char kReverseShell[] = "Reverse shell";
  static constexpr char kServerChildConnect[] =
      "Outbound connection by child of web server or database";
  static constexpr char kMetadata[] = "Connection to cloud metadata service from container";
  static constexpr char kContainerListen[] = "Unexpected listening port in container";
  static constexpr char kDeniedPort[] = "Connection to denied remote port";

  // Every rule of the pack, in file order. A rule added to the pack must be added here and
  // given tests.
  static constexpr const char* kPackRules[] = {
      kForkByProcess,      kForkByContainer, kSetuid,          kHidden,
      kSensitiveWrite,     kShadowRead,      kTmpExec,         kTmpElevation,
      kHiddenCreated,      kSensitiveChange, kSensitiveLink,   kMassDeletion,
      kModeChange,         kFilelessExec,    kCapElevation,    kReverseShell,
      kServerChildConnect, kMetadata,        kContainerListen, kDeniedPort};

  // The fields every alert's output carries, and the one open rules add.
  static constexpr const char* kContextFields[] = {
      "proc.name", "proc.exepath", "proc.cmdline", "proc.pid",     "proc.ppid",  "proc.pname",
      "user.name", "user.uid",     "container.id", "k8s.pod.name", "k8s.ns.name"};

  // A FakeEventView that also knows the process's pod.
  class PodEventView : public FakeEventView {
   public:
    using FakeEventView::FakeEventView;
    absl::string_view pod_name() const override { return pod_name_; }
    absl::string_view pod_namespace() const override { return pod_namespace_; }

    std::string pod_name_;
    std::string pod_namespace_;
  };

  // A process as the synthetic events describe it.
  struct Proc {
    uint32_t pid = 4242;
    uint32_t ppid = 4200;
    std::string comm = "bash";
    std::string exe = "/usr/bin/bash";
    std::string cmdline = "bash";
    uint32_t uid = 1000;
    uint32_t euid = 1000;
    std::string parent_comm = "sshd";
    std::string container_id;
    std::string pod;
    std::string ns;
  };

  // Credentials around an exec: ids and permitted capability sets (also the effective
  // sets), as the kernel reports them.
  struct Creds {
    bool known = true;
    uint64_t cap_before = 0;
    uint64_t cap = 0;
    uint32_t uid_before = 1000;
    uint32_t euid_before = 1000;
    uint32_t egid_before = 1000;
    uint32_t uid = 1000;
    uint32_t euid = 1000;
    uint32_t egid = 1000;
  };

  // What an alert said: its rule, count, output and output fields as text (FieldText).
  struct Fired {
    std::string rule;
    uint64_t count = 0;
    std::string output;
    std::map<std::string, std::string> fields;
  };

  // An alert field as text: numbers in decimal, flags in octal with a leading 0 (as outputs
  // render them), booleans as true/false, "<NA>" when absent.
  static std::string FieldText(const AlertField& f) {
    if (!f.present) return "<NA>";
    switch (f.type) {
      case FieldType::kString:
      case FieldType::kPath:
      case FieldType::kFile:
      case FieldType::kIp: return f.str;
      case FieldType::kBool: return f.num != 0 ? "true" : "false";
      case FieldType::kFlags: return absl::StrFormat("0%o", f.num);
      default: return absl::StrCat(f.num);
    }
  }

  // Compiles the pack once; each test gets a fresh engine running it.
  static void SetUpTestSuite() {
    RuleFileSet files;
    absl::Status loaded = files.AddPaths({std::string(VIGIL_SOURCE_DIR) + "/deploy/rules"});
    ASSERT_TRUE(loaded.ok()) << loaded;
    absl::StatusOr<std::unique_ptr<RuleSet>> set = RuleSet::Compile(files);
    ASSERT_TRUE(set.ok()) << set.status();
    pack_ = new std::shared_ptr<const RuleSet>(*std::move(set));
  }

  void SetUp() override {
    ASSERT_NE(pack_, nullptr);
    engine_ = std::make_unique<Engine>(*pack_);
  }

  // Keeps `s` alive for the test (events hold string_views).
  absl::string_view Keep(absl::string_view s) { return strings_.emplace_back(s); }

  // `e` as done by `p`: the task fields, the process table's entry, its parent, the
  // container and pod.
  PodEventView ViewOf(const Proc& p, event::Event e) {
    e.task.pid = p.pid;
    e.task.tid = p.pid;
    e.task.ppid = p.ppid;
    e.task.uid = p.uid;
    e.task.euid = p.euid;
    e.task.gid = p.uid;
    e.task.loginuid = p.uid;
    e.task.comm = Keep(p.comm);
    PodEventView view(e);
    view.process_.pid = p.pid;
    view.process_.ppid = p.ppid;
    view.process_.uid = p.uid;
    view.process_.euid = p.euid;
    view.process_.comm = p.comm;
    view.process_.exe = p.exe;
    view.process_.cmdline = p.cmdline;
    event::ProcessInfo parent;
    parent.pid = p.ppid;
    parent.comm = p.parent_comm;
    parent.exe = absl::StrCat("/usr/sbin/", p.parent_comm);
    parent.cmdline = p.parent_comm;
    view.ancestors_ = {parent};
    view.users_[65534] = "nobody";
    view.container_id_ = p.container_id;
    view.pod_name_ = p.pod;
    view.pod_namespace_ = p.ns;
    return view;
  }

  // A clone by `parent` at time t.
  PodEventView Fork(const Proc& parent, uint64_t t, bool thread = false) {
    event::Event e;
    e.type = event::kFork;
    e.task.time_boot_ns = t;
    e.fork.child_pid = thread ? parent.pid : parent.pid + 1;
    e.fork.child_tid = parent.pid + 1;
    e.fork.is_thread = thread;
    return ViewOf(parent, e);
  }

  // `p` executing `exe` (argv: `cmdline` split on spaces) from file mode `mode` at t.
  // The process's uid/euid become the "after" credentials.
  PodEventView Exec(Proc p, absl::string_view exe, absl::string_view cmdline, uint32_t mode,
                    const Creds& c, uint64_t t) {
    p.exe = std::string(exe);
    p.cmdline = std::string(cmdline);
    p.comm = std::string(exe.substr(exe.rfind('/') + 1).substr(0, 15));
    p.uid = c.uid;
    p.euid = c.euid;
    std::string argv(cmdline);
    for (char& ch : argv) {
      if (ch == ' ') ch = '\0';
    }
    argv.push_back('\0');
    event::Event e;
    e.type = event::kExec;
    e.task.time_boot_ns = t;
    e.exec.exe = Keep(exe);
    e.exec.argv = Keep(argv);
    e.exec.creds_before_known = c.known;
    e.exec.caps_before_known = c.known;
    e.exec.cap_permitted_before = c.cap_before;
    e.exec.cap_effective_before = c.cap_before;
    e.exec.cap_permitted = c.cap;
    e.exec.cap_effective = c.cap;
    e.exec.uid_before = c.uid_before;
    e.exec.euid_before = c.euid_before;
    e.exec.gid_before = c.egid_before;
    e.exec.egid_before = c.egid_before;
    e.exec.egid = c.egid;
    e.exec.file_mode = mode;
    e.exec.file_uid = 0;
    e.exec.file_gid = 0;
    return ViewOf(p, e);
  }

  // `p` opening `path` with `flags`, returning `result`, at t; the opened file's identity is
  // `file` (none by default). fd.hidden is what the kernel computes for the path.
  PodEventView Open(const Proc& p, absl::string_view path, uint32_t flags, int64_t result = 3,
                    uint64_t t = kT0, event::FileId file = {}) {
    event::Event e;
    e.type = event::kOpen;
    e.task.time_boot_ns = t;
    e.open.syscall = event::OpenSyscall::kOpenAt;
    e.open.path = Keep(path);
    e.open.flags = flags;
    e.open.result = result;
    e.open.file_mode = 0100644;
    e.open.hidden = event::HasHiddenComponent(path);
    e.open.file = file;
    e.open.nlink = 1;
    return ViewOf(p, e);
  }

  // 16 bytes of `ip` (text) as events carry it; empty text gives the unspecified address.
  absl::string_view Ip(absl::string_view ip) {
    if (ip.empty()) return Keep(std::string(event::kIpBytes, '\0'));
    absl::StatusOr<event::IpNetwork> net = event::ParseIpNetwork(ip);
    EXPECT_TRUE(net.ok()) << net.status();
    if (!net.ok()) return Keep(std::string(event::kIpBytes, '\0'));
    return Keep(
        absl::string_view(reinterpret_cast<const char*>(net->addr.data()), event::kIpBytes));
  }

  // A network event of `type` by `p`: local and remote endpoint, result, and whether the
  // local side is the server (accept, listen, bind); TCP unless `protocol` says otherwise.
  PodEventView Net(const Proc& p, event::EventType type, absl::string_view lip, uint16_t lport,
                   absl::string_view rip, uint16_t rport, int64_t result = 0, uint8_t protocol = 6,
                   uint64_t t = kT0) {
    event::Event e;
    e.type = type;
    e.task.time_boot_ns = t;
    e.net.laddr = Ip(lip);
    e.net.raddr = Ip(rip);
    e.net.lport = lport;
    e.net.rport = rport;
    e.net.result = result;
    e.net.protocol = protocol;
    e.net.server = type != event::kConnect;
    e.net.fd = 3;
    return ViewOf(p, e);
  }

  // `p` executing `exe` with standard input and output on a TCP connection to rip:rport.
  PodEventView ExecOnSocket(const Proc& p, absl::string_view exe, absl::string_view cmdline,
                            absl::string_view rip, uint16_t rport, uint8_t sockets = 3) {
    PodEventView view = Exec(p, exe, cmdline, 0100755, Creds{}, kT0);
    view.event_.exec.stdio_sockets = sockets;
    view.event_.exec.stdio_raddr = Ip(rip);
    view.event_.exec.stdio_rport = rport;
    view.event_.exec.stdio_protocol = 6;
    return view;
  }

  // A process running `exe` (named `comm`).
  static Proc Program(const char* comm, const char* exe) {
    Proc p;
    p.comm = comm;
    p.exe = exe;
    p.cmdline = comm;
    return p;
  }

  // A script in a container: no system tool.
  static Proc Attacker() {
    Proc p = Program("python3", "/usr/bin/python3.11");
    p.cmdline = "python3 x.py";
    p.container_id = "c9";
    return p;
  }

  // `p` making file operation `syscall` on `path` (and `path2`, the new name of a rename,
  // link or symlink, or a mount point), returning `result`, at t; `mode` and `op_flags` as
  // the call passed them. Hidden flags are what the decoder computes.
  PodEventView FileOp(const Proc& p, event::FileOpSyscall syscall, absl::string_view path,
                      absl::string_view path2 = "", uint32_t mode = 0, int64_t result = 0,
                      uint64_t t = kT0, uint64_t op_flags = 0) {
    event::Event e;
    e.type = event::FileOpEventType(syscall);
    e.task.time_boot_ns = t;
    e.file_op.syscall = syscall;
    e.file_op.path = Keep(path);
    e.file_op.path2 = Keep(path2);
    e.file_op.mode = mode;
    e.file_op.result = result;
    e.file_op.op_flags = op_flags;
    e.file_op.from_arg = e.file_op.from_arg2 = true;
    e.file_op.hidden = event::HasHiddenComponent(path);
    e.file_op.hidden2 = event::HasHiddenComponent(path2);
    return ViewOf(p, e);
  }

  // Runs one event through the engine; returns the alerts it raised.
  std::vector<Fired> Run(const EventView& view) {
    std::vector<Fired> out;
    engine_->Process(view, [&](const Alert& alert) {
      Fired f;
      f.rule = alert.rule->name;
      f.count = alert.count;
      f.output = alert.output;
      for (const AlertField& field : alert.fields) f.fields[field.name] = FieldText(field);
      out.push_back(std::move(f));
    });
    fired_.insert(fired_.end(), out.begin(), out.end());
    return out;
  }

  // The names of the rules behind alerts (in order).
  static std::vector<std::string> Names(const std::vector<Fired>& alerts) {
    std::vector<std::string> names;
    for (const Fired& f : alerts) names.push_back(f.rule);
    return names;
  }

  // The alerts raised by `rule` so far.
  std::vector<Fired> FiredBy(absl::string_view rule) const {
    std::vector<Fired> out;
    for (const Fired& f : fired_) {
      if (f.rule == rule) out.push_back(f);
    }
    return out;
  }

  // The compiled pack (never freed), the engine under test, the text events point into,
  // and every alert raised so far.
  inline static std::shared_ptr<const RuleSet>* pack_ = nullptr;
  std::unique_ptr<Engine> engine_;
  std::deque<std::string> strings_;
  std::vector<Fired> fired_;
};

}  // namespace vigil::rules

#endif  // VIGIL_TESTS_RULES_DEFAULT_RULES_FIXTURE_H_

// Tests of the default rule pack's exec rules: privilege elevation by a setuid or setgid
// exec, execution from a world-writable directory, elevation that follows such an
// execution, execution from a memfd or deleted file, and capabilities gained at exec; each
// fires with full context and stays quiet on the closest ordinary exec.
#include <fcntl.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "event/event.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rules/engine.h"
#include "rules/rule_set.h"
#include "tests/rules/default_rules_fixture.h"

namespace vigil::rules {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// ---------------------------------------------------------------------------------------
// Privilege elevation by setuid or setgid exec.

TEST_F(DefaultRulesTest, SetuidExecThatGainsRootFires) {
  Proc p;
  p.container_id = "c1";
  Creds c;
  c.euid = 0;  // the setuid-root bit took effect
  auto alerts = Run(Exec(p, "/home/alice/bin/rootshell", "rootshell -p", 0104755, c, kT0));
  ASSERT_THAT(Names(alerts), ElementsAre(kSetuid));
  const Fired& a = alerts[0];
  EXPECT_EQ(a.fields.at("proc.exepath"), "/home/alice/bin/rootshell");
  EXPECT_EQ(a.fields.at("proc.name"), "rootshell");
  EXPECT_EQ(a.fields.at("proc.cmdline"), "rootshell -p");
  EXPECT_EQ(a.fields.at("proc.pid"), "4242");
  EXPECT_EQ(a.fields.at("user.name"), "alice");
  EXPECT_EQ(a.fields.at("user.uid"), "1000");
  EXPECT_EQ(a.fields.at("user.euid_before"), "1000");
  EXPECT_EQ(a.fields.at("user.euid"), "0");
  EXPECT_EQ(a.fields.at("file.uid"), "0");
  EXPECT_EQ(a.fields.at("file.mode"), "0104755");
  EXPECT_EQ(a.fields.at("container.id"), "c1");
  EXPECT_THAT(a.output, HasSubstr("euid_before=1000 euid=0"));
}

TEST_F(DefaultRulesTest, SetgidExecThatGainsAPrivilegedGroupFires) {
  const uint32_t kShadowGid = 42;
  Proc p;
  Creds c;
  c.egid = kShadowGid;
  auto alerts = Run(Exec(p, "/opt/tool/hashdump", "hashdump", 0102755, c, kT0));
  ASSERT_THAT(Names(alerts), ElementsAre(kSetuid));
  EXPECT_EQ(alerts[0].fields.at("group.egid_before"), "1000");
  EXPECT_EQ(alerts[0].fields.at("group.egid"), "42");
}

TEST_F(DefaultRulesTest, SetuidNearMisses) {
  struct Case {
    const char* label;
    const char* exe;
    uint32_t mode;
    Creds creds;
  };
  Creds root;  // a root process: nothing to gain
  root.uid_before = root.euid_before = root.egid_before = 0;
  root.uid = root.euid = root.egid = 0;
  Creds to_root;
  to_root.euid = 0;
  Creds unchanged;  // setuid bit ignored (nosuid mount, or a traced process)
  Creds unknown = to_root;
  unknown.known = false;
  Creds to_nobody;
  to_nobody.euid = 65534;
  Creds to_tty_group;
  to_tty_group.egid = 5;
  Creds already_shadow;
  already_shadow.egid_before = already_shadow.egid = 42;
  Creds plain_to_root = to_root;  // euid 0 without a set-id file (file capabilities, say)
  Creds to_shadow_group;
  to_shadow_group.egid = 42;
  const Case cases[] = {
      {"root runs a setuid-root program", "/home/alice/bin/rootshell", 0104755, root},
      {"root runs a setgid-shadow program", "/opt/tool/hashdump", 0102755, root},
      {"a user runs sudo", "/usr/bin/sudo", 0104755, to_root},
      {"a user runs passwd", "/usr/bin/passwd", 0104755, to_root},
      {"a user runs unix_chkpwd (setgid shadow)", "/usr/sbin/unix_chkpwd", 0102755,
       to_shadow_group},
      {"setuid bit without effect", "/home/alice/bin/rootshell", 0104755, unchanged},
      {"credentials before exec unknown", "/home/alice/bin/rootshell", 0104755, unknown},
      {"setuid to a non-root user", "/usr/games/robots", 0104755, to_nobody},
      {"setgid to an unprivileged group (tty)", "/opt/tool/notify", 0102755, to_tty_group},
      {"setgid to a group already held", "/opt/tool/hashdump", 0102755, already_shadow},
      {"no set-id bit", "/home/alice/bin/capped", 0100755, plain_to_root},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    EXPECT_THAT(Names(Run(Exec(Proc{}, c.exe, "x", c.mode, c.creds, kT0))), IsEmpty());
  }
}

// ---------------------------------------------------------------------------------------
// Execution from world-writable directory.

TEST_F(DefaultRulesTest, ExecutionFromWorldWritableDirsFires) {
  const char* const exes[] = {"/tmp/x",     "/tmp/.hidden/kworker", "/var/tmp/a/b",
                              "/dev/shm/m", "/run/lock/z",          "/tmp/go-buildx/b001/exe/evil"};
  for (const char* exe : exes) {
    SCOPED_TRACE(exe);
    Proc p;
    p.container_id = "c3";
    auto alerts = Run(Exec(p, exe, absl::StrCat(exe, " -d"), 0100755, Creds{}, kT0));
    ASSERT_THAT(Names(alerts), ElementsAre(kTmpExec));
    EXPECT_EQ(alerts[0].fields.at("proc.exepath"), exe);
    EXPECT_EQ(alerts[0].fields.at("proc.cmdline"), absl::StrCat(exe, " -d"));
    EXPECT_EQ(alerts[0].fields.at("proc.pid"), "4242");
    EXPECT_EQ(alerts[0].fields.at("proc.ppid"), "4200");
    EXPECT_EQ(alerts[0].fields.at("proc.pname"), "sshd");
    EXPECT_EQ(alerts[0].fields.at("container.id"), "c3");
  }
}

TEST_F(DefaultRulesTest, ExecutionFromWorldWritableDirsNearMisses) {
  const char* const exes[] = {
      "/tmpx/evil",  // a sibling of /tmp
      "/var/tmpfoo/x",
      "/home/alice/tmp/x",                  // a tmp directory of one's own
      "/usr/bin/bash",                      // an interpreter running a /tmp script
      "/tmp/go-build2741/b001/exe/main",    // go run
      "/tmp/go-build2741/b042/vigil.test",  // go test
  };
  for (const char* exe : exes) {
    SCOPED_TRACE(exe);
    EXPECT_THAT(Names(Run(Exec(Proc{}, exe, "bash /tmp/install.sh", 0100755, Creds{}, kT0))),
                IsEmpty());
  }
}

// ---------------------------------------------------------------------------------------
// Privilege elevation after execution from world-writable directory (sequence by pid).

TEST_F(DefaultRulesTest, ElevationAfterExecFromTmpFires) {
  Proc p;
  p.pid = 777;
  Creds to_root;
  to_root.euid = 0;
  // A dropped exploit runs, then re-executes pkexec (an allowed setuid program).
  EXPECT_THAT(Names(Run(Exec(p, "/tmp/.x/pwn", "pwn", 0100755, Creds{}, kT0))),
              ElementsAre(kTmpExec));
  auto alerts = Run(Exec(p, "/usr/bin/pkexec", "pkexec", 0104755, to_root, kT0 + 5 * kSec));
  ASSERT_THAT(Names(alerts), ElementsAre(kTmpElevation));
  const Fired& a = alerts[0];
  EXPECT_EQ(a.fields.at("proc.pid"), "777");
  EXPECT_EQ(a.fields.at("proc.exepath"), "/usr/bin/pkexec");
  EXPECT_EQ(a.fields.at("user.euid_before"), "1000");
  EXPECT_EQ(a.fields.at("user.euid"), "0");
  EXPECT_EQ(a.fields.at("user.name"), "alice");
  EXPECT_THAT(FiredBy(kSetuid), IsEmpty());
}

TEST_F(DefaultRulesTest, ElevationAfterExecFromTmpNearMisses) {
  Creds to_root;
  to_root.euid = 0;
  struct Case {
    const char* label;
    const char* first_exe;
    uint32_t second_pid;
    uint64_t delay;
    Creds second;
  };
  const Case cases[] = {
      {"elevation more than 30s later", "/tmp/pwn", 777, 31 * kSec, to_root},
      {"elevation by another process", "/tmp/pwn", 778, 1 * kSec, to_root},
      {"no elevation after the tmp exec", "/tmp/pwn", 777, 1 * kSec, Creds{}},
      {"elevation after an ordinary exec", "/usr/bin/make", 777, 1 * kSec, to_root},
      {"elevation after a go test binary", "/tmp/go-build99/b001/x.test", 777, 1 * kSec, to_root},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    engine_ = std::make_unique<Engine>(*pack_);
    fired_.clear();
    Proc p;
    p.pid = 777;
    Run(Exec(p, c.first_exe, "x", 0100755, Creds{}, kT0));
    p.pid = c.second_pid;
    Run(Exec(p, "/usr/bin/sudo", "sudo id", 0104755, c.second, kT0 + c.delay));
    EXPECT_THAT(FiredBy(kTmpElevation), IsEmpty());
  }
}

// ---------------------------------------------------------------------------------------
// Execution from memfd or deleted file.

TEST_F(DefaultRulesTest, ExecutionFromMemfdOrDeletedFileFires) {
  struct Case {
    const char* label;
    const char* exe;
    bool memfd;
    bool unlinked;
    const char* memfd_field;
    const char* deleted_field;
  };
  const Case cases[] = {
      {"a memfd", "/memfd:payload", true, true, "true", "false"},
      {"a memfd named like runc's, outside a runtime", "/memfd:runc_cloned:/proc/self/exe", true,
       true, "true", "false"},
      {"a deleted file", "/home/alice/.cache/x", false, true, "false", "true"},
      {"a copy of an installed program, deleted after it was opened", "/usr/bin/bash", false, true,
       "false", "true"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    Proc p;
    p.container_id = "c4";
    PodEventView v = Exec(p, c.exe, "x -q", 0100777, Creds{}, kT0);
    v.event_.exec.file_is_memfd = c.memfd;
    v.event_.exec.file_unlinked = c.unlinked;
    auto alerts = Run(v);
    ASSERT_THAT(Names(alerts), ElementsAre(kFilelessExec));
    const Fired& a = alerts[0];
    EXPECT_EQ(a.fields.at("proc.exepath"), c.exe);
    EXPECT_EQ(a.fields.at("proc.is_exe_from_memfd"), c.memfd_field);
    EXPECT_EQ(a.fields.at("proc.is_exe_deleted"), c.deleted_field);
    EXPECT_EQ(a.fields.at("proc.pexepath"), "/usr/sbin/sshd");
    EXPECT_EQ(a.fields.at("container.id"), "c4");
    EXPECT_THAT(a.output, HasSubstr(absl::StrCat("exe=", c.exe, " memfd=", c.memfd_field,
                                                 " deleted=", c.deleted_field)));
  }
}

TEST_F(DefaultRulesTest, ExecutionFromMemfdOrDeletedFileNearMisses) {
  struct Case {
    const char* label;
    const char* exe;
    const char* parent_comm;  // the parent's executable is /usr/bin/<parent_comm>
    bool memfd;
    bool unlinked;
  };
  const Case cases[] = {
      {"an installed file", "/usr/bin/ls", "sshd", false, false},
      {"a file named like a memfd", "/home/alice/memfd:x", "sshd", false, false},
      {"runc re-executing its memfd copy", "/memfd:runc_cloned:/proc/self/exe", "dockerd", true,
       true},
      {"runc re-executing its O_TMPFILE copy", "/run/runc/#5", "dockerd", false, true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    Proc p;
    p.parent_comm = c.parent_comm;
    PodEventView v = Exec(p, c.exe, "x", 0100755, Creds{}, kT0);
    v.ancestors_[0].exe = absl::StrCat("/usr/bin/", c.parent_comm);
    v.event_.exec.file_is_memfd = c.memfd;
    v.event_.exec.file_unlinked = c.unlinked;
    EXPECT_THAT(Names(Run(v)), IsEmpty());
  }
}

TEST_F(DefaultRulesTest, ExeFromMemfdOnlyFiresOnTheExec) {
  // The process table carries proc.is_exe_from_memfd to the process's later events; the
  // rule is about the exec and does not fire again on them.
  Proc p;
  p.exe = "/memfd:payload";
  PodEventView open = Open(p, "/etc/passwd", O_RDONLY);
  open.process_.exe_from_memfd = true;
  EXPECT_THAT(Names(Run(open)), IsEmpty());
  EXPECT_THAT(Names(Run(Fork(p, kT0))), IsEmpty());
}

// ---------------------------------------------------------------------------------------
// Capability elevation at exec.

constexpr uint64_t kCapNetRaw = uint64_t{1} << 13;
constexpr uint64_t kCapDacReadSearch = uint64_t{1} << 2;
constexpr uint64_t kAllCaps = (uint64_t{1} << 41) - 1;

TEST_F(DefaultRulesTest, CapabilityElevationAtExecFires) {
  struct Case {
    const char* label;
    const char* exe;
    uint64_t before;
    uint64_t after;
    const char* gained;
  };
  const Case cases[] = {
      {"cap_net_raw on a copied binary", "/home/alice/bin/sniff", 0, kCapNetRaw, "8192"},
      {"cap_dac_read_search on a dropped binary", "/opt/x/reader", 0, kCapDacReadSearch, "4"},
      {"one more capability than before", "/usr/local/bin/tool", kCapNetRaw,
       kCapNetRaw | kCapDacReadSearch, "4"},
      {"a name on the list in another directory", "/home/alice/ping", 0, kCapNetRaw, "8192"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    Proc p;
    p.container_id = "c5";
    Creds creds;
    creds.cap_before = c.before;
    creds.cap = c.after;
    auto alerts = Run(Exec(p, c.exe, "x", 0100755, creds, kT0));
    ASSERT_THAT(Names(alerts), ElementsAre(kCapElevation));
    const Fired& a = alerts[0];
    EXPECT_EQ(a.fields.at("proc.exepath"), c.exe);
    EXPECT_EQ(a.fields.at("proc.cap_gained"), c.gained);
    EXPECT_EQ(a.fields.at("proc.cap_permitted_before"), absl::StrCat(c.before));
    EXPECT_EQ(a.fields.at("proc.cap_permitted"), absl::StrCat(c.after));
    EXPECT_EQ(a.fields.at("user.uid"), "1000");
    EXPECT_EQ(a.fields.at("user.euid"), "1000");
    EXPECT_EQ(a.fields.at("container.id"), "c5");
    EXPECT_THAT(a.output, HasSubstr(absl::StrCat("cap_gained=", c.gained)));
  }
}

TEST_F(DefaultRulesTest, CapabilityElevationNearMisses) {
  Creds net_raw;
  net_raw.cap = kCapNetRaw;
  Creds root;  // root keeps every capability: nothing gained
  root.uid_before = root.euid_before = root.uid = root.euid = 0;
  root.cap_before = root.cap = kAllCaps;
  Creds setuid_root;  // the setuid rule's business
  setuid_root.euid = 0;
  setuid_root.cap = kAllCaps;
  Creds unknown = net_raw;
  unknown.known = false;
  Creds kept = net_raw;  // inherited (ambient) capabilities: already there before
  kept.cap_before = kCapNetRaw;
  Creds dropped;
  dropped.cap_before = kCapNetRaw;
  struct Case {
    const char* label;
    const char* exe;
    const char* parent;  // the parent's executable
    Creds creds;
  };
  const Case cases[] = {
      {"a user runs ping", "/usr/bin/ping", "/usr/bin/bash", net_raw},
      {"gnome-keyring-daemon", "/usr/bin/gnome-keyring-daemon", "/usr/lib/systemd/systemd",
       net_raw},
      {"a program run by dpkg", "/usr/lib/x/helper", "/usr/bin/dpkg", net_raw},
      {"root runs a capability binary", "/home/alice/bin/sniff", "/usr/bin/bash", root},
      {"a setuid-root program", "/home/alice/bin/sniff", "/usr/bin/bash", setuid_root},
      {"capabilities before exec unknown", "/home/alice/bin/sniff", "/usr/bin/bash", unknown},
      {"capabilities kept, not gained", "/home/alice/bin/sniff", "/usr/bin/bash", kept},
      {"capabilities dropped", "/home/alice/bin/sniff", "/usr/bin/bash", dropped},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    PodEventView v = Exec(Proc{}, c.exe, "x", 0100755, c.creds, kT0);
    v.ancestors_[0].exe = c.parent;
    EXPECT_THAT(Names(Run(v)), IsEmpty());
  }
  // A process that only calls itself ping is not ping.
  Proc spoof;
  PodEventView v = Exec(spoof, "/home/alice/bin/sniff", "ping", 0100755, net_raw, kT0);
  v.event_.task.comm = "ping";
  EXPECT_THAT(Names(Run(v)), ElementsAre(kCapElevation));
}

}  // namespace
}  // namespace vigil::rules

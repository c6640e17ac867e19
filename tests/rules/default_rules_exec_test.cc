// Tests of the default rule pack's exec rules: privilege elevation by a setuid or setgid
// exec, execution from a world-writable directory, and elevation that follows such an
// execution; each fires with full context and stays quiet on the closest ordinary exec.
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

}  // namespace
}  // namespace vigil::rules

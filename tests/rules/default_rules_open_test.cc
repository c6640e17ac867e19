// Tests of the default rule pack's open rules: hidden files in world-writable
// directories, writes to account and privilege files, and reads of the shadow files by
// unexpected processes; each fires with full context and stays quiet on the closest
// ordinary open.
#include <fcntl.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "event/event.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rules/rule_set.h"
#include "tests/rules/default_rules_fixture.h"

namespace vigil::rules {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// ---------------------------------------------------------------------------------------
// Hidden file in world-writable directory.

TEST_F(DefaultRulesTest, HiddenEntriesInWorldWritableDirsFire) {
  const char* const paths[] = {
      "/tmp/.x",
      "/tmp/.x/payload",
      "/tmp/...",
      "/tmp/.. /payload",
      "/tmp/. ",
      "/tmp/work/.../miner",
      "/tmp/work/.. ",
      "/var/tmp/.cache/run",
      "/dev/shm/.s",
      "/run/lock/.lck/x",
      "/tmp/.X11-unix/.hide",
      "/tmp/.org.chromium.Chromium.abc123/payload",
  };
  for (const char* path : paths) {
    SCOPED_TRACE(path);
    Proc p;
    p.comm = "curl";
    p.exe = "/usr/bin/curl";
    p.cmdline = "curl -o x";
    p.container_id = "c2";
    auto alerts = Run(Open(p, path, O_WRONLY | O_CREAT | O_TRUNC));
    ASSERT_THAT(Names(alerts), ElementsAre(kHidden));
    EXPECT_EQ(alerts[0].fields.at("fd.name"), path);
    EXPECT_EQ(alerts[0].fields.at("proc.name"), "curl");
    EXPECT_EQ(alerts[0].fields.at("proc.exepath"), "/usr/bin/curl");
    EXPECT_EQ(alerts[0].fields.at("container.id"), "c2");
    EXPECT_THAT(alerts[0].output, HasSubstr(absl::StrCat("file=", path, " proc=curl")));
  }
}

TEST_F(DefaultRulesTest, HiddenPathNearMisses) {
  struct Case {
    const char* path;
    int64_t result;
  };
  const Case cases[] = {
      {"/tmp/a.b", 3},                    // a dot, not a hidden name
      {"/tmp/vigil-test-x/file.txt", 3},  // ordinary temp files
      {"/home/alice/.bashrc", 3},         // hidden, outside the roots
      {"/tmpx/.x", 3},                    // a sibling of /tmp
      {"/var/tmpfoo/.x", 3},
      {"/tmp/build/.ninja_log", 3},  // tool metadata in a temp build tree
      {"/tmp/repo/.git/HEAD", 3},
      {"/tmp/pytest-of-root/pytest-3/.cache/v", 3},
      {"/tmp/.X11-unix", 3},  // the X socket directories themselves
      {"/tmp/.ICE-unix", 3},
      {"/tmp/.X0-lock", 3},  // X server lock files
      {"/tmp/.X99-lock", 3},
      {"/dev/shm/.org.chromium.Chromium.AbC123", 3},  // Chromium shared memory
      {"/dev/shm/.com.google.Chrome.x1Y2z3", 3},
      {"/tmp/.attach_pid12345", 3},  // JVM attach handshake
      {"/tmp/.x", -13},              // a failed open
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.path);
    EXPECT_THAT(Names(Run(Open(Proc{}, c.path, O_RDONLY, c.result))), IsEmpty());
  }
}

// ---------------------------------------------------------------------------------------
// Write to account or privilege file.

TEST_F(DefaultRulesTest, WritesToAccountAndPrivilegeFilesFire) {
  struct Case {
    const char* path;
    uint32_t flags;
    const char* comm;
    const char* exe = nullptr;  // /usr/bin/<comm> when null
  };
  const Case cases[] = {
      {"/etc/passwd", O_WRONLY | O_APPEND, "bash"},
      {"/etc/shadow", O_RDWR, "python3"},
      {"/etc/gshadow", O_WRONLY, "perl"},
      {"/etc/group", O_WRONLY | O_TRUNC, "sed"},
      {"/etc/sudoers", O_WRONLY | O_APPEND, "tee"},
      {"/etc/sudoers.d/90-backdoor", O_WRONLY | O_CREAT | O_TRUNC, "tee"},
      {"/etc/sudoers.d/README.dpkg-new", O_WRONLY | O_CREAT, "bash"},  // not dpkg
      {"/root/.ssh/authorized_keys", O_WRONLY | O_APPEND, "sh"},
      {"/home/alice/.ssh/authorized_keys", O_WRONLY | O_APPEND, "cat"},
      {"/home/bob/.ssh/authorized_keys2", O_RDWR | O_CREAT, "vim"},
      // Names are not programs: any process can call itself passwd or dpkg (prctl).
      {"/etc/shadow", O_RDWR, "passwd", "/home/alice/passwd"},
      {"/etc/sudoers.d/README.dpkg-new", O_WRONLY | O_CREAT, "dpkg", "/usr/bin/python3"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.path);
    Proc p;
    p.comm = c.comm;
    p.exe = c.exe != nullptr ? c.exe : absl::StrCat("/usr/bin/", c.comm);
    p.cmdline = c.comm;
    p.uid = p.euid = 0;
    auto alerts = Run(Open(p, c.path, c.flags));
    ASSERT_THAT(Names(alerts), ElementsAre(kSensitiveWrite));
    EXPECT_EQ(alerts[0].fields.at("fd.name"), c.path);
    EXPECT_EQ(alerts[0].fields.at("proc.name"), c.comm);
    EXPECT_EQ(alerts[0].fields.at("proc.exepath"), p.exe);
    EXPECT_EQ(alerts[0].fields.at("user.name"), "root");
    EXPECT_EQ(alerts[0].fields.at("user.uid"), "0");
    EXPECT_EQ(alerts[0].fields.at("proc.pname"), "sshd");
  }
}

TEST_F(DefaultRulesTest, SensitiveFileNearMisses) {
  struct Case {
    const char* label;
    const char* path;
    uint32_t flags;
    const char* comm;
    const char* exe;
    int64_t result;
  };
  const Case cases[] = {
      {"reading /etc/passwd", "/etc/passwd", O_RDONLY, "bash", "/usr/bin/bash", 3},
      {"reading /etc/sudoers", "/etc/sudoers", O_RDONLY, "sudo", "/usr/bin/sudo", 3},
      {"useradd editing /etc/passwd in place", "/etc/passwd", O_RDWR, "useradd",
       "/usr/sbin/useradd", 3},
      {"passwd editing /etc/shadow in place", "/etc/shadow", O_RDWR, "passwd", "/usr/bin/passwd",
       3},
      {"visudo writing a sudoers.d file", "/etc/sudoers.d/admins", O_WRONLY | O_CREAT, "visudo",
       "/usr/sbin/visudo", 3},
      {"systemd-sysusers (comm truncated) adding a user", "/etc/passwd", O_RDWR, "systemd-sysuser",
       "/usr/bin/systemd-sysusers", 3},
      {"dpkg staging a sudoers.d file", "/etc/sudoers.d/README.dpkg-new",
       O_WRONLY | O_CREAT | O_TRUNC, "dpkg", "/usr/bin/dpkg", 3},
      {"shadow-utils' new copy", "/etc/passwd+", O_WRONLY | O_CREAT, "bash", "/usr/bin/bash", 3},
      {"a similar name", "/etc/passwords", O_WRONLY | O_CREAT, "bash", "/usr/bin/bash", 3},
      {"known_hosts", "/home/alice/.ssh/known_hosts", O_WRONLY | O_APPEND, "ssh", "/usr/bin/ssh",
       3},
      {"authorized_keys outside .ssh", "/home/alice/notes/authorized_keys", O_WRONLY, "vim",
       "/usr/bin/vim.basic", 3},
      {"sshd reading authorized_keys", "/home/alice/.ssh/authorized_keys", O_RDONLY, "sshd",
       "/usr/sbin/sshd", 3},
      {"a refused write", "/etc/shadow", O_WRONLY, "bash", "/usr/bin/bash", -13},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    Proc p;
    p.comm = c.comm;
    p.exe = c.exe;
    EXPECT_THAT(Names(Run(Open(p, c.path, c.flags, c.result))), IsEmpty());
  }
}

// ---------------------------------------------------------------------------------------
// Read of shadow file by unexpected process.

TEST_F(DefaultRulesTest, ShadowReadByUnexpectedProcessFires) {
  struct Case {
    const char* path;
    const char* comm;
    const char* exe = nullptr;  // /usr/bin/<comm> when null
  };
  const Case cases[] = {
      {"/etc/shadow", "cat"},
      {"/etc/gshadow", "python3"},
      {"/etc/shadow-", "tar"},
      {"/etc/shadow", "sshd2"},
      {"/etc/shadow", "systemd"},
      {"/etc/shadow", "john"},
      // A program that names itself after a reader (prctl PR_SET_NAME) is still itself.
      {"/etc/shadow", "sshd", "/tmp/.x/sshd"},
      {"/etc/shadow", "unix_chkpwd", "/usr/bin/python3.11"},
      {"/etc/shadow", "systemd-logind", "/usr/bin/perl"},
      {"/etc/gshadow", "(sd-pam)", "/home/alice/a.out"},
      {"/etc/shadow", "sshd", "/usr/local/sbin/sshd"},  // not the packaged sshd
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat(c.comm, " ", c.path));
    Proc p;
    p.comm = c.comm;
    p.exe = c.exe != nullptr ? c.exe : absl::StrCat("/usr/bin/", c.comm);
    p.cmdline = absl::StrCat(c.comm, " ", c.path);
    p.uid = p.euid = 0;
    p.pod = "api-0";
    p.ns = "prod";
    auto alerts = Run(Open(p, c.path, O_RDONLY | O_CLOEXEC));
    ASSERT_THAT(Names(alerts), ElementsAre(kShadowRead));
    EXPECT_EQ(alerts[0].fields.at("fd.name"), c.path);
    EXPECT_EQ(alerts[0].fields.at("proc.name"), c.comm);
    EXPECT_EQ(alerts[0].fields.at("proc.exepath"), p.exe);
    EXPECT_EQ(alerts[0].fields.at("proc.cmdline"), p.cmdline);
    EXPECT_EQ(alerts[0].fields.at("k8s.pod.name"), "api-0");
    EXPECT_EQ(alerts[0].fields.at("k8s.ns.name"), "prod");
  }
}

TEST_F(DefaultRulesTest, ShadowAndAccountFilesThroughAnotherNameFireByIdentity) {
  struct stat shadow {};
  struct stat passwd {};
  if (stat("/etc/shadow", &shadow) != 0 || stat("/etc/passwd", &passwd) != 0) {
    GTEST_SKIP() << "no /etc/shadow or /etc/passwd here";
  }
  (*pack_)->file_identities().Refresh();
  const event::FileId shadow_id{shadow.st_dev, shadow.st_ino};
  const event::FileId passwd_id{passwd.st_dev, passwd.st_ino};
  Proc cat;
  cat.comm = "cat";
  // A hard link, a bind mount or a handle: the path is not the listed one, the file is.
  auto alerts = Run(Open(cat, "/tmp/innocent", O_RDONLY, 3, kT0, shadow_id));
  ASSERT_THAT(Names(alerts), ElementsAre(kShadowRead));
  EXPECT_EQ(alerts[0].fields.at("fd.name"), "/tmp/innocent");
  EXPECT_THAT(Names(Run(Open(cat, "/mnt/etc/passwd", O_WRONLY, 3, kT0, passwd_id))),
              ElementsAre(kSensitiveWrite));
  // Near misses: another file under the same name elsewhere, a shadow reader, a refusal.
  EXPECT_THAT(Names(Run(Open(cat, "/tmp/shadow", O_RDONLY, 3, kT0, {shadow_id.dev, 1}))),
              IsEmpty());
  const Proc sshd = Program("sshd", "/usr/sbin/sshd");
  EXPECT_THAT(Names(Run(Open(sshd, "/tmp/innocent", O_RDONLY, 3, kT0, shadow_id))), IsEmpty());
  EXPECT_THAT(Names(Run(Open(cat, "/tmp/innocent", O_RDONLY, -13, kT0, shadow_id))), IsEmpty());
}

TEST_F(DefaultRulesTest, ShadowReadNearMisses) {
  struct Case {
    const char* path;
    const char* comm;
    const char* exe;
    uint32_t flags;
    int64_t result;
  };
  const Case cases[] = {
      {"/etc/shadow", "sshd", "/usr/sbin/sshd", O_RDONLY, 3},
      {"/etc/shadow", "sshd-session", "/usr/lib/openssh/sshd-session", O_RDONLY, 3},
      {"/etc/shadow", "unix_chkpwd", "/usr/sbin/unix_chkpwd", O_RDONLY, 3},
      {"/etc/shadow", "login", "/usr/bin/login", O_RDONLY, 3},
      {"/etc/shadow", "sudo", "/usr/bin/sudo", O_RDONLY, 3},
      {"/etc/shadow", "cron", "/usr/sbin/cron", O_RDONLY, 3},
      {"/etc/shadow", "(sd-pam)", "/usr/lib/systemd/systemd", O_RDONLY, 3},
      {"/etc/shadow", "systemd-logind", "/usr/lib/systemd/systemd-logind", O_RDONLY, 3},
      {"/etc/shadow", "systemd-homed", "/lib/systemd/systemd-homed", O_RDONLY, 3},
      {"/etc/gshadow", "polkit-agent-he", "/usr/lib/polkit-1/polkit-agent-helper-1", O_RDONLY, 3},
      {"/etc/shadow", "su", "/bin/su", O_RDONLY, 3},            // the split layout
      {"/etc/passwd", "cat", "/usr/bin/cat", O_RDONLY, 3},      // not a hash file
      {"/etc/shadow.bak", "cat", "/usr/bin/cat", O_RDONLY, 3},  // not the live file
      {"/etc/shadow", "cat", "/usr/bin/cat", O_RDONLY, -13},    // refused
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat(c.comm, " ", c.path));
    Proc p;
    p.comm = c.comm;
    p.exe = c.exe;
    EXPECT_THAT(Names(Run(Open(p, c.path, c.flags, c.result))), IsEmpty());
  }
  // Opening it for writing is the write rule's alert, not a second one from this rule.
  Proc cat;
  cat.comm = "cat";
  EXPECT_THAT(Names(Run(Open(cat, "/etc/shadow", O_RDWR))), ElementsAre(kSensitiveWrite));
}

}  // namespace
}  // namespace vigil::rules

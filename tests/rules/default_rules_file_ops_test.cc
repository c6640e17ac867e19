// Tests of the default rule pack's file-operation rules: hidden names created in
// world-writable directories, changes to account and privilege files, new names for
// sensitive files, mass deletion, and world-writable or set-id chmods; each fires with full
// context and stays quiet on the closest ordinary operation (package managers, account
// tools, editors saving by rename, build and temp directories).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "event/modules/file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/rules/default_rules_fixture.h"

namespace vigil::rules {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Sys = event::FileOpSyscall;

// ---------------------------------------------------------------------------------------
// Hidden file created in world-writable directory.

TEST_F(DefaultRulesTest, HiddenNamesCreatedByMkdirRenameLinkOrSymlinkFire) {
  struct Case {
    Sys syscall;
    const char* path;
    const char* path2;
    const char* name;  // the alert's file=
  };
  const Case cases[] = {
      {Sys::kMkdir, "/tmp/.x", "", "/tmp/.x"},
      {Sys::kMkdirAt, "/dev/shm/...", "", "/dev/shm/..."},
      {Sys::kRenameAt2, "/tmp/payload", "/tmp/.payload", "/tmp/.payload"},
      {Sys::kLinkAt, "/tmp/a", "/var/tmp/.a", "/var/tmp/.a"},
      {Sys::kSymlinkAt, "/usr/bin/bash", "/tmp/.sh", "/tmp/.sh"},
      {Sys::kRename, "/tmp/work/x", "/tmp/work/.. /x", "/tmp/work/.. /x"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.path2);
    auto alerts = Run(FileOp(Attacker(), c.syscall, c.path, c.path2));
    ASSERT_THAT(Names(alerts), ElementsAre(kHiddenCreated));
    EXPECT_EQ(alerts[0].fields.at("fs.path.name"), c.name);
    EXPECT_EQ(alerts[0].fields.at("evt.type"), event::FileOpSyscallName(c.syscall));
    EXPECT_EQ(alerts[0].fields.at("container.id"), "c9");
    EXPECT_THAT(alerts[0].output, HasSubstr(absl::StrCat("file=", c.name, " ")));
  }
}

TEST_F(DefaultRulesTest, HiddenNameCreationNearMisses) {
  // Editors and tools: a hidden name deeper down, renamed away from hidden, in a home
  // directory, the X socket directories, a failed call.
  EXPECT_THAT(Run(FileOp(Attacker(), Sys::kMkdir, "/tmp/repo/.git")), IsEmpty());
  EXPECT_THAT(Run(FileOp(Program("vim", "/usr/bin/vim.basic"), Sys::kRename,
                         "/tmp/notes/.notes.txt.swp", "/tmp/notes/notes.txt")),
              IsEmpty());
  EXPECT_THAT(Run(FileOp(Attacker(), Sys::kRename, "/tmp/.x", "/tmp/x")), IsEmpty());
  EXPECT_THAT(Run(FileOp(Attacker(), Sys::kMkdir, "/home/alice/.config")), IsEmpty());
  EXPECT_THAT(Run(FileOp(Program("systemd-tmpfile", "/usr/bin/systemd-tmpfiles"), Sys::kMkdir,
                         "/tmp/.X11-unix")),
              IsEmpty());
  EXPECT_THAT(Run(FileOp(Attacker(), Sys::kMkdir, "/tmp/.x", "", 0755, -17)), IsEmpty());
  EXPECT_THAT(Run(FileOp(Attacker(), Sys::kUnlink, "/tmp/.x")), IsEmpty());
}

// ---------------------------------------------------------------------------------------
// Account or privilege file changed.

TEST_F(DefaultRulesTest, AccountFileRemovedRenamedChmodedOrChownedFires) {
  struct Case {
    Sys syscall;
    const char* path;
    const char* path2;
  };
  const Case cases[] = {
      {Sys::kRenameAt2, "/tmp/evil", "/etc/passwd"},     // renamed over
      {Sys::kRename, "/etc/shadow", "/tmp/s"},           // renamed away
      {Sys::kUnlinkAt, "/etc/sudoers.d/90-admins", ""},  // removed
      {Sys::kFchmodAt, "/etc/shadow", ""},               // permissions
      {Sys::kFchownAt, "/etc/sudoers", ""},              // owner
      {Sys::kTruncate, "/etc/group", ""},                // emptied
      {Sys::kLinkAt, "/tmp/evil", "/etc/gshadow"},       // a new link in its place
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat(event::FileOpSyscallName(c.syscall), " ", c.path));
    auto alerts = Run(FileOp(Attacker(), c.syscall, c.path, c.path2, 0644));
    ASSERT_THAT(Names(alerts), ::testing::Contains(kSensitiveChange));
    EXPECT_EQ(FiredBy(kSensitiveChange).back().fields.at("proc.exepath"), "/usr/bin/python3.11");
  }
}

TEST_F(DefaultRulesTest, AccountFileChangesByAccountToolsAndPackagesAreQuiet) {
  // shadow-utils' rewrite: write NAME+, rename it over NAME (and NAME- as a backup).
  const auto passwd = Program("passwd", "/usr/bin/passwd");
  EXPECT_THAT(Run(FileOp(passwd, Sys::kRename, "/etc/shadow+", "/etc/shadow")), IsEmpty());
  EXPECT_THAT(Run(FileOp(Program("useradd", "/usr/sbin/useradd"), Sys::kRename, "/etc/passwd+",
                         "/etc/passwd")),
              IsEmpty());
  EXPECT_THAT(Run(FileOp(Program("dpkg", "/usr/bin/dpkg"), Sys::kRename,
                         "/etc/sudoers.d/README.dpkg-new", "/etc/sudoers.d/README")),
              IsEmpty());
  // Not an account file; a failed change; a process that only calls itself passwd.
  EXPECT_THAT(Run(FileOp(Attacker(), Sys::kUnlink, "/etc/passwd.bak")), IsEmpty());
  EXPECT_THAT(Run(FileOp(Attacker(), Sys::kUnlink, "/etc/shadow", "", 0, -1)), IsEmpty());
  auto spoofed = Program("passwd", "/tmp/passwd");
  EXPECT_THAT(Names(Run(FileOp(spoofed, Sys::kRename, "/tmp/x", "/etc/shadow"))),
              ElementsAre(kSensitiveChange));
}

// ---------------------------------------------------------------------------------------
// Hard link or bind mount of sensitive file.

TEST_F(DefaultRulesTest, HardLinkOrBindMountOfSensitiveFileFires) {
  auto link = Run(FileOp(Attacker(), Sys::kLinkAt, "/etc/shadow", "/tmp/innocent"));
  ASSERT_THAT(Names(link), ElementsAre(kSensitiveLink));
  EXPECT_EQ(link[0].fields.at("fs.path.source"), "/etc/shadow");
  EXPECT_EQ(link[0].fields.at("fs.path.target"), "/tmp/innocent");
  EXPECT_THAT(link[0].output, HasSubstr("source=/etc/shadow target=/tmp/innocent"));

  constexpr uint64_t kMsBind = 0x1000;
  auto bind = Run(FileOp(Attacker(), Sys::kMount, "/etc/sudoers.d", "/mnt/x", 0, 0, kT0, kMsBind));
  ASSERT_THAT(Names(bind), ElementsAre(kSensitiveLink));
  // Not a bind mount; a link of an ordinary file; kubelet-style binds of /etc/hosts.
  EXPECT_THAT(Run(FileOp(Attacker(), Sys::kMount, "/etc/shadow", "/mnt/x")), IsEmpty());
  EXPECT_THAT(Run(FileOp(Attacker(), Sys::kLink, "/etc/hostname", "/tmp/h")), IsEmpty());
  EXPECT_THAT(
      Run(FileOp(Attacker(), Sys::kMount, "/etc/hosts", "/run/c/hosts", 0, 0, kT0, kMsBind)),
      IsEmpty());

  // The new mount API: the clone open_tree makes is the bind; move_mount only places it.
  constexpr uint64_t kOpenTreeClone = 1;
  auto clone =
      Run(FileOp(Attacker(), Sys::kOpenTree, "/etc/shadow", "", 0, 0, kT0, kOpenTreeClone));
  ASSERT_THAT(Names(clone), ElementsAre(kSensitiveLink));
  EXPECT_EQ(clone[0].fields.at("fs.path.source"), "/etc/shadow");
  EXPECT_THAT(Run(FileOp(Attacker(), Sys::kOpenTree, "/etc/shadow", "")), IsEmpty());
  EXPECT_THAT(Run(FileOp(Attacker(), Sys::kMoveMount, "/", "/mnt/x", 0, 0, kT0, 0x4)), IsEmpty());
}

// ---------------------------------------------------------------------------------------
// Mass deletion by process.

TEST_F(DefaultRulesTest, MassDeletionFiresOnceAtTheThreshold) {
  const auto wiper = Attacker();
  for (int i = 0; i < 499; ++i) {
    ASSERT_THAT(Run(FileOp(wiper, Sys::kUnlinkAt, absl::StrCat("/home/alice/doc", i), "", 0, 0,
                           kT0 + i * kMs)),
                IsEmpty())
        << i;
  }
  auto alerts = Run(FileOp(wiper, Sys::kUnlinkAt, "/home/alice/last", "", 0, 0, kT0 + 600 * kMs));
  ASSERT_THAT(Names(alerts), ElementsAre(kMassDeletion));
  EXPECT_EQ(alerts[0].count, 500u);
  EXPECT_THAT(alerts[0].output, HasSubstr("count=500 last=/home/alice/last"));
  // The cooldown holds further alerts back.
  EXPECT_THAT(Run(FileOp(wiper, Sys::kUnlinkAt, "/home/alice/more", "", 0, 0, kT0 + 700 * kMs)),
              IsEmpty());
}

TEST_F(DefaultRulesTest, MassDeletionNearMisses) {
  // A build tree in /tmp, a package removal, and a slow cleanup stay quiet.
  const auto rm = Program("rm", "/usr/bin/rm");
  const auto dpkg = Program("dpkg", "/usr/bin/dpkg");
  for (int i = 0; i < 2000; ++i) {
    ASSERT_THAT(
        Run(FileOp(rm, Sys::kUnlinkAt, absl::StrCat("/tmp/build/o", i), "", 0, 0, kT0 + i * kMs)),
        IsEmpty());
    ASSERT_THAT(Run(FileOp(dpkg, Sys::kUnlinkAt, absl::StrCat("/usr/share/doc/x", i), "", 0, 0,
                           kT0 + i * kMs)),
                IsEmpty());
  }
  auto slow = rm;
  slow.pid = 777;
  for (int i = 0; i < 1000; ++i) {
    ASSERT_THAT(Run(FileOp(slow, Sys::kUnlinkAt, absl::StrCat("/var/lib/app/f", i), "", 0, 0,
                           kT0 + i * 25 * kMs)),  // 40 a second: 400 per 10 s window
                IsEmpty());
  }
}

// ---------------------------------------------------------------------------------------
// File made world-writable or set-id.

TEST_F(DefaultRulesTest, WorldWritableOrSetIdChmodFires) {
  for (uint32_t mode : {0777u, 0666u, 0646u, 04755u, 02755u, 06711u}) {
    SCOPED_TRACE(mode);
    auto alerts = Run(FileOp(Attacker(), Sys::kFchmodAt, "/usr/local/bin/tool", "", mode));
    ASSERT_THAT(Names(alerts), ElementsAre(kModeChange));
    EXPECT_EQ(alerts[0].fields.at("fs.mode"), absl::StrFormat("0%o", mode));
  }
}

TEST_F(DefaultRulesTest, ChmodNearMisses) {
  // Ordinary modes, a sticky world-writable temp directory, dpkg setting a setuid binary,
  // a failed chmod.
  for (uint32_t mode : {0755u, 0644u, 0600u, 0775u, 01777u}) {
    SCOPED_TRACE(mode);
    EXPECT_THAT(Run(FileOp(Attacker(), Sys::kFchmodAt, "/srv/x", "", mode)), IsEmpty());
  }
  EXPECT_THAT(Run(FileOp(Program("dpkg", "/usr/bin/dpkg"), Sys::kFchmod, "/usr/bin/sudo.dpkg-new",
                         "", 04755)),
              IsEmpty());
  EXPECT_THAT(Run(FileOp(Attacker(), Sys::kChmod, "/srv/x", "", 0777, -1)), IsEmpty());
}

}  // namespace
}  // namespace vigil::rules

// Unit tests for sensor/process_table.h.
#include "sensor/process_table.h"

#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "event/event.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigil::sensor {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

event::TaskContext Task(uint32_t pid, uint32_t ppid, absl::string_view comm, uint64_t time = 0) {
  event::TaskContext task;
  task.pid = pid;
  task.tid = pid;
  task.ppid = ppid;
  task.uid = 1000;
  task.euid = 1000;
  task.gid = 100;
  task.comm = comm;
  task.time_boot_ns = time;
  return task;
}

event::Event Fork(const event::TaskContext& parent, uint32_t child, bool thread = false) {
  event::Event event;
  event.type = event::kFork;
  event.task = parent;
  event.fork.child_pid = child;
  event.fork.child_tid = child;
  event.fork.is_thread = thread;
  return event;
}

event::Event Exec(const event::TaskContext& task, absl::string_view exe, absl::string_view argv) {
  event::Event event;
  event.type = event::kExec;
  event.task = task;
  event.exec.exe = exe;
  event.exec.argv = argv;
  return event;
}

event::Event Exit(uint32_t pid, bool group_dead) {
  event::Event event;
  event.type = event::kExit;
  event.task = Task(pid, 1, "x");
  event.exit.group_dead = group_dead;
  return event;
}

// Adds a process with the given parent through an exec event.
void Add(ProcessTable* table, uint32_t pid, uint32_t ppid) {
  table->Apply(Exec(Task(pid, ppid, "p"), "/bin/p", absl::string_view("p\0", 2)));
}

std::vector<uint32_t> Pids(const std::vector<const event::ProcessInfo*>& infos) {
  std::vector<uint32_t> pids;
  for (const event::ProcessInfo* info : infos) pids.push_back(info->pid);
  return pids;
}

TEST(ProcessTableTest, StartsEmpty) {
  ProcessTable table(8);
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.capacity(), 8u);
  EXPECT_EQ(table.evictions(), 0u);
  EXPECT_EQ(table.Lookup(1), nullptr);
}

TEST(ProcessTableTest, CapacityIsAtLeastOne) {
  ProcessTable table(0);
  EXPECT_EQ(table.capacity(), 1u);
  Add(&table, 5, 1);
  EXPECT_NE(table.Lookup(5), nullptr);
  Add(&table, 6, 1);
  EXPECT_EQ(table.size(), 1u);
  EXPECT_EQ(table.Lookup(5), nullptr);
  EXPECT_NE(table.Lookup(6), nullptr);
}

TEST(ProcessTableTest, ExecCreatesAndFillsEntry) {
  ProcessTable table(8);
  event::TaskContext task = Task(100, 1, "bash", 5000);
  task.uid = 7;
  task.euid = 8;
  task.gid = 9;
  table.Apply(Exec(task, "/usr/bin/bash", absl::string_view("bash\0-l\0", 8)));
  const event::ProcessInfo* p = table.Lookup(100);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->pid, 100u);
  EXPECT_EQ(p->ppid, 1u);
  EXPECT_EQ(p->uid, 7u);
  EXPECT_EQ(p->euid, 8u);
  EXPECT_EQ(p->gid, 9u);
  EXPECT_EQ(p->comm, "bash");
  EXPECT_EQ(p->exe, "/usr/bin/bash");
  EXPECT_EQ(p->cmdline, "bash -l");
  EXPECT_EQ(p->start_boot_ns, 5000u);
}

TEST(ProcessTableTest, ForkCopiesParentImageIntoChild) {
  ProcessTable table(8);
  table.Apply(Exec(Task(100, 1, "bash"), "/usr/bin/bash", absl::string_view("bash\0-l\0", 8)));
  event::TaskContext parent = Task(100, 1, "bash", 7000);
  parent.uid = 33;
  parent.euid = 34;
  parent.gid = 35;
  table.Apply(Fork(parent, 200));
  ASSERT_EQ(table.size(), 2u);
  const event::ProcessInfo* child = table.Lookup(200);
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->pid, 200u);
  EXPECT_EQ(child->ppid, 100u);
  EXPECT_EQ(child->uid, 33u);
  EXPECT_EQ(child->euid, 34u);
  EXPECT_EQ(child->gid, 35u);
  EXPECT_EQ(child->comm, "bash");
  EXPECT_EQ(child->exe, "/usr/bin/bash");
  EXPECT_EQ(child->cmdline, "bash -l");
  EXPECT_EQ(child->start_boot_ns, 7000u);
  // The parent is untouched.
  const event::ProcessInfo* p = table.Lookup(100);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->exe, "/usr/bin/bash");
  EXPECT_EQ(p->ppid, 1u);
}

TEST(ProcessTableTest, ForkFromUnknownParentUsesHeaderComm) {
  ProcessTable table(8);
  table.Apply(Fork(Task(100, 1, "sshd"), 200));
  const event::ProcessInfo* child = table.Lookup(200);
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->ppid, 100u);
  EXPECT_EQ(child->comm, "sshd");
  EXPECT_EQ(child->exe, "");
  EXPECT_EQ(child->cmdline, "");
  EXPECT_EQ(table.Lookup(100), nullptr);  // the unknown parent is not invented
  EXPECT_EQ(table.size(), 1u);
}

TEST(ProcessTableTest, ThreadForkCreatesNothing) {
  ProcessTable table(8);
  Add(&table, 100, 1);
  table.Apply(Fork(Task(100, 1, "p"), 101, /*thread=*/true));
  EXPECT_EQ(table.size(), 1u);
  EXPECT_EQ(table.Lookup(101), nullptr);
  table.Apply(Fork(Task(300, 1, "q"), 301, /*thread=*/true));
  EXPECT_EQ(table.size(), 1u);
  EXPECT_EQ(table.Lookup(301), nullptr);
}

TEST(ProcessTableTest, ExecReplacesImageAndCredentials) {
  ProcessTable table(8);
  table.Apply(Exec(Task(100, 1, "bash"), "/usr/bin/bash", absl::string_view("bash\0", 5)));
  table.Apply(Fork(Task(100, 1, "bash"), 200));
  event::TaskContext after = Task(200, 100, "sudo", 9000);
  after.uid = 1000;
  after.euid = 0;
  after.gid = 0;
  table.Apply(Exec(after, "/usr/bin/sudo", absl::string_view("sudo\0id\0", 8)));
  EXPECT_EQ(table.size(), 2u);
  const event::ProcessInfo* p = table.Lookup(200);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->comm, "sudo");
  EXPECT_EQ(p->exe, "/usr/bin/sudo");
  EXPECT_EQ(p->cmdline, "sudo id");
  EXPECT_EQ(p->uid, 1000u);
  EXPECT_EQ(p->euid, 0u);
  EXPECT_EQ(p->gid, 0u);
  EXPECT_EQ(p->ppid, 100u);
  EXPECT_EQ(p->start_boot_ns, 9000u);
  // The parent keeps its own image.
  ASSERT_NE(table.Lookup(100), nullptr);
  EXPECT_EQ(table.Lookup(100)->exe, "/usr/bin/bash");
}

TEST(ProcessTableTest, ExecFromMemfdIsCarriedToForksUntilTheNextExec) {
  ProcessTable table(8);
  event::Event from_memfd =
      Exec(Task(100, 1, "3"), "/memfd:payload (deleted)", absl::string_view("x\0", 2));
  from_memfd.exec.file_is_memfd = true;
  from_memfd.exec.file_unlinked = true;
  table.Apply(from_memfd);
  ASSERT_NE(table.Lookup(100), nullptr);
  EXPECT_TRUE(table.Lookup(100)->exe_from_memfd);

  table.Apply(Fork(Task(100, 1, "3"), 200));
  ASSERT_NE(table.Lookup(200), nullptr);
  EXPECT_TRUE(table.Lookup(200)->exe_from_memfd);

  // The child's own exec of an ordinary file clears it; the parent keeps its own.
  table.Apply(Exec(Task(200, 100, "sh"), "/usr/bin/sh", absl::string_view("sh\0", 3)));
  EXPECT_FALSE(table.Lookup(200)->exe_from_memfd);
  EXPECT_TRUE(table.Lookup(100)->exe_from_memfd);
}

TEST(ProcessTableTest, ExecWithTruncatedArgvJoinsPartialLastArgument) {
  ProcessTable table(8);
  table.Apply(Exec(Task(100, 1, "x"), "/bin/x", absl::string_view("x\0\0--lo", 7)));
  const event::ProcessInfo* p = table.Lookup(100);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->cmdline, "x  --lo");  // empty middle argument kept as an empty slot
}

TEST(ProcessTableTest, ExitOfLastThreadRemoves) {
  ProcessTable table(8);
  Add(&table, 100, 1);
  Add(&table, 200, 1);
  table.Apply(Exit(100, /*group_dead=*/false));
  EXPECT_NE(table.Lookup(100), nullptr);
  EXPECT_EQ(table.size(), 2u);
  table.Apply(Exit(100, /*group_dead=*/true));
  EXPECT_EQ(table.Lookup(100), nullptr);
  EXPECT_EQ(table.size(), 1u);
  EXPECT_NE(table.Lookup(200), nullptr);
  table.Apply(Exit(12345, /*group_dead=*/true));  // unknown: no-op
  EXPECT_EQ(table.size(), 1u);
  EXPECT_EQ(table.evictions(), 0u);
}

TEST(ProcessTableTest, OpenEventsDoNotChangeTheTable) {
  ProcessTable table(8);
  event::Event open;
  open.type = event::kOpen;
  open.task = Task(100, 1, "cat");
  open.open.path = "/etc/passwd";
  table.Apply(open);
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.Lookup(100), nullptr);
}

TEST(ProcessTableTest, EvictsLeastRecentlyUsedAtCapacity) {
  ProcessTable table(3);
  Add(&table, 1, 0);
  Add(&table, 2, 0);
  Add(&table, 3, 0);
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(table.evictions(), 0u);

  Add(&table, 4, 0);  // 1 is least recently used
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(table.evictions(), 1u);
  EXPECT_EQ(table.Lookup(1), nullptr);

  // Recency is now 4, 3, 2 (most recent first). Lookup refreshes 2.
  ASSERT_NE(table.Lookup(2), nullptr);
  Add(&table, 5, 0);  // 3 goes, not 2
  EXPECT_EQ(table.evictions(), 2u);
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(table.Lookup(3), nullptr);
  EXPECT_NE(table.Lookup(2), nullptr);
  EXPECT_NE(table.Lookup(4), nullptr);
  EXPECT_NE(table.Lookup(5), nullptr);
}

TEST(ProcessTableTest, UpdatingAnExistingEntryDoesNotEvict) {
  ProcessTable table(2);
  Add(&table, 1, 0);
  Add(&table, 2, 0);
  table.Apply(Exec(Task(1, 0, "new"), "/bin/new", absl::string_view("new\0", 4)));
  EXPECT_EQ(table.evictions(), 0u);
  EXPECT_EQ(table.size(), 2u);
  // The exec made 1 the most recent, so 2 goes next.
  Add(&table, 3, 0);
  EXPECT_EQ(table.evictions(), 1u);
  EXPECT_EQ(table.Lookup(2), nullptr);
  ASSERT_NE(table.Lookup(1), nullptr);
  EXPECT_EQ(table.Lookup(1)->exe, "/bin/new");
}

TEST(ProcessTableTest, ForkAtCapacityKeepsTheParent) {
  ProcessTable table(2);
  table.Apply(Exec(Task(1, 0, "init"), "/sbin/init", absl::string_view("init\0", 5)));
  Add(&table, 2, 1);  // 1 is now least recently used
  table.Apply(Fork(Task(1, 0, "init"), 3));
  EXPECT_EQ(table.evictions(), 1u);
  EXPECT_EQ(table.Lookup(2), nullptr);
  ASSERT_NE(table.Lookup(1), nullptr);
  const event::ProcessInfo* child = table.Lookup(3);
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->exe, "/sbin/init");
  EXPECT_EQ(child->comm, "init");
}

TEST(ProcessTableTest, EvictionsCountEveryDrop) {
  ProcessTable table(10);
  for (uint32_t pid = 1; pid <= 100; ++pid) Add(&table, pid, 0);
  EXPECT_EQ(table.size(), 10u);
  EXPECT_EQ(table.evictions(), 90u);
  for (uint32_t pid = 1; pid <= 90; ++pid) EXPECT_EQ(table.Lookup(pid), nullptr) << pid;
  for (uint32_t pid = 91; pid <= 100; ++pid) EXPECT_NE(table.Lookup(pid), nullptr) << pid;
}

class AncestorsTest : public ::testing::Test {
 protected:
  AncestorsTest() : table_(64) {
    // 1 (init) <- 10 <- 20 <- 30
    Add(&table_, 1, 0);
    Add(&table_, 10, 1);
    Add(&table_, 20, 10);
    Add(&table_, 30, 20);
  }
  ProcessTable table_;
};

TEST_F(AncestorsTest, NearestFirstUpToPidZero) {
  EXPECT_THAT(Pids(table_.Ancestors(30, 16)), ElementsAre(20, 10, 1));
  EXPECT_THAT(Pids(table_.Ancestors(20, 16)), ElementsAre(10, 1));
  EXPECT_THAT(Pids(table_.Ancestors(1, 16)), IsEmpty());  // ppid 0
}

TEST_F(AncestorsTest, RespectsMaxDepth) {
  EXPECT_THAT(Pids(table_.Ancestors(30, 0)), IsEmpty());
  EXPECT_THAT(Pids(table_.Ancestors(30, 1)), ElementsAre(20));
  EXPECT_THAT(Pids(table_.Ancestors(30, 2)), ElementsAre(20, 10));
  EXPECT_THAT(Pids(table_.Ancestors(30, 3)), ElementsAre(20, 10, 1));
}

TEST_F(AncestorsTest, ReturnsTableEntries) {
  std::vector<const event::ProcessInfo*> chain = table_.Ancestors(30, 1);
  ASSERT_EQ(chain.size(), 1u);
  EXPECT_EQ(chain[0], table_.Lookup(20));
  EXPECT_EQ(chain[0]->exe, "/bin/p");
}

TEST_F(AncestorsTest, UnknownPidHasNoAncestors) {
  EXPECT_THAT(Pids(table_.Ancestors(999, 16)), IsEmpty());
}

TEST_F(AncestorsTest, StopsAtUnknownParent) {
  Add(&table_, 50, 45);  // 45 is not in the table
  Add(&table_, 60, 50);
  EXPECT_THAT(Pids(table_.Ancestors(60, 16)), ElementsAre(50));
  EXPECT_THAT(Pids(table_.Ancestors(50, 16)), IsEmpty());
}

TEST_F(AncestorsTest, StopsWhenParentEvicted) {
  table_.Apply(Exit(10, /*group_dead=*/true));
  EXPECT_THAT(Pids(table_.Ancestors(30, 16)), ElementsAre(20));
}

TEST_F(AncestorsTest, StopsAtSelfParent) {
  Add(&table_, 70, 70);
  EXPECT_THAT(Pids(table_.Ancestors(70, 16)), IsEmpty());
}

// A ppid loop (possible after pid reuse) terminates, lists each ancestor at most once
// and never lists the process itself as its own ancestor.
TEST_F(AncestorsTest, StopsOnPpidLoop) {
  Add(&table_, 100, 101);
  Add(&table_, 101, 100);
  EXPECT_THAT(Pids(table_.Ancestors(100, 16)), ElementsAre(101));
  EXPECT_THAT(Pids(table_.Ancestors(101, 16)), ElementsAre(100));

  Add(&table_, 200, 201);
  Add(&table_, 201, 202);
  Add(&table_, 202, 200);
  EXPECT_THAT(Pids(table_.Ancestors(200, 16)), ElementsAre(201, 202));
}

// A loop that does not pass through the starting process ends before repeating itself.
TEST_F(AncestorsTest, StopsOnPpidLoopAboveTheProcess) {
  Add(&table_, 300, 301);
  Add(&table_, 301, 302);
  Add(&table_, 302, 301);
  EXPECT_THAT(Pids(table_.Ancestors(300, 16)), ElementsAre(301, 302));
}

TEST(ProcessTableTest, AncestorsRefreshRecency) {
  ProcessTable table(3);
  Add(&table, 1, 0);
  Add(&table, 2, 1);
  Add(&table, 3, 0);
  // Recency: 3, 2, 1. Ancestors(2) touches 2 and 1, leaving 3 least recent.
  EXPECT_THAT(Pids(table.Ancestors(2, 4)), ElementsAre(1));
  Add(&table, 4, 0);
  EXPECT_EQ(table.Lookup(3), nullptr);
  EXPECT_NE(table.Lookup(1), nullptr);
  EXPECT_NE(table.Lookup(2), nullptr);
}

// --- SeedFromProc ------------------------------------------------------------------------

// A temporary directory removed (recursively) on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "vigil_process_table_XXXXXX").string();
    char* made = mkdtemp(tmpl.data());
    if (made != nullptr) path_ = made;
  }
  ~TempDir() {
    if (!path_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(path_, ec);
    }
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void WriteFile(const std::string& path, absl::string_view contents) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  ASSERT_TRUE(out.good()) << path;
}

std::string Status(absl::string_view name, uint32_t ppid, absl::string_view uid,
                   absl::string_view gid) {
  return std::string("Name:\t") + std::string(name) + "\nUmask:\t0022\nState:\tS (sleeping)\n" +
         "Tgid:\t0\nNgid:\t0\nPid:\t0\nPPid:\t" + std::to_string(ppid) + "\nTracerPid:\t0\nUid:\t" +
         std::string(uid) + "\nGid:\t" + std::string(gid) + "\nFDSize:\t64\nGroups:\t\n";
}

class SeedFromProcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty()) << "mkdtemp failed";
    const std::string& root = dir_.path();
    WriteFile(root + "/1/status", Status("init", 0, "0\t0\t0\t0", "0\t0\t0\t0"));
    WriteFile(root + "/1/cmdline", absl::string_view("/sbin/init\0splash\0", 18));
    std::filesystem::create_symlink("/usr/lib/systemd/systemd", root + "/1/exe");

    WriteFile(root + "/42/status",
              Status("my worker", 1, "1000\t1001\t1002\t1003", "100\t101\t102\t103"));
    WriteFile(root + "/42/cmdline", absl::string_view("python3\0-m\0http.server\0", 23));
    std::filesystem::create_symlink("/usr/bin/python3.11", root + "/42/exe");

    // A kernel thread: empty cmdline, no exe link.
    WriteFile(root + "/2/status", Status("kthreadd", 0, "0 0 0 0", "0 0 0 0"));
    WriteFile(root + "/2/cmdline", "");

    // Not processes: ignored even though they look like one.
    WriteFile(root + "/self/status", Status("self", 1, "5\t5\t5\t5", "5\t5\t5\t5"));
    WriteFile(root + "/abc/status", Status("abc", 1, "5\t5\t5\t5", "5\t5\t5\t5"));
    WriteFile(root + "/12abc/status", Status("mixed", 1, "5\t5\t5\t5", "5\t5\t5\t5"));
    WriteFile(root + "/-7/status", Status("negative", 1, "5\t5\t5\t5", "5\t5\t5\t5"));
    WriteFile(root + "/0/status", Status("zero", 1, "5\t5\t5\t5", "5\t5\t5\t5"));
    WriteFile(root + "/uptime", "1.0 1.0\n");
    // A process that vanished mid-scan: directory but no status.
    std::filesystem::create_directories(root + "/77");
  }

  TempDir dir_;
};

TEST_F(SeedFromProcTest, LoadsEveryProcessDirectory) {
  ProcessTable table(64);
  ASSERT_TRUE(table.SeedFromProc(dir_.path()).ok());
  EXPECT_EQ(table.size(), 3u);

  const event::ProcessInfo* init = table.Lookup(1);
  ASSERT_NE(init, nullptr);
  EXPECT_EQ(init->pid, 1u);
  EXPECT_EQ(init->ppid, 0u);
  EXPECT_EQ(init->comm, "init");
  EXPECT_EQ(init->uid, 0u);
  EXPECT_EQ(init->exe, "/usr/lib/systemd/systemd");
  EXPECT_EQ(init->cmdline, "/sbin/init splash");
  EXPECT_EQ(init->start_boot_ns, 0u);

  const event::ProcessInfo* worker = table.Lookup(42);
  ASSERT_NE(worker, nullptr);
  EXPECT_EQ(worker->pid, 42u);
  EXPECT_EQ(worker->ppid, 1u);
  EXPECT_EQ(worker->comm, "my worker");
  EXPECT_EQ(worker->uid, 1000u);
  EXPECT_EQ(worker->euid, 1001u);
  EXPECT_EQ(worker->gid, 100u);
  EXPECT_EQ(worker->exe, "/usr/bin/python3.11");
  EXPECT_EQ(worker->cmdline, "python3 -m http.server");
  EXPECT_EQ(worker->start_boot_ns, 0u);

  const event::ProcessInfo* kthread = table.Lookup(2);
  ASSERT_NE(kthread, nullptr);
  EXPECT_EQ(kthread->comm, "kthreadd");
  EXPECT_EQ(kthread->exe, "");
  EXPECT_EQ(kthread->cmdline, "");

  EXPECT_EQ(table.Lookup(0), nullptr);
  EXPECT_EQ(table.Lookup(12), nullptr);
  EXPECT_EQ(table.Lookup(77), nullptr);
}

TEST_F(SeedFromProcTest, SeededParentsFormChains) {
  ProcessTable table(64);
  ASSERT_TRUE(table.SeedFromProc(dir_.path()).ok());
  EXPECT_THAT(Pids(table.Ancestors(42, 8)), ElementsAre(1));
  // A fork from a seeded process copies its image.
  table.Apply(Fork(Task(42, 1, "my worker"), 43));
  const event::ProcessInfo* child = table.Lookup(43);
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->exe, "/usr/bin/python3.11");
  EXPECT_EQ(child->cmdline, "python3 -m http.server");
  EXPECT_THAT(Pids(table.Ancestors(43, 8)), ElementsAre(42, 1));
}

TEST_F(SeedFromProcTest, RespectsCapacity) {
  ProcessTable table(2);
  ASSERT_TRUE(table.SeedFromProc(dir_.path()).ok());
  EXPECT_EQ(table.size(), 2u);
  EXPECT_EQ(table.evictions(), 1u);
}

TEST(SeedFromProcErrorTest, MissingRootIsAnError) {
  ProcessTable table(8);
  absl::Status status = table.SeedFromProc("/nonexistent");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(status.message()), HasSubstr("/nonexistent"));
  EXPECT_EQ(table.size(), 0u);
}

TEST(SeedFromProcRealTest, FindsThisProcess) {
  ProcessTable table(1 << 20);
  ASSERT_TRUE(table.SeedFromProc("/proc").ok());
  const event::ProcessInfo* self = table.Lookup(static_cast<uint32_t>(getpid()));
  ASSERT_NE(self, nullptr);
  EXPECT_EQ(self->pid, static_cast<uint32_t>(getpid()));
  EXPECT_EQ(self->ppid, static_cast<uint32_t>(getppid()));
  EXPECT_EQ(self->uid, getuid());
  EXPECT_EQ(self->euid, geteuid());
  EXPECT_EQ(self->gid, getgid());

  std::ifstream comm_file("/proc/self/comm");
  std::string comm;
  std::getline(comm_file, comm);
  EXPECT_FALSE(comm.empty());
  EXPECT_EQ(self->comm, comm);

  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(self->exe, exe.string());
  EXPECT_FALSE(self->cmdline.empty());
}

}  // namespace
}  // namespace vigil::sensor

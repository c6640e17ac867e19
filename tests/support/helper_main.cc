// vigil-test-helper: performs one kernel-visible action for the real-kernel tests, in a
// process of its own (single-threaded, so fork is safe), and exits.
//
//   threads N               start N threads, join them, exit 0
//   fork N                  fork N children; child i exits with 10+i; reap them
//   vfork N                 N times: vfork a child that exits at once, and reap it (the
//                           fastest way to create processes: a fork flood)
//   exit CODE               exit with CODE
//   open SYSCALL PATH...    open each PATH in order with SYSCALL (open, openat, openat2,
//                           creat); exit 1 if any fails
//   open-rel DIR NAME       chdir(DIR) then openat(AT_FDCWD, NAME)
//   openat DIR REL          dirfd = open(DIR), then openat(dirfd, REL)
//   drop-exec UID PATH ARG...  become UID (and its gid), then exec PATH with ARGs
//   memfd-exec SRC ARG...   copy SRC into a memfd, then exec the memfd (fexecve) with ARGs
//   unlinked-exec COPY SRC ARG...  copy SRC to COPY, open it read-only, unlink it, then
//                           exec it through the descriptor (execveat AT_EMPTY_PATH)
//   comm-open NAME PATH     set the command name to NAME (prctl PR_SET_NAME), then open
//                           PATH read-only
//   fileops STEP...         performs file operations in order; exit 1 at the first one that
//                           fails (a step named "!OP" must fail instead). Each STEP is an
//                           operation and its fixed number of arguments; DIR is a directory
//                           opened for the *at calls, or "-" for AT_FDCWD; numbers are C
//                           literals (0755, 0x1000). See kFileSteps for the operations
//                           (the compat-* ones through int $0x80, uring-* through io_uring).
//   net [--netns] [--cgroup DIR] ACTION ADDR PORT   a network action (helper_net.h)
//   run-child PROGRAM ARG...  run PROGRAM as a child and exit with its exit status
#include <fcntl.h>
#include <grp.h>
#include <linux/io_uring.h>
#include <linux/openat2.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/helper_net.h"
#include "tests/support/helper_uring.h"

namespace {

using ::vigil::testing::UringSubmit;

int Die(const char* what) {
  fprintf(stderr, "vigil-test-helper: %s: %s\n", what, strerror(errno));
  return 1;
}

long OpenWith(const std::string& syscall_name, const char* path) {
  if (syscall_name == "open") return syscall(SYS_open, path, O_RDONLY | O_CREAT, 0644);
  if (syscall_name == "openat")
    return syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CREAT, 0644);
  if (syscall_name == "creat") return syscall(SYS_creat, path, 0644);
  if (syscall_name == "openat2") {
    open_how how{};
    how.flags = O_RDONLY | O_CREAT;
    how.mode = 0644;
    return syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
  }
  errno = EINVAL;
  return -1;
}

// Copies the whole of the file `src` to the descriptor `out` (at its offset).
bool CopyInto(const char* src, int out) {
  int in = open(src, O_RDONLY | O_CLOEXEC);
  if (in < 0) return false;
  struct stat st;
  bool ok = fstat(in, &st) == 0;
  for (off_t done = 0; ok && done < st.st_size;) {
    ssize_t n = sendfile(out, in, nullptr, static_cast<size_t>(st.st_size - done));
    ok = n > 0;
    done += ok ? n : 0;
  }
  close(in);
  return ok;
}

// Execs the file open at `fd` with `args` (null-terminated) and the current environment.
int ExecFd(int fd, char** args) {
  syscall(SYS_execveat, fd, "", args, environ, AT_EMPTY_PATH);
  return Die("execveat");
}

// --- fileops ---------------------------------------------------------------------------

unsigned long Num(const char* s) { return strtoul(s, nullptr, 0); }

// A directory descriptor for the *at calls: "-" is AT_FDCWD, anything else is opened (and
// left open until exit).
int DirFd(const char* dir) {
  if (strcmp(dir, "-") == 0) return AT_FDCWD;
  return open(dir, O_RDONLY | O_DIRECTORY);
}

// Opens `path` for a descriptor-based operation; -1 with errno on failure.
int OpenFile(const char* path, int flags) { return open(path, flags | O_CLOEXEC); }

#if defined(__x86_64__)
// A syscall through the 32-bit table (IA32 emulation), from this 64-bit process. Pointer
// arguments must lie below 4 GiB: Low() copies strings there.
long Int80(long nr, long a1, long a2, long a3 = 0) {
  long ret;
  asm volatile("int $0x80"
               : "=a"(ret)
               : "0"(nr), "b"(a1), "c"(a2), "d"(a3)
               : "memory", "r8", "r9", "r10", "r11");
  if (ret < 0 && ret > -4096) {
    errno = static_cast<int>(-ret);
    return -1;
  }
  return ret;
}

// `s` copied into memory below 4 GiB (leaked: the helper exits soon).
long Low(const char* s) {
  const size_t n = strlen(s) + 1;
  void* p =
      mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
  if (p == MAP_FAILED) return 0;
  memcpy(p, s, n);
  return static_cast<long>(reinterpret_cast<uintptr_t>(p));
}

constexpr long kIa32Unlink = 10;
constexpr long kIa32Rename = 38;
constexpr long kIa32Getpid = 20;
constexpr long kIa32Lchown16 = 16;
constexpr long kIa32Truncate64 = 193;
#else
long Int80(long, long, long, long = 0) {
  errno = ENOSYS;
  return -1;
}
long Low(const char*) { return 0; }
constexpr long kIa32Unlink = 0, kIa32Rename = 0, kIa32Getpid = 0, kIa32Lchown16 = 0,
               kIa32Truncate64 = 0;
#endif

// Flags of the new mount API (linux/mount.h), spelled out: the tests check the raw numbers.
constexpr unsigned kOpenTreeClone = 1;
constexpr unsigned kMoveMountFEmptyPath = 0x4;

// A request on NAME relative to DIR ("-": the working directory); `async` makes an io-wq
// worker thread run it (IOSQE_ASYNC) instead of the submitting task.
io_uring_sqe UringRequest(uint8_t opcode, const char* dir, const char* name, bool async = false) {
  io_uring_sqe sqe{};
  sqe.opcode = opcode;
  sqe.fd = DirFd(dir);
  sqe.addr = reinterpret_cast<uintptr_t>(name);
  if (async) sqe.flags = IOSQE_ASYNC;
  return sqe;
}

long UringUnlinkat(const char* dir, const char* name) {
  return UringSubmit(UringRequest(IORING_OP_UNLINKAT, dir, name));
}

// openat(DIR, NAME, O_RDONLY) through io_uring; the descriptor stays open until exit.
long UringOpenat(const char* dir, const char* name, bool async) {
  io_uring_sqe sqe = UringRequest(IORING_OP_OPENAT, dir, name, async);
  sqe.open_flags = O_RDONLY;
  return UringSubmit(sqe);
}

long UringRenameat(const char* dir, const char* from, const char* to) {
  io_uring_sqe sqe = UringRequest(IORING_OP_RENAMEAT, dir, from);
  sqe.len = static_cast<uint32_t>(sqe.fd);  // the new name's directory
  sqe.addr2 = reinterpret_cast<uintptr_t>(to);
  return UringSubmit(sqe);
}

long UringMkdirat(const char* dir, const char* name) {
  io_uring_sqe sqe = UringRequest(IORING_OP_MKDIRAT, dir, name);
  sqe.len = 0755;
  return UringSubmit(sqe);
}

// One file operation: its name, how many arguments it takes, and the call (a negative
// result with errno set on failure).
struct FileStep {
  const char* name;
  int arity;
  long (*run)(char** a);
};

long WithFd(const char* path, int flags, long (*op)(int fd, char** a), char** a) {
  const int fd = OpenFile(path, flags);
  if (fd < 0) return -1;
  const long r = op(fd, a);
  close(fd);
  return r;
}

const FileStep kFileSteps[] = {
    // Process state.
    {"chdir", 1, [](char** a) -> long { return chdir(a[0]); }},
    // A private mount namespace: later mounts stay in this process.
    {"unshare-mnt", 0,
     [](char**) -> long {
       if (unshare(CLONE_NEWNS) != 0) return -1;
       return mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
     }},
    // Removal.
    {"unlink", 1, [](char** a) -> long { return syscall(SYS_unlink, a[0]); }},
    {"rmdir", 1, [](char** a) -> long { return syscall(SYS_rmdir, a[0]); }},
    {"unlinkat", 3,
     [](char** a) -> long { return syscall(SYS_unlinkat, DirFd(a[0]), a[1], Num(a[2])); }},
    // Renames: DIR serves both names.
    {"rename", 2, [](char** a) -> long { return syscall(SYS_rename, a[0], a[1]); }},
    {"renameat", 3,
     [](char** a) -> long {
       const int d = DirFd(a[0]);
       return syscall(SYS_renameat, d, a[1], d, a[2]);
     }},
    {"renameat2", 4,
     [](char** a) -> long {
       const int d = DirFd(a[0]);
       return syscall(SYS_renameat2, d, a[1], d, a[2], Num(a[3]));
     }},
    // New directories and links.
    {"mkdir", 2, [](char** a) -> long { return syscall(SYS_mkdir, a[0], Num(a[1])); }},
    {"mkdirat", 3,
     [](char** a) -> long { return syscall(SYS_mkdirat, DirFd(a[0]), a[1], Num(a[2])); }},
    {"link", 2, [](char** a) -> long { return syscall(SYS_link, a[0], a[1]); }},
    {"linkat", 4,
     [](char** a) -> long {
       const int d = DirFd(a[0]);
       return syscall(SYS_linkat, d, a[1], d, a[2], Num(a[3]));
     }},
    // An unnamed file (O_TMPFILE in DIR) given the name NEW by linkat(AT_EMPTY_PATH).
    {"tmpfile-link", 2,
     [](char** a) -> long {
       const int fd = open(a[0], O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
       if (fd < 0) return -1;
       const long r = syscall(SYS_linkat, fd, "", AT_FDCWD, a[1], AT_EMPTY_PATH);
       close(fd);
       return r;
     }},
    {"symlink", 2, [](char** a) -> long { return syscall(SYS_symlink, a[0], a[1]); }},
    {"symlinkat", 3,
     [](char** a) -> long { return syscall(SYS_symlinkat, a[0], DirFd(a[1]), a[2]); }},
    // Permissions and owners.
    {"chmod", 2, [](char** a) -> long { return syscall(SYS_chmod, a[0], Num(a[1])); }},
    {"fchmod", 2,
     [](char** a) -> long {
       return WithFd(
           a[0], O_RDONLY,
           [](int fd, char** b) -> long { return syscall(SYS_fchmod, fd, Num(b[1])); }, a);
     }},
    {"fchmodat", 3,
     [](char** a) -> long { return syscall(SYS_fchmodat, DirFd(a[0]), a[1], Num(a[2])); }},
    {"fchmodat2", 4,
     [](char** a) -> long {
       return syscall(452 /* fchmodat2 */, DirFd(a[0]), a[1], Num(a[2]), Num(a[3]));
     }},
    {"chown", 3, [](char** a) -> long { return syscall(SYS_chown, a[0], Num(a[1]), Num(a[2])); }},
    {"lchown", 3, [](char** a) -> long { return syscall(SYS_lchown, a[0], Num(a[1]), Num(a[2])); }},
    {"fchown", 3,
     [](char** a) -> long {
       return WithFd(
           a[0], O_RDONLY,
           [](int fd, char** b) -> long { return syscall(SYS_fchown, fd, Num(b[1]), Num(b[2])); },
           a);
     }},
    {"fchownat", 5,
     [](char** a) -> long {
       return syscall(SYS_fchownat, DirFd(a[0]), a[1], Num(a[2]), Num(a[3]), Num(a[4]));
     }},
    // Truncation.
    {"truncate", 2, [](char** a) -> long { return syscall(SYS_truncate, a[0], Num(a[1])); }},
    {"ftruncate", 2,
     [](char** a) -> long {
       return WithFd(
           a[0], O_WRONLY,
           [](int fd, char** b) -> long { return syscall(SYS_ftruncate, fd, Num(b[1])); }, a);
     }},
    // memfd_create NAME FLAGS (the descriptor stays open until exit).
    {"memfd", 2, [](char** a) -> long { return syscall(SYS_memfd_create, a[0], Num(a[1])); }},
    // A bind mount (run unshare-mnt first: nothing may leak to the host).
    {"bind-mount", 2,
     [](char** a) -> long { return mount(a[0], a[1], nullptr, MS_BIND, nullptr); }},
    // The same through the new mount API: open_tree(OPEN_TREE_CLONE), then move_mount.
    {"open-tree-bind", 2,
     [](char** a) -> long {
       const long tree = syscall(SYS_open_tree, AT_FDCWD, a[0], kOpenTreeClone);
       if (tree < 0) return tree;
       const long moved = syscall(SYS_move_mount, tree, "", AT_FDCWD, a[1], kMoveMountFEmptyPath);
       close(static_cast<int>(tree));
       return moved;
     }},
    // Through the 32-bit syscall table (x86-64 with IA32 emulation only).
    {"compat-getpid", 0, [](char**) -> long { return Int80(kIa32Getpid, 0, 0); }},
    {"compat-unlink", 1, [](char** a) -> long { return Int80(kIa32Unlink, Low(a[0]), 0); }},
    {"compat-lchown16", 3,
     [](char** a) -> long { return Int80(kIa32Lchown16, Low(a[0]), Num(a[1]), Num(a[2])); }},
    // truncate64(PATH, LEN): the length in two registers, low half first.
    {"compat-truncate64", 2,
     [](char** a) -> long {
       const unsigned long long len = strtoull(a[1], nullptr, 0);
       return Int80(kIa32Truncate64, Low(a[0]), static_cast<long>(len & 0xffffffffu),
                    static_cast<long>(len >> 32));
     }},
    // Through io_uring instead of a syscall.
    {"uring-unlinkat", 2, [](char** a) -> long { return UringUnlinkat(a[0], a[1]); }},
    {"uring-openat", 2, [](char** a) -> long { return UringOpenat(a[0], a[1], false); }},
    {"uring-openat-async", 2, [](char** a) -> long { return UringOpenat(a[0], a[1], true); }},
    {"uring-renameat", 3, [](char** a) -> long { return UringRenameat(a[0], a[1], a[2]); }},
    {"uring-mkdirat", 2, [](char** a) -> long { return UringMkdirat(a[0], a[1]); }},
    {"compat-rename", 2, [](char** a) -> long { return Int80(kIa32Rename, Low(a[0]), Low(a[1])); }},
};

int FileOps(int argc, char** argv) {
  int i = 0;
  while (i < argc) {
    const char* name = argv[i];
    const bool must_fail = name[0] == '!';
    if (must_fail) ++name;
    const FileStep* step = nullptr;
    for (const FileStep& s : kFileSteps) {
      if (strcmp(s.name, name) == 0) step = &s;
    }
    if (step == nullptr || i + 1 + step->arity > argc) {
      fprintf(stderr, "vigil-test-helper: bad fileops step '%s'\n", argv[i]);
      return 2;
    }
    errno = 0;
    const long r = step->run(argv + i + 1);
    if (must_fail && r >= 0) {
      fprintf(stderr, "vigil-test-helper: %s succeeded but must fail\n", argv[i]);
      return 1;
    }
    if (!must_fail && r < 0) return Die(argv[i]);
    i += 1 + step->arity;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: vigil-test-helper COMMAND ARGS...\n");
    return 2;
  }
  const std::string cmd = argv[1];
  if (cmd == "net") return vigil::testing::NetCommand(argc - 2, argv + 2);
  if (cmd == "run-child" && argc >= 3) return vigil::testing::RunChild(argv + 2);
  if (cmd == "threads" && argc == 3) {
    std::vector<std::thread> threads;
    for (int i = 0; i < atoi(argv[2]); ++i) threads.emplace_back([] {});
    for (auto& t : threads) t.join();
    return 0;
  }
  if (cmd == "fork" && argc == 3) {
    const int n = atoi(argv[2]);
    for (int i = 0; i < n; ++i) {
      pid_t pid = fork();
      if (pid < 0) return Die("fork");
      if (pid == 0) _exit(10 + i);
    }
    for (int i = 0; i < n; ++i) wait(nullptr);
    return 0;
  }
  if (cmd == "vfork" && argc == 3) {
    const int n = atoi(argv[2]);
    for (int i = 0; i < n; ++i) {
      pid_t pid = vfork();
      if (pid < 0) return Die("vfork");
      if (pid == 0) _exit(0);
      waitpid(pid, nullptr, 0);
    }
    return 0;
  }
  if (cmd == "exit" && argc >= 3) return atoi(argv[2]);
  if (cmd == "open" && argc >= 4) {
    for (int i = 3; i < argc; ++i) {
      long fd = OpenWith(argv[2], argv[i]);
      if (fd < 0) return Die(argv[i]);
      close(static_cast<int>(fd));
    }
    return 0;
  }
  if (cmd == "open-rel" && argc == 4) {
    if (chdir(argv[2]) != 0) return Die("chdir");
    int fd = openat(AT_FDCWD, argv[3], O_RDONLY);
    if (fd < 0) return Die(argv[3]);
    close(fd);
    return 0;
  }
  if (cmd == "openat" && argc == 4) {
    int dfd = open(argv[2], O_RDONLY | O_DIRECTORY);
    if (dfd < 0) return Die(argv[2]);
    int fd = openat(dfd, argv[3], O_RDONLY);
    if (fd < 0) return Die(argv[3]);
    close(fd);
    close(dfd);
    return 0;
  }
  if (cmd == "drop-exec" && argc >= 4) {
    const uid_t uid = static_cast<uid_t>(atoi(argv[2]));
    if (setgroups(0, nullptr) != 0) return Die("setgroups");
    if (setgid(uid) != 0) return Die("setgid");
    if (setuid(uid) != 0) return Die("setuid");
    execv(argv[3], argv + 3);
    return Die("execv");
  }
  if (cmd == "memfd-exec" && argc >= 4) {
    int fd = memfd_create("vigil-test", MFD_CLOEXEC);
    if (fd < 0) return Die("memfd_create");
    if (!CopyInto(argv[2], fd)) return Die(argv[2]);
    // A file open for writing cannot be executed (ETXTBSY): exec a read-only descriptor.
    const std::string self = "/proc/self/fd/" + std::to_string(fd);
    int ro = open(self.c_str(), O_RDONLY | O_CLOEXEC);
    if (ro < 0) return Die("reopen memfd");
    close(fd);
    return ExecFd(ro, argv + 3);
  }
  if (cmd == "unlinked-exec" && argc >= 5) {
    int out = open(argv[2], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
    if (out < 0) return Die(argv[2]);
    if (!CopyInto(argv[3], out)) return Die(argv[3]);
    close(out);
    int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Die(argv[2]);
    if (unlink(argv[2]) != 0) return Die("unlink");
    return ExecFd(fd, argv + 4);
  }
  if (cmd == "comm-open" && argc == 4) {
    if (prctl(PR_SET_NAME, argv[2], 0, 0, 0) != 0) return Die("prctl");
    int fd = open(argv[3], O_RDONLY);
    if (fd < 0) return Die(argv[3]);
    close(fd);
    return 0;
  }
  if (cmd == "fileops") return FileOps(argc - 2, argv + 2);
  fprintf(stderr, "vigil-test-helper: bad command '%s'\n", cmd.c_str());
  return 2;
}

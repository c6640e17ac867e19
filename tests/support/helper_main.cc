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
#include <fcntl.h>
#include <grp.h>
#include <linux/openat2.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

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

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: vigil-test-helper COMMAND ARGS...\n");
    return 2;
  }
  const std::string cmd = argv[1];
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
  fprintf(stderr, "vigil-test-helper: bad command '%s'\n", cmd.c_str());
  return 2;
}

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Vigil kernel <-> user-space ABI: the records every probe module writes to the shared
 * BPF ring buffer, the filter configuration user space writes back, and the counters.
 *
 * Plain C with fixed-width types only. The BPF programs include it after vmlinux.h; the
 * sensor includes it directly. A record is a vigil_event_header followed by the body of
 * its type and then variable-length data (paths, argv) whose lengths the body gives.
 * Bump VIGIL_ABI_VERSION whenever a layout here changes.
 */
#ifndef VIGIL_BPF_ABI_VIGIL_EVENT_H_
#define VIGIL_BPF_ABI_VIGIL_EVENT_H_

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define VIGIL_ABI_VERSION 1

#define VIGIL_COMM_LEN 16
/* Longest resolved path a record carries (bytes, no NUL). Longer paths are truncated
 * at the root end and flagged. */
#define VIGIL_PATH_MAX 4095
/* Most path components walked before the path is flagged as truncated. */
#define VIGIL_PATH_MAX_COMPONENTS 64
/* Longest argv block (NUL-separated arguments) an exec record carries. */
#define VIGIL_ARGV_MAX 2048
/* Longest path prefix the in-kernel interest set can hold (LPM trie key data). */
#define VIGIL_PREFIX_MAX 256

enum vigil_event_type {
  VIGIL_EVENT_FORK = 1,
  VIGIL_EVENT_EXEC = 2,
  VIGIL_EVENT_EXIT = 3,
  VIGIL_EVENT_OPEN = 4,
  VIGIL_EVENT_TYPE_MAX = 5, /* one past the last type */
};

/* Common to every record: who did it, where, when. */
struct vigil_event_header {
  __u16 type;    /* enum vigil_event_type */
  __u8 version;  /* VIGIL_ABI_VERSION */
  __u8 reserved;
  __u32 size;    /* whole record in bytes, header and variable data included */
  __u64 ts_boot_ns; /* bpf_ktime_get_boot_ns() */
  __u32 pid;     /* thread id */
  __u32 tgid;    /* process id */
  __u32 ppid;    /* real parent's tgid */
  __u32 uid;
  __u32 euid;
  __u32 gid;
  __u32 loginuid; /* audit login uid; 4294967295 when unset */
  __u32 mntns;   /* mount namespace inode number */
  __u32 pidns;   /* pid namespace inode number */
  __u32 reserved2;
  __u64 cgroup_id; /* cgroup v2 id */
  char comm[VIGIL_COMM_LEN];
};

/* vigil_fork_event.flags */
#define VIGIL_FORK_THREAD 0x1u /* the child shares the parent's thread group */

/* A new task. The header describes the parent (the task that called fork/clone). */
struct vigil_fork_event {
  struct vigil_event_header hdr;
  __u32 child_pid;
  __u32 child_tgid;
  __u32 flags;
  __u32 reserved;
};

/* vigil_exec_event.flags */
#define VIGIL_EXEC_PATH_TRUNCATED 0x1u
#define VIGIL_EXEC_ARGV_TRUNCATED 0x2u
#define VIGIL_EXEC_CREDS_BEFORE 0x4u /* the *_before fields are valid */

/* A successful execve/execveat. The header describes the task after exec; the path is
 * the absolute path of the executed file, resolved from the kernel's file object. */
struct vigil_exec_event {
  struct vigil_event_header hdr;
  __u32 old_pid;      /* thread id before exec (differs when a non-leader thread execs) */
  __u32 flags;
  __u32 uid_before;   /* credentials before exec (valid with VIGIL_EXEC_CREDS_BEFORE) */
  __u32 euid_before;
  __u32 gid_before;
  __u32 egid_before;
  __u32 egid;         /* effective gid after exec (uid/euid/gid are in the header) */
  __u32 file_mode;    /* i_mode of the executed file, setuid/setgid bits included */
  __u32 file_uid;
  __u32 file_gid;
  __u32 path_len;     /* bytes of path following the body */
  __u32 argv_len;     /* bytes of argv following the path: arguments, each NUL-ended */
  /* char path[path_len]; char argv[argv_len]; */
};

/* vigil_exit_event.flags */
#define VIGIL_EXIT_GROUP_DEAD 0x1u /* the last thread of the process exited */

/* A task ended. The header describes the exiting task. */
struct vigil_exit_event {
  struct vigil_event_header hdr;
  __s32 exit_code; /* raw wait status: (code << 8) | signal */
  __u32 flags;
};

enum vigil_open_syscall {
  VIGIL_SYS_OPEN = 1,
  VIGIL_SYS_OPENAT = 2,
  VIGIL_SYS_OPENAT2 = 3,
  VIGIL_SYS_CREAT = 4,
  VIGIL_SYS_OPEN_BY_HANDLE_AT = 5,
};

/* vigil_open_event.flags */
#define VIGIL_OPEN_PATH_TRUNCATED 0x1u
#define VIGIL_OPEN_PATH_HIDDEN 0x2u   /* a path component starts with '.' */
#define VIGIL_OPEN_PATH_UNRESOLVED 0x4u /* failed open: path is the caller's argument */
#define VIGIL_OPEN_COMPAT 0x8u        /* issued through the 32-bit syscall table */

/* An open-family syscall returned. On success the path is the absolute path of the
 * opened file walked from its dentry and mount; on failure it is the caller's string. */
struct vigil_open_event {
  struct vigil_event_header hdr;
  __s64 result;     /* fd, or -errno */
  __u32 syscall;    /* enum vigil_open_syscall */
  __u32 open_flags; /* O_* flags as passed */
  __u32 mode;       /* creation mode as passed */
  __u32 flags;
  __u32 file_mode;  /* i_mode of the opened file (0 on failure) */
  __u32 path_len;
  /* char path[path_len]; */
};

/* Per-CPU counters (array index). Drops are counted where they happen. */
enum vigil_stat {
  VIGIL_STAT_EMITTED = 0,         /* records written to the ring buffer */
  VIGIL_STAT_DROP_RINGBUF_FULL,   /* no room in the ring buffer */
  VIGIL_STAT_DROP_SCRATCH,        /* no per-CPU scratch buffer (never expected) */
  VIGIL_STAT_FILTERED_TYPE,       /* event type disabled */
  VIGIL_STAT_FILTERED_PATH,       /* path outside the interest set */
  VIGIL_STAT_FILTERED_SELF,       /* the sensor's own activity */
  VIGIL_STAT_PATH_TRUNCATED,      /* records carrying a truncated path */
  VIGIL_STAT_FD_LOOKUP_FAILED,    /* open succeeded but the fd could not be read back */
  VIGIL_STAT_WAKEUPS,             /* forced ring-buffer wake-ups */
  VIGIL_STAT_MAX,
};

/* vigil_filter_config.file_flags */
#define VIGIL_FILTER_ALL_FILES 0x1u /* every open reaches user space */
#define VIGIL_FILTER_HIDDEN 0x2u    /* opens of paths with a hidden component do */
#define VIGIL_FILTER_FAILED 0x4u    /* failed opens are reported (matched on argument) */

/* Runtime filter, written by user space into the module's .bss, read by every program. */
struct vigil_filter_config {
  __u32 type_mask;  /* bit (1 << enum vigil_event_type) set: that type is reported */
  __u32 file_flags; /* VIGIL_FILTER_* */
};

/* Key of the path-prefix interest set (BPF_MAP_TYPE_LPM_TRIE). */
struct vigil_prefix_key {
  __u32 prefixlen; /* bits */
  __u8 data[VIGIL_PREFIX_MAX];
};

#endif /* VIGIL_BPF_ABI_VIGIL_EVENT_H_ */

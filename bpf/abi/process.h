/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ABI of the process module (bpf/process.bpf.c): fork, exec and exit records.
 * Plain C with fixed-width types only; bump VIGIL_ABI_VERSION when a layout changes.
 */
#ifndef VIGIL_BPF_ABI_PROCESS_H_
#define VIGIL_BPF_ABI_PROCESS_H_

#include "vigil_event.h"

enum vigil_process_event_type {
  VIGIL_EVENT_FORK = 1,
  VIGIL_EVENT_EXEC = 2,
  VIGIL_EVENT_EXIT = 3,
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
#define VIGIL_EXEC_FILE_MEMFD 0x8u    /* the executed file is a memfd (memfd_create) */
#define VIGIL_EXEC_FILE_UNLINKED 0x10u /* the executed file had no links (i_nlink 0) at exec:
                                        * unlinked, O_TMPFILE, or a memfd (which also sets
                                        * VIGIL_EXEC_FILE_MEMFD) */

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
  /* Capability sets (bit n = capability n, as in capabilities(7)) after exec, from the new
   * credentials, and before exec (valid with VIGIL_EXEC_CREDS_BEFORE). */
  __u64 cap_permitted;
  __u64 cap_effective;
  __u64 cap_permitted_before;
  __u64 cap_effective_before;
  /* The first of standard input, output and error that is an IPv4/IPv6 socket at exec
   * (a shell whose input or output is a network connection): its remote endpoint
   * (16 bytes, IPv4 as v4-mapped), port and protocol; all 0 when none is. */
  __u8 stdio_raddr[16];
  __u16 stdio_rport;
  __u8 stdio_protocol;
  __u8 stdio_sockets; /* bit n: descriptor n (0, 1, 2) is an IPv4/IPv6 socket */
  __u32 reserved;
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

#endif /* VIGIL_BPF_ABI_PROCESS_H_ */

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Vigil kernel <-> user-space ABI shared by every probe module: the header of each record
 * written to the shared BPF ring buffer, the limits, the filter configuration user space
 * writes back, and the counters. Each module's records are in its own bpf/abi/<name>.h.
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

#define VIGIL_ABI_VERSION 3

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

/* Event types are numbered by the probe modules, each in its own ABI header
 * (bpf/abi/<module>.h), from 1 up to VIGIL_EVENT_TYPE_LIMIT - 1: the runtime filter's type
 * mask has one bit per type. The sensor's registry refuses two modules with one number. */
#define VIGIL_EVENT_TYPE_LIMIT 32

/* Common to every record: who did it, where, when. */
struct vigil_event_header {
  __u16 type;    /* VIGIL_EVENT_* of the emitting module (bpf/abi/<module>.h) */
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
#define VIGIL_FILTER_FAILED 0x4u    /* failed opens and file operations are reported */

/* Runtime filter, written by user space into the module's .bss, read by every program. */
struct vigil_filter_config {
  __u32 type_mask;  /* bit (1 << VIGIL_EVENT_*) set: that type is reported */
  __u32 file_flags; /* VIGIL_FILTER_* */
  /* bit (1 << VIGIL_EVENT_*) set: file operations of that type are reported whatever
   * their paths (some rule needs that type on any path) */
  __u32 all_paths_mask;
};

/* Key of the path-prefix interest set (BPF_MAP_TYPE_LPM_TRIE). */
struct vigil_prefix_key {
  __u32 prefixlen; /* bits */
  __u8 data[VIGIL_PREFIX_MAX];
};

#endif /* VIGIL_BPF_ABI_VIGIL_EVENT_H_ */

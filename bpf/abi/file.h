/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ABI of the file module (bpf/file.bpf.c): open-family records. The interest-set key and
 * the file filter flags are in vigil_event.h, with the rest of the filter configuration.
 * Plain C with fixed-width types only; bump VIGIL_ABI_VERSION when a layout changes.
 */
#ifndef VIGIL_BPF_ABI_FILE_H_
#define VIGIL_BPF_ABI_FILE_H_

#include "vigil_event.h"

enum vigil_file_event_type {
  VIGIL_EVENT_OPEN = 4,
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
#define VIGIL_OPEN_IO_URING 0x10u     /* IORING_OP_OPENAT/OPENAT2 rather than a syscall */

/* An open-family syscall returned. On success the path is the absolute path of the
 * opened file walked from its dentry and mount, and dev/ino/nlink identify the opened
 * inode; on failure the path is the caller's string and dev, ino and nlink are 0. */
struct vigil_open_event {
  struct vigil_event_header hdr;
  __s64 result;     /* fd, or -errno */
  __u32 syscall;    /* enum vigil_open_syscall */
  __u32 open_flags; /* O_* flags as passed */
  __u32 mode;       /* creation mode as passed */
  __u32 flags;
  __u32 file_mode;  /* i_mode of the opened file (0 on failure) */
  __u32 path_len;
  __u32 dev;        /* the inode's superblock device, kernel encoding (major << 20 | minor) */
  __u32 nlink;      /* i_nlink: hard links to the inode */
  __u64 ino;        /* i_ino: inode number */
  /* char path[path_len]; */
};

/* Most file identities the in-kernel identity set holds. */
#define VIGIL_FILE_IDS_MAX 1024

/* Key of the file-identity set (BPF_MAP_TYPE_HASH): an open of this inode reaches user
 * space whatever its path. dev is in the kernel's encoding, as in vigil_open_event. */
struct vigil_file_id {
  __u64 ino;
  __u32 dev;
  __u32 pad; /* 0 */
};

#endif /* VIGIL_BPF_ABI_FILE_H_ */

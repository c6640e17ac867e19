/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ABI of the file module's operation records (bpf/file.bpf.c): removals, renames, new
 * directories and links, permission and owner changes, truncation, memfd creation and
 * mounts. Open records are in file.h.
 * Plain C with fixed-width types only; bump VIGIL_ABI_VERSION when a layout changes.
 */
#ifndef VIGIL_BPF_ABI_FILE_OPS_H_
#define VIGIL_BPF_ABI_FILE_OPS_H_

#include "vigil_event.h"

/* One event type per kind of operation; the syscall says which call made it. */
enum vigil_file_op_event_type {
  VIGIL_EVENT_UNLINK = 5,   /* unlink, unlinkat, rmdir */
  VIGIL_EVENT_RENAME = 6,   /* rename, renameat, renameat2 */
  VIGIL_EVENT_MKDIR = 7,    /* mkdir, mkdirat */
  VIGIL_EVENT_LINK = 8,     /* link, linkat */
  VIGIL_EVENT_SYMLINK = 9,  /* symlink, symlinkat */
  VIGIL_EVENT_CHMOD = 10,   /* chmod, fchmod, fchmodat, fchmodat2 */
  VIGIL_EVENT_CHOWN = 11,   /* chown, fchown, lchown, fchownat */
  VIGIL_EVENT_TRUNCATE = 12, /* truncate, ftruncate */
  VIGIL_EVENT_MEMFD = 13,   /* memfd_create */
  VIGIL_EVENT_MOUNT = 14,   /* mount, open_tree, move_mount */
};

enum vigil_file_op_syscall {
  VIGIL_SYS_UNLINK = 1,
  VIGIL_SYS_UNLINKAT,
  VIGIL_SYS_RMDIR,
  VIGIL_SYS_RENAME,
  VIGIL_SYS_RENAMEAT,
  VIGIL_SYS_RENAMEAT2,
  VIGIL_SYS_MKDIR,
  VIGIL_SYS_MKDIRAT,
  VIGIL_SYS_LINK,
  VIGIL_SYS_LINKAT,
  VIGIL_SYS_SYMLINK,
  VIGIL_SYS_SYMLINKAT,
  VIGIL_SYS_CHMOD,
  VIGIL_SYS_FCHMOD,
  VIGIL_SYS_FCHMODAT,
  VIGIL_SYS_FCHMODAT2,
  VIGIL_SYS_CHOWN,
  VIGIL_SYS_FCHOWN,
  VIGIL_SYS_LCHOWN,
  VIGIL_SYS_FCHOWNAT,
  VIGIL_SYS_TRUNCATE,
  VIGIL_SYS_FTRUNCATE,
  VIGIL_SYS_MEMFD_CREATE,
  VIGIL_SYS_MOUNT,
  VIGIL_SYS_OPEN_TREE,
  VIGIL_SYS_MOVE_MOUNT,
  VIGIL_SYS_FILE_OP_LAST = VIGIL_SYS_MOVE_MOUNT,
};

/* Longest path (bytes) of each of the up to two paths a file-operation record carries;
 * longer paths are truncated at the root end and flagged. */
#define VIGIL_FILE_OP_PATH_MAX 3840

/* vigil_file_op_event.flags */
#define VIGIL_FILE_OP_PATH_TRUNCATED 0x1u
#define VIGIL_FILE_OP_PATH2_TRUNCATED 0x2u
#define VIGIL_FILE_OP_PATH_HIDDEN 0x4u   /* a component of path starts with '.' */
#define VIGIL_FILE_OP_PATH2_HIDDEN 0x8u
/* The path's directory was resolved by the kernel and the caller's relative name appended
 * (kernels where the module sees the operation at syscall exit only). */
#define VIGIL_FILE_OP_PATH_FROM_ARG 0x10u
#define VIGIL_FILE_OP_PATH2_FROM_ARG 0x20u
#define VIGIL_FILE_OP_COMPAT 0x40u     /* issued through the 32-bit syscall table */
#define VIGIL_FILE_OP_IDENTITY 0x80u   /* dev, ino, nlink and file_mode are valid */
#define VIGIL_FILE_OP_OLD_ATTRS 0x100u /* old_mode, old_uid and old_gid are valid */
#define VIGIL_FILE_OP_IO_URING 0x200u  /* submitted through io_uring, not a syscall */

/* A file operation finished. `path` is the file the operation acts on (removed, renamed,
 * created, linked to, changed, the memfd's name, the bind source, the tree open_tree opens
 * or move_mount moves); `path2` is the second name when there is one (rename's and link's
 * new name, the symlink's new name with `path` its literal target, the mount point). */
struct vigil_file_op_event {
  struct vigil_event_header hdr;
  __s64 result;    /* 0 or a descriptor, or -errno */
  __u32 syscall;   /* enum vigil_file_op_syscall */
  __u32 flags;     /* VIGIL_FILE_OP_* */
  __u64 op_flags;  /* the call's flags argument (AT_*, RENAME_*, MFD_*, MS_*) */
  __u64 dev;       /* st_dev of the file (makedev(major, minor)); with IDENTITY */
  __u64 ino;       /* with IDENTITY */
  __s64 length;    /* truncate: the new length */
  __u32 nlink;     /* link count when seen; with IDENTITY */
  __u32 file_mode; /* i_mode when seen; with IDENTITY */
  __u32 mode;      /* chmod: the new mode; mkdir: the mode as passed */
  __u32 uid;       /* chown: the new owner as passed (4294967295: unchanged) */
  __u32 gid;
  __u32 old_mode;  /* with OLD_ATTRS: attributes before the change */
  __u32 old_uid;
  __u32 old_gid;
  __u16 path_len;
  __u16 path2_len;
  __u32 reserved;
  /* char path[path_len]; char path2[path2_len]; */
};

#endif /* VIGIL_BPF_ABI_FILE_OPS_H_ */

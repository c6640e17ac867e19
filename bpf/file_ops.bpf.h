/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * File module, operations other than open: unlink, rmdir, rename, mkdir, link, symlink,
 * chmod, chown, truncate, memfd_create and mount, seen when their syscall returns.
 * Included once by bpf/file.bpf.c, after the helpers it shares with opens (fd_to_file,
 * in_interest_set).
 *
 * Paths: a descriptor's path is walked from its struct file. A name relative to a
 * directory descriptor or the working directory has that directory walked by the
 * kernel's dentries and mounts and the caller's name appended (flagged FROM_ARG: the
 * syscall has returned, so the name's own dentry is not at hand); an absolute name is the
 * caller's string, relative to the task's root like every walked path.
 * Filtering: a syscall that is not a file operation costs one table lookup; one whose
 * event type no rule needs costs a bit test more. All attach modes see the operations at
 * the exit of every syscall (sys_exit).
 */
#ifndef VIGIL_BPF_FILE_OPS_BPF_H_
#define VIGIL_BPF_FILE_OPS_BPF_H_

#include "common.bpf.h"
#include "abi/file_ops.h"
#include "file_syscalls.bpf.h"

#define FILE_OP_AT_FDCWD -100
#define FILE_OP_MS_BIND 0x1000
#define FILE_OP_MS_MOVE 0x2000

/* Event type of a file-operation syscall id. */
static __always_inline __u32 file_op_event_type(__u32 sys) {
  if (sys <= VIGIL_SYS_RMDIR) return VIGIL_EVENT_UNLINK;
  if (sys <= VIGIL_SYS_RENAMEAT2) return VIGIL_EVENT_RENAME;
  if (sys <= VIGIL_SYS_MKDIRAT) return VIGIL_EVENT_MKDIR;
  if (sys <= VIGIL_SYS_LINKAT) return VIGIL_EVENT_LINK;
  if (sys <= VIGIL_SYS_SYMLINKAT) return VIGIL_EVENT_SYMLINK;
  if (sys <= VIGIL_SYS_FCHMODAT2) return VIGIL_EVENT_CHMOD;
  if (sys <= VIGIL_SYS_FCHOWNAT) return VIGIL_EVENT_CHOWN;
  if (sys <= VIGIL_SYS_FTRUNCATE) return VIGIL_EVENT_TRUNCATE;
  if (sys == VIGIL_SYS_MEMFD_CREATE) return VIGIL_EVENT_MEMFD;
  return VIGIL_EVENT_MOUNT;
}

/* Where one of an operation's paths comes from. */
enum file_op_path_kind {
  FILE_OP_PATH_NONE = 0,
  FILE_OP_PATH_AT,  /* (dirfd, user string), as the *at syscalls take it */
  FILE_OP_PATH_FD,  /* a descriptor */
  FILE_OP_PATH_RAW, /* a user string that is not resolved (a symlink's target) */
  FILE_OP_PATH_DENTRY, /* a dentry and its mount, as the kernel resolved the name */
};

struct file_op_path_arg {
  __u32 kind;
  __s32 fd;
  __u64 str;      /* user pointer, or kernel pointer with `kernel`; DENTRY: struct dentry * */
  __u64 mnt;      /* DENTRY: struct vfsmount * */
  __u32 kernel;   /* str is the kernel's copy of the name (io_uring's struct filename) */
  __u32 reserved;
};

/* Work state of one record's path building. It lives in a per-CPU map, not on the stack
 * or in registers: the verifier sees map contents as unknown values, so however a path's
 * source was decided, the one path walk below is entered in the same verifier state and
 * verified once (on the stack, each way in would verify the walk again). */
struct file_op_state {
  struct file_op_path_arg arg[2]; /* where path 1 and path 2 come from */
  __u64 dentry;                   /* struct dentry * to walk, with ... */
  __u64 mnt;                      /* ... its struct vfsmount * */
  __u64 inode;                    /* struct inode * that is the identity, or 0 */
  __u32 walk;                     /* walk (dentry, mnt) */
  __u32 append;                   /* the caller's name follows the walked directory */
  __u32 kernel_name;              /* the name at walk[FILE_OP_NAME] is the kernel's (memfd) */
  __u32 name_end;                 /* end of the caller's name in walk[], 0 without one */
  __u32 start, len;               /* the built path in walk[] */
  __u32 flags;                    /* VIGIL_FILE_OP_PATH_* bits of this path (path 1's) */
  __u32 wanted;
  __u32 listed;                   /* the record's identity is in the identity set */
  __u32 len1;                     /* bytes of path 1 in the record */
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct file_op_state);
} file_op_states SEC(".maps");

/* Syscall arguments 0-4 of the current syscall from the saved user registers. */
static __always_inline void file_op_regs(struct pt_regs *regs, bool compat, __u64 *arg,
                                         const bool fast) {
  if (compat) {
    arg[0] = VREAD(fast, regs, bx) & 0xffffffff;
    arg[1] = VREAD(fast, regs, cx) & 0xffffffff;
    arg[2] = VREAD(fast, regs, dx) & 0xffffffff;
    arg[3] = VREAD(fast, regs, si) & 0xffffffff;
    arg[4] = VREAD(fast, regs, di) & 0xffffffff;
  } else {
    arg[0] = VREAD(fast, regs, di);
    arg[1] = VREAD(fast, regs, si);
    arg[2] = VREAD(fast, regs, dx);
    arg[3] = VREAD(fast, regs, r10);
    arg[4] = VREAD(fast, regs, r8);
  }
}

static __always_inline void file_op_at(struct file_op_path_arg *p, __u64 dirfd, __u64 str) {
  p->kind = FILE_OP_PATH_AT;
  p->fd = (__s32)dirfd;
  p->str = str;
  p->kernel = 0;
}

static __always_inline void file_op_fd(struct file_op_path_arg *p, __u64 fd) {
  p->kind = FILE_OP_PATH_FD;
  p->fd = (__s32)fd;
  p->str = 0;
  p->kernel = 0;
}

static __always_inline void file_op_raw(struct file_op_path_arg *p, __u64 str) {
  p->kind = str ? FILE_OP_PATH_RAW : FILE_OP_PATH_NONE;
  p->fd = 0;
  p->str = str;
  p->kernel = 0;
}

static __always_inline void file_op_dentry(struct file_op_path_arg *p, struct dentry *dentry,
                                           struct vfsmount *mnt) {
  p->kind = dentry && mnt ? FILE_OP_PATH_DENTRY : FILE_OP_PATH_NONE;
  p->fd = 0;
  p->str = (__u64)dentry;
  p->mnt = (__u64)mnt;
  p->kernel = 0;
}

/* Fills the record's per-operation fields and says where its paths come from. */
static __always_inline void file_op_decode(__u32 id, const __u64 *arg, long ret,
                                           struct vigil_file_op_event *e,
                                           struct file_op_state *a) {
  const __u32 sys = id & FILE_OP_ID_MASK;
  const __u64 cwd = (__u64)(__s64)FILE_OP_AT_FDCWD;
  switch (sys) {
    case VIGIL_SYS_UNLINK:
    case VIGIL_SYS_RMDIR:
    case VIGIL_SYS_MKDIR:
    case VIGIL_SYS_CHMOD:
    case VIGIL_SYS_CHOWN:
    case VIGIL_SYS_LCHOWN:
    case VIGIL_SYS_TRUNCATE:
      file_op_at(&a->arg[0], cwd, arg[0]);
      e->mode = arg[1];
      e->uid = arg[1];
      e->gid = arg[2];
      break;
    case VIGIL_SYS_UNLINKAT:
      file_op_at(&a->arg[0], arg[0], arg[1]);
      e->op_flags = arg[2];
      break;
    case VIGIL_SYS_MKDIRAT:
    case VIGIL_SYS_FCHMODAT:
      file_op_at(&a->arg[0], arg[0], arg[1]);
      e->mode = arg[2];
      break;
    case VIGIL_SYS_FCHMODAT2:
      file_op_at(&a->arg[0], arg[0], arg[1]);
      e->mode = arg[2];
      e->op_flags = arg[3];
      break;
    case VIGIL_SYS_FCHOWNAT:
      file_op_at(&a->arg[0], arg[0], arg[1]);
      e->uid = arg[2];
      e->gid = arg[3];
      e->op_flags = arg[4];
      break;
    case VIGIL_SYS_RENAME:
    case VIGIL_SYS_LINK:
      file_op_at(&a->arg[0], cwd, arg[0]);
      file_op_at(&a->arg[1], cwd, arg[1]);
      break;
    case VIGIL_SYS_RENAMEAT:
    case VIGIL_SYS_RENAMEAT2:
    case VIGIL_SYS_LINKAT:
      file_op_at(&a->arg[0], arg[0], arg[1]);
      file_op_at(&a->arg[1], arg[2], arg[3]);
      e->op_flags = sys == VIGIL_SYS_RENAMEAT ? 0 : arg[4];
      break;
    case VIGIL_SYS_SYMLINK:
      file_op_raw(&a->arg[0], arg[0]);
      file_op_at(&a->arg[1], cwd, arg[1]);
      break;
    case VIGIL_SYS_SYMLINKAT:
      file_op_raw(&a->arg[0], arg[0]);
      file_op_at(&a->arg[1], arg[1], arg[2]);
      break;
    case VIGIL_SYS_FCHMOD:
    case VIGIL_SYS_FCHOWN:
    case VIGIL_SYS_FTRUNCATE:
      file_op_fd(&a->arg[0], arg[0]);
      e->mode = arg[1];
      e->uid = arg[1];
      e->gid = arg[2];
      break;
    case VIGIL_SYS_MEMFD_CREATE:
      if (ret >= 0)
        file_op_fd(&a->arg[0], ret);
      else
        file_op_raw(&a->arg[0], arg[0]);
      e->op_flags = arg[1];
      break;
    case VIGIL_SYS_MOUNT:
      if (arg[3] & (FILE_OP_MS_BIND | FILE_OP_MS_MOVE))
        file_op_at(&a->arg[0], cwd, arg[0]);
      else
        file_op_raw(&a->arg[0], arg[0]);
      file_op_at(&a->arg[1], cwd, arg[1]);
      e->op_flags = arg[3];
      break;
    case VIGIL_SYS_OPEN_TREE:
      file_op_at(&a->arg[0], arg[0], arg[1]);
      e->op_flags = arg[2];
      break;
    case VIGIL_SYS_MOVE_MOUNT:
      file_op_at(&a->arg[0], arg[0], arg[1]);
      file_op_at(&a->arg[1], arg[2], arg[3]);
      e->op_flags = arg[4];
      break;
    default:
      break;
  }
  if (sys == VIGIL_SYS_TRUNCATE || sys == VIGIL_SYS_FTRUNCATE) {
    e->length = (id & FILE_OP_LEN64) ? (__s64)(arg[1] | (arg[2] << 32)) : (__s64)arg[1];
  }
  if (sys != VIGIL_SYS_CHMOD && sys != VIGIL_SYS_FCHMOD && sys != VIGIL_SYS_FCHMODAT &&
      sys != VIGIL_SYS_FCHMODAT2 && sys != VIGIL_SYS_MKDIR && sys != VIGIL_SYS_MKDIRAT)
    e->mode = 0;
  if (sys == VIGIL_SYS_CHOWN || sys == VIGIL_SYS_LCHOWN || sys == VIGIL_SYS_FCHOWN ||
      sys == VIGIL_SYS_FCHOWNAT) {
    if (id & FILE_OP_UID16) {
      e->uid = (e->uid & 0xffff) == 0xffff ? 0xffffffff : e->uid & 0xffff;
      e->gid = (e->gid & 0xffff) == 0xffff ? 0xffffffff : e->gid & 0xffff;
    }
  } else {
    e->uid = 0;
    e->gid = 0;
  }
}

/* The file-operation table byte of syscall `nr` of the current task, or 0 (also for an
 * open); *compat says which table. */
static __always_inline __u32 file_op_current(__u64 nr, bool *compat, const bool fast) {
  struct task_struct *task = NULL;
  const __u32 byte = file_syscall_byte(nr, &task, compat, fast);
  return byte & FILE_SYS_OPEN ? 0 : byte;
}

/* Kernel dev_t (major << 20 | minor) to the st_dev encoding user space sees. */
static __always_inline __u64 file_op_user_dev(__u32 dev) {
  __u32 major = dev >> 20, minor = dev & 0xfffff;
  return (minor & 0xff) | (major << 8) | ((__u64)(minor & ~0xffu) << 12);
}

/* Records the identity of `inode` in the record; true when it is in the identity set. */
static __always_inline bool file_op_identity(struct vigil_file_op_event *e, struct inode *inode,
                                             const bool fast) {
  struct super_block *sb = VREAD(fast, inode, i_sb);
  __u32 dev = VREAD(fast, sb, s_dev);
  e->dev = file_op_user_dev(dev);
  e->ino = VREAD(fast, inode, i_ino);
  e->nlink = VREAD(fast, inode, __i_nlink);
  e->file_mode = VREAD(fast, inode, i_mode);
  e->flags |= VIGIL_FILE_OP_IDENTITY;
  return in_identity_set(dev, e->ino);
}

/* True when the caller's name walk[from, to) may have a hidden, "." or ".." component or
 * an empty one ("//"): some '/' is followed by '.' or '/'. The kernel-walked part of a path
 * is canonical and its hidden components were noted by the walk. A pre-filter, eight bytes
 * a step, for names of at most FILE_OP_NAME_SCAN bytes (longer ones are suspect; it may
 * say yes wrongly, never no wrongly; user space decides exactly): a name that is not canonical skips the
 * interest set, since its bytes need not start with the prefix the file is under
 * ("/tmp/../etc/shadow"). walk[from - 1] is the byte before the name (see file_op_locate). */
#define FILE_OP_NAME_SCAN 512
#define FILE_OP_BYTES(c) (0x0101010101010101ull * (c))
static __always_inline __u64 file_op_zero_bytes(__u64 x) {
  return (x - FILE_OP_BYTES(0x01)) & ~x & FILE_OP_BYTES(0x80);
}
static __always_inline bool file_op_name_suspect(struct vigil_scratch *s, __u32 from, __u32 to) {
  if (to > from + FILE_OP_NAME_SCAN) return true; /* too long to scan: user space decides */
  from = (from - 1) & ~7u;
  __u64 carry = 0;
#pragma clang loop unroll(disable)
  for (__u32 i = 0; i <= FILE_OP_NAME_SCAN / 8; i++) {
    __u32 at = from + i * 8;
    if (at >= to) break;
    __u64 w = *(__u64 *)&s->walk[VIGIL_MASK(at, VIGIL_PATH_WALK_MASK & ~7)];
    if (to - at < 8) w &= (1ull << ((to - at) * 8)) - 1; /* bytes past the name are stale */
    __u64 slash = file_op_zero_bytes(w ^ FILE_OP_BYTES('/'));
    __u64 dot = file_op_zero_bytes(w ^ FILE_OP_BYTES('.'));
    if (((slash << 8) | carry) & (dot | slash)) return true;
    carry = slash >> 56;
  }
  return false;
}

/* Decides where path k (0 or 1) comes from: st->dentry and st->mnt to walk, a caller's
 * name at walk[FILE_OP_NAME, st->name_end), or both (a name relative to a directory).
 * A name is read once, to walk[FILE_OP_NAME, ...); a relative one gets the walked directory
 * and a '/' (at FILE_OP_NAME - 1) in front of it. */
#define FILE_OP_NAME (VIGIL_PATH_WALK_END + 1)
static __always_inline void file_op_locate(struct vigil_scratch *s, struct file_op_state *st,
                                           __u32 k, const bool fast) {
  const struct file_op_path_arg *arg = &st->arg[k & 1];
  struct file *file = NULL;
  st->walk = 0;
  st->append = 0;
  st->kernel_name = 0;
  st->name_end = 0;
  st->inode = 0;
  if (arg->kind == FILE_OP_PATH_NONE) return;
  if (arg->kind == FILE_OP_PATH_DENTRY) {
    struct dentry *dentry = (struct dentry *)arg->str;
    st->dentry = (__u64)dentry;
    st->mnt = arg->mnt;
    st->inode = (__u64)BPF_CORE_READ(dentry, d_inode);
    st->walk = 1;
    return;
  }
  if (arg->kind != FILE_OP_PATH_FD) {
    long n = arg->kernel ? bpf_probe_read_kernel_str(&s->walk[FILE_OP_NAME],
                                                     VIGIL_PATH_WALK_END - 2,
                                                     (const void *)arg->str)
                         : bpf_probe_read_user_str(&s->walk[FILE_OP_NAME],
                                                   VIGIL_PATH_WALK_END - 2,
                                                   (const void *)arg->str);
    if (n < 0) return;
    if (n == 0) n = 1; /* an empty string, as kernels before 5.12 count it (no NUL) */
    /* The separator a relative name gets; for the scan, the start of any name but an
     * absolute one counts as following a '/'. */
    s->walk[VIGIL_PATH_WALK_END] = s->walk[FILE_OP_NAME] == '/' ? 0 : '/';
    if (n > 1 || arg->kind != FILE_OP_PATH_AT || arg->fd < 0) {
      st->name_end = FILE_OP_NAME + ((__u32)(n - 1) & VIGIL_PATH_MAX);
      if (arg->kind == FILE_OP_PATH_RAW || s->walk[FILE_OP_NAME] == '/') return;
      st->append = 1;
      if (arg->fd == FILE_OP_AT_FDCWD) {
        struct task_struct *task = current_task(fast);
        struct fs_struct *fs = VREAD(fast, task, fs);
        st->dentry = (__u64)VREAD(fast, fs, pwd.dentry);
        st->mnt = (__u64)VREAD(fast, fs, pwd.mnt);
        st->walk = 1;
        return;
      }
    }
    /* The directory of a relative name, or with an empty name (AT_EMPTY_PATH) the file. */
  }
  file = fd_to_file(arg->fd, fast);
  if (!file) {
    st->name_end = 0;
    return;
  }
  struct dentry *dentry = VREAD(fast, file, f_path.dentry);
  if (!st->append) st->inode = (__u64)VREAD(fast, file, f_inode);
  if (!st->append && is_memfd(dentry)) {
    /* In no directory: its path is its name, "/memfd:<name>" (at most 255 bytes). */
    long n = bpf_probe_read_kernel_str(&s->walk[FILE_OP_NAME], 256,
                                       BPF_CORE_READ(dentry, d_name.name));
    s->walk[VIGIL_PATH_WALK_END] = '/';
    st->name_end = FILE_OP_NAME + (n > 1 ? ((__u32)(n - 1) & 255) : 0);
    st->kernel_name = 1;
    return;
  }
  st->dentry = (__u64)dentry;
  st->mnt = (__u64)VREAD(fast, file, f_path.mnt);
  st->walk = 1;
}

/* Builds path k in walk[st->start, +st->len) and sets its st->flags; false when there is
 * none (or its descriptor is gone). */
static __always_inline bool file_op_build_path(struct vigil_scratch *s, struct file_op_state *st,
                                               __u32 k, const bool fast) {
  struct vigil_path p = {};
  file_op_locate(s, st, k, fast);
  st->flags = 0;
  if (!st->walk && !st->name_end) return false;
  if (st->walk) {
    resolve_path(s, VCAST(fast, struct dentry, st->dentry),
                 VCAST(fast, struct vfsmount, st->mnt), &p, fast);
    st->start = p.start;
    st->len = p.len;
    if (p.truncated) st->flags |= VIGIL_FILE_OP_PATH_TRUNCATED;
    if (p.hidden) st->flags |= VIGIL_FILE_OP_PATH_HIDDEN;
  }
  if (st->kernel_name) {
    st->start = VIGIL_PATH_WALK_END;
    st->len = st->name_end - st->start;
  } else if (st->name_end) {
    st->flags |= VIGIL_FILE_OP_PATH_FROM_ARG;
    /* The root's '/' is the separator itself. */
    if (!st->append || st->len <= 1) st->start = st->append ? VIGIL_PATH_WALK_END : FILE_OP_NAME;
    st->len = st->name_end - st->start;
    if (file_op_name_suspect(s, FILE_OP_NAME, st->name_end)) {
      st->flags |= VIGIL_FILE_OP_PATH_HIDDEN;
      st->wanted = 1; /* maybe not canonical: the interest set cannot tell */
    }
  }
  return true;
}

/* Copies the last VIGIL_FILE_OP_PATH_MAX bytes of the built path to dst; returns the
 * length copied, flagging a cut at the root end. */
static __always_inline __u32 file_op_copy_path(struct vigil_scratch *s, struct file_op_state *st,
                                               char *dst) {
  __u32 start = st->start, len = st->len;
  if (len > VIGIL_FILE_OP_PATH_MAX) {
    start += len - VIGIL_FILE_OP_PATH_MAX;
    len = VIGIL_FILE_OP_PATH_MAX;
    st->flags |= VIGIL_FILE_OP_PATH_TRUNCATED;
  }
  len = VIGIL_MASK(len, 4095);
  if (len > VIGIL_FILE_OP_PATH_MAX) len = VIGIL_FILE_OP_PATH_MAX;
  bpf_probe_read_kernel(dst, len, &s->walk[VIGIL_MASK(start, VIGIL_PATH_WALK_MASK)]);
  return len;
}

/* The scratch buffer and path state of one record, with the record's fixed fields reset;
 * null when either map lookup failed (counted). */
static __always_inline struct file_op_state *file_op_begin(struct vigil_scratch **sp) {
  __u32 zero = 0;
  struct vigil_scratch *s = get_scratch();
  if (!s) return NULL;
  struct file_op_state *st = bpf_map_lookup_elem(&file_op_states, &zero);
  if (!st) return NULL;
  struct vigil_file_op_event *e = (struct vigil_file_op_event *)s->record;
  e->flags = 0;
  e->op_flags = 0;
  e->dev = 0;
  e->ino = 0;
  e->length = 0;
  e->nlink = 0;
  e->file_mode = 0;
  e->mode = 0;
  e->uid = 0;
  e->gid = 0;
  e->old_mode = 0;
  e->old_uid = 0;
  e->old_gid = 0;
  e->reserved = 0;
  st->arg[0].kind = FILE_OP_PATH_NONE;
  st->arg[1].kind = FILE_OP_PATH_NONE;
  st->listed = 0;
  *sp = s;
  return st;
}

/* Builds the record of operation `sys` (event `type`) in s->record from st->arg[] and the
 * fields already set, with the header of the current task; returns its size, or 0 when no
 * rule wants it (counted). `ret` is the result when known (identity needs success). */
static __always_inline __u32 file_op_build(struct vigil_scratch *s, struct file_op_state *st,
                                           __u32 sys, __u32 type, long ret, const bool fast) {
  struct vigil_file_op_event *e = (struct vigil_file_op_event *)s->record;
  st->wanted = ((filter_cfg.all_paths_mask >> type) & 1) | st->listed;
  st->len1 = 0;
  __u32 len2 = 0;
#pragma clang loop unroll(disable)
  for (__u32 k = 0; k < 2; k++) {
    __u32 len = 0;
    if (file_op_build_path(s, st, k, fast)) {
      if ((st->flags & VIGIL_FILE_OP_PATH_HIDDEN) && (filter_cfg.file_flags & VIGIL_FILTER_HIDDEN))
        st->wanted = 1;
      if (!st->wanted && in_interest_set(s, st->start, st->len, type)) st->wanted = 1;
      if (k == 0 && st->inode && ret >= 0 &&
          file_op_identity(e, VCAST(fast, struct inode, st->inode), fast))
        st->wanted = 1;
      len = file_op_copy_path(s, st, (char *)(e + 1) + VIGIL_MASK(k ? st->len1 : 0, 4095));
      e->flags |= st->flags << (k & 1);
    }
    if (k == 0)
      st->len1 = len;
    else
      len2 = len;
  }
  __u32 len1 = VIGIL_MASK(st->len1, 4095);
  if (len1 > VIGIL_FILE_OP_PATH_MAX) len1 = VIGIL_FILE_OP_PATH_MAX;
  len2 = VIGIL_MASK(len2, 4095);
  if (len2 > VIGIL_FILE_OP_PATH_MAX) len2 = VIGIL_FILE_OP_PATH_MAX;
  if (!st->wanted) {
    count(VIGIL_STAT_FILTERED_PATH);
    return 0;
  }
  if (e->flags & (VIGIL_FILE_OP_PATH_TRUNCATED | VIGIL_FILE_OP_PATH2_TRUNCATED))
    count(VIGIL_STAT_PATH_TRUNCATED);
  fill_header(&e->hdr, type);
  if (e->flags & VIGIL_FILE_OP_IO_URING) attribute_to_process(&e->hdr);
  e->result = ret;
  e->syscall = sys;
  e->path_len = len1;
  e->path2_len = len2;
  __u32 size = sizeof(*e) + len1 + len2;
  e->hdr.size = size;
  return size;
}

#include "file_ctime.bpf.h"

/* ---- fentry mode: the kernel's own names, from the security_path_* hooks ----
 * Inside a path operation the kernel calls security_path_<op>() (CONFIG_SECURITY_PATH, which
 * AppArmor and TOMOYO need) with the directory it resolved and the dentry of the last
 * component, or the path of the file itself; fentry programs there build the whole record
 * from those dentries and mounts (no caller's string: symlinks, "..", dirfds and races are
 * the kernel's business) with the identity and, for chmod and chown, the attributes before
 * the change. The record is parked for the thread; the syscall's exit (fe_sys_exit_ops)
 * fills in the result and the arguments and submits it, or builds the record the exit way
 * when nothing is parked for that syscall. A hook only parks inside the syscall whose
 * operation it is (its number read from the saved registers): an open's O_TRUNC, an
 * io_uring request or a kernel-internal caller parks nothing. */
#define FILE_OP_PARKED_MAX 1024

struct file_op_parked {
  __u8 record[VIGIL_RECORD_MAX]; /* a vigil_file_op_event; hdr.size 0: no rule wants it */
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __uint(max_entries, FILE_OP_PARKED_MAX);
  __type(key, __u32); /* thread id */
  __type(value, struct file_op_parked);
} file_op_parked SEC(".maps");

/* security_path_<op> of event `type` with path 1 (d1 in m1, or the raw kernel string `raw`)
 * and path 2 (d2 in m2): parks the record when the current syscall is such an operation. */
static __always_inline void file_op_hook(__u32 type, struct dentry *d1, struct vfsmount *m1,
                                         const char *raw, struct dentry *d2, struct vfsmount *m2) {
  if (!((filter_cfg.type_mask >> type) & 1)) return;
  if (self_tgid && (bpf_get_current_pid_tgid() >> 32) == self_tgid) return;
  struct pt_regs *regs = current_user_regs();
  bool compat = false;
  __u32 id = file_op_current(BPF_CORE_READ(regs, orig_ax), &compat, false);
  __u32 sys = id & FILE_OP_ID_MASK;
  if (!sys || file_op_event_type(sys) != type) return;
  struct vigil_scratch *s = NULL;
  struct file_op_state *st = file_op_begin(&s);
  if (!st || !s) return;
  struct vigil_file_op_event *e = (struct vigil_file_op_event *)s->record;
  if (compat) e->flags = VIGIL_FILE_OP_COMPAT;
  if (raw) {
    file_op_raw(&st->arg[0], (__u64)raw);
    st->arg[0].kernel = 1;
  } else {
    file_op_dentry(&st->arg[0], d1, m1);
  }
  if (d2) file_op_dentry(&st->arg[1], d2, m2);
  if (!file_op_build(s, st, sys, type, 0, false)) e->hdr.size = 0;
  e->syscall = sys;
  if (e->flags & VIGIL_FILE_OP_IDENTITY) {
    struct inode *inode = BPF_CORE_READ(d1, d_inode);
    e->old_mode = e->file_mode;
    e->old_uid = BPF_CORE_READ(inode, i_uid.val);
    e->old_gid = BPF_CORE_READ(inode, i_gid.val);
    e->flags |= VIGIL_FILE_OP_OLD_ATTRS;
  }
  __u32 tid = (__u32)bpf_get_current_pid_tgid();
  if (bpf_map_update_elem(&file_op_parked, &tid, s->record, BPF_ANY)) count(VIGIL_STAT_DROP_SCRATCH);
}

/* At the exit of file-operation syscall `sys`: submits the record a hook parked for it, if
 * any (true), after filling in the result and the syscall's arguments. */
static __always_inline bool file_op_unpark(struct pt_regs *regs, __u32 id, bool compat,
                                           long ret) {
  __u32 tid = (__u32)bpf_get_current_pid_tgid();
  struct vigil_file_op_event *e = bpf_map_lookup_elem(&file_op_parked, &tid);
  if (!e) return false;
  const __u32 sys = id & FILE_OP_ID_MASK;
  bool mine = e->syscall == sys && !(e->flags & VIGIL_FILE_OP_COMPAT) == !compat;
  if (mine && e->hdr.size) {
    __u32 zero = 0;
    struct file_op_state *st = bpf_map_lookup_elem(&file_op_states, &zero);
    if (ret < 0 && !(filter_cfg.file_flags & VIGIL_FILTER_FAILED)) {
      count(VIGIL_STAT_FILTERED_PATH);
    } else if (st) {
      __u64 arg[5];
      file_op_regs(regs, compat, arg, false);
      file_op_decode(id, arg, ret, e, st);
      e->result = ret;
      submit(e, e->hdr.size);
    }
  }
  bpf_map_delete_elem(&file_op_parked, &tid);
  return mine;
}

/* A file-operation syscall `id` (table entry) returned `ret`: build and submit its record
 * when a rule may want it. `parked`: hooks may have parked the record (fentry mode). */
static __always_inline void file_op_exit(struct pt_regs *regs, __u32 id, bool compat, long ret,
                                         const bool fast, const bool parked) {
  const __u32 sys = id & FILE_OP_ID_MASK;
  const __u32 type = file_op_event_type(sys);
  if (parked && file_op_unpark(regs, id, compat, ret)) return;
  if (!type_enabled(type) || is_self()) {
    if (!parked) file_op_touched_forget();
    return;
  }
  if (ret < 0 && !(filter_cfg.file_flags & VIGIL_FILTER_FAILED)) {
    if (!parked) file_op_touched_forget();
    count(VIGIL_STAT_FILTERED_PATH);
    return;
  }
  struct vigil_scratch *s = NULL;
  struct file_op_state *st = file_op_begin(&s);
  if (!st || !s) return;
  struct vigil_file_op_event *e = (struct vigil_file_op_event *)s->record;
  __u64 arg[5];
  file_op_regs(regs, compat, arg, fast);
  if (compat) e->flags = VIGIL_FILE_OP_COMPAT;
  file_op_decode(id, arg, ret, e, st);
  if (!parked) st->listed = file_op_touched_identity(e, id, compat);
  __u32 size = file_op_build(s, st, sys, type, ret, fast);
  if (size) submit(e, size);
}


/* ---- fentry mode: the exit of every syscall, through a raw tracepoint ----
 * Opens have fexit programs on their syscall functions in this mode; the two dozen file
 * operations (and their ia32 twins) share one program on sys_exit instead, which attaches
 * in one step where that many trampolines would take seconds, and costs other syscalls one
 * table lookup. raw_tp rather than tp_btf: some kernels refuse tp_btf on sys_exit's
 * pt_regs argument. */
SEC("raw_tp/sys_exit")
int BPF_PROG(fe_sys_exit_ops, struct pt_regs *regs, long ret) {
  bool compat = false;
  const __u32 id = file_op_current(BPF_CORE_READ(regs, orig_ax), &compat, false);
  if (id) file_op_exit(regs, id, compat, ret, false, true);
  return 0;
}

/* The hooks: one program each, all optional (kernels without CONFIG_SECURITY_PATH keep the
 * exit's names). The dentry of a new name (mkdir, symlink, link, rename's target) is
 * negative or another file's; only path 1 carries the identity. */

/* security_path_<op>(dir, dentry): the name `dentry` in the resolved directory `dir`. */
#define VIGIL_PATH_HOOK_IN_DIR(op, type)                                              \
  SEC("fentry/security_path_" #op)                                                    \
  int BPF_PROG(fe_path_##op, const struct path *dir, struct dentry *dentry) {        \
    file_op_hook(type, dentry, BPF_CORE_READ(dir, mnt), NULL, NULL, NULL);            \
    return 0;                                                                         \
  }

/* security_path_<op>(path): the file itself. */
#define VIGIL_PATH_HOOK_ON_FILE(op, type)                                             \
  SEC("fentry/security_path_" #op)                                                    \
  int BPF_PROG(fe_path_##op, const struct path *path) {                              \
    file_op_hook(type, BPF_CORE_READ(path, dentry), BPF_CORE_READ(path, mnt), NULL,   \
                 NULL, NULL);                                                         \
    return 0;                                                                         \
  }

VIGIL_PATH_HOOK_IN_DIR(unlink, VIGIL_EVENT_UNLINK)
VIGIL_PATH_HOOK_IN_DIR(rmdir, VIGIL_EVENT_UNLINK)
VIGIL_PATH_HOOK_IN_DIR(mkdir, VIGIL_EVENT_MKDIR)
VIGIL_PATH_HOOK_ON_FILE(chmod, VIGIL_EVENT_CHMOD)
VIGIL_PATH_HOOK_ON_FILE(chown, VIGIL_EVENT_CHOWN)
VIGIL_PATH_HOOK_ON_FILE(truncate, VIGIL_EVENT_TRUNCATE)

SEC("fentry/security_path_rename")
int BPF_PROG(fe_path_rename, const struct path *old_dir, struct dentry *old_dentry,
             const struct path *new_dir, struct dentry *new_dentry) {
  file_op_hook(VIGIL_EVENT_RENAME, old_dentry, BPF_CORE_READ(old_dir, mnt), NULL, new_dentry,
               BPF_CORE_READ(new_dir, mnt));
  return 0;
}

/* A hard link never crosses mounts: the old name is on the new directory's mount. */
SEC("fentry/security_path_link")
int BPF_PROG(fe_path_link, struct dentry *old_dentry, const struct path *new_dir,
             struct dentry *new_dentry) {
  struct vfsmount *mnt = BPF_CORE_READ(new_dir, mnt);
  file_op_hook(VIGIL_EVENT_LINK, old_dentry, mnt, NULL, new_dentry, mnt);
  return 0;
}

SEC("fentry/security_path_symlink")
int BPF_PROG(fe_path_symlink, const struct path *dir, struct dentry *dentry,
             const char *old_name) {
  file_op_hook(VIGIL_EVENT_SYMLINK, NULL, NULL, old_name, dentry, BPF_CORE_READ(dir, mnt));
  return 0;
}

#endif /* VIGIL_BPF_FILE_OPS_BPF_H_ */

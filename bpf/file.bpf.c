/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * File module: open, openat, openat2, creat and open_by_handle_at, seen at syscall exit,
 * and the other file operations (file_ops.bpf.h) on the same hooks.
 *
 * On success the reported path is walked from the struct file the new descriptor refers
 * to, so relative paths, dirfds, symlinks and races on the caller's string cannot change
 * what is reported. Opens no rule needs are dropped here, after the walk, through the
 * interest set (path prefixes in an LPM trie, plus "has a hidden component"), unless the
 * opened inode is in the identity set (device and inode number in a hash map), which
 * catches a listed file reached by another name: a hard link, a bind mount, a handle.
 * 32-bit (compat) syscalls are decoded too, so they are no way around the probe.
 */
#include "common.bpf.h"
#include "abi/file.h"
#include "file_syscalls.bpf.h"

struct {
  __uint(type, BPF_MAP_TYPE_LPM_TRIE);
  __uint(max_entries, 4096);
  __type(key, struct vigil_prefix_key);
  __type(value, __u32);
  __uint(map_flags, BPF_F_NO_PREALLOC);
} path_prefixes SEC(".maps");

/* Bit c set: some interest prefix has byte c right after the leading '/' (all bits set
 * when a prefix is "/"). A path whose first byte after '/' is not here cannot match any
 * prefix, so the trie lookup is skipped. Written by user space (FileProbe). */
__u64 prefix_first_byte[4] = {};

/* Inodes opens of which are wanted whatever their path (user space keeps it current). */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, VIGIL_FILE_IDS_MAX);
  __type(key, struct vigil_file_id);
  __type(value, __u32);
} file_ids SEC(".maps");

/* Entries in file_ids: with none, the lookup is skipped. Written by user space. */
__u32 file_id_count = 0;

#define X64_OPEN 2
#define X64_CREAT 85
#define X64_OPENAT 257
#define X64_OPEN_BY_HANDLE_AT 304
#define X64_OPENAT2 437
#define IA32_OPEN 5
#define IA32_CREAT 8
#define IA32_OPENAT 295
#define IA32_OPEN_BY_HANDLE_AT 342
#define IA32_OPENAT2 437

#define O_CREAT_WRONLY_TRUNC 01101

struct open_args {
  __u32 syscall;
  __u32 flags;
  __u32 mode;
  __u32 compat;
  const char *path; /* user pointer, NULL when the syscall has no path */
};

/* Decodes the syscall number and arguments; returns false for anything not an open. */
static __always_inline bool decode_args(struct pt_regs *regs, __u64 nr, struct open_args *a,
                                        const bool fast) {
  struct task_struct *task = current_task(fast);
  __u64 arg[4];
  a->compat = VREAD(fast, task, thread_info.status) & TS_COMPAT;
  if (a->compat) {
    arg[0] = VREAD(fast, regs, bx) & 0xffffffff;
    arg[1] = VREAD(fast, regs, cx) & 0xffffffff;
    arg[2] = VREAD(fast, regs, dx) & 0xffffffff;
    arg[3] = VREAD(fast, regs, si) & 0xffffffff;
    switch (nr) {
      case IA32_OPEN: nr = X64_OPEN; break;
      case IA32_CREAT: nr = X64_CREAT; break;
      case IA32_OPENAT: nr = X64_OPENAT; break;
      case IA32_OPEN_BY_HANDLE_AT: nr = X64_OPEN_BY_HANDLE_AT; break;
      case IA32_OPENAT2: nr = X64_OPENAT2; break;
      default: return false;
    }
  } else {
    arg[0] = VREAD(fast, regs, di);
    arg[1] = VREAD(fast, regs, si);
    arg[2] = VREAD(fast, regs, dx);
    arg[3] = VREAD(fast, regs, r10);
  }
  switch (nr) {
    case X64_OPEN:
      a->syscall = VIGIL_SYS_OPEN;
      a->path = (const char *)arg[0];
      a->flags = arg[1];
      a->mode = arg[2];
      break;
    case X64_CREAT:
      a->syscall = VIGIL_SYS_CREAT;
      a->path = (const char *)arg[0];
      a->flags = O_CREAT_WRONLY_TRUNC;
      a->mode = arg[1];
      break;
    case X64_OPENAT:
      a->syscall = VIGIL_SYS_OPENAT;
      a->path = (const char *)arg[1];
      a->flags = arg[2];
      a->mode = arg[3];
      break;
    case X64_OPENAT2: {
      struct open_how how = {};
      a->syscall = VIGIL_SYS_OPENAT2;
      a->path = (const char *)arg[1];
      bpf_probe_read_user(&how, sizeof(how), (void *)arg[2]);
      a->flags = how.flags;
      a->mode = how.mode;
      break;
    }
    case X64_OPEN_BY_HANDLE_AT:
      a->syscall = VIGIL_SYS_OPEN_BY_HANDLE_AT;
      a->path = NULL;
      a->flags = arg[2];
      a->mode = 0;
      break;
    default: /* a native syscall whose number is an open only in the 32-bit table */
      return false;
  }
  return true;
}

/* The struct file behind descriptor `fd` of the current task, or NULL. */
static __always_inline struct file *fd_to_file(long fd, const bool fast) {
  return task_fd_file(current_task(fast), fd, fast);
}

/* False when no interest prefix can match a path whose top-level component starts
 * with `first` (0 for the path "/"). */
static __always_inline bool first_byte_may_match(__u8 first) {
  return (prefix_first_byte[(first >> 6) & 3] >> (first & 63)) & 1;
}

/* True when the path walk[start, start+len) has a prefix in the interest set that events
 * of `type` want (the trie's value: a mask of event types, each prefix's including those
 * of its own shorter prefixes, since a lookup finds the longest one only). */
static __always_inline bool in_interest_set(struct vigil_scratch *s, __u32 start, __u32 len,
                                            __u32 type) {
  __u8 first = len > 1 ? s->walk[VIGIL_MASK(start + 1, VIGIL_PATH_WALK_MASK)] : 0;
  if (!first_byte_may_match(first)) return false;
  __u32 n = len & 511;
  if (n > VIGIL_PREFIX_MAX) n = VIGIL_PREFIX_MAX;
  s->key.prefixlen = n * 8;
  bpf_probe_read_kernel(s->key.data, VIGIL_MASK(n, 511),
                        &s->walk[VIGIL_MASK(start, VIGIL_PATH_WALK_MASK)]);
  __u32 *types = bpf_map_lookup_elem(&path_prefixes, &s->key);
  return types && ((*types >> (type & 31)) & 1);
}

/* True when the inode (dev, ino) is in the identity set. */
static __always_inline bool in_identity_set(__u32 dev, __u64 ino) {
  if (file_id_count == 0) return false;
  struct vigil_file_id key = {.ino = ino, .dev = dev, .pad = 0};
  return bpf_map_lookup_elem(&file_ids, &key) != NULL;
}

/* The cheap verdict on an open that returned descriptor `fd`: true (counted) when no rule
 * can want it, told from the first byte of the file's top-level path component, its hidden
 * components and its identity, before the call is decoded or the path built. Most opens
 * end here. */
static __always_inline bool open_dropped(struct task_struct *task, long fd, const bool fast) {
  const __u32 cfg = filter_cfg.file_flags;
  if (cfg & VIGIL_FILTER_ALL_FILES) return false;
  struct vigil_scratch *s = get_scratch();
  if (!s) return false;
  struct file *file = task_fd_file(task, fd, fast);
  if (!file) return false;
  bool hidden;
  __u8 first;
  if (!scan_path(s, task, VREAD(fast, file, f_path.dentry), VREAD(fast, file, f_path.mnt),
                 &hidden, &first, fast))
    return false;
  if ((hidden && (cfg & VIGIL_FILTER_HIDDEN)) || first_byte_may_match(first)) return false;
  struct inode *inode = VREAD(fast, file, f_inode);
  struct super_block *sb = VREAD(fast, inode, i_sb);
  if (in_identity_set(VREAD(fast, sb, s_dev), VREAD(fast, inode, i_ino))) return false;
  count(VIGIL_STAT_FILTERED_PATH);
  return true;
}

/* An open described by `a` returned `ret`; its type is enabled and open_dropped() did not
 * drop it: builds and submits its record when a rule may want it. `flags` are VIGIL_OPEN_*
 * bits the caller knows (compat, io_uring). */
static __always_inline void emit_open(const struct open_args *a, long ret, __u32 flags,
                                      const bool fast) {
  if (is_self()) return;
  __u32 cfg = filter_cfg.file_flags;
  if (ret < 0 && !(cfg & VIGIL_FILTER_FAILED)) {
    count(VIGIL_STAT_FILTERED_PATH);
    return;
  }
  struct vigil_scratch *s = get_scratch();
  if (!s) return;
  struct vigil_open_event *e = (struct vigil_open_event *)s->record;
  struct vigil_path p = {};
  e->flags = flags;
  e->file_mode = 0;
  e->dev = 0;
  e->nlink = 0;
  e->ino = 0;

  if (ret >= 0) {
    struct file *file = fd_to_file(ret, fast);
    if (!file) {
      count(VIGIL_STAT_FD_LOOKUP_FAILED);
      return;
    }
    struct dentry *dentry = VREAD(fast, file, f_path.dentry);
    struct vfsmount *vfsmnt = VREAD(fast, file, f_path.mnt);
    struct inode *inode = VREAD(fast, file, f_inode);
    struct super_block *sb = VREAD(fast, inode, i_sb);
    e->dev = VREAD(fast, sb, s_dev);
    e->ino = VREAD(fast, inode, i_ino);
    resolve_path(s, dentry, vfsmnt, &p, fast);
    e->file_mode = VREAD(fast, inode, i_mode);
    /* i_nlink is const in a union with __i_nlink, which CO-RE can read into a variable. */
    e->nlink = VREAD(fast, inode, __i_nlink);
    if (p.hidden) e->flags |= VIGIL_OPEN_PATH_HIDDEN;
    if (p.truncated) e->flags |= VIGIL_OPEN_PATH_TRUNCATED;
  } else {
    /* Failed: all we have is the caller's string. */
    long n = a->path ? bpf_probe_read_user_str(&s->walk[0], VIGIL_PATH_MAX + 1, a->path) : 0;
    if (n <= 0) n = 1;
    p.start = 0;
    p.len = (__u32)(n - 1) & VIGIL_PATH_MAX;
    e->flags |= VIGIL_OPEN_PATH_UNRESOLVED;
  }

  bool wanted = (cfg & VIGIL_FILTER_ALL_FILES) || (p.hidden && (cfg & VIGIL_FILTER_HIDDEN)) ||
                in_interest_set(s, p.start, p.len, VIGIL_EVENT_OPEN);
  if (!wanted && ret >= 0) {
    wanted = in_identity_set(e->dev, e->ino);
  }
  if (!wanted) {
    count(VIGIL_STAT_FILTERED_PATH);
    return;
  }
  if (p.truncated) count(VIGIL_STAT_PATH_TRUNCATED);

  fill_header(&e->hdr, VIGIL_EVENT_OPEN);
  if (flags & VIGIL_OPEN_IO_URING) attribute_to_process(&e->hdr);
  e->result = ret;
  e->syscall = a->syscall;
  e->open_flags = a->flags;
  e->mode = a->mode;
  __u32 len = copy_path(s, &p, (char *)(e + 1));
  e->path_len = len;
  __u32 size = sizeof(*e) + len;
  e->hdr.size = size;
  submit(e, size);
}

/* Open syscall `nr` of `task` (the current task) returned `ret`. */
static __always_inline void open_exit(struct pt_regs *regs, struct task_struct *task, __u64 nr,
                                      long ret, const bool fast) {
  struct open_args a;
  if (!type_enabled(VIGIL_EVENT_OPEN)) return;
  if (ret >= 0 && open_dropped(task, ret, fast)) return;
  if (!decode_args(regs, nr, &a, fast)) return;
  emit_open(&a, ret, a.compat ? VIGIL_OPEN_COMPAT : 0, fast);
}

#include "file_ops.bpf.h"
#include "file_uring.bpf.h"

/* The exit of every syscall (tp_btf, raw_tp and tracepoint modes): one table lookup tells an
 * open, a file operation, or neither (most syscalls stop there). */
static __always_inline void file_sys_exit(struct pt_regs *regs, __u64 nr, long ret,
                                          const bool fast) {
  struct task_struct *task = NULL;
  bool compat = false;
  const __u32 byte = file_syscall_byte(nr, &task, &compat, fast);
  if (byte & FILE_SYS_OPEN)
    open_exit(regs, task, nr, ret, fast);
  else if (byte)
    file_op_exit(regs, byte, compat, ret, fast, false);
}

/* ---- fexit: the open syscalls themselves, so no other syscall pays for the probe ---- */
/* The syscall function's only argument is the task's saved user registers; they are
 * taken from the task rather than from the argument, whose BTF type some kernels (5.10)
 * describe as a forward declaration that the verifier will not let a program read. */
#define VIGIL_FEXIT_OPEN(prog, func, nr)                            \
  SEC("fexit/" func)                                                 \
  int prog(unsigned long long *ctx) {                                \
    open_exit(current_user_regs(), current_task(false), nr, (long)ctx[1], false); \
    return 0;                                                        \
  }

VIGIL_FEXIT_OPEN(fe_open, "__x64_sys_open", X64_OPEN)
VIGIL_FEXIT_OPEN(fe_creat, "__x64_sys_creat", X64_CREAT)
VIGIL_FEXIT_OPEN(fe_openat, "__x64_sys_openat", X64_OPENAT)
VIGIL_FEXIT_OPEN(fe_openat2, "__x64_sys_openat2", X64_OPENAT2)
VIGIL_FEXIT_OPEN(fe_open_by_handle_at, "__x64_sys_open_by_handle_at", X64_OPEN_BY_HANDLE_AT)
VIGIL_FEXIT_OPEN(fe_ia32_open, "__ia32_compat_sys_open", IA32_OPEN)
VIGIL_FEXIT_OPEN(fe_ia32_creat, "__ia32_sys_creat", IA32_CREAT)
VIGIL_FEXIT_OPEN(fe_ia32_openat, "__ia32_compat_sys_openat", IA32_OPENAT)
VIGIL_FEXIT_OPEN(fe_ia32_openat2, "__ia32_sys_openat2", IA32_OPENAT2)
VIGIL_FEXIT_OPEN(fe_ia32_open_by_handle_at, "__ia32_compat_sys_open_by_handle_at",
                 IA32_OPEN_BY_HANDLE_AT)

/* ---- tp_btf: `regs` is BTF-typed, so everything reads with direct loads ---- */
SEC("tp_btf/sys_exit")
int BPF_PROG(btf_sys_exit, struct pt_regs *regs, long ret) {
  file_sys_exit(regs, regs->orig_ax, ret, true);
  return 0;
}

/* Stands in for btf_sys_exit where the kernel lacks bpf_rdonly_cast (before 6.2): the
 * same hook, with CO-RE reads. */
SEC("tp_btf/sys_exit")
int BPF_PROG(btf_sys_exit__core, struct pt_regs *regs, long ret) {
  file_sys_exit(regs, BPF_CORE_READ(regs, orig_ax), ret, false);
  return 0;
}

/* ---- raw_tp ---- */
SEC("raw_tp/sys_exit")
int BPF_PROG(raw_sys_exit, struct pt_regs *regs, long ret) {
  file_sys_exit(regs, BPF_CORE_READ(regs, orig_ax), ret, false);
  return 0;
}

/* ---- classic tracepoint ---- */
SEC("tracepoint/raw_syscalls/sys_exit")
int tp_sys_exit(struct trace_event_raw_sys_exit *ctx) {
  struct pt_regs *regs = current_user_regs();
  file_sys_exit(regs, ctx->id, ctx->ret, false);
  return 0;
}

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * File module, kernels where only tracepoints attach (tp_btf, raw_tp and tracepoint
 * modes): whether a path operation changed a file of the identity set, from the
 * inode-timestamp tracepoints (Linux 6.13+: inode_set_ctime_to_ts, ctime_ns_xchg,
 * ctime_xchg_skip). Every unlink, rename, link, chmod, chown and truncate sets the ctime of
 * the inodes it changes; while the current thread is in such a syscall, an inode of the
 * identity set is noted for it, and the syscall's exit (file_op_exit) gives the record that
 * file's identity and passes it. So a listed file reached through a symlinked directory, a
 * hard link or a bind mount is still told by what it is, though the names here are the
 * caller's. Other inodes cost a set lookup and are not noted; with an empty set, nothing
 * but the test of its size. Included by file_ops.bpf.h, whose table and
 * record it uses.
 */
#ifndef VIGIL_BPF_FILE_CTIME_BPF_H_
#define VIGIL_BPF_FILE_CTIME_BPF_H_

/* One inode whose ctime a file operation set. */
struct file_op_inode {
  __u64 ino;
  __u32 dev; /* kernel encoding (s_dev) */
  __u32 nlink;
  __u32 mode;
  __u32 pad;
};

/* The first file of the identity set the thread's current file-operation syscall changed. */
struct file_op_touched {
  __u32 id; /* table entry of the syscall, with 0x100 for the ia32 table */
  __u32 pad;
  struct file_op_inode inode;
};

/* LRU: an entry a thread never consumed (a syscall killed in flight) ages out. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 4096);
  __type(key, __u32); /* thread id */
  __type(value, struct file_op_touched);
} file_op_touched SEC(".maps");

/* An inode's ctime was set: notes it when it is in the identity set and the current thread
 * is in a path operation a rule may want (its number read from the saved registers; writes
 * and kernel threads return at the table lookup). */
static __always_inline void file_op_touch(struct inode *inode) {
  if (file_id_count == 0) return;
  struct pt_regs *regs = current_user_regs();
  bool compat = false;
  __u32 id = file_op_current(BPF_CORE_READ(regs, orig_ax), &compat, false);
  __u32 sys = id & FILE_OP_ID_MASK;
  if (!sys) return;
  __u32 type = file_op_event_type(sys);
  if (type > VIGIL_EVENT_TRUNCATE || !((filter_cfg.type_mask >> type) & 1)) return;
  const __u32 dev = BPF_CORE_READ(inode, i_sb, s_dev);
  const __u64 ino = BPF_CORE_READ(inode, i_ino);
  if (!in_identity_set(dev, ino)) return;
  __u32 key = id | (compat ? 0x100 : 0);
  __u32 tid = (__u32)bpf_get_current_pid_tgid();
  struct file_op_touched *t = bpf_map_lookup_elem(&file_op_touched, &tid);
  if (t && t->id == key) return; /* the first one stays */
  struct file_op_touched fresh = {.id = key};
  fresh.inode.ino = ino;
  fresh.inode.dev = dev;
  fresh.inode.nlink = BPF_CORE_READ(inode, __i_nlink);
  fresh.inode.mode = BPF_CORE_READ(inode, i_mode);
  bpf_map_update_elem(&file_op_touched, &tid, &fresh, BPF_ANY);
}

/* At the exit of syscall `id` (table entry): gives the record the identity of the first
 * file of the identity set the syscall changed, then true (a rule wants it); forgets the
 * thread's inodes. */
static __always_inline bool file_op_touched_identity(struct vigil_file_op_event *e, __u32 id,
                                                     bool compat) {
  if (file_id_count == 0) return false;
  __u32 tid = (__u32)bpf_get_current_pid_tgid();
  struct file_op_touched *t = bpf_map_lookup_elem(&file_op_touched, &tid);
  if (!t) return false;
  const bool listed = t->id == (id | (compat ? 0x100 : 0));
  if (listed) {
    e->dev = file_op_user_dev(t->inode.dev);
    e->ino = t->inode.ino;
    e->nlink = t->inode.nlink;
    e->file_mode = t->inode.mode;
    e->flags |= VIGIL_FILE_OP_IDENTITY;
  }
  bpf_map_delete_elem(&file_op_touched, &tid);
  return listed;
}

/* Forgets the thread's inodes (a syscall exit that builds no record). */
static __always_inline void file_op_touched_forget(void) {
  if (file_id_count == 0) return;
  __u32 tid = (__u32)bpf_get_current_pid_tgid();
  if (bpf_map_lookup_elem(&file_op_touched, &tid)) bpf_map_delete_elem(&file_op_touched, &tid);
}

/* The tracepoints, as raw tracepoints: their first argument is the inode. tp_btf mode uses
 * them too (raw_tp needs no BTF of the tracepoint's arguments); all are optional. */
#define VIGIL_CTIME_PROG(mode, event)                  \
  SEC("raw_tp/" #event)                                \
  int BPF_PROG(mode##_##event, struct inode *inode) {  \
    file_op_touch(inode);                              \
    return 0;                                          \
  }

VIGIL_CTIME_PROG(btf, inode_set_ctime_to_ts)
VIGIL_CTIME_PROG(btf, ctime_ns_xchg)
VIGIL_CTIME_PROG(btf, ctime_xchg_skip)
VIGIL_CTIME_PROG(raw, inode_set_ctime_to_ts)
VIGIL_CTIME_PROG(raw, ctime_ns_xchg)
VIGIL_CTIME_PROG(raw, ctime_xchg_skip)

#endif /* VIGIL_BPF_FILE_CTIME_BPF_H_ */

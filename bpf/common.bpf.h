/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Shared by every Vigil probe module: the ring buffer, counters, filter configuration,
 * the record header, the batched ring-buffer submit and the in-kernel path walk.
 * Each module's .bpf.c includes this once; every definition here becomes part of that
 * module's object (the ring buffer is created by user space and shared by fd).
 */
#ifndef VIGIL_BPF_COMMON_BPF_H_
#define VIGIL_BPF_COMMON_BPF_H_

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "abi/vigil_event.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by the loader before load. */
const volatile __u32 self_tgid = 0;            /* the sensor's own process: never reported */
const volatile __u64 wakeup_bytes = 256 * 1024; /* wake user space once this much is pending */
const volatile __u64 wakeup_ns = 10000000;      /* ... or when the last wake-up is this old */

/* Written by user space at run time (the compiled rules' needs). */
struct vigil_filter_config filter_cfg = {};

/* Time of the last forced wake-up; racy across CPUs by design (a hint, not a counter). */
__u64 last_wakeup_ns = 0;

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 1 << 22); /* replaced by the shared map user space creates */
} events SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, VIGIL_STAT_MAX);
  __type(key, __u32);
  __type(value, __u64);
} stats SEC(".maps");

/* Per-CPU scratch: the record under construction and the path walk's work area. The
 * walk writes components right to left, ending at VIGIL_PATH_WALK_END. */
#define VIGIL_RECORD_MAX 8192
#define VIGIL_PATH_WALK_END 4096
#define VIGIL_PATH_WALK_MASK 8191

/* State of one path walk, carried from step to step. It lives in the scratch map, not
 * on the stack: the verifier tracks map contents as unknown values, so every step of the
 * bounded walk loop starts from the same verifier state and the loop verifies in time
 * linear in its length (on the stack, each step's branches would multiply the states). */
struct vigil_walk {
  __u64 dentry; /* struct dentry * */
  __u64 mnt_root;    /* struct dentry * */
  __u64 vfsmnt;      /* struct vfsmount * */
  __u64 mnt;         /* struct mount * */
  __u64 root_dentry; /* struct dentry * */
  __u64 root_mnt;    /* struct vfsmount * */
  __u32 off;
  __u8 done;
  __u8 hidden;
  __u8 first; /* scan only: first byte of the last component seen (the top-level one) */
  __u8 pad;
};

struct vigil_scratch {
  __u8 record[VIGIL_RECORD_MAX];
  char walk[VIGIL_PATH_WALK_MASK + 1];
  struct vigil_prefix_key key;
  struct vigil_walk w;
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct vigil_scratch);
} scratch SEC(".maps");

/* x & mask, computed in the very register the next use reads: the compiler may neither
 * drop a mask it proves redundant nor hand on an unmasked copy. Verifiers differ in how
 * well they track bounds through clang's register allocation (6.12 refused a size with
 * only signed bounds; 5.10 keeps contradictory bounds from dead branches); a mask at the
 * point of use gives every one of them the bound. */
#define VIGIL_MASK(x, mask)                                             \
  ({                                                                    \
    __u64 __masked = (x);                                               \
    asm volatile("%[v] &= %[m]" : [v] "+r"(__masked) : [m] "i"(mask)); \
    __masked;                                                           \
  })

static __always_inline void count(__u32 stat) {
  __u64 *value = bpf_map_lookup_elem(&stats, &stat);
  if (value) *value += 1;
}

static __always_inline struct vigil_scratch *get_scratch(void) {
  __u32 zero = 0;
  struct vigil_scratch *s = bpf_map_lookup_elem(&scratch, &zero);
  if (!s) count(VIGIL_STAT_DROP_SCRATCH);
  return s;
}

/* True when user space wants events of this type; otherwise counts the filtered event. */
static __always_inline bool type_enabled(__u32 type) {
  if ((filter_cfg.type_mask >> type) & 1) return true;
  count(VIGIL_STAT_FILTERED_TYPE);
  return false;
}

/* True when the current task belongs to the sensor itself. */
static __always_inline bool is_self(void) {
  if (self_tgid && (bpf_get_current_pid_tgid() >> 32) == self_tgid) {
    count(VIGIL_STAT_FILTERED_SELF);
    return true;
  }
  return false;
}

/* Fills the common header from the current task: with `fast` (tp_btf and fentry programs,
 * on kernels with bpf_get_current_task_btf, 5.11+) through direct loads from the task's
 * BTF pointer, else with CO-RE reads. The branch not taken is removed by the verifier. */
static __always_inline void fill_header_from(struct vigil_event_header *hdr, __u16 type,
                                             const bool fast) {
  __u64 pid_tgid = bpf_get_current_pid_tgid();
  hdr->type = type;
  hdr->version = VIGIL_ABI_VERSION;
  hdr->reserved = 0;
  hdr->reserved2 = 0;
  hdr->ts_boot_ns = bpf_ktime_get_boot_ns();
  hdr->pid = (__u32)pid_tgid;
  hdr->tgid = pid_tgid >> 32;
  hdr->cgroup_id = bpf_get_current_cgroup_id();
  bpf_get_current_comm(hdr->comm, sizeof(hdr->comm));
  if (fast && bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_get_current_task_btf)) {
    struct task_struct *task = bpf_get_current_task_btf();
    const struct cred *cred = task->real_cred;
    struct pid *tpid = task->thread_pid;
    hdr->ppid = task->real_parent->tgid;
    hdr->uid = cred->uid.val;
    hdr->euid = cred->euid.val;
    hdr->gid = cred->gid.val;
    hdr->loginuid = task->loginuid.val;
    hdr->mntns = task->nsproxy->mnt_ns->ns.inum;
    /* numbers[] at a variable index: a BTF pointer takes constant offsets only */
    struct pid_namespace *pidns = NULL;
    bpf_core_read(&pidns, sizeof(pidns), &tpid->numbers[tpid->level & 31].ns);
    hdr->pidns = pidns ? BPF_CORE_READ(pidns, ns.inum) : 0;
    return;
  }
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  const struct cred *cred = BPF_CORE_READ(task, real_cred);
  struct pid *tpid = BPF_CORE_READ(task, thread_pid);
  unsigned int level = BPF_CORE_READ(tpid, level);
  struct pid_namespace *pidns = NULL;
  hdr->ppid = BPF_CORE_READ(task, real_parent, tgid);
  hdr->uid = BPF_CORE_READ(cred, uid.val);
  hdr->euid = BPF_CORE_READ(cred, euid.val);
  hdr->gid = BPF_CORE_READ(cred, gid.val);
  hdr->loginuid = BPF_CORE_READ(task, loginuid.val);
  hdr->mntns = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
  bpf_core_read(&pidns, sizeof(pidns), &tpid->numbers[level & 31].ns);
  hdr->pidns = pidns ? BPF_CORE_READ(pidns, ns.inum) : 0;
}

/* fill_header_from() with CO-RE reads: for every program type. */
static __always_inline void fill_header(struct vigil_event_header *hdr, __u16 type) {
  fill_header_from(hdr, type, false);
}

/* An io_uring worker thread (iou-wrk-*, iou-sqp-*) runs requests for the process that
 * submitted them: the header names that process, by its main thread's id and name. */
#define VIGIL_PF_IO_WORKER 0x00000010
static __always_inline void attribute_to_process(struct vigil_event_header *hdr) {
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  if (!(BPF_CORE_READ(task, flags) & VIGIL_PF_IO_WORKER)) return;
  hdr->pid = hdr->tgid;
  bpf_probe_read_kernel_str(hdr->comm, sizeof(hdr->comm), BPF_CORE_READ(task, group_leader, comm));
}

/* Writes a finished record to the ring buffer. Wake-ups are batched: user space is woken
 * only when enough data is pending or the last wake-up is old enough, so a busy node
 * costs one wake-up per batch instead of one per event. */
static __always_inline void submit(void *record, __u32 size) {
  __u64 flags = BPF_RB_NO_WAKEUP;
  __u64 now = ((struct vigil_event_header *)record)->ts_boot_ns;

  if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) + size >= wakeup_bytes ||
      now - last_wakeup_ns >= wakeup_ns) {
    flags = BPF_RB_FORCE_WAKEUP;
    last_wakeup_ns = now;
    count(VIGIL_STAT_WAKEUPS);
  }
  if (bpf_ringbuf_output(&events, record, size & (VIGIL_RECORD_MAX - 1), flags)) {
    count(VIGIL_STAT_DROP_RINGBUF_FULL);
    return;
  }
  count(VIGIL_STAT_EMITTED);
}

/*
 * Kernel memory is read in one of two ways, chosen per program at compile time:
 *   fast (tp_btf programs): direct loads through BTF-typed pointers, no helper calls;
 *   CO-RE (raw_tp and classic tracepoints): bpf_probe_read_kernel for every field.
 * Both are relocated by CO-RE. Hot-path bodies take a constant `fast` argument; after
 * inlining, the compiler keeps only one of the two branches.
 */
#define VREAD(fast, p, field) ((fast) ? (p)->field : BPF_CORE_READ(p, field))

/* Retypes an address as a read-only BTF pointer (fast mode), or as a plain pointer. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;
#define VCAST(fast, type, addr)                                                  \
  ((fast) ? (type *)bpf_rdonly_cast((void *)(addr), bpf_core_type_id_kernel(type)) \
          : (type *)(void *)(addr))

static __always_inline struct mount *real_mount(struct vfsmount *vfsmnt, const bool fast) {
  return VCAST(fast, struct mount, (__u64)(void *)vfsmnt - bpf_core_field_offset(struct mount, mnt));
}

static __always_inline struct vfsmount *mount_vfsmount(struct mount *mnt, const bool fast) {
  return VCAST(fast, struct vfsmount, (__u64)(void *)mnt + bpf_core_field_offset(struct mount, mnt));
}

/* Result of resolve_path(): the path occupies walk[start, VIGIL_PATH_WALK_END). */
struct vigil_path {
  __u32 start;
  __u32 len;
  bool truncated;
  bool hidden;
};

/* First byte of a dentry's name. In fast programs, short names live inside the dentry
 * and are read with a direct load; others cost one probe read. */
static __always_inline __u8 name_first_byte(struct dentry *dentry, const unsigned char *name,
                                            const bool fast) {
  if (fast && bpf_core_field_exists(dentry->d_shortname) &&
      (__u64)(void *)name ==
          (__u64)(void *)dentry + bpf_core_field_offset(struct dentry, d_shortname)) {
    __u8 direct = dentry->d_shortname.string[0];
    /* Keeps the compiler from merging the two loads into one through a select of
     * pointers, which the verifier rejects (a BTF pointer and a stack pointer). */
    asm volatile("" : "+r"(direct));
    return direct;
  }
  __u8 copied = 0;
  bpf_probe_read_kernel(&copied, 1, name);
  return copied;
}

/* One step of the walk: prepend one component, or cross to the parent mount. With
 * `copy` false nothing is written: the step only notes hidden components and the first
 * byte of each, a cheap scan that lets most uninteresting opens be dropped before any
 * path is built. Returns true when the walk is over. */
static __always_inline bool walk_step(struct vigil_scratch *s, const bool fast,
                                      const bool copy) {
  struct vigil_walk *w = &s->w;
  struct dentry *dentry = VCAST(fast, struct dentry, w->dentry);
  struct mount *mnt = VCAST(fast, struct mount, w->mnt);
  if (w->dentry == w->root_dentry && w->vfsmnt == w->root_mnt) {
    w->done = true;
    return true;
  }
  struct dentry *parent = VREAD(fast, dentry, d_parent);
  if (w->dentry == w->mnt_root || dentry == parent) {
    struct mount *mnt_parent = VREAD(fast, mnt, mnt_parent);
    if (w->dentry != w->mnt_root || mnt_parent == mnt) {
      /* The global root, or a dentry not connected to any mount we can follow. */
      w->done = true;
      return true;
    }
    struct vfsmount *vfsmnt = mount_vfsmount(mnt_parent, fast);
    w->dentry = (__u64)VREAD(fast, mnt, mnt_mountpoint);
    w->mnt = (__u64)mnt_parent;
    w->vfsmnt = (__u64)vfsmnt;
    w->mnt_root = (__u64)VREAD(fast, vfsmnt, mnt_root);
    return false;
  }
  const unsigned char *name = VREAD(fast, dentry, d_name.name);
  if (!copy) {
    __u8 first = name_first_byte(dentry, name, fast);
    if (first == '.') w->hidden = true;
    w->first = first;
    w->dentry = (__u64)parent;
    return false;
  }
  __u32 len = VIGIL_MASK(VREAD(fast, dentry, d_name.len), 255);
  __u32 off = w->off;
  if (off > VIGIL_PATH_WALK_END || len + 2 > off) return true; /* no room: truncated */
  off -= len + 1;
  s->walk[VIGIL_MASK(off, VIGIL_PATH_WALK_MASK)] = '/';
  char *component = &s->walk[VIGIL_MASK(off + 1, VIGIL_PATH_WALK_MASK)];
  bpf_probe_read_kernel(component, VIGIL_MASK(len, 255), name);
  if (*component == '.') w->hidden = true;
  w->off = off;
  w->dentry = (__u64)parent;
  return false;
}

/* The current task: BTF-typed in fast mode. */
static __always_inline struct task_struct *current_task(const bool fast) {
  return fast ? bpf_get_current_task_btf() : (struct task_struct *)bpf_get_current_task();
}

/* thread_info.status: the task is in a 32-bit (ia32) syscall. */
#define TS_COMPAT 0x0002

/* The byte a module's per-syscall table (512 entries: the x86_64 syscall of each number in
 * the low byte, the ia32 one in the high byte) holds for syscall `nr` of the current task,
 * or 0. Past the lookup (most syscalls stop there) *task is the current task and *compat
 * says which table it called through. */
static __always_inline __u32 syscall_table_byte(const __u16 *table, __u64 nr,
                                                struct task_struct **task, bool *compat,
                                                const bool fast) {
  if (nr >= 512) return 0;
  const __u16 entry = table[nr & 511];
  if (!entry) return 0;
  *task = current_task(fast);
  *compat = VREAD(fast, *task, thread_info.status) & TS_COMPAT;
  return *compat ? entry >> 8 : entry & 0xff;
}

/* The user registers saved at syscall entry of the current task (read with CO-RE).
 * bpf_task_pt_regs() arrived in 5.15; before it the registers sit at the top of the
 * task's kernel stack (x86_64: THREAD_SIZE is 16 KiB without KASAN). The branch not
 * taken is removed by the verifier before helper ids are checked. */
#define VIGIL_X86_THREAD_SIZE 16384
static __always_inline struct pt_regs *current_user_regs(void) {
  if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_task_pt_regs))
    return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  __u64 stack = (__u64)BPF_CORE_READ(task, stack);
  return (struct pt_regs *)(stack + VIGIL_X86_THREAD_SIZE) - 1;
}

/* The struct file behind descriptor `fd` of `task` (the current task), or NULL. */
static __always_inline struct file *task_fd_file(struct task_struct *task, long fd,
                                                 const bool fast) {
  struct files_struct *files = VREAD(fast, task, files);
  struct fdtable *fdt = VREAD(fast, files, fdt);
  struct file **fds = VREAD(fast, fdt, fd);
  unsigned int max = VREAD(fast, fdt, max_fds);
  __u64 file = 0;
  if (fd < 0 || fd >= max) return NULL;
  if (fast) {
    /* The slot is one pointer: read it with a direct load through a one-pointer type. */
    struct llist_node *slot =
        bpf_rdonly_cast((void *)&fds[fd], bpf_core_type_id_kernel(struct llist_node));
    file = (__u64)slot->next;
  } else {
    bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
  }
  if (!file) return NULL;
  return VCAST(fast, struct file, file);
}

/* Starts a walk of (dentry, vfsmount) up to the root of `task` (the current task) in s->w. */
static __always_inline void walk_init(struct vigil_scratch *s, struct task_struct *task,
                                      struct dentry *dentry, struct vfsmount *vfsmnt,
                                      const bool fast) {
  struct fs_struct *fs = VREAD(fast, task, fs);
  struct vigil_walk *w = &s->w;
  w->dentry = (__u64)dentry;
  w->mnt_root = (__u64)VREAD(fast, vfsmnt, mnt_root);
  w->vfsmnt = (__u64)vfsmnt;
  w->mnt = (__u64)real_mount(vfsmnt, fast);
  w->root_dentry = (__u64)VREAD(fast, fs, root.dentry);
  w->root_mnt = (__u64)VREAD(fast, fs, root.mnt);
  w->off = VIGIL_PATH_WALK_END;
  w->done = false;
  w->hidden = false;
  w->first = 0;
}

/* Runs the walk in s->w to the root, for at most VIGIL_PATH_MAX_COMPONENTS steps. A
 * bounded loop rather than bpf_loop(): it verifies on every supported kernel (bpf_loop
 * and its callback subprograms arrived in 5.17) and costs no indirect call per step. */
static __always_inline void walk_run(struct vigil_scratch *s, const bool fast,
                                     const bool copy) {
#pragma clang loop unroll(disable)
  for (__u32 i = 0; i < VIGIL_PATH_MAX_COMPONENTS; i++) {
    if (walk_step(s, fast, copy)) break;
  }
}

/* Scans the path of (dentry, vfsmount) without building it: sets *hidden, and *first to
 * the first byte of the top-level component (0 for "/"). Returns false when the walk
 * did not reach the root (the caller must not rely on it). */
static __always_inline bool scan_path(struct vigil_scratch *s, struct task_struct *task,
                                      struct dentry *dentry, struct vfsmount *vfsmnt,
                                      bool *hidden, __u8 *first, const bool fast) {
  walk_init(s, task, dentry, vfsmnt, fast);
  walk_run(s, fast, false);
  *hidden = s->w.hidden;
  *first = s->w.first;
  return s->w.done;
}

/* Walks a (dentry, vfsmount) pair up to the task's root, crossing mount points, and
 * builds the absolute path right-aligned in s->walk. Records whether any component
 * starts with '.' (hidden) and whether the walk stopped early (truncated). */
static __always_inline void resolve_path(struct vigil_scratch *s, struct dentry *dentry,
                                         struct vfsmount *vfsmnt, struct vigil_path *out,
                                         const bool fast) {
  walk_init(s, current_task(fast), dentry, vfsmnt, fast);
  walk_run(s, fast, true);

  __u32 off = s->w.off;
  out->truncated = !s->w.done;
  out->hidden = s->w.hidden;
  /* The walk never moves off past the end; one comparison both catches the empty path
   * and bounds off for the verifier (a separate clamp leaves a dead branch with
   * contradictory bounds that 5.10's verifier still explores and then refuses). */
  if (off >= VIGIL_PATH_WALK_END) {
    off = VIGIL_PATH_WALK_END - 1;
    s->walk[off & VIGIL_PATH_WALK_MASK] = '/';
  }
  out->start = off;
  out->len = VIGIL_PATH_WALK_END - off;
}

/* Copies a resolved path to dst (at most VIGIL_PATH_MAX bytes). Returns bytes copied. */
static __always_inline __u32 copy_path(struct vigil_scratch *s, const struct vigil_path *p,
                                       char *dst) {
  __u32 len = VIGIL_MASK(p->len, VIGIL_PATH_MAX);
  bpf_probe_read_kernel(dst, len, &s->walk[VIGIL_MASK(p->start, VIGIL_PATH_WALK_MASK)]);
  return len;
}

/* memfd_create(2) names its file "memfd:<name>" (mm/memfd.c, MFD_NAME_PREFIX) on a dentry
 * of the kernel's internal shmem (or hugetlbfs) mount made by alloc_file_pseudo(): a
 * dentry that is its own parent, in no directory. A file somebody named "memfd:x" in a
 * tmpfs directory has a parent and does not count. */
static __always_inline bool is_memfd(struct dentry *dentry) {
  char name[6] = {};
  if (BPF_CORE_READ(dentry, d_parent) != dentry) return false;
  if (bpf_probe_read_kernel(name, sizeof(name), BPF_CORE_READ(dentry, d_name.name)) != 0)
    return false;
  return name[0] == 'm' && name[1] == 'e' && name[2] == 'm' && name[3] == 'f' &&
         name[4] == 'd' && name[5] == ':';
}

#endif /* VIGIL_BPF_COMMON_BPF_H_ */

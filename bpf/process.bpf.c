/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Process module: fork/clone, exec (with the credential transition) and exit.
 *
 * Every hook exists in three attach modes; the loader keeps the programs of one mode:
 *   btf_*  tp_btf (typed, cheapest)   raw_*  raw_tp   tp_*  classic tracepoints.
 * All bodies read kernel memory through CO-RE reads only, so they are shared.
 */
#include "common.bpf.h"
#include "abi/process.h"
#include "sock.bpf.h"

/* Credentials seen just before exec commits the new ones, keyed by thread-group id (a
 * credential hook may run before or after de_thread() has made the exec'ing thread the
 * group leader; the group id is the same on both sides). */
struct exec_creds {
  __u32 uid;
  __u32 euid;
  __u32 gid;
  __u32 egid;
  __u64 cap_permitted;
  __u64 cap_effective;
};

/* kernel_cap_t before 6.3: two 32-bit words, capabilities 0-31 in cap[0]. From 6.3 it is
 * one __u64 (`val`, vmlinux.h's layout). */
struct kernel_cap_struct___old {
  __u32 cap[2];
};

struct cred___old {
  struct kernel_cap_struct___old cap_permitted;
  struct kernel_cap_struct___old cap_effective;
};

/* The permitted and effective capability sets of `cred` as 64-bit masks. */
static __always_inline void read_caps(const struct cred *cred, __u64 *permitted,
                                      __u64 *effective) {
  if (bpf_core_field_exists(cred->cap_permitted.val)) {
    *permitted = BPF_CORE_READ(cred, cap_permitted.val);
    *effective = BPF_CORE_READ(cred, cap_effective.val);
    return;
  }
  const struct cred___old *old = (const struct cred___old *)cred;
  *permitted = (__u64)BPF_CORE_READ(old, cap_permitted.cap[1]) << 32 |
               BPF_CORE_READ(old, cap_permitted.cap[0]);
  *effective = (__u64)BPF_CORE_READ(old, cap_effective.cap[1]) << 32 |
               BPF_CORE_READ(old, cap_effective.cap[0]);
}

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 16384);
  __type(key, __u32);
  __type(value, struct exec_creds);
} exec_creds_before SEC(".maps");

/* Processes whose end was reported, by thread-group id. When the last threads of a
 * process exit together, each may find the group's live count at zero by the time its
 * exit tracepoint runs; only the first to get here reports the group's end. A new
 * process with a reused id removes the entry. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 16384);
  __type(key, __u32);
  __type(value, __u8);
} group_end_reported SEC(".maps");

/* A new task: the header describes the parent (the current task). */
static __always_inline void emit_fork(__u32 child_pid, __u32 child_tgid) {
  if (child_pid == child_tgid) bpf_map_delete_elem(&group_end_reported, &child_tgid);
  if (!type_enabled(VIGIL_EVENT_FORK) || is_self()) return;
  struct vigil_scratch *s = get_scratch();
  if (!s) return;
  struct vigil_fork_event *e = (struct vigil_fork_event *)s->record;
  fill_header(&e->hdr, VIGIL_EVENT_FORK);
  e->child_pid = child_pid;
  e->child_tgid = child_tgid;
  e->flags = child_tgid == e->hdr.tgid ? VIGIL_FORK_THREAD : 0;
  e->reserved = 0;
  e->hdr.size = sizeof(*e);
  submit(e, sizeof(*e));
}

static __always_inline void handle_fork(struct task_struct *child) {
  emit_fork(BPF_CORE_READ(child, pid), BPF_CORE_READ(child, tgid));
}

/* Classic fallback: task_newtask runs in the parent with the child's pid and clone flags. */
static __always_inline void handle_newtask(__u32 child_pid, __u64 clone_flags) {
  const bool thread = clone_flags & 0x00010000; /* CLONE_THREAD */
  emit_fork(child_pid, thread ? (__u32)(bpf_get_current_pid_tgid() >> 32) : child_pid);
}

/* Runs once exec is past its point of no return, while the task still has its old
 * credentials. */
static __always_inline void handle_prepare_exec(void) {
  if (!((filter_cfg.type_mask >> VIGIL_EVENT_EXEC) & 1)) return;
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  const struct cred *cred = BPF_CORE_READ(task, real_cred);
  struct exec_creds c = {
      .uid = BPF_CORE_READ(cred, uid.val),
      .euid = BPF_CORE_READ(cred, euid.val),
      .gid = BPF_CORE_READ(cred, gid.val),
      .egid = BPF_CORE_READ(cred, egid.val),
  };
  read_caps(cred, &c.cap_permitted, &c.cap_effective);
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  bpf_map_update_elem(&exec_creds_before, &tgid, &c, BPF_ANY);
}

_Static_assert(sizeof(struct vigil_exec_event) + VIGIL_PATH_MAX + VIGIL_ARGV_MAX <
                   VIGIL_RECORD_MAX,
               "an exec record with the longest path and argv must fit the scratch record");

/* Notes which of descriptors 0, 1 and 2 are IPv4/IPv6 sockets, and the remote endpoint of
 * the first one: a process started with its input or output on a network connection. */
static __always_inline void stdio_sockets(struct task_struct *task, struct vigil_exec_event *e) {
  __u8 laddr[16];
  __u16 lport = 0;
  e->stdio_sockets = 0;
  e->stdio_rport = 0;
  e->stdio_protocol = 0;
  e->reserved = 0;
  __builtin_memset(e->stdio_raddr, 0, sizeof(e->stdio_raddr));
  for (int fd = 0; fd < 3; fd++) {
    struct sock *sk = file_sock(task_fd_file(task, fd, false));
    if (!sk) continue;
    const __u16 family = inet_family(sk, false);
    if (!family) continue;
    if (!e->stdio_sockets) {
      sock_endpoints(sk, family, laddr, e->stdio_raddr, &lport, &e->stdio_rport);
      e->stdio_protocol = BPF_CORE_READ(sk, sk_protocol);
    }
    e->stdio_sockets |= 1 << fd;
  }
}

static __always_inline void handle_exec(struct file *file, __u32 old_pid) {
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  struct exec_creds *before = bpf_map_lookup_elem(&exec_creds_before, &tgid);
  struct exec_creds saved = {};
  bool have_before = false;
  if (before) {
    saved = *before;
    have_before = true;
    bpf_map_delete_elem(&exec_creds_before, &tgid);
  }
  if (!type_enabled(VIGIL_EVENT_EXEC) || is_self()) return;
  struct vigil_scratch *s = get_scratch();
  if (!s) return;
  struct vigil_exec_event *e = (struct vigil_exec_event *)s->record;
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  fill_header(&e->hdr, VIGIL_EVENT_EXEC);
  e->old_pid = old_pid;
  e->flags = have_before ? VIGIL_EXEC_CREDS_BEFORE : 0;
  e->uid_before = saved.uid;
  e->euid_before = saved.euid;
  e->gid_before = saved.gid;
  e->egid_before = saved.egid;
  e->cap_permitted_before = saved.cap_permitted;
  e->cap_effective_before = saved.cap_effective;
  const struct cred *cred = BPF_CORE_READ(task, real_cred);
  e->egid = BPF_CORE_READ(cred, egid.val);
  read_caps(cred, &e->cap_permitted, &e->cap_effective);

  struct inode *inode = BPF_CORE_READ(file, f_inode);
  e->file_mode = BPF_CORE_READ(inode, i_mode);
  e->file_uid = BPF_CORE_READ(inode, i_uid.val);
  e->file_gid = BPF_CORE_READ(inode, i_gid.val);
  if (BPF_CORE_READ(inode, i_nlink) == 0) e->flags |= VIGIL_EXEC_FILE_UNLINKED;
  stdio_sockets(task, e);

  char *data = (char *)(e + 1);
  __u32 path_len;
  struct dentry *dentry = BPF_CORE_READ(file, f_path.dentry);
  if (is_memfd(dentry)) {
    /* A memfd is in no directory: its path is its name, "/memfd:<name>", as d_path()
     * shows it (without " (deleted)"). memfd names are at most 255 bytes. */
    e->flags |= VIGIL_EXEC_FILE_MEMFD;
    data[0] = '/';
    long n = bpf_probe_read_kernel_str(data + 1, 256, BPF_CORE_READ(dentry, d_name.name));
    path_len = n > 1 ? (__u32)n : 1; /* n counts the NUL, in place of which '/' counts */
  } else {
    struct vigil_path p;
    resolve_path(s, dentry, BPF_CORE_READ(file, f_path.mnt), &p, false);
    if (p.truncated) {
      e->flags |= VIGIL_EXEC_PATH_TRUNCATED;
      count(VIGIL_STAT_PATH_TRUNCATED);
    }
    path_len = copy_path(s, &p, data);
  }
  e->path_len = path_len;

  /* argv as laid out by exec on the new stack: NUL-separated strings. */
  __u64 arg_start = BPF_CORE_READ(task, mm, arg_start);
  __u64 arg_end = BPF_CORE_READ(task, mm, arg_end);
  __u64 argv_len = arg_end > arg_start ? arg_end - arg_start : 0;
  if (argv_len > VIGIL_ARGV_MAX) {
    argv_len = VIGIL_ARGV_MAX;
    e->flags |= VIGIL_EXEC_ARGV_TRUNCATED;
  }
  __u32 argv_off = sizeof(*e) + path_len;
  /* sizeof(*e) + VIGIL_PATH_MAX + VIGIL_ARGV_MAX < VIGIL_RECORD_MAX: masking changes no
   * value and gives the verifier its bound. */
  argv_off &= VIGIL_RECORD_MAX - 1;
  argv_len &= 4095;
  if (argv_len > VIGIL_ARGV_MAX) argv_len = VIGIL_ARGV_MAX;
  if (bpf_probe_read_user(&s->record[argv_off], argv_len, (void *)arg_start) != 0) {
    argv_len = 0;
    e->flags |= VIGIL_EXEC_ARGV_TRUNCATED;
  }
  e->argv_len = argv_len;
  __u32 size = argv_off + argv_len;
  e->hdr.size = size;
  submit(e, size);
}

static __always_inline void handle_exit(void) {
  if (!type_enabled(VIGIL_EVENT_EXIT) || is_self()) return;
  struct vigil_scratch *s = get_scratch();
  if (!s) return;
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  struct vigil_exit_event *e = (struct vigil_exit_event *)s->record;
  fill_header(&e->hdr, VIGIL_EVENT_EXIT);
  e->exit_code = BPF_CORE_READ(task, exit_code);
  e->flags = 0;
  if (BPF_CORE_READ(task, signal, live.counter) == 0) {
    __u8 reported = 1;
    if (bpf_map_update_elem(&group_end_reported, &e->hdr.tgid, &reported, BPF_NOEXIST) == 0)
      e->flags = VIGIL_EXIT_GROUP_DEAD;
  }
  e->hdr.size = sizeof(*e);
  submit(e, sizeof(*e));
}

/* ---- credentials before exec where sched_prepare_exec (6.10+) is missing ----
 * Programs named any_<slot>__<kind> stand in for a mode's <slot> program when its hook
 * does not exist, first usable one first. bprm_committing_creds runs in exec's task
 * just before commit_creds(). */
SEC("lsm/bprm_committing_creds")
int BPF_PROG(any_prepare_exec__lsm, struct linux_binprm *bprm) {
  handle_prepare_exec();
  return 0;
}

SEC("fentry/security_bprm_committing_creds")
int BPF_PROG(any_prepare_exec__fentry, struct linux_binprm *bprm) {
  handle_prepare_exec();
  return 0;
}

/* ---- tp_btf ---- */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(btf_fork, struct task_struct *parent, struct task_struct *child) {
  handle_fork(child);
  return 0;
}

SEC("tp_btf/sched_prepare_exec")
int BPF_PROG(btf_prepare_exec, struct task_struct *task, struct linux_binprm *bprm) {
  handle_prepare_exec();
  return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(btf_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm) {
  handle_exec(BPF_CORE_READ(bprm, file), old_pid);
  return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(btf_exit, struct task_struct *task) {
  handle_exit();
  return 0;
}

/* ---- raw_tp ---- */
SEC("raw_tp/sched_process_fork")
int BPF_PROG(raw_fork, struct task_struct *parent, struct task_struct *child) {
  handle_fork(child);
  return 0;
}

SEC("raw_tp/sched_prepare_exec")
int BPF_PROG(raw_prepare_exec, struct task_struct *task, struct linux_binprm *bprm) {
  handle_prepare_exec();
  return 0;
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(raw_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm) {
  handle_exec(BPF_CORE_READ(bprm, file), old_pid);
  return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(raw_exit, struct task_struct *task) {
  handle_exit();
  return 0;
}

/* ---- classic tracepoints ---- */
SEC("tracepoint/task/task_newtask")
int tp_newtask(struct trace_event_raw_task_newtask *ctx) {
  handle_newtask(ctx->pid, ctx->clone_flags);
  return 0;
}

SEC("tracepoint/sched/sched_prepare_exec")
int tp_prepare_exec(void *ctx) {
  handle_prepare_exec();
  return 0;
}

SEC("tracepoint/sched/sched_process_exec")
int tp_exec(struct trace_event_raw_sched_process_exec *ctx) {
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  handle_exec(BPF_CORE_READ(task, mm, exe_file), ctx->old_pid);
  return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int tp_exit(void *ctx) {
  handle_exit();
  return 0;
}

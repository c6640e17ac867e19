/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Overhead floor: EMPTY programs on the same hooks as Vigil's file and process modules.
 *
 * run_overhead.sh --modes measures each attach mode twice: with vigil-bench-floor (this
 * object, loaded by bench/floor_main.cc) and with vigil-sensor. Every program here returns
 * at once, so the floor is what the kernel charges for running *a* BPF program at those
 * hooks in that mode (trampoline or tracepoint dispatch, the program call); the sensor
 * minus the floor is what Vigil's own probe bodies and user space cost.
 *
 * The names follow bpf/file.bpf.c (with bpf/file_ops.bpf.h and bpf/file_uring.bpf.h) and
 * bpf/process.bpf.c so the loader can choose per mode the same way the sensor does: fe_
 * (fentry mode, file module only), btf_ (tp_btf), raw_ (raw_tp), tp_ (classic
 * tracepoint), and any_<slot>__<kind> for the stand-ins of the sched_prepare_exec slot on
 * kernels older than 6.10. Keep the hook list in step with those files: the benchmark
 * report compares the floor's hooks with the sensor's.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* One empty program: SEC(section) int name(void *ctx) { return 0; } */
#define VIGIL_FLOOR_PROG(name, section) \
  SEC(section)                          \
  int name(void *ctx) {                 \
    return 0;                           \
  }

/* ---- file module, fentry mode: fexit on the open syscalls (ia32 ones optional) ---- */
VIGIL_FLOOR_PROG(fe_open, "fexit/__x64_sys_open")
VIGIL_FLOOR_PROG(fe_creat, "fexit/__x64_sys_creat")
VIGIL_FLOOR_PROG(fe_openat, "fexit/__x64_sys_openat")
VIGIL_FLOOR_PROG(fe_openat2, "fexit/__x64_sys_openat2")
VIGIL_FLOOR_PROG(fe_open_by_handle_at, "fexit/__x64_sys_open_by_handle_at")
VIGIL_FLOOR_PROG(fe_ia32_open, "fexit/__ia32_compat_sys_open")
VIGIL_FLOOR_PROG(fe_ia32_creat, "fexit/__ia32_sys_creat")
VIGIL_FLOOR_PROG(fe_ia32_openat, "fexit/__ia32_compat_sys_openat")
VIGIL_FLOOR_PROG(fe_ia32_openat2, "fexit/__ia32_sys_openat2")
VIGIL_FLOOR_PROG(fe_ia32_open_by_handle_at, "fexit/__ia32_compat_sys_open_by_handle_at")

/* ---- file module, fentry mode: the other file operations share one raw_tp program on
 * the exit of every syscall (bpf/file_ops.bpf.h) ---- */
VIGIL_FLOOR_PROG(fe_sys_exit_ops, "raw_tp/sys_exit")

/* ---- file module, fentry mode: the security_path_* hooks of path operations
 * (bpf/file_ops.bpf.h; optional) ---- */
VIGIL_FLOOR_PROG(fe_path_unlink, "fentry/security_path_unlink")
VIGIL_FLOOR_PROG(fe_path_rmdir, "fentry/security_path_rmdir")
VIGIL_FLOOR_PROG(fe_path_mkdir, "fentry/security_path_mkdir")
VIGIL_FLOOR_PROG(fe_path_rename, "fentry/security_path_rename")
VIGIL_FLOOR_PROG(fe_path_link, "fentry/security_path_link")
VIGIL_FLOOR_PROG(fe_path_symlink, "fentry/security_path_symlink")
VIGIL_FLOOR_PROG(fe_path_chmod, "fentry/security_path_chmod")
VIGIL_FLOOR_PROG(fe_path_chown, "fentry/security_path_chown")
VIGIL_FLOOR_PROG(fe_path_truncate, "fentry/security_path_truncate")

/* ---- file module, tp_btf and raw_tp: the inode-timestamp tracepoints
 * (bpf/file_ctime.bpf.h; optional, Linux 6.13+) ---- */
VIGIL_FLOOR_PROG(btf_inode_set_ctime_to_ts, "raw_tp/inode_set_ctime_to_ts")
VIGIL_FLOOR_PROG(btf_ctime_ns_xchg, "raw_tp/ctime_ns_xchg")
VIGIL_FLOOR_PROG(btf_ctime_xchg_skip, "raw_tp/ctime_xchg_skip")
VIGIL_FLOOR_PROG(raw_inode_set_ctime_to_ts, "raw_tp/inode_set_ctime_to_ts")
VIGIL_FLOOR_PROG(raw_ctime_ns_xchg, "raw_tp/ctime_ns_xchg")
VIGIL_FLOOR_PROG(raw_ctime_xchg_skip, "raw_tp/ctime_xchg_skip")

/* ---- file module, the other modes: the exit of every syscall ---- */
VIGIL_FLOOR_PROG(btf_sys_exit, "tp_btf/sys_exit")
VIGIL_FLOOR_PROG(raw_sys_exit, "raw_tp/sys_exit")
VIGIL_FLOOR_PROG(tp_sys_exit, "tracepoint/raw_syscalls/sys_exit")

/* ---- file module, every mode: io_uring requests, at submission and completion
 * (bpf/file_uring.bpf.h; optional: the fentry mode uses BTF tracepoints here) ---- */
VIGIL_FLOOR_PROG(fe_uring_submit_req, "tp_btf/io_uring_submit_req")
VIGIL_FLOOR_PROG(fe_uring_complete, "tp_btf/io_uring_complete")
VIGIL_FLOOR_PROG(btf_uring_submit_req, "tp_btf/io_uring_submit_req")
VIGIL_FLOOR_PROG(btf_uring_complete, "tp_btf/io_uring_complete")
VIGIL_FLOOR_PROG(raw_uring_submit_req, "raw_tp/io_uring_submit_req")
VIGIL_FLOOR_PROG(raw_uring_complete, "raw_tp/io_uring_complete")
VIGIL_FLOOR_PROG(tp_uring_submit_req, "tracepoint/io_uring/io_uring_submit_req")
VIGIL_FLOOR_PROG(tp_uring_complete, "tracepoint/io_uring/io_uring_complete")
/* Before io_uring_submit_req (Linux 6.0 and later): the submission tracepoint's older
 * name, as FileProbe::ProgramSupported accepts it. */
VIGIL_FLOOR_PROG(fe_uring_submit_req__sqe, "tp_btf/io_uring_submit_sqe")
VIGIL_FLOOR_PROG(btf_uring_submit_req__sqe, "tp_btf/io_uring_submit_sqe")
VIGIL_FLOOR_PROG(raw_uring_submit_req__sqe, "raw_tp/io_uring_submit_sqe")

/* ---- process module: fork, the credentials before exec, exec, exit ---- */
VIGIL_FLOOR_PROG(btf_fork, "tp_btf/sched_process_fork")
VIGIL_FLOOR_PROG(btf_prepare_exec, "tp_btf/sched_prepare_exec")
VIGIL_FLOOR_PROG(btf_exec, "tp_btf/sched_process_exec")
VIGIL_FLOOR_PROG(btf_exit, "tp_btf/sched_process_exit")

VIGIL_FLOOR_PROG(raw_fork, "raw_tp/sched_process_fork")
VIGIL_FLOOR_PROG(raw_prepare_exec, "raw_tp/sched_prepare_exec")
VIGIL_FLOOR_PROG(raw_exec, "raw_tp/sched_process_exec")
VIGIL_FLOOR_PROG(raw_exit, "raw_tp/sched_process_exit")

/* The classic mode sees forks through task_newtask, as bpf/process.bpf.c does. */
VIGIL_FLOOR_PROG(tp_newtask, "tracepoint/task/task_newtask")
VIGIL_FLOOR_PROG(tp_prepare_exec, "tracepoint/sched/sched_prepare_exec")
VIGIL_FLOOR_PROG(tp_exec, "tracepoint/sched/sched_process_exec")
VIGIL_FLOOR_PROG(tp_exit, "tracepoint/sched/sched_process_exit")

/* Stand-ins for a missing sched_prepare_exec, first usable one first. */
VIGIL_FLOOR_PROG(any_prepare_exec__lsm, "lsm/bprm_committing_creds")
VIGIL_FLOOR_PROG(any_prepare_exec__fentry, "fentry/security_bprm_committing_creds")

/* ---- net module: TCP state changes, and its own program on the exit of every syscall
 * (bpf/net.bpf.c; it has no fentry mode) ---- */
VIGIL_FLOOR_PROG(btf_inet_sock_set_state, "tp_btf/inet_sock_set_state")
VIGIL_FLOOR_PROG(raw_inet_sock_set_state, "raw_tp/inet_sock_set_state")
VIGIL_FLOOR_PROG(tp_inet_sock_set_state, "tracepoint/sock/inet_sock_set_state")
VIGIL_FLOOR_PROG(btf_net_sys_exit, "tp_btf/sys_exit")
VIGIL_FLOOR_PROG(raw_net_sys_exit, "raw_tp/sys_exit")
VIGIL_FLOOR_PROG(tp_net_sys_exit, "tracepoint/raw_syscalls/sys_exit")
/* ... and io_uring completions (accepts; optional) */
VIGIL_FLOOR_PROG(btf_net_uring_complete, "tp_btf/io_uring_complete")
VIGIL_FLOOR_PROG(raw_net_uring_complete, "raw_tp/io_uring_complete")
VIGIL_FLOOR_PROG(tp_net_uring_complete, "tracepoint/io_uring/io_uring_complete")

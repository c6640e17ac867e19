/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * File module, operations submitted through io_uring (IORING_OP_UNLINKAT, RENAMEAT, MKDIRAT,
 * SYMLINKAT, LINKAT; OPENAT and OPENAT2): the same records as their syscalls, flagged
 * VIGIL_FILE_OP_IO_URING (VIGIL_OPEN_IO_URING).
 * Included once by bpf/file.bpf.c, after file_ops.bpf.h.
 *
 * No syscall returns for them, so two io_uring tracepoints take its place. At submission
 * (io_uring_submit_req, in the submitting task or its SQPOLL thread, after the request was
 * prepared) the record is built like a syscall's, from the request's directory descriptors
 * and the kernel's own copy of the names, with the submitter's context, and parked under the
 * request's address. At completion (io_uring_complete, in whichever task completes it: the
 * submitter, or an io-wq worker) the result is filled in and the record written. The
 * request layout is that of Linux 6.0 and later; 6.0 and 6.1 call the submission tracepoint
 * io_uring_submit_sqe, with the request as its second argument (the __sqe stand-ins, in the
 * modes with raw or BTF tracepoints). Older kernels skip the hooks (the module lists them as
 * skipped).
 */
#ifndef VIGIL_BPF_FILE_URING_BPF_H_
#define VIGIL_BPF_FILE_URING_BPF_H_

#include "common.bpf.h"
#include "abi/file_ops.h"

/* Records of submitted requests awaiting their completion, by request address. Entries are
 * allocated when used; a request that never completes leaves its entry until the address is
 * reused (the opcode check below keeps it from being mistaken for another request). */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 4096);
  __type(key, __u64);
  __type(value, __u8[VIGIL_RECORD_MAX]);
  __uint(map_flags, BPF_F_NO_PREALLOC);
} uring_file_ops SEC(".maps");

/* The file-operation syscall an io_uring opcode stands for, or 0. */
static __always_inline __u32 uring_file_op(__u32 opcode) {
  if (opcode == bpf_core_enum_value(enum io_uring_op, IORING_OP_UNLINKAT))
    return VIGIL_SYS_UNLINKAT;
  if (opcode == bpf_core_enum_value(enum io_uring_op, IORING_OP_RENAMEAT))
    return VIGIL_SYS_RENAMEAT2;
  if (opcode == bpf_core_enum_value(enum io_uring_op, IORING_OP_MKDIRAT))
    return VIGIL_SYS_MKDIRAT;
  if (opcode == bpf_core_enum_value(enum io_uring_op, IORING_OP_SYMLINKAT))
    return VIGIL_SYS_SYMLINKAT;
  if (opcode == bpf_core_enum_value(enum io_uring_op, IORING_OP_LINKAT)) return VIGIL_SYS_LINKAT;
  return 0;
}

/* A name the request holds: the kernel's copy (struct filename), relative to `dirfd`. */
static __always_inline void uring_name(struct file_op_path_arg *p, __s32 dirfd,
                                       struct filename *name, bool raw) {
  p->kind = raw ? FILE_OP_PATH_RAW : FILE_OP_PATH_AT;
  p->fd = dirfd;
  p->str = (__u64)BPF_CORE_READ(name, name);
  p->kernel = 1;
  if (!p->str) p->kind = FILE_OP_PATH_NONE;
}

/* io_uring_submit_req: builds and parks the record of a file operation. */
static __always_inline void uring_submit(struct io_kiocb *req) {
  const __u32 opcode = BPF_CORE_READ(req, opcode);
  const __u32 sys = uring_file_op(opcode);
  if (!sys) return;
  const __u32 type = file_op_event_type(sys);
  if (!type_enabled(type) || is_self()) return;
  struct vigil_scratch *s = NULL;
  struct file_op_state *st = file_op_begin(&s);
  if (!st || !s) return;
  struct vigil_file_op_event *e = (struct vigil_file_op_event *)s->record;
  e->flags = VIGIL_FILE_OP_IO_URING;
  if (sys == VIGIL_SYS_UNLINKAT) {
    struct io_unlink *u = (struct io_unlink *)req;
    uring_name(&st->arg[0], BPF_CORE_READ(u, dfd), BPF_CORE_READ(u, filename), false);
    e->op_flags = (__u32)BPF_CORE_READ(u, flags);
  } else if (sys == VIGIL_SYS_RENAMEAT2) {
    struct io_rename *r = (struct io_rename *)req;
    uring_name(&st->arg[0], BPF_CORE_READ(r, old_dfd), BPF_CORE_READ(r, oldpath), false);
    uring_name(&st->arg[1], BPF_CORE_READ(r, new_dfd), BPF_CORE_READ(r, newpath), false);
    e->op_flags = (__u32)BPF_CORE_READ(r, flags);
  } else if (sys == VIGIL_SYS_MKDIRAT) {
    struct io_mkdir *m = (struct io_mkdir *)req;
    uring_name(&st->arg[0], BPF_CORE_READ(m, dfd), BPF_CORE_READ(m, filename), false);
    e->mode = BPF_CORE_READ(m, mode);
  } else {
    struct io_link *l = (struct io_link *)req;
    const bool symlink = sys == VIGIL_SYS_SYMLINKAT;
    uring_name(&st->arg[0], BPF_CORE_READ(l, old_dfd), BPF_CORE_READ(l, oldpath), symlink);
    uring_name(&st->arg[1], BPF_CORE_READ(l, new_dfd), BPF_CORE_READ(l, newpath), false);
    if (!symlink) e->op_flags = (__u32)BPF_CORE_READ(l, flags);
  }
  if (!file_op_build(s, st, sys, type, 0, false)) return;
  e->reserved = opcode; /* checked at completion, cleared before the record is written */
  __u64 key = (__u64)req;
  if (bpf_map_update_elem(&uring_file_ops, &key, s->record, BPF_ANY)) count(VIGIL_STAT_DROP_SCRATCH);
}

/* An IORING_OP_OPENAT or OPENAT2 completed: an open record, walked from the new
 * descriptor like a syscall's. A failed one has no path (the kernel's copy of the name is
 * gone by now); one into a fixed-file slot has no descriptor and is not seen. */
static __always_inline void uring_open_done(struct io_kiocb *req, __u32 opcode) {
  struct io_open *o = (struct io_open *)req;
  if (BPF_CORE_READ(o, file_slot)) return;
  struct open_args a = {};
  a.syscall = opcode == bpf_core_enum_value(enum io_uring_op, IORING_OP_OPENAT2)
                  ? VIGIL_SYS_OPENAT2
                  : VIGIL_SYS_OPENAT;
  a.flags = BPF_CORE_READ(o, how.flags);
  a.mode = BPF_CORE_READ(o, how.mode);
  const long ret = BPF_CORE_READ(req, cqe.res);
  if (!type_enabled(VIGIL_EVENT_OPEN)) return;
  if (ret >= 0 && open_dropped(current_task(false), ret, false)) return;
  emit_open(&a, ret, VIGIL_OPEN_IO_URING, false);
}

/* io_uring_complete: writes the parked record of a request with its result. */
static __always_inline void uring_complete(struct io_kiocb *req) {
  const __u32 opcode = BPF_CORE_READ(req, opcode);
  if (opcode == bpf_core_enum_value(enum io_uring_op, IORING_OP_OPENAT) ||
      opcode == bpf_core_enum_value(enum io_uring_op, IORING_OP_OPENAT2)) {
    uring_open_done(req, opcode);
    return;
  }
  __u64 key = (__u64)req;
  struct vigil_file_op_event *e = bpf_map_lookup_elem(&uring_file_ops, &key);
  if (!e) return;
  const __s32 res = BPF_CORE_READ(req, cqe.res);
  const bool same_request = e->reserved == opcode;
  e->reserved = 0;
  if (!same_request) {
    bpf_map_delete_elem(&uring_file_ops, &key);
    return;
  }
  if (res < 0 && !(filter_cfg.file_flags & VIGIL_FILTER_FAILED)) {
    count(VIGIL_STAT_FILTERED_PATH);
  } else {
    e->result = res;
    submit(e, e->hdr.size);
  }
  bpf_map_delete_elem(&uring_file_ops, &key);
}

/* One program per attach mode and tracepoint (the fentry mode uses BTF tracepoints here).
 * Reads are CO-RE in all: io_uring file operations are rare. The request is the first
 * argument of io_uring_submit_req and the second of io_uring_complete. */
#define VIGIL_URING_BTF(prefix, kind)                                      \
  SEC(kind "/io_uring_submit_req")                                         \
  int BPF_PROG(prefix##uring_submit_req, void *req) {                      \
    uring_submit((struct io_kiocb *)req);                                  \
    return 0;                                                              \
  }                                                                        \
  SEC(kind "/io_uring_complete")                                           \
  int BPF_PROG(prefix##uring_complete, void *ring, void *req) {            \
    uring_complete((struct io_kiocb *)req);                                \
    return 0;                                                              \
  }

VIGIL_URING_BTF(fe_, "tp_btf")
VIGIL_URING_BTF(btf_, "tp_btf")
VIGIL_URING_BTF(raw_, "raw_tp")

/* Before io_uring_submit_req: io_uring_submit_sqe, whose second argument is the request in
 * Linux 6.0 and 6.1 (seven arguments) and whose first it is afterwards (two). */
#define VIGIL_URING_SQE(prefix, kind)                                     \
  SEC(kind "/io_uring_submit_sqe")                                        \
  int BPF_PROG(prefix##uring_submit_req__sqe, void *ring, void *req) {    \
    uring_submit((struct io_kiocb *)req);                                 \
    return 0;                                                             \
  }                                                                       \
  SEC(kind "/io_uring_submit_sqe")                                        \
  int BPF_PROG(prefix##uring_submit_req__sqe_req, void *req) {            \
    uring_submit((struct io_kiocb *)req);                                 \
    return 0;                                                             \
  }

VIGIL_URING_SQE(fe_, "tp_btf")
VIGIL_URING_SQE(btf_, "tp_btf")
VIGIL_URING_SQE(raw_, "raw_tp")

SEC("tracepoint/io_uring/io_uring_submit_req")
int tp_uring_submit_req(struct trace_event_raw_io_uring_submit_req *ctx) {
  uring_submit((struct io_kiocb *)ctx->req);
  return 0;
}

SEC("tracepoint/io_uring/io_uring_complete")
int tp_uring_complete(struct trace_event_raw_io_uring_complete *ctx) {
  uring_complete((struct io_kiocb *)ctx->req);
  return 0;
}

#endif /* VIGIL_BPF_FILE_URING_BPF_H_ */

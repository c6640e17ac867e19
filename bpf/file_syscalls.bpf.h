/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * File module: the one table that tells, at the exit of every syscall, whether it is an
 * open, a file operation (file_ops.bpf.h), or neither (one lookup). Included by
 * bpf/file.bpf.c before the handlers.
 */
#ifndef VIGIL_BPF_FILE_SYSCALLS_BPF_H_
#define VIGIL_BPF_FILE_SYSCALLS_BPF_H_

#include "common.bpf.h"
#include "abi/file_ops.h"

/* Table byte bits beside a file operation's id (low 5 bits). */
#define FILE_OP_ID_MASK 0x1f
#define FILE_OP_UID16 0x20  /* 16-bit owner ids (the old ia32 chown family) */
#define FILE_OP_LEN64 0x40  /* 64-bit length split over two registers (ia32 *truncate64) */
#define FILE_SYS_OPEN 0x80  /* an open (file.bpf.c), not a file operation */

/* Per syscall number: what the native (x86_64) syscall is in the low byte and what the
 * ia32 one is in the high byte: FILE_SYS_OPEN for an open, or the id of a file operation
 * (enum vigil_file_op_syscall plus FILE_OP_* bits); 0 when it is neither in that table. */
static const __u16 file_syscalls[512] = {
    [87] = VIGIL_SYS_UNLINK,       [263] = VIGIL_SYS_UNLINKAT,
    [84] = VIGIL_SYS_RMDIR,        [82] = VIGIL_SYS_RENAME,
    [264] = VIGIL_SYS_RENAMEAT,    [316] = VIGIL_SYS_RENAMEAT2,
    [83] = VIGIL_SYS_MKDIR | (VIGIL_SYS_SYMLINK << 8), [258] = VIGIL_SYS_MKDIRAT,
    [86] = VIGIL_SYS_LINK,         [265] = VIGIL_SYS_LINKAT,
    [88] = VIGIL_SYS_SYMLINK,      [266] = VIGIL_SYS_SYMLINKAT,
    [90] = VIGIL_SYS_CHMOD,        [91] = VIGIL_SYS_FCHMOD,
    [268] = VIGIL_SYS_FCHMODAT,
    [92] = VIGIL_SYS_CHOWN | (VIGIL_SYS_TRUNCATE << 8),
    [93] = VIGIL_SYS_FCHOWN | (VIGIL_SYS_FTRUNCATE << 8),
    [94] = VIGIL_SYS_LCHOWN | (VIGIL_SYS_FCHMOD << 8),
    [260] = VIGIL_SYS_FCHOWNAT,    [76] = VIGIL_SYS_TRUNCATE,
    [77] = VIGIL_SYS_FTRUNCATE,    [319] = VIGIL_SYS_MEMFD_CREATE,
    [165] = VIGIL_SYS_MOUNT,
    /* opens: open, creat, openat, open_by_handle_at, openat2 (the same number in both) */
    [2] = FILE_SYS_OPEN,           [85] = FILE_SYS_OPEN,
    [257] = FILE_SYS_OPEN,         [304] = FILE_SYS_OPEN | (VIGIL_SYS_SYMLINKAT << 8),
    [437] = FILE_SYS_OPEN | (FILE_SYS_OPEN << 8),
    /* the new mount API: the same numbers in both tables */
    [428] = VIGIL_SYS_OPEN_TREE | (VIGIL_SYS_OPEN_TREE << 8),
    [429] = VIGIL_SYS_MOVE_MOUNT | (VIGIL_SYS_MOVE_MOUNT << 8),
    /* ia32 */
    [10] = VIGIL_SYS_UNLINK << 8,  [301] = VIGIL_SYS_UNLINKAT << 8,
    [40] = VIGIL_SYS_RMDIR << 8,   [38] = VIGIL_SYS_RENAME << 8,
    [302] = VIGIL_SYS_RENAMEAT << 8, [353] = VIGIL_SYS_RENAMEAT2 << 8,
    [39] = VIGIL_SYS_MKDIR << 8,   [296] = VIGIL_SYS_MKDIRAT << 8,
    [9] = VIGIL_SYS_LINK << 8,     [303] = VIGIL_SYS_LINKAT << 8,
    [306] = VIGIL_SYS_FCHMODAT << 8,
    [15] = VIGIL_SYS_CHMOD << 8,   [298] = VIGIL_SYS_FCHOWNAT << 8,
    /* 83, 92, 93 and 94 (ia32 symlink, truncate, ftruncate, fchmod) are with the native
     * numbers above. */
    [182] = (VIGIL_SYS_CHOWN | FILE_OP_UID16) << 8,
    [16] = (VIGIL_SYS_LCHOWN | FILE_OP_UID16) << 8,
    [95] = (VIGIL_SYS_FCHOWN | FILE_OP_UID16) << 8,
    [212] = VIGIL_SYS_CHOWN << 8,  [198] = VIGIL_SYS_LCHOWN << 8,
    [207] = VIGIL_SYS_FCHOWN << 8, [193] = (VIGIL_SYS_TRUNCATE | FILE_OP_LEN64) << 8,
    [194] = (VIGIL_SYS_FTRUNCATE | FILE_OP_LEN64) << 8,
    [356] = VIGIL_SYS_MEMFD_CREATE << 8, [21] = VIGIL_SYS_MOUNT << 8,
    [5] = FILE_SYS_OPEN << 8,      [8] = FILE_SYS_OPEN << 8,   /* ia32 open, creat */
    [295] = FILE_SYS_OPEN << 8,    [342] = FILE_SYS_OPEN << 8, /* ia32 openat, by handle */
    [452] = VIGIL_SYS_FCHMODAT2 | (VIGIL_SYS_FCHMODAT2 << 8),
};

/* The table byte of syscall `nr` of the current task: FILE_SYS_OPEN, a file operation's id,
 * or 0. Past the lookup (most syscalls stop there) *task is the current task and *compat
 * says which table it called through. */
static __always_inline __u32 file_syscall_byte(__u64 nr, struct task_struct **task,
                                               bool *compat, const bool fast) {
  return syscall_table_byte(file_syscalls, nr, task, compat, fast);
}

#endif /* VIGIL_BPF_FILE_SYSCALLS_BPF_H_ */

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * sigmon: a probe-module bundle (docs/modules.md) that reports signals as the kernel
 * generates them (signal:signal_generate): who sent which signal to which task, and with
 * what result. The example rules use it to see the sensor and other protected processes
 * being killed or stopped (tamper detection). Built by CMake (modules/CMakeLists.txt),
 * described by sigmon.manifest, signed and pushed with vigilctl.
 */
#include "vigil_bundle.bpf.h"

#include "sigmon.h"

VIGIL_BUNDLE_RECORD(struct sigmon_signal, signal);

/* Bit n set: signal n is reported (config "signal_mask" in the manifest). */
const volatile __u64 signal_mask = 0;

static __always_inline bool signal_wanted(int sig) {
  return sig > 0 && sig < 64 && ((signal_mask >> sig) & 1) && vigil_bundle_wanted();
}

/* SEND_SIG_NOINFO and SEND_SIG_PRIV are the pseudo siginfo pointers 0 and 1. */
#define SIGMON_SI_KERNEL 0x80

static __always_inline int siginfo_code(struct kernel_siginfo *info) {
  if ((unsigned long)info == 0) return 0; /* SI_USER */
  if ((unsigned long)info == 1) return SIGMON_SI_KERNEL;
  return BPF_CORE_READ(info, si_code);
}

static __always_inline void emit(int sig, int code, int result, int group, __u32 target_pid,
                                 const char *target_comm, const bool fast) {
  struct sigmon_signal *e = VIGIL_BUNDLE_BEGIN(struct sigmon_signal, SIGMON_RECORD_SIGNAL, fast);
  if (!e) return;
  e->sig = sig;
  e->code = code;
  e->result = result;
  e->target_pid = target_pid;
  e->group = group != 0;
  e->pad[0] = e->pad[1] = e->pad[2] = 0;
  bpf_probe_read_kernel_str(e->target_comm, sizeof(e->target_comm), target_comm);
  vigil_bundle_submit();
}

static __always_inline void from_task(int sig, struct kernel_siginfo *info, struct task_struct *task,
                                      int group, int result, const bool fast) {
  if (!signal_wanted(sig)) return;
  emit(sig, siginfo_code(info), result, group, BPF_CORE_READ(task, pid), task->comm, fast);
}

SEC("tp_btf/signal_generate")
int BPF_PROG(btf_signal_generate, int sig, struct kernel_siginfo *info, struct task_struct *task,
             int group, int result) {
  from_task(sig, info, task, group, result, true);
  return 0;
}

SEC("raw_tp/signal_generate")
int BPF_PROG(raw_signal_generate, int sig, struct kernel_siginfo *info, struct task_struct *task,
             int group, int result) {
  from_task(sig, info, task, group, result, false);
  return 0;
}

SEC("tracepoint/signal/signal_generate")
int tp_signal_generate(struct trace_event_raw_signal_generate *ctx) {
  if (!signal_wanted(ctx->sig)) return 0;
  emit(ctx->sig, ctx->code, ctx->result, ctx->group, ctx->pid, ctx->comm, false);
  return 0;
}

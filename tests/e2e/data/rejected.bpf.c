// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A bundle object that every verifier refuses (tests/e2e/bundle_test.cc): sigmon's
 * programs and record, but each one reads its scratch buffer at an unbounded offset.
 */
#include "vigil_bundle.bpf.h"

#include "sigmon.h"

VIGIL_BUNDLE_RECORD(struct sigmon_signal, signal);
const volatile __u64 signal_mask = 0;

static __always_inline int unbounded_read(void) {
  struct vigil_scratch *s = get_scratch();
  if (!s) return 0;
  return s->record[bpf_get_prandom_u32()];
}

SEC("tp_btf/signal_generate")
int BPF_PROG(btf_signal_generate) { return unbounded_read(); }

SEC("raw_tp/signal_generate")
int BPF_PROG(raw_signal_generate) { return unbounded_read(); }

SEC("tracepoint/signal/signal_generate")
int tp_signal_generate(void *ctx) { return unbounded_read(); }

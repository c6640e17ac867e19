/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A small probe-module bundle object for the object check's unit tests
 * (tests/bundle/object_check_test.cc): the shared maps, the instance global, one config
 * global, one config map, one record struct and one hook slot ("signal_generate") in two
 * attach modes. Never loaded.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* As bpf/common.bpf.h defines them (the sensor shares them by fd). */
struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 1 << 22);
} events SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 16);
  __type(key, __u32);
  __type(value, __u64);
} stats SEC(".maps");

/* A config map: u32 index -> u64 value. */
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, __u64);
} limits SEC(".maps");

const volatile __u32 vigil_bundle_instance = 0;
const volatile __u32 some_config = 0;
const volatile __u8 small_config = 0;

/* The record body: offsets 0, 4, 8, 16; 32 bytes. */
struct test_rec {
  __u32 pid;
  __s32 sig;
  __u64 flags;
  char comm[16];
};

/* Keeps the struct in BTF. */
struct test_rec rec_example = {};

static __always_inline int handle(void) {
  if (!some_config && !small_config) return 0;
  __u32 zero = 0;
  __u64 *limit = bpf_map_lookup_elem(&limits, &zero);
  struct test_rec *rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
  if (!rec) return 0;
  rec->pid = vigil_bundle_instance;
  rec->sig = 0;
  rec->flags = limit ? *limit : 0;
  rec->comm[0] = 0;
  bpf_ringbuf_submit(rec, 0);
  return 0;
}

SEC("tp_btf/signal_generate")
int btf_signal_generate(u64 *ctx) { return handle(); }

SEC("tracepoint/signal/signal_generate")
int tp_signal_generate(void *ctx) { return handle(); }

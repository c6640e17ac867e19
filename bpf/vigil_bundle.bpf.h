/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * For probe-module bundles (docs/modules.md): the shared ring buffer, counters and runtime
 * filter of every Vigil module (common.bpf.h), the instance number the sensor sets before
 * loading, and vigil_bundle_emit(), which writes one record of a manifest record type.
 */
#ifndef VIGIL_BPF_VIGIL_BUNDLE_BPF_H_
#define VIGIL_BPF_VIGIL_BUNDLE_BPF_H_

#include "common.bpf.h"

#include "abi/vigil_bundle.h"

/* Set by the sensor before load: the records of this loaded copy carry it. */
const volatile __u32 vigil_bundle_instance = 0;

/* Puts a record body's struct into the object's BTF, where the sensor checks the
 * manifest's layout against it (a type only used in casts would leave no trace there). */
#define VIGIL_BUNDLE_RECORD(type, name) type *vigil_bundle_record_##name = 0

/* True when the sensor wants bundle records now (some rule reads bundle fields) and the
 * current task is not the sensor. Call it first: a filtered event costs almost nothing. */
static __always_inline bool vigil_bundle_wanted(void) {
  return type_enabled(VIGIL_EVENT_BUNDLE) && !is_self();
}

/* Starts a record of manifest record type `record` whose body is `size` bytes (the
 * manifest record's size, less than VIGIL_RECORD_MAX - sizeof(struct vigil_bundle_header)):
 * fills the common header and returns the body to fill in, or NULL. vigil_bundle_submit()
 * then writes it. */
static __always_inline void *vigil_bundle_begin(__u16 record, __u32 size, const bool fast) {
  struct vigil_scratch *s = get_scratch();
  if (!s) return NULL;
  struct vigil_bundle_header *h = (struct vigil_bundle_header *)s->record;
  if (size >= VIGIL_RECORD_MAX - sizeof(*h)) return NULL;
  fill_header_from(&h->hdr, VIGIL_EVENT_BUNDLE, fast);
  h->hdr.size = sizeof(*h) + size;
  h->instance = vigil_bundle_instance;
  h->record = record;
  h->reserved = 0;
  return s->record + sizeof(*h);
}

/* A typed body: VIGIL_BUNDLE_BEGIN(struct my_record, MY_RECORD_ID, fast). */
#define VIGIL_BUNDLE_BEGIN(type, record, fast) \
  ((type *)vigil_bundle_begin((record), sizeof(type), (fast)))

/* Writes the record whose body vigil_bundle_begin() returned. */
static __always_inline void vigil_bundle_submit(void) {
  __u32 zero = 0;
  struct vigil_scratch *s = bpf_map_lookup_elem(&scratch, &zero);
  if (!s) return;
  submit(s->record, ((struct vigil_event_header *)s->record)->size);
}

#endif /* VIGIL_BPF_VIGIL_BUNDLE_BPF_H_ */

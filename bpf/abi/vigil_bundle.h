/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The record header of probe-module bundles (docs/modules.md). Every record a bundle's
 * programs write is a vigil_bundle_header followed by the body of one of the record types
 * its manifest declares; the sensor decodes the body by the manifest's schema. All bundles
 * share one event type, so rules select bundle events by their fields ("<module>.<field>").
 */
#ifndef VIGIL_BPF_ABI_VIGIL_BUNDLE_H_
#define VIGIL_BPF_ABI_VIGIL_BUNDLE_H_

#include "vigil_event.h"

/* The event type of every bundle record (the last of the type mask's bits). */
#define VIGIL_EVENT_BUNDLE 31

struct vigil_bundle_header {
  struct vigil_event_header hdr; /* type VIGIL_EVENT_BUNDLE */
  __u32 instance; /* the loaded bundle (set by the sensor in vigil_bundle_instance) */
  __u16 record;   /* the manifest record id of the body that follows */
  __u16 reserved;
};

#endif /* VIGIL_BPF_ABI_VIGIL_BUNDLE_H_ */

// The events of probe-module bundles (docs/modules.md): every bundle record is one event
// type, kBundle, whose payload points at the record body and at the schema the bundle's
// manifest gave it (event/bundle_schema.h), so its fields are read by that schema.
#ifndef VIGIL_EVENT_BUNDLE_EVENT_H_
#define VIGIL_EVENT_BUNDLE_EVENT_H_

#include <cstdint>

#include "bpf/abi/vigil_bundle.h"
#include "event/event_type.h"

namespace vigil::event {

inline constexpr EventType kBundle{VIGIL_EVENT_BUNDLE};

struct BundleSchema;
struct BundleRecordSchema;

// One bundle record: the schema of the loaded bundle that wrote it and the body's bytes.
// The schema outlives every event of its bundle (the sensor drops it only after the ring
// buffer is drained); the body points into the ring-buffer record.
struct BundleData {
  const BundleSchema* schema = nullptr;
  const BundleRecordSchema* record = nullptr;
  const uint8_t* body = nullptr;
  uint32_t size = 0;
};

// event::Event's part for bundle records.
struct BundlePayload {
  BundleData bundle;
};

}  // namespace vigil::event

#endif  // VIGIL_EVENT_BUNDLE_EVENT_H_

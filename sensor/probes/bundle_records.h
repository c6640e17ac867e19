// The records of probe-module bundles: which loaded bundle each instance number stands for,
// and the one record type (kBundle) that decodes every bundle's records by its schema.
// Everything here runs on the pipeline thread, which both loads bundles and decodes, but
// the instance table takes a lock so that the watchdog may read it too.
#ifndef VIGIL_SENSOR_PROBES_BUNDLE_RECORDS_H_
#define VIGIL_SENSOR_PROBES_BUNDLE_RECORDS_H_

#include <cstdint>
#include <memory>

#include "event/bundle_schema.h"
#include "sensor/probes/record.h"

namespace vigil::sensor::probes {

// Gives a loaded bundle its instance number (never 0, never reused in this process): the
// number its programs put in their records (vigil_bundle_instance).
uint32_t RegisterBundleInstance(std::shared_ptr<const event::BundleSchema> schema);
// Forgets an instance once no record of it can be left in the ring buffer; its later
// records are refused as unknown.
void UnregisterBundleInstance(uint32_t instance);

// The record type of kBundle: the body must be exactly the size its schema's record says.
const RecordType& BundleRecordType();

}  // namespace vigil::sensor::probes

#endif  // VIGIL_SENSOR_PROBES_BUNDLE_RECORDS_H_

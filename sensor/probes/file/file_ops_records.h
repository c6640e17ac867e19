// The file module's operation records (bpf/abi/file_ops.h), listed by file_records.cc.
#ifndef VIGIL_SENSOR_PROBES_FILE_FILE_OPS_RECORDS_H_
#define VIGIL_SENSOR_PROBES_FILE_FILE_OPS_RECORDS_H_

#include <vector>

#include "sensor/probes/record.h"

namespace vigil::sensor::probes::file {

// One RecordType per file-operation event type, all decoded into event::FileOpData.
std::vector<RecordType> FileOpRecords();

}  // namespace vigil::sensor::probes::file

#endif  // VIGIL_SENSOR_PROBES_FILE_FILE_OPS_RECORDS_H_

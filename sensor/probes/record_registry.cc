#include "sensor/probes/record_registry.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "event/schema.h"
#include "sensor/probes/bundle_records.h"

// Each registered module defines vigil::sensor::probes::<name>::Records() in
// sensor/probes/<name>/<name>_records.cc.
#define VIGIL_DECLARE_RECORDS(module)       \
  namespace vigil::sensor::probes::module { \
  const std::vector<RecordType>& Records(); \
  }
VIGIL_PROBE_MODULES(VIGIL_DECLARE_RECORDS)
#undef VIGIL_DECLARE_RECORDS

namespace vigil::sensor {

absl::string_view DecodeErrorName(DecodeError error) {
  switch (error) {
    case DecodeError::kTooShort: return "too_short";
    case DecodeError::kSizeMismatch: return "size_mismatch";
    case DecodeError::kBadVersion: return "bad_version";
    case DecodeError::kUnknownType: return "unknown_type";
    case DecodeError::kBadLength: return "bad_length";
    case DecodeError::kCount: break;
  }
  return "unknown";
}

namespace probes {
namespace {

using TypeTable = std::array<const RecordType*, event::kEventTypeLimit>;

const TypeTable& Table() {
  static const TypeTable* table = [] {
    auto* out = new TypeTable{};
    for (const RecordType& type : RecordTypes()) {
      const int t = static_cast<int>(type.type);
      // A clash or an out-of-range number is refused by CheckRecordRegistry().
      if (t > 0 && t < event::kEventTypeLimit && (*out)[t] == nullptr) (*out)[t] = &type;
    }
    return out;
  }();
  return *table;
}

}  // namespace

DecodeResult CheckTail(const Record& record, size_t body, size_t tail) {
  if (record.size() - body != tail) {
    return DecodeFailure{
        DecodeError::kSizeMismatch,
        absl::StrCat("variable part is ", record.size() - body, " bytes, lengths say ", tail)};
  }
  return std::nullopt;
}

const std::vector<RecordType>& RecordTypes() {
  static const auto* types = [] {
    auto* all = new std::vector<RecordType>;
#define VIGIL_APPEND_RECORDS(module) \
  all->insert(all->end(), module::Records().begin(), module::Records().end());
    VIGIL_PROBE_MODULES(VIGIL_APPEND_RECORDS)
#undef VIGIL_APPEND_RECORDS
    all->push_back(BundleRecordType());
    return all;
  }();
  return *types;
}

const RecordType* FindRecordType(uint16_t type) {
  return type < event::kEventTypeLimit ? Table()[type] : nullptr;
}

absl::Status CheckRecordRegistry() {
  std::array<bool, event::kEventTypeLimit> seen{};
  for (const RecordType& type : RecordTypes()) {
    const int t = static_cast<int>(type.type);
    if (t <= 0 || t >= event::kEventTypeLimit) {
      return absl::InternalError(
          absl::StrCat("record type ", t, " is outside 1..", event::kEventTypeLimit - 1));
    }
    if (seen[t]) return absl::InternalError(absl::StrCat("record type ", t, " registered twice"));
    seen[t] = true;
    if (type.body_size < sizeof(vigil_event_header) || type.decode == nullptr ||
        type.append_json == nullptr) {
      return absl::InternalError(absl::StrCat("record type ", t, " lacks a body or decoder"));
    }
    if (event::FindEventType(type.type) == nullptr) {
      return absl::InternalError(
          absl::StrCat("record type ", t, " has no event type in the event model's schema"));
    }
  }
  for (const event::ModuleSchema* schema : event::ModuleSchemas()) {
    for (const event::EventTypeInfo& info : schema->event_types) {
      if (FindRecordType(static_cast<uint16_t>(info.type)) == nullptr) {
        return absl::InternalError(absl::StrCat("event type ", info.name, " of module ",
                                                schema->name, " has no record decoder"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace probes
}  // namespace vigil::sensor

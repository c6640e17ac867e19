// Schemas of probe-module bundles: the records and fields a bundle's manifest declares, in
// the event model's terms, and the set of bundles whose fields rules may name now
// ("<module>.<field>", resolved by FindField through FindBundleField). The manifest itself
// is the bundle layer's; this layer knows only the plain description built from it.
#ifndef VIGIL_EVENT_BUNDLE_SCHEMA_H_
#define VIGIL_EVENT_BUNDLE_SCHEMA_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "event/bundle_event.h"
#include "event/fields.h"
#include "event/schema.h"

namespace vigil::event {

// How a field's bytes are stored in the record body.
enum class BundleValueKind : uint8_t { kU8, kU16, kU32, kU64, kS32, kS64, kBool, kString };

// One field: `size` bytes at `offset` in the record body.
struct BundleFieldLayout {
  std::string name;  // without the module prefix
  FieldType type = FieldType::kInt;
  BundleValueKind kind = BundleValueKind::kU32;
  uint32_t offset = 0;
  uint32_t size = 0;
  std::string description;
  // The field's number among every bundle field this process has seen (by full name and
  // type); what compiled rules carry. Set by MakeBundleSchema.
  int id = -1;
};

// One record type of a bundle.
struct BundleRecordSchema {
  std::string name;
  uint16_t id = 0;
  uint32_t size = 0;  // body bytes
  std::vector<BundleFieldLayout> fields;
  std::string evt_type;  // "<module>.<record>": evt.type of its events
};

// A bundle's records, as loaded.
struct BundleSchema {
  std::string module;
  std::string version;
  std::string hash;  // "sha256:<hex>" of the bundle
  std::vector<BundleRecordSchema> records;

  // The record type numbered `id`, or null.
  const BundleRecordSchema* FindRecord(uint16_t id) const;
};

// Most distinct bundle fields (full name and type) one process learns: MakeBundleSchema
// refuses more, so a stream of pushed bundles cannot grow memory without bound.
inline constexpr int kMaxBundleFieldIds = 4096;

// Numbers `draft`'s fields (BundleFieldLayout::id) and fills evt_type. InvalidArgument for a
// field whose full name a built-in field has, for two records with one id, or
// ResourceExhausted past kMaxBundleFieldIds.
absl::StatusOr<std::shared_ptr<const BundleSchema>> MakeBundleSchema(BundleSchema draft);

// The field numbered `id` in `record`, or null.
const BundleFieldLayout* FindBundleLayout(const BundleRecordSchema& record, int id);

// Reads a field's value from a body that holds at least offset + size bytes.
FieldValue ReadBundleValue(const BundleFieldLayout& field, const uint8_t* body);

// Replaces the bundles whose fields rules may name. Thread-safe.
void SetActiveBundleSchemas(std::vector<std::shared_ptr<const BundleSchema>> schemas);
// The bundles SetActiveBundleSchemas set last.
std::vector<std::shared_ptr<const BundleSchema>> ActiveBundleSchemas();

// The field "<module>.<field>" of an active bundle, or null. Its FieldInfo stays valid for
// the life of the process (compiled rules keep it); it reads "not present" on events of
// bundles that do not define it with the same type.
const FieldInfo* FindBundleField(absl::string_view name);

// The event type of bundle records (kBundle), as EventTypes() lists it.
const EventTypeInfo& BundleEventTypeInfo();

}  // namespace vigil::event

#endif  // VIGIL_EVENT_BUNDLE_SCHEMA_H_

#include "sensor/probes/bundle_records.h"

#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "bpf/abi/vigil_bundle.h"
#include "sensor/output/json_writer.h"

namespace vigil::sensor::probes {
namespace {

class Instances {
 public:
  static Instances& Get() {
    static Instances* instances = new Instances;
    return *instances;
  }
  uint32_t Add(std::shared_ptr<const event::BundleSchema> schema) {
    absl::MutexLock lock(&mu_);
    const uint32_t id = next_++;
    by_id_.emplace(id, std::move(schema));
    return id;
  }
  void Remove(uint32_t id) {
    absl::MutexLock lock(&mu_);
    by_id_.erase(id);
  }
  // Raw pointer for the decoder: valid until Remove(), which comes after the ring is drained.
  const event::BundleSchema* FindRaw(uint32_t id) {
    absl::MutexLock lock(&mu_);
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : it->second.get();
  }

 private:
  absl::Mutex mu_;
  uint32_t next_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<uint32_t, std::shared_ptr<const event::BundleSchema>> by_id_
      ABSL_GUARDED_BY(mu_);
};

DecodeResult DecodeBundle(const Record& record, event::Event* event) {
  const auto h = record.Load<vigil_bundle_header>();
  const event::BundleSchema* schema = Instances::Get().FindRaw(h.instance);
  if (schema == nullptr) {
    return DecodeFailure{DecodeError::kUnknownType,
                         absl::StrCat("bundle instance ", h.instance, " is not loaded")};
  }
  const event::BundleRecordSchema* type = schema->FindRecord(h.record);
  if (type == nullptr) {
    return DecodeFailure{DecodeError::kUnknownType,
                         absl::StrCat("bundle ", schema->module, " has no record ", h.record)};
  }
  if (DecodeResult tail = CheckTail(record, sizeof(vigil_bundle_header), type->size)) return tail;
  event->bundle = event::BundleData{schema, type, record.data() + sizeof(h), type->size};
  return std::nullopt;
}

void BundleJson(const event::Event& event, JsonWriter* w) {
  const event::BundleData& b = event.bundle;
  w->String("module", b.schema->module);
  w->String("module_version", b.schema->version);
  w->String("record", b.record->name);
  w->BeginObject("fields");
  for (const event::BundleFieldLayout& field : b.record->fields) {
    const event::FieldValue value = event::ReadBundleValue(field, b.body);
    if (field.type == event::FieldType::kString) {
      w->String(field.name, value.str);
    } else if (field.type == event::FieldType::kBool) {
      w->Bool(field.name, value.num != 0);
    } else {
      w->Int(field.name, value.num);
    }
  }
  w->EndObject();
}

}  // namespace

uint32_t RegisterBundleInstance(std::shared_ptr<const event::BundleSchema> schema) {
  return Instances::Get().Add(std::move(schema));
}

void UnregisterBundleInstance(uint32_t instance) { Instances::Get().Remove(instance); }

const RecordType& BundleRecordType() {
  static const RecordType type{event::kBundle, sizeof(vigil_bundle_header), DecodeBundle,
                               BundleJson};
  return type;
}

}  // namespace vigil::sensor::probes

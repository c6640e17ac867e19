#include "event/bundle_schema.h"

#include <cstring>
#include <deque>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace vigil::event {
namespace {

FieldValue ExtractBundleField(const EventView& view, const FieldArg& arg) {
  const BundleData& data = view.event().bundle;
  if (data.record == nullptr) return AbsentValue();
  const BundleFieldLayout* field = FindBundleLayout(*data.record, arg.index);
  if (field == nullptr || uint64_t{field->offset} + field->size > data.size) return AbsentValue();
  return ReadBundleValue(*field, data.body);
}

// A bundle field's FieldInfo, kept for the life of the process.
struct InternedField {
  std::string name;
  std::string description;
  FieldInfo info;
};

// Every bundle field seen, and the active bundles.
class BundleRegistry {
 public:
  static BundleRegistry& Get() {
    static BundleRegistry* registry = new BundleRegistry;
    return *registry;
  }

  absl::StatusOr<int> Intern(const std::string& name, FieldType type,
                             const std::string& description) {
    absl::MutexLock lock(&mu_);
    auto key = std::make_pair(name, static_cast<int>(type));
    if (auto it = ids_.find(key); it != ids_.end()) return it->second;
    if (static_cast<int>(fields_.size()) >= kMaxBundleFieldIds) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "more than ", kMaxBundleFieldIds, " distinct bundle fields since the process started"));
    }
    const int id = static_cast<int>(fields_.size());
    InternedField& field = fields_.emplace_back();
    field.name = name;
    field.description = description;
    field.info = FieldInfo{field.name,         type, EventBit(kBundle), false, field.description,
                           &ExtractBundleField};
    field.info.bundle_id = id;
    ids_.emplace(std::move(key), id);
    return id;
  }

  void SetActive(std::vector<std::shared_ptr<const BundleSchema>> schemas) {
    absl::MutexLock lock(&mu_);
    active_ = std::move(schemas);
  }

  std::vector<std::shared_ptr<const BundleSchema>> Active() const {
    absl::MutexLock lock(&mu_);
    return active_;
  }

  const FieldInfo* Find(absl::string_view name) const {
    absl::MutexLock lock(&mu_);
    for (const auto& schema : active_) {
      if (!absl::StartsWith(name, schema->module) || name.size() <= schema->module.size() ||
          name[schema->module.size()] != '.') {
        continue;
      }
      const absl::string_view short_name = name.substr(schema->module.size() + 1);
      for (const BundleRecordSchema& record : schema->records) {
        for (const BundleFieldLayout& field : record.fields) {
          if (field.name == short_name) return &fields_[field.id].info;
        }
      }
    }
    return nullptr;
  }

 private:
  mutable absl::Mutex mu_;
  std::deque<InternedField> fields_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::pair<std::string, int>, int> ids_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<const BundleSchema>> active_ ABSL_GUARDED_BY(mu_);
};

template <typename T>
T LoadAt(const uint8_t* body, uint32_t offset) {
  T value;
  std::memcpy(&value, body + offset, sizeof(T));
  return value;
}

}  // namespace

const BundleRecordSchema* BundleSchema::FindRecord(uint16_t id) const {
  for (const BundleRecordSchema& record : records) {
    if (record.id == id) return &record;
  }
  return nullptr;
}

absl::StatusOr<std::shared_ptr<const BundleSchema>> MakeBundleSchema(BundleSchema draft) {
  for (size_t i = 0; i < draft.records.size(); ++i) {
    BundleRecordSchema& record = draft.records[i];
    for (size_t j = 0; j < i; ++j) {
      if (draft.records[j].id == record.id) {
        return absl::InvalidArgumentError(absl::StrCat("two records numbered ", record.id));
      }
    }
    record.evt_type = absl::StrCat(draft.module, ".", record.name);
    for (BundleFieldLayout& field : record.fields) {
      const std::string full = absl::StrCat(draft.module, ".", field.name);
      for (const FieldInfo& builtin : FieldTable()) {
        if (builtin.name == full) {
          return absl::InvalidArgumentError(
              absl::StrCat("field ", full, " is a built-in field's name"));
        }
      }
      absl::StatusOr<int> id = BundleRegistry::Get().Intern(full, field.type, field.description);
      if (!id.ok()) return id.status();
      field.id = *id;
    }
  }
  return std::make_shared<const BundleSchema>(std::move(draft));
}

const BundleFieldLayout* FindBundleLayout(const BundleRecordSchema& record, int id) {
  for (const BundleFieldLayout& field : record.fields) {
    if (field.id == id) return &field;
  }
  return nullptr;
}

FieldValue ReadBundleValue(const BundleFieldLayout& field, const uint8_t* body) {
  switch (field.kind) {
    case BundleValueKind::kU8: return NumValue(LoadAt<uint8_t>(body, field.offset));
    case BundleValueKind::kU16: return NumValue(LoadAt<uint16_t>(body, field.offset));
    case BundleValueKind::kU32: return NumValue(LoadAt<uint32_t>(body, field.offset));
    case BundleValueKind::kU64:
      return NumValue(static_cast<int64_t>(LoadAt<uint64_t>(body, field.offset)));
    case BundleValueKind::kS32: return NumValue(LoadAt<int32_t>(body, field.offset));
    case BundleValueKind::kS64: return NumValue(LoadAt<int64_t>(body, field.offset));
    case BundleValueKind::kBool: return NumValue(body[field.offset] != 0 ? 1 : 0);
    case BundleValueKind::kString: {
      const char* text = reinterpret_cast<const char*>(body + field.offset);
      return StrValue(absl::string_view(text, strnlen(text, field.size)));
    }
  }
  return AbsentValue();
}

void SetActiveBundleSchemas(std::vector<std::shared_ptr<const BundleSchema>> schemas) {
  BundleRegistry::Get().SetActive(std::move(schemas));
}

std::vector<std::shared_ptr<const BundleSchema>> ActiveBundleSchemas() {
  return BundleRegistry::Get().Active();
}

const FieldInfo* FindBundleField(absl::string_view name) {
  return BundleRegistry::Get().Find(name);
}

const EventTypeInfo& BundleEventTypeInfo() {
  static const EventTypeInfo* info = new EventTypeInfo{
      kBundle,
      "bundle",
      "bundle",
      [](const Event& event) -> absl::string_view {
        return event.bundle.record != nullptr ? absl::string_view(event.bundle.record->evt_type)
                                              : "bundle";
      },
      {"bundle"},
  };
  return *info;
}

}  // namespace vigil::event

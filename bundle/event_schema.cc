#include "bundle/event_schema.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"

namespace vigil::bundle {
namespace {

using vigil::v1::BundleFieldKind;

struct KindMapping {
  event::FieldType type;
  event::BundleValueKind kind;
};

absl::StatusOr<KindMapping> MappingOf(BundleFieldKind kind, uint32_t size) {
  using event::BundleValueKind;
  using event::FieldType;
  switch (kind) {
    case vigil::v1::BUNDLE_FIELD_KIND_U8: return KindMapping{FieldType::kInt, BundleValueKind::kU8};
    case vigil::v1::BUNDLE_FIELD_KIND_U16:
      return KindMapping{FieldType::kInt, BundleValueKind::kU16};
    case vigil::v1::BUNDLE_FIELD_KIND_U32:
      return KindMapping{FieldType::kInt, BundleValueKind::kU32};
    case vigil::v1::BUNDLE_FIELD_KIND_U64:
      return KindMapping{FieldType::kInt, BundleValueKind::kU64};
    case vigil::v1::BUNDLE_FIELD_KIND_S32:
      return KindMapping{FieldType::kInt, BundleValueKind::kS32};
    case vigil::v1::BUNDLE_FIELD_KIND_S64:
      return KindMapping{FieldType::kInt, BundleValueKind::kS64};
    case vigil::v1::BUNDLE_FIELD_KIND_BOOL:
      return KindMapping{FieldType::kBool, BundleValueKind::kBool};
    case vigil::v1::BUNDLE_FIELD_KIND_UID:
      return KindMapping{FieldType::kUid, BundleValueKind::kU32};
    case vigil::v1::BUNDLE_FIELD_KIND_FLAGS:
      return KindMapping{FieldType::kFlags,
                         size == 8 ? BundleValueKind::kU64 : BundleValueKind::kU32};
    case vigil::v1::BUNDLE_FIELD_KIND_STRING:
      return KindMapping{FieldType::kString, BundleValueKind::kString};
    default: break;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown field kind ", static_cast<int>(kind)));
}

}  // namespace

absl::StatusOr<std::shared_ptr<const event::BundleSchema>> EventSchemaOf(
    const vigil::v1::BundleManifest& manifest, const std::string& hash) {
  event::BundleSchema schema;
  schema.module = manifest.name();
  schema.version = manifest.version();
  schema.hash = hash;
  for (const vigil::v1::BundleRecord& record : manifest.records()) {
    event::BundleRecordSchema& out = schema.records.emplace_back();
    out.name = record.name();
    out.id = static_cast<uint16_t>(record.id());
    out.size = record.size();
    for (const vigil::v1::BundleField& field : record.fields()) {
      absl::StatusOr<KindMapping> mapping = MappingOf(field.kind(), field.size());
      if (!mapping.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("record '", record.name(), "' field '",
                                                       field.name(),
                                                       "': ", mapping.status().message()));
      }
      event::BundleFieldLayout& layout = out.fields.emplace_back();
      layout.name = field.name();
      layout.type = mapping->type;
      layout.kind = mapping->kind;
      layout.offset = field.offset();
      layout.size = field.size();
      layout.description = field.description();
    }
  }
  return event::MakeBundleSchema(std::move(schema));
}

absl::Status PublishManifestFields(const std::vector<vigil::v1::BundleManifest>& manifests) {
  std::vector<std::shared_ptr<const event::BundleSchema>> schemas;
  std::set<std::string> seen;
  absl::Status first_error;
  for (const vigil::v1::BundleManifest& manifest : manifests) {
    if (!seen.insert(manifest.name()).second) continue;
    absl::StatusOr<std::shared_ptr<const event::BundleSchema>> schema = EventSchemaOf(manifest, "");
    if (!schema.ok()) {
      if (first_error.ok()) {
        first_error = absl::InvalidArgumentError(
            absl::StrCat("bundle module '", manifest.name(), "': ", schema.status().message()));
      }
      continue;
    }
    schemas.push_back(*std::move(schema));
  }
  event::SetActiveBundleSchemas(std::move(schemas));
  return first_error;
}

}  // namespace vigil::bundle

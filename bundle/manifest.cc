#include "bundle/manifest.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bundle/bundle.h"
#include "bundle/object_check.h"
#include "common/status_macros.h"

namespace vigil::bundle {
namespace {

using vigil::v1::BundleConfig;
using vigil::v1::BundleField;
using vigil::v1::BundleFieldKind;
using vigil::v1::BundleHook;
using vigil::v1::BundleManifest;
using vigil::v1::BundleRecord;

constexpr size_t kMaxNameChars = 32;         // module, record and field names
constexpr size_t kMaxSlotChars = 48;         // hook slots
constexpr size_t kMaxCIdentifierChars = 64;  // c_type and config names
constexpr size_t kMaxVersionChars = 64;
constexpr size_t kMaxDescriptionBytes = 1024;
constexpr size_t kMaxStringFieldBytes = 256;
constexpr size_t kMaxShownChars = 64;
// The text form may carry comments and layout; its size is bounded all the same.
constexpr size_t kMaxManifestTextBytes = 4 * kMaxManifestBytes;

// Names the module may not take: the built-in modules and the common field prefixes.
constexpr absl::string_view kReservedNames[] = {"process", "file",  "net",   "evt",
                                                "proc",    "fd",    "user",  "container",
                                                "k8s",     "group", "vigil", "bundle"};
// The sensor's attach modes (sensor/probes/attach_mode.h). There is no "lsm" mode: LSM
// programs are stand-ins only (<prefix><slot>__<kind>, any_<slot>__<kind>).
constexpr absl::string_view kHookModes[] = {"tp_btf", "raw_tp", "tracepoint", "fentry"};
constexpr absl::string_view kKernelFeatures[] = {"btf",        "ringbuf", "tp_btf", "raw_tp",
                                                 "tracepoint", "fentry",  "lsm",    "bpf_loop"};

// Manifest-supplied `text` made safe to quote in an error: escaped and cut short.
std::string Shown(absl::string_view text) {
  std::string out = absl::CHexEscape(text.substr(0, kMaxShownChars));
  if (text.size() > kMaxShownChars) out.append("...");
  return out;
}

absl::Status Invalid(absl::string_view where, absl::string_view why) {
  if (where.empty()) return absl::InvalidArgumentError(why);
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", why));
}

bool IsLowerOrDigitOrUnderscore(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

// [a-z][a-z0-9_]{0,max_chars-1}
bool IsLowerName(absl::string_view name, size_t max_chars) {
  if (name.empty() || name.size() > max_chars || !(name[0] >= 'a' && name[0] <= 'z')) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), IsLowerOrDigitOrUnderscore);
}

// [A-Za-z_][A-Za-z0-9_]*, at most kMaxCIdentifierChars.
bool IsCIdentifier(absl::string_view name) {
  if (name.empty() || name.size() > kMaxCIdentifierChars) return false;
  if (!absl::ascii_isalpha(static_cast<unsigned char>(name[0])) && name[0] != '_') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// Well-formed UTF-8 (RFC 3629: no overlong forms, surrogates or code points past
// U+10FFFF), as a serialized manifest's strings must be to parse again.
bool IsUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    size_t extra;
    uint32_t code;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      extra = 1;
      code = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      extra = 2;
      code = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      extra = 3;
      code = c & 0x07;
    } else {
      return false;
    }
    if (text.size() - i <= extra) return false;
    for (size_t k = 1; k <= extra; ++k) {
      const unsigned char next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) return false;
      code = (code << 6) | (next & 0x3f);
    }
    if ((extra == 2 && code < 0x800) || (extra == 3 && code < 0x10000) || code > 0x10ffff ||
        (code >= 0xd800 && code <= 0xdfff)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

// A description: at most kMaxDescriptionBytes of UTF-8.
absl::Status CheckDescription(absl::string_view where, absl::string_view description) {
  if (description.size() > kMaxDescriptionBytes) {
    return Invalid(where, absl::StrCat("description is ", description.size(),
                                       " bytes, more than the ", kMaxDescriptionBytes, " allowed"));
  }
  if (!IsUtf8(description)) return Invalid(where, "description is not UTF-8");
  return absl::OkStatus();
}

template <size_t N>
bool OneOf(absl::string_view value, const absl::string_view (&set)[N]) {
  return std::find(std::begin(set), std::end(set), value) != std::end(set);
}

std::string NameRule(size_t max_chars) {
  return absl::StrCat("[a-z][a-z0-9_]{0,", max_chars - 1, "}");
}

absl::Status CheckName(const BundleManifest& manifest) {
  if (!IsLowerName(manifest.name(), kMaxNameChars)) {
    return Invalid("", absl::StrCat("module name '", Shown(manifest.name()), "' does not match ",
                                    NameRule(kMaxNameChars)));
  }
  if (OneOf(manifest.name(), kReservedNames)) {
    return Invalid("", absl::StrCat("module name '", manifest.name(),
                                    "' is taken by a built-in module or common field prefix"));
  }
  const std::string& version = manifest.version();
  if (version.empty() || version.size() > kMaxVersionChars) {
    return Invalid("", absl::StrCat("version '", Shown(version), "' must be 1 to ",
                                    kMaxVersionChars, " characters"));
  }
  if (!std::all_of(version.begin(), version.end(), [](char c) { return c > ' ' && c < 0x7f; })) {
    return Invalid(
        "", absl::StrCat("version '", Shown(version), "' must be printable ASCII without spaces"));
  }
  return CheckDescription("", manifest.description());
}

absl::Status CheckHooks(const BundleManifest& manifest) {
  if (manifest.hooks_size() == 0) return Invalid("", "the manifest declares no hook");
  if (manifest.hooks_size() > kMaxHooks) {
    return Invalid(
        "", absl::StrCat(manifest.hooks_size(), " hooks, more than the ", kMaxHooks, " allowed"));
  }
  std::set<std::string> slots;
  for (int i = 0; i < manifest.hooks_size(); ++i) {
    const BundleHook& hook = manifest.hooks(i);
    if (!IsLowerName(hook.slot(), kMaxSlotChars)) {
      return Invalid(
          absl::StrCat("hook ", i + 1),
          absl::StrCat("slot '", Shown(hook.slot()), "' does not match ", NameRule(kMaxSlotChars)));
    }
    const std::string where = absl::StrCat("hook '", hook.slot(), "'");
    // Program names are <prefix><slot>[__<kind>]: the slot ends where "__" starts.
    if (hook.slot().find("__") != std::string::npos || hook.slot().back() == '_') {
      return Invalid(where, "a slot may neither contain \"__\" nor end with '_'");
    }
    if (!slots.insert(hook.slot()).second) return Invalid(where, "slot declared twice");
    if (hook.modes_size() == 0) return Invalid(where, "no attach modes");
    std::set<std::string> modes;
    for (const std::string& mode : hook.modes()) {
      if (!OneOf(mode, kHookModes)) {
        return Invalid(where, absl::StrCat("unknown attach mode '", Shown(mode), "' (expected ",
                                           absl::StrJoin(kHookModes, ", "), ")"));
      }
      if (!modes.insert(mode).second) {
        return Invalid(where, absl::StrCat("attach mode '", mode, "' listed twice"));
      }
    }
  }
  return absl::OkStatus();
}

// The sizes a field of `kind` may have: an empty string for a kind that is not known.
bool SizeAllowed(BundleFieldKind kind, uint32_t size, std::string* allowed) {
  switch (kind) {
    case vigil::v1::BUNDLE_FIELD_KIND_U8:
    case vigil::v1::BUNDLE_FIELD_KIND_BOOL: *allowed = "1"; return size == 1;
    case vigil::v1::BUNDLE_FIELD_KIND_U16: *allowed = "2"; return size == 2;
    case vigil::v1::BUNDLE_FIELD_KIND_U32:
    case vigil::v1::BUNDLE_FIELD_KIND_S32:
    case vigil::v1::BUNDLE_FIELD_KIND_UID: *allowed = "4"; return size == 4;
    case vigil::v1::BUNDLE_FIELD_KIND_U64:
    case vigil::v1::BUNDLE_FIELD_KIND_S64: *allowed = "8"; return size == 8;
    case vigil::v1::BUNDLE_FIELD_KIND_FLAGS: *allowed = "4 or 8"; return size == 4 || size == 8;
    case vigil::v1::BUNDLE_FIELD_KIND_STRING:
      *allowed = absl::StrCat("1 to ", kMaxStringFieldBytes);
      return size >= 1 && size <= kMaxStringFieldBytes;
    default: allowed->clear(); return false;
  }
}

std::string KindName(BundleFieldKind kind) {
  if (vigil::v1::BundleFieldKind_IsValid(kind)) return vigil::v1::BundleFieldKind_Name(kind);
  return absl::StrCat(static_cast<int>(kind));
}

absl::Status CheckField(const BundleRecord& record, int index, const std::string& record_where) {
  const BundleField& field = record.fields(index);
  if (!IsLowerName(field.name(), kMaxNameChars)) {
    return Invalid(record_where, absl::StrCat("field ", index + 1, ": name '", Shown(field.name()),
                                              "' does not match ", NameRule(kMaxNameChars)));
  }
  const std::string where = absl::StrCat(record_where, " field '", field.name(), "'");
  if (field.kind() == vigil::v1::BUNDLE_FIELD_KIND_UNSPECIFIED) {
    return Invalid(where, "no kind");
  }
  std::string allowed;
  if (!SizeAllowed(field.kind(), field.size(), &allowed)) {
    if (allowed.empty()) {
      return Invalid(where, absl::StrCat("unknown kind ", KindName(field.kind())));
    }
    return Invalid(where, absl::StrCat("size ", field.size(), " is not one ",
                                       KindName(field.kind()), " allows (", allowed, ")"));
  }
  if (uint64_t{field.offset()} + field.size() > record.size()) {
    return Invalid(where, absl::StrCat("offset ", field.offset(), " + size ", field.size(),
                                       " is past the record's ", record.size(), " bytes"));
  }
  VIGIL_RETURN_IF_ERROR(CheckDescription(where, field.description()));
  const uint64_t begin = field.offset();
  const uint64_t end = begin + field.size();
  for (int j = 0; j < index; ++j) {
    const BundleField& other = record.fields(j);
    if (other.name() == field.name()) return Invalid(where, "declared twice");
    const uint64_t other_begin = other.offset();
    const uint64_t other_end = other_begin + other.size();
    if (begin < other_end && other_begin < end) {
      return Invalid(where,
                     absl::StrCat("bytes ", begin, "..", end - 1, " overlap field '", other.name(),
                                  "' (bytes ", other_begin, "..", other_end - 1, ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckRecords(const BundleManifest& manifest) {
  if (manifest.records_size() == 0) return Invalid("", "the manifest declares no record");
  if (manifest.records_size() > kMaxRecords) {
    return Invalid("", absl::StrCat(manifest.records_size(), " records, more than the ",
                                    kMaxRecords, " allowed"));
  }
  std::set<std::string> names;
  std::set<uint32_t> ids;
  for (int i = 0; i < manifest.records_size(); ++i) {
    const BundleRecord& record = manifest.records(i);
    if (!IsLowerName(record.name(), kMaxNameChars)) {
      return Invalid(absl::StrCat("record ", i + 1),
                     absl::StrCat("name '", Shown(record.name()), "' does not match ",
                                  NameRule(kMaxNameChars)));
    }
    const std::string where = absl::StrCat("record '", record.name(), "'");
    if (!names.insert(record.name()).second) return Invalid(where, "declared twice");
    if (record.id() < 1 || record.id() > 255) {
      return Invalid(where, absl::StrCat("id ", record.id(), " is not in 1..255"));
    }
    if (!ids.insert(record.id()).second) {
      return Invalid(where, absl::StrCat("id ", record.id(), " is taken by another record"));
    }
    if (!IsCIdentifier(record.c_type())) {
      return Invalid(where,
                     absl::StrCat("c_type '", Shown(record.c_type()), "' is not a C identifier"));
    }
    if (record.size() < 1 || record.size() > kMaxRecordBody) {
      return Invalid(where, absl::StrCat("size ", record.size(), " is not in 1..", kMaxRecordBody));
    }
    if (record.fields_size() == 0) return Invalid(where, "no fields");
    if (record.fields_size() > kMaxFieldsPerRecord) {
      return Invalid(where, absl::StrCat(record.fields_size(), " fields, more than the ",
                                         kMaxFieldsPerRecord, " allowed"));
    }
    for (int f = 0; f < record.fields_size(); ++f) {
      VIGIL_RETURN_IF_ERROR(CheckField(record, f, where));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckConfig(const BundleManifest& manifest) {
  if (manifest.config_size() > kMaxConfig) {
    return Invalid("", absl::StrCat(manifest.config_size(), " config values, more than the ",
                                    kMaxConfig, " allowed"));
  }
  std::set<std::tuple<std::string, bool, uint32_t>> seen;
  for (int i = 0; i < manifest.config_size(); ++i) {
    const BundleConfig& config = manifest.config(i);
    if (!IsCIdentifier(config.name())) {
      return Invalid(absl::StrCat("config ", i + 1),
                     absl::StrCat("name '", Shown(config.name()), "' is not a C identifier"));
    }
    std::string where = absl::StrCat("config '", config.name(), "'");
    if (config.map_entry()) absl::StrAppend(&where, " index ", config.index());
    if (config.name() == kInstanceGlobal) {
      return Invalid(where, "the sensor sets this global itself");
    }
    if (!config.map_entry() && config.index() != 0) {
      return Invalid(where, "an index is for map entries only (map_entry: true)");
    }
    if (!seen.emplace(config.name(), config.map_entry(), config.index()).second) {
      return Invalid(where, "set twice");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckKernelFeatures(const BundleManifest& manifest) {
  std::set<std::string> seen;
  for (const std::string& feature : manifest.kernel_features()) {
    if (!OneOf(feature, kKernelFeatures)) {
      return Invalid("", absl::StrCat("unknown kernel feature '", Shown(feature), "' (expected ",
                                      absl::StrJoin(kKernelFeatures, ", "), ")"));
    }
    if (!seen.insert(feature).second) {
      return Invalid("", absl::StrCat("kernel feature '", feature, "' listed twice"));
    }
  }
  return absl::OkStatus();
}

// Keeps the first syntax error, as "<file>:<line>:<column>: <message>" (1-based).
class FirstErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  explicit FirstErrorCollector(absl::string_view file) : file_(file) {}

  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (!first_.empty()) return;
    if (line < 0) {
      first_ = absl::StrCat(file_, ": ", message);
    } else {
      first_ = absl::StrCat(file_, ":", line + 1, ":", column + 1, ": ", message);
    }
  }
  void AddWarning(int, google::protobuf::io::ColumnNumber, const std::string&) override {}

  const std::string& first() const { return first_; }

 private:
  std::string file_;
  std::string first_;
};

}  // namespace

absl::StatusOr<BundleManifest> ParseManifestText(absl::string_view text, absl::string_view file) {
  if (text.size() > kMaxManifestTextBytes) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": manifest is ", text.size(),
                                                   " bytes, more than the ", kMaxManifestTextBytes,
                                                   " allowed"));
  }
  FirstErrorCollector errors(file);
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  BundleManifest manifest;
  if (!parser.ParseFromString(std::string(text), &manifest)) {
    if (errors.first().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(file, ": not a manifest"));
    }
    return absl::InvalidArgumentError(errors.first());
  }
  if (absl::Status status = ValidateManifest(manifest); !status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": ", status.message()));
  }
  return manifest;
}

absl::Status ValidateManifest(const BundleManifest& manifest) {
  VIGIL_RETURN_IF_ERROR(CheckName(manifest));
  VIGIL_RETURN_IF_ERROR(CheckHooks(manifest));
  VIGIL_RETURN_IF_ERROR(CheckRecords(manifest));
  VIGIL_RETURN_IF_ERROR(CheckConfig(manifest));
  VIGIL_RETURN_IF_ERROR(CheckKernelFeatures(manifest));
  const size_t bytes = manifest.ByteSizeLong();
  if (bytes > kMaxManifestBytes) {
    return Invalid("", absl::StrCat("manifest is ", bytes, " bytes serialized, more than the ",
                                    kMaxManifestBytes, " allowed"));
  }
  return absl::OkStatus();
}

}  // namespace vigil::bundle

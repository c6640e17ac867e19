// Bundle manifests: reading the text form an author writes (protobuf text format of
// vigil.v1.BundleManifest) and checking a manifest's content, whoever made it.
#ifndef VIGIL_BUNDLE_MANIFEST_H_
#define VIGIL_BUNDLE_MANIFEST_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "vigil/v1/bundle.pb.h"

namespace vigil::bundle {

// Most records, fields per record, hooks and config values a manifest may have.
inline constexpr int kMaxRecords = 16;
inline constexpr int kMaxFieldsPerRecord = 64;
inline constexpr int kMaxHooks = 32;
inline constexpr int kMaxConfig = 64;
// Largest record body (bytes after struct vigil_bundle_header).
inline constexpr uint32_t kMaxRecordBody = 4096;

// Parses the text form of a manifest (at most 256 KiB) and validates it. Errors read
// "<file>:<line>:<column>: <reason>" for syntax (the first error, 1-based), "<file>:
// <reason>" for content.
absl::StatusOr<vigil::v1::BundleManifest> ParseManifestText(absl::string_view text,
                                                            absl::string_view file);

// OK when the manifest is usable: names well formed and not taken by built-in modules or
// common fields, versions printable, record ids 1..255 and names unique, every field
// inside its record's size with a size its kind allows and no two fields overlapping,
// hooks with known modes and unique slots (a slot has no "__" and does not end in '_':
// program names split there), config names unique and not kInstanceGlobal, known kernel
// features, descriptions of at most 1024 bytes of UTF-8, within the limits above and
// kMaxManifestBytes serialized. InvalidArgument naming the first problem otherwise, as
// "record 'signal' field 'sig': offset 12 + size 8 is past the record's 16 bytes".
absl::Status ValidateManifest(const vigil::v1::BundleManifest& manifest);

}  // namespace vigil::bundle

#endif  // VIGIL_BUNDLE_MANIFEST_H_

// Checks a bundle's BPF object against its manifest before anything is loaded, from the
// object's own ELF and BTF: the kernel never sees an object whose records, programs or
// config the manifest misdescribes.
#ifndef VIGIL_BUNDLE_OBJECT_CHECK_H_
#define VIGIL_BUNDLE_OBJECT_CHECK_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "vigil/v1/bundle.pb.h"

namespace vigil::bundle {

// Name of the .rodata global each bundle object defines (bpf/vigil_bundle.bpf.h): the
// sensor writes the instance number its records carry there before loading.
inline constexpr char kInstanceGlobal[] = "vigil_bundle_instance";

// Opens `object` with libbpf (nothing is loaded) and checks, naming the first mismatch:
// each record's c_type is a struct in the object's BTF whose size is the record's size and
// which has, for every manifest field, a member of that name at that offset and of that
// size (char arrays for strings); every program is named <mode prefix><slot> (or a
// stand-in <prefix><slot>__<kind> / any_<slot>__<kind>) for a hook and mode the manifest
// declares, and every declared hook and mode has its program; config globals exist in
// .rodata with 1, 2, 4 or 8 bytes (and the value fits them) and config maps are arrays with
// __u32 keys, 8-byte values and the index among their entries; the shared "events" ring
// buffer, the "stats" per-CPU array (__u32 keys, 8-byte values) and kInstanceGlobal (4 bytes
// in .rodata) exist.
// FailedPrecondition for a mismatch; InvalidArgument for a manifest ValidateManifest
// refuses ("manifest: <reason>") or an object libbpf cannot open ("libbpf cannot open the
// object: <reason>"), crashes on ("libbpf crashed opening the object (signal 11)") or
// takes over 10 s to open. libbpf is not hardened against hostile ELF files, so the object
// is opened and checked in a forked child process (which only reads memory and writes its
// result to a pipe): a crash ends the child, not the caller. Still, verify a received
// bundle's signature (KeyRing::Verify) before checking its object.
absl::Status CheckObject(const vigil::v1::BundleManifest& manifest, absl::string_view object);

// The program part of CheckObject, for one program: `name` with its ELF `section` fits a
// hook and mode of `manifest`. Mode prefixes and section kinds: btf_ tp_btf/, raw_ raw_tp/
// or raw_tracepoint/, tp_ tracepoint/ or tp/, fe_ fentry/ or fexit/ (there is no lsm mode,
// so no lsm_ prefix). A stand-in <prefix><slot>__<kind> needs the mode declared too,
// any_<slot>__<kind> only the slot; either may have a section of any of these kinds or
// lsm/, as ProbeModule tries them. FailedPrecondition naming the program otherwise.
absl::Status CheckProgram(const vigil::v1::BundleManifest& manifest, absl::string_view name,
                          absl::string_view section);

}  // namespace vigil::bundle

#endif  // VIGIL_BUNDLE_OBJECT_CHECK_H_

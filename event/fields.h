// The fields rules can test: names (Falco's where the meaning is the same), types, the
// events that define them, and how each is read from an event without allocating. The
// fields every event has are defined in fields.cc; each probe module adds the fields of
// its own events (event/modules/<name>.cc, ModuleSchema::fields).
#ifndef VIGIL_EVENT_FIELDS_H_
#define VIGIL_EVENT_FIELDS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "event/event.h"
#include "event/file_id.h"
#include "event/process_info.h"
#include "event/schema.h"

namespace vigil::event {

// Value types. Strings and paths compare as text (paths also with glob and pmatch);
// the numeric kinds compare as signed 64-bit integers; booleans as true/false; a file
// identity (event/file_id.h) only with `in`, against the identities of listed paths; an IP
// address (event/ip.h: 16 bytes in FieldValue::str) with =, != and in, against addresses
// and CIDR networks.
enum class FieldType { kString, kPath, kInt, kUid, kFlags, kBool, kFile, kIp };

// "string", "path", "int", "uid", "flags", "bool", "file" or "ip".
absl::string_view FieldTypeName(FieldType type);

// True for the types that hold integers (int, uid, flags): they compare numerically, in
// the rule compiler's checks and the evaluator alike.
inline bool IsNumeric(FieldType type) {
  return type == FieldType::kInt || type == FieldType::kUid || type == FieldType::kFlags;
}

// Everything a field may be read from: the decoded event plus what the sensor knows
// about the process around it. Implemented by the sensor's pipeline (and by tests).
class EventView {
 public:
  virtual ~EventView() = default;
  virtual const Event& event() const = 0;
  // The process the event belongs to, as the process table knows it, or null.
  virtual const ProcessInfo* process() const = 0;
  // The n-th ancestor (1 is the parent), or null when unknown.
  virtual const ProcessInfo* ancestor(int n) const = 0;
  // The user name of `uid` (from the node's passwd), or empty when unknown.
  virtual absl::string_view user_name(uint32_t uid) const = 0;
  // Container and pod of the process; empty until enrichment knows them.
  // container_id(): the full 64-hex id, or "host" for processes outside containers.
  virtual absl::string_view container_id() const { return {}; }
  // "containerd", "cri-o", "docker" or "host" (or "unknown").
  virtual absl::string_view container_runtime() const { return {}; }
  virtual absl::string_view pod_name() const { return {}; }
  virtual absl::string_view pod_namespace() const { return {}; }
  virtual absl::string_view pod_uid() const { return {}; }
  // The pod's labels as "k=v,k2=v2", sorted by key.
  virtual absl::string_view pod_labels() const { return {}; }
  // The value of the pod's label `key`; empty when the pod or the label is unknown.
  virtual absl::string_view pod_label(absl::string_view key) const { return {}; }
  // evt.count: events counted by the threshold rule being rendered; 1 otherwise.
  virtual uint64_t match_count() const { return 1; }
};

// A field's value for one event. `str` points into the event or the view's data and is
// valid while they are.
struct FieldValue {
  bool present = false;   // false: the field does not apply to this event
  int64_t num = 0;        // numeric and boolean types
  absl::string_view str;  // string and path types
  FileId file;            // file identities
};

// Values for extractors: a string, a number (or bool), a file identity, or "not present".
inline FieldValue StrValue(absl::string_view s) { return FieldValue{true, 0, s, {}}; }
inline FieldValue NumValue(int64_t n) { return FieldValue{true, n, {}, {}}; }
inline FieldValue FileValue(const FileId& id) { return FieldValue{true, 0, {}, id}; }
inline FieldValue AbsentValue() { return FieldValue{}; }

// A field's [argument], validated when the rule is compiled: a number for fields such as
// proc.aname[2], a key for k8s.pod.label[app].
struct FieldArg {
  int index = 0;
  std::string key;
};

// Reads a field from a view.
using FieldExtractor = FieldValue (*)(const EventView& view, const FieldArg& arg);

// An extractor written inline in a field table: `v` is the view, `arg` the argument.
#define VIGIL_FIELD(body)                \
  [](const ::vigil::event::EventView& v, \
     const ::vigil::event::FieldArg& arg) -> ::vigil::event::FieldValue { body }

// One row of the field table.
struct FieldInfo {
  absl::string_view name;
  FieldType type;
  // Event types that define it (EventBit); others read "not present".
  uint32_t event_mask;
  // True when the field takes an [N] argument (proc.aname[N]).
  bool takes_arg;
  absl::string_view desc;
  FieldExtractor extract;
  // True when the argument is a key (k8s.pod.label[KEY]) rather than a number.
  bool key_arg = false;
  // For fields of probe-module bundles (event/bundle_schema.h): the field's number, which
  // its extractor reads from FieldArg::index; -1 for built-in fields.
  int bundle_id = -1;
};

// The argument a field starts with before any [..] is parsed: its bundle field number for
// bundle fields, nothing otherwise.
inline FieldArg InitialFieldArg(const FieldInfo& field) {
  FieldArg arg;
  if (field.bundle_id >= 0) arg.index = field.bundle_id;
  return arg;
}

// Parses the text inside a field's [..] for `field` into `arg`; false (with the reason in
// `error`) when it is not valid for the field: a number 1..16, or a label key (letters,
// digits, '.', '-', '_', '/', at most 317 bytes).
bool ParseFieldArg(const FieldInfo& field, absl::string_view text, FieldArg* arg,
                   std::string* error);

// Reads `field` for the view's event; not present when the field does not apply to the
// event's type (fd.name on an exec, say).
inline FieldValue ReadField(const FieldInfo& field, const EventView& view, const FieldArg& arg) {
  if ((field.event_mask & (1u << static_cast<int>(view.event().type))) == 0) return {};
  return field.extract(view, arg);
}

// Every field: those of every event, then each module's in registry order.
const std::vector<FieldInfo>& FieldTable();
// The field called `name` (without any [arg]), or null: built-in fields, then the fields
// of active probe-module bundles (FindBundleField).
const FieldInfo* FindField(absl::string_view name);

// The field table as a Markdown table (name, type, events, description): the output of
// `vigil-sensor --list-fields` and the Fields section of docs/rules.md.
std::string FieldTableMarkdown();

}  // namespace vigil::event

#endif  // VIGIL_EVENT_FIELDS_H_

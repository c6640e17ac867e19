#include "event/fields.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "event/bundle_schema.h"

namespace vigil::event {
namespace {

// argv[0] and the rest, from a space-joined command line.
absl::string_view FirstWord(absl::string_view cmdline) {
  return cmdline.substr(0, cmdline.find(' '));
}
absl::string_view AfterFirstWord(absl::string_view cmdline) {
  size_t space = cmdline.find(' ');
  return space == absl::string_view::npos ? absl::string_view() : cmdline.substr(space + 1);
}

absl::string_view Argv0(const EventView& v) {
  const Event& e = v.event();
  if (e.type == kExec) {
    absl::string_view arg;
    ArgvIterator it(e.exec.argv);
    return it.Next(&arg) ? arg : absl::string_view();
  }
  const ProcessInfo* p = v.process();
  return p != nullptr ? FirstWord(p->cmdline) : absl::string_view();
}

absl::string_view ExePath(const EventView& v) {
  if (v.event().type == kExec) return v.event().exec.exe;
  const ProcessInfo* p = v.process();
  return p != nullptr ? absl::string_view(p->exe) : absl::string_view();
}

// "SUCCESS" for a result of 0 or more, else the errno's name ("E123" when unnamed).
absl::string_view ResultName(int64_t result) {
  if (result >= 0) return "SUCCESS";
  if (result < -4095) return "EUNKNOWN";
  const char* name = strerrorname_np(static_cast<int>(-result));
  return name != nullptr ? absl::string_view(name) : absl::string_view("EUNKNOWN");
}

FieldValue AncestorComm(const EventView& v, int n) {
  const ProcessInfo* p = v.ancestor(n);
  return p != nullptr ? StrValue(p->comm) : AbsentValue();
}

// The fields every event defines: the event itself, its process (from the process
// table the process module feeds), its user, its container and pod.
std::vector<FieldInfo> CommonFields() {
  return {
      {"evt.type", FieldType::kString, kAllEvents, false,
       "Event type in Falco's vocabulary: execve, clone, procexit, or the syscall of an open "
       "or file operation (openat, open_by_handle_at, unlinkat, rmdir, renameat2, mkdirat, "
       "linkat, symlinkat, fchmodat, fchownat, ftruncate, memfd_create, mount, ...).",
       VIGIL_FIELD(return StrValue(EvtTypeName(v.event()));)},
      {"evt.time", FieldType::kInt, kAllEvents, false,
       "When the kernel saw the event: CLOCK_BOOTTIME nanoseconds.",
       VIGIL_FIELD(return NumValue(static_cast<int64_t>(v.event().task.time_boot_ns));)},
      {"evt.rawres", FieldType::kInt, kEventsWithResult, false,
       "The result of events that have one: an open's or file operation's return value (0, "
       "an fd, or -errno), a connection's outcome (0, the accepted fd, or -errno; "
       "-EINPROGRESS while a connect is pending).",
       VIGIL_FIELD(int64_t r = 0;
                   return EventResult(v.event(), &r) ? NumValue(r) : AbsentValue();)},
      {"evt.res", FieldType::kString, kEventsWithResult, false,
       "evt.rawres as text: SUCCESS, or the errno name (ENOENT, ECONNREFUSED, EINPROGRESS, "
       "...).",
       VIGIL_FIELD(int64_t r = 0; if (!EventResult(v.event(), &r)) return AbsentValue();
                   return StrValue(ResultName(r));)},
      {"evt.failed", FieldType::kBool, kEventsWithResult, false,
       "The event's result is an error (evt.rawres < 0; a pending connect is not failed).",
       VIGIL_FIELD(int64_t r = 0; if (!EventResult(v.event(), &r)) return AbsentValue();
                   return NumValue(r < 0 && r != -EINPROGRESS);)},
      {"evt.count", FieldType::kInt, kAllEvents, false,
       "In the output of a threshold rule: the events counted when it fired; 1 otherwise.",
       VIGIL_FIELD(return NumValue(static_cast<int64_t>(v.match_count()));)},
      {"proc.pid", FieldType::kInt, kAllEvents, false, "Process id (thread-group id).",
       VIGIL_FIELD(return NumValue(v.event().task.pid);)},
      {"proc.tgid", FieldType::kInt, kAllEvents, false, "Thread-group id (same as proc.pid).",
       VIGIL_FIELD(return NumValue(v.event().task.pid);)},
      {"proc.tid", FieldType::kInt, kAllEvents, false, "Thread id.",
       VIGIL_FIELD(return NumValue(v.event().task.tid);)},
      {"proc.ppid", FieldType::kInt, kAllEvents, false, "Parent's process id.",
       VIGIL_FIELD(return NumValue(v.event().task.ppid);)},
      {"proc.name", FieldType::kString, kAllEvents, false,
       "Command name of the process (the kernel's comm, at most 15 bytes).",
       VIGIL_FIELD(return StrValue(v.event().task.comm);)},
      {"proc.exe", FieldType::kString, kAllEvents, false,
       "First command-line argument (argv[0]), as in Falco.",
       VIGIL_FIELD(absl::string_view a = Argv0(v);
                   return a.empty() ? AbsentValue() : StrValue(a);)},
      {"proc.exepath", FieldType::kPath, kAllEvents, false,
       "Absolute path of the executable, resolved by the kernel.",
       VIGIL_FIELD(absl::string_view p = ExePath(v);
                   return p.empty() ? AbsentValue() : StrValue(p);)},
      {"proc.is_exe_from_memfd", FieldType::kBool, kAllEvents, false,
       "The process's program was executed from a memfd (memfd_create(2)): code with no "
       "file on disk, a common way to run a payload without leaving one. Set at exec and "
       "carried to the process's later events and to its children until they exec.",
       VIGIL_FIELD(const Event& e = v.event();
                   if (e.type == kExec) return NumValue(e.exec.file_is_memfd);
                   const ProcessInfo* p = v.process();
                   return p != nullptr ? NumValue(p->exe_from_memfd) : AbsentValue();)},
      {"proc.cmdline", FieldType::kString, kAllEvents, false,
       "The arguments joined by spaces, argv[0] first.",
       VIGIL_FIELD(const ProcessInfo* p = v.process();
                   return p != nullptr ? StrValue(p->cmdline) : AbsentValue();)},
      {"proc.args", FieldType::kString, kAllEvents, false,
       "The arguments after argv[0], joined by spaces.",
       VIGIL_FIELD(const ProcessInfo* p = v.process();
                   return p != nullptr ? StrValue(AfterFirstWord(p->cmdline)) : AbsentValue();)},
      {"proc.pname", FieldType::kString, kAllEvents, false, "Command name of the parent.",
       VIGIL_FIELD(return AncestorComm(v, 1);)},
      {"proc.pexe", FieldType::kString, kAllEvents, false, "argv[0] of the parent.",
       VIGIL_FIELD(const ProcessInfo* p = v.ancestor(1);
                   return p != nullptr ? StrValue(FirstWord(p->cmdline)) : AbsentValue();)},
      {"proc.pexepath", FieldType::kPath, kAllEvents, false,
       "Absolute path of the parent's executable.",
       VIGIL_FIELD(const ProcessInfo* p = v.ancestor(1);
                   return p != nullptr ? StrValue(p->exe) : AbsentValue();)},
      {"proc.aname", FieldType::kString, kAllEvents, true,
       "Command name of the N-th ancestor: proc.aname[1] is the parent, [2] the "
       "grandparent, up to [16].",
       VIGIL_FIELD(return AncestorComm(v, arg.index);)},
      {"proc.is_thread", FieldType::kBool, kAllEvents, false,
       "For clone: the new task is a thread. Otherwise: the event's task is not the "
       "process's main thread.",
       VIGIL_FIELD(const Event& e = v.event(); return NumValue(
                       e.type == kFork ? e.fork.is_thread : e.task.tid != e.task.pid);)},
      {"user.uid", FieldType::kUid, kAllEvents, false, "Real user id.",
       VIGIL_FIELD(return NumValue(v.event().task.uid);)},
      {"user.euid", FieldType::kUid, kAllEvents, false, "Effective user id.",
       VIGIL_FIELD(return NumValue(v.event().task.euid);)},
      {"user.name", FieldType::kString, kAllEvents, false, "Name of the real user.",
       VIGIL_FIELD(absl::string_view n = v.user_name(v.event().task.uid);
                   return n.empty() ? AbsentValue() : StrValue(n);)},
      {"user.loginuid", FieldType::kUid, kAllEvents, false,
       "Audit login uid; -1 (4294967295) for processes not started from a login.",
       VIGIL_FIELD(return NumValue(v.event().task.loginuid);)},
      {"group.gid", FieldType::kUid, kAllEvents, false, "Real group id.",
       VIGIL_FIELD(return NumValue(v.event().task.gid);)},
      {"container.id", FieldType::kString, kAllEvents, false,
       "Container id (64 hex digits), or \"host\" for processes outside containers; empty "
       "when it cannot be told (docs/enrichment.md).",
       VIGIL_FIELD(return StrValue(v.container_id());)},
      {"container.runtime", FieldType::kString, kAllEvents, false,
       "Container runtime: containerd, cri-o, docker, or host.",
       VIGIL_FIELD(return StrValue(v.container_runtime());)},
      {"k8s.pod.name", FieldType::kString, kAllEvents, false,
       "Kubernetes pod name (from the CRI runtime); empty outside pods.",
       VIGIL_FIELD(return StrValue(v.pod_name());)},
      {"k8s.ns.name", FieldType::kString, kAllEvents, false,
       "Kubernetes namespace of the pod; empty outside pods.",
       VIGIL_FIELD(return StrValue(v.pod_namespace());)},
      {"k8s.pod.uid", FieldType::kString, kAllEvents, false,
       "Kubernetes pod UID; empty outside pods.", VIGIL_FIELD(return StrValue(v.pod_uid());)},
      {"k8s.pod.labels", FieldType::kString, kAllEvents, false,
       "The pod's labels as k=v pairs sorted by key, comma-separated; empty outside pods.",
       VIGIL_FIELD(return StrValue(v.pod_labels());)},
      {"k8s.pod.label", FieldType::kString, kAllEvents, true,
       "Value of the pod label given as argument (k8s.pod.label[app]); empty when the pod "
       "or the label is unknown.",
       VIGIL_FIELD(return StrValue(v.pod_label(arg.key));), /*key_arg=*/true},

  };
}

}  // namespace

bool ParseFieldArg(const FieldInfo& field, absl::string_view text, FieldArg* arg,
                   std::string* error) {
  if (field.key_arg) {
    // Kubernetes label keys: an optional DNS-subdomain prefix and '/', then a name.
    constexpr size_t kMaxKey = 253 + 1 + 63;
    bool ok = !text.empty() && text.size() <= kMaxKey;
    for (char c : text) {
      ok &= absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' ||
            c == '_' || c == '/';
    }
    if (!ok) {
      *error = absl::StrCat(field.name, " needs a label key argument (letters, digits, '.', ",
                            "'-', '_', '/'), e.g. ", field.name, "[app]; got '", text, "'");
      return false;
    }
    arg->index = 0;
    arg->key = std::string(text);
    return true;
  }
  int n = 0;
  if (!absl::SimpleAtoi(text, &n) || n < 1 || n > 16) {
    *error = absl::StrCat(field.name, " needs an argument [1..16]");
    return false;
  }
  arg->index = n;
  arg->key.clear();
  return true;
}

absl::string_view FieldTypeName(FieldType type) {
  switch (type) {
    case FieldType::kString: return "string";
    case FieldType::kPath: return "path";
    case FieldType::kInt: return "int";
    case FieldType::kUid: return "uid";
    case FieldType::kFlags: return "flags";
    case FieldType::kBool: return "bool";
    case FieldType::kFile: return "file";
    case FieldType::kIp: return "ip";
  }
  return "unknown";
}

const std::vector<FieldInfo>& FieldTable() {
  static const std::vector<FieldInfo>* table = [] {
    auto* all = new std::vector<FieldInfo>(CommonFields());
    uint32_t with_result = 0;
    for (const ModuleSchema* module : ModuleSchemas()) {
      all->insert(all->end(), module->fields.begin(), module->fields.end());
      for (const EventTypeInfo& type : module->event_types) {
        if (type.result_of != nullptr) with_result |= EventBit(type.type);
      }
    }
    for (FieldInfo& field : *all) {
      if (field.event_mask == kEventsWithResult) field.event_mask = with_result;
    }
    return all;
  }();
  return *table;
}

const FieldInfo* FindField(absl::string_view name) {
  for (const FieldInfo& field : FieldTable()) {
    if (field.name == name) return &field;
  }
  return FindBundleField(name);
}

std::string FieldTableMarkdown() {
  std::string out = "| field | type | events | description |\n|---|---|---|---|\n";
  for (const FieldInfo& f : FieldTable()) {
    std::string events;
    if (f.event_mask == kAllEvents) {
      events = "all";
    } else {
      for (const EventTypeInfo* t : EventTypes()) {
        if ((f.event_mask & EventBit(t->type)) == 0) continue;
        if (!events.empty()) events += ", ";
        events += std::string(t->name);
      }
    }
    absl::StrAppend(&out, "| `", f.name, f.takes_arg ? (f.key_arg ? "[KEY]" : "[N]") : "", "` | ",
                    FieldTypeName(f.type), " | ", events, " | ", f.desc, " |\n");
  }
  return out;
}

}  // namespace vigil::event

#include "rules/fields.h"

#include <fcntl.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace vigil::rules {
namespace {

using event::Event;
using event::EventType;
using event::ProcessInfo;

constexpr uint32_t kFork = EventBit(event::EventType::kFork);
constexpr uint32_t kExec = EventBit(event::EventType::kExec);
constexpr uint32_t kExit = EventBit(event::EventType::kExit);
constexpr uint32_t kOpen = EventBit(event::EventType::kOpen);

FieldValue Str(absl::string_view s) { return FieldValue{true, 0, s}; }
FieldValue Num(int64_t n) { return FieldValue{true, n, {}}; }
FieldValue Absent() { return FieldValue{}; }

// argv[0] and the rest, from a space-joined command line.
absl::string_view FirstWord(absl::string_view cmdline) {
  return cmdline.substr(0, cmdline.find(' '));
}
absl::string_view AfterFirstWord(absl::string_view cmdline) {
  size_t space = cmdline.find(' ');
  return space == absl::string_view::npos ? absl::string_view() : cmdline.substr(space + 1);
}

absl::string_view Argv0(const EventView& v) {
  const event::Event& e = v.event();
  if (e.type == event::EventType::kExec) {
    absl::string_view arg;
    event::ArgvIterator it(e.exec.argv);
    return it.Next(&arg) ? arg : absl::string_view();
  }
  const event::ProcessInfo* p = v.process();
  return p != nullptr ? FirstWord(p->cmdline) : absl::string_view();
}

absl::string_view ExePath(const EventView& v) {
  if (v.event().type == event::EventType::kExec) return v.event().exec.exe;
  const event::ProcessInfo* p = v.process();
  return p != nullptr ? absl::string_view(p->exe) : absl::string_view();
}

FieldValue AncestorComm(const EventView& v, int n) {
  const event::ProcessInfo* p = v.ancestor(n);
  return p != nullptr ? Str(p->comm) : Absent();
}

uint32_t FileMode(const event::Event& e) {
  return e.type == event::EventType::kExec ? e.exec.file_mode : e.open.file_mode;
}

#define VIGIL_FIELD(body) [](const EventView& v, const FieldArg& arg) -> FieldValue { body }

const std::vector<FieldInfo>* BuildTable() {
  return new std::vector<FieldInfo>{
      {"evt.type", FieldType::kString, kAllEvents, false,
       "Event type in Falco's vocabulary: execve, clone, procexit, or the open syscall "
       "(open, openat, openat2, creat, open_by_handle_at).",
       VIGIL_FIELD(return Str(EvtTypeName(v.event()));)},
      {"evt.time", FieldType::kInt, kAllEvents, false,
       "When the kernel saw the event: CLOCK_BOOTTIME nanoseconds.",
       VIGIL_FIELD(return Num(static_cast<int64_t>(v.event().task.time_boot_ns));)},
      {"evt.count", FieldType::kInt, kAllEvents, false,
       "In the output of a threshold rule: the events counted when it fired; 1 otherwise.",
       VIGIL_FIELD(return Num(static_cast<int64_t>(v.match_count()));)},
      {"evt.failed", FieldType::kBool, kOpen, false, "The syscall failed.",
       VIGIL_FIELD(return Num(v.event().open.result < 0);)},
      {"evt.rawres", FieldType::kInt, kOpen, false, "The syscall's return value (fd or -errno).",
       VIGIL_FIELD(return Num(v.event().open.result);)},
      {"evt.is_open_read", FieldType::kBool, kOpen, false,
       "The file was opened for reading (O_RDONLY or O_RDWR).",
       VIGIL_FIELD(return Num((v.event().open.flags & O_ACCMODE) != O_WRONLY);)},
      {"evt.is_open_write", FieldType::kBool, kOpen, false,
       "The file was opened for writing (O_WRONLY or O_RDWR, or created).",
       VIGIL_FIELD(const uint32_t f = v.event().open.flags;
                   return Num((f & O_ACCMODE) != O_RDONLY || (f & (O_CREAT | O_TRUNC)) != 0);)},
      {"proc.pid", FieldType::kInt, kAllEvents, false, "Process id (thread-group id).",
       VIGIL_FIELD(return Num(v.event().task.pid);)},
      {"proc.tgid", FieldType::kInt, kAllEvents, false, "Thread-group id (same as proc.pid).",
       VIGIL_FIELD(return Num(v.event().task.pid);)},
      {"proc.tid", FieldType::kInt, kAllEvents, false, "Thread id.",
       VIGIL_FIELD(return Num(v.event().task.tid);)},
      {"proc.ppid", FieldType::kInt, kAllEvents, false, "Parent's process id.",
       VIGIL_FIELD(return Num(v.event().task.ppid);)},
      {"proc.name", FieldType::kString, kAllEvents, false,
       "Command name of the process (the kernel's comm, at most 15 bytes).",
       VIGIL_FIELD(return Str(v.event().task.comm);)},
      {"proc.exe", FieldType::kString, kAllEvents, false,
       "First command-line argument (argv[0]), as in Falco.",
       VIGIL_FIELD(absl::string_view a = Argv0(v); return a.empty() ? Absent() : Str(a);)},
      {"proc.exepath", FieldType::kPath, kAllEvents, false,
       "Absolute path of the executable, resolved by the kernel.",
       VIGIL_FIELD(absl::string_view p = ExePath(v); return p.empty() ? Absent() : Str(p);)},
      {"proc.cmdline", FieldType::kString, kAllEvents, false,
       "The arguments joined by spaces, argv[0] first.",
       VIGIL_FIELD(const event::ProcessInfo* p = v.process();
                   return p != nullptr ? Str(p->cmdline) : Absent();)},
      {"proc.args", FieldType::kString, kAllEvents, false,
       "The arguments after argv[0], joined by spaces.",
       VIGIL_FIELD(const event::ProcessInfo* p = v.process();
                   return p != nullptr ? Str(AfterFirstWord(p->cmdline)) : Absent();)},
      {"proc.pname", FieldType::kString, kAllEvents, false, "Command name of the parent.",
       VIGIL_FIELD(return AncestorComm(v, 1);)},
      {"proc.pexe", FieldType::kString, kAllEvents, false, "argv[0] of the parent.",
       VIGIL_FIELD(const event::ProcessInfo* p = v.ancestor(1);
                   return p != nullptr ? Str(FirstWord(p->cmdline)) : Absent();)},
      {"proc.pexepath", FieldType::kPath, kAllEvents, false,
       "Absolute path of the parent's executable.",
       VIGIL_FIELD(const event::ProcessInfo* p = v.ancestor(1);
                   return p != nullptr ? Str(p->exe) : Absent();)},
      {"proc.aname", FieldType::kString, kAllEvents, true,
       "Command name of the N-th ancestor: proc.aname[1] is the parent, [2] the "
       "grandparent, up to [16].",
       VIGIL_FIELD(return AncestorComm(v, arg.index);)},
      {"proc.is_thread", FieldType::kBool, kAllEvents, false,
       "For clone: the new task is a thread. Otherwise: the event's task is not the "
       "process's main thread.",
       VIGIL_FIELD(const event::Event& e = v.event();
                   return Num(e.type == event::EventType::kFork ? e.fork.is_thread
                                                                : e.task.tid != e.task.pid);)},
      {"user.uid", FieldType::kUid, kAllEvents, false, "Real user id.",
       VIGIL_FIELD(return Num(v.event().task.uid);)},
      {"user.euid", FieldType::kUid, kAllEvents, false, "Effective user id.",
       VIGIL_FIELD(return Num(v.event().task.euid);)},
      {"user.name", FieldType::kString, kAllEvents, false, "Name of the real user.",
       VIGIL_FIELD(absl::string_view n = v.user_name(v.event().task.uid);
                   return n.empty() ? Absent() : Str(n);)},
      {"user.loginuid", FieldType::kUid, kAllEvents, false,
       "Audit login uid; -1 (4294967295) for processes not started from a login.",
       VIGIL_FIELD(return Num(v.event().task.loginuid);)},
      {"user.uid_before", FieldType::kUid, kExec, false, "Real user id just before exec (Vigil).",
       VIGIL_FIELD(const auto& x = v.event().exec;
                   return x.creds_before_known ? Num(x.uid_before) : Absent();)},
      {"user.euid_before", FieldType::kUid, kExec, false,
       "Effective user id just before exec (Vigil): with user.euid it shows a setuid "
       "transition.",
       VIGIL_FIELD(const auto& x = v.event().exec;
                   return x.creds_before_known ? Num(x.euid_before) : Absent();)},
      {"group.gid", FieldType::kUid, kAllEvents, false, "Real group id.",
       VIGIL_FIELD(return Num(v.event().task.gid);)},
      {"group.egid", FieldType::kUid, kExec, false, "Effective group id after exec.",
       VIGIL_FIELD(return Num(v.event().exec.egid);)},
      {"group.egid_before", FieldType::kUid, kExec, false,
       "Effective group id just before exec (Vigil): with group.egid it shows a setgid "
       "transition.",
       VIGIL_FIELD(const auto& x = v.event().exec;
                   return x.creds_before_known ? Num(x.egid_before) : Absent();)},
      {"fd.name", FieldType::kPath, kOpen, false,
       "Absolute path of the opened file, resolved by the kernel (for failed opens: the "
       "path as the caller gave it).",
       VIGIL_FIELD(return Str(v.event().open.path);)},
      {"fd.directory", FieldType::kPath, kOpen, false, "Directory part of fd.name.",
       VIGIL_FIELD(absl::string_view p = v.event().open.path; size_t slash = p.rfind('/');
                   if (slash == absl::string_view::npos) return Str(absl::string_view());
                   return Str(slash == 0 ? p.substr(0, 1) : p.substr(0, slash));)},
      {"fd.filename", FieldType::kString, kOpen, false, "File-name part of fd.name.",
       VIGIL_FIELD(absl::string_view p = v.event().open.path; size_t slash = p.rfind('/');
                   return Str(slash == absl::string_view::npos ? p : p.substr(slash + 1));)},
      {"fd.hidden", FieldType::kBool, kOpen, false,
       "A component of fd.name starts with '.' (Vigil; computed in the kernel).",
       VIGIL_FIELD(return Num(v.event().open.hidden);)},
      {"file.mode", FieldType::kFlags, kOpen | kExec, false,
       "st_mode of the opened or executed file (type and permission bits).",
       VIGIL_FIELD(return Num(FileMode(v.event()));)},
      {"file.uid", FieldType::kUid, kExec, false, "Owner of the executed file.",
       VIGIL_FIELD(return Num(v.event().exec.file_uid);)},
      {"file.is_setuid", FieldType::kBool, kOpen | kExec, false,
       "The file has the set-user-id bit.",
       VIGIL_FIELD(return Num((FileMode(v.event()) & 04000) != 0);)},
      {"file.is_setgid", FieldType::kBool, kOpen | kExec, false,
       "The file has the set-group-id bit.",
       VIGIL_FIELD(return Num((FileMode(v.event()) & 02000) != 0);)},
      {"container.id", FieldType::kString, kAllEvents, false,
       "Container id (64 hex digits), or \"host\" for processes outside containers; empty "
       "when it cannot be told (docs/enrichment.md).",
       VIGIL_FIELD(return Str(v.container_id());)},
      {"container.runtime", FieldType::kString, kAllEvents, false,
       "Container runtime: containerd, cri-o, docker, or host.",
       VIGIL_FIELD(return Str(v.container_runtime());)},
      {"k8s.pod.name", FieldType::kString, kAllEvents, false,
       "Kubernetes pod name (from the CRI runtime); empty outside pods.",
       VIGIL_FIELD(return Str(v.pod_name());)},
      {"k8s.ns.name", FieldType::kString, kAllEvents, false,
       "Kubernetes namespace of the pod; empty outside pods.",
       VIGIL_FIELD(return Str(v.pod_namespace());)},
      {"k8s.pod.uid", FieldType::kString, kAllEvents, false,
       "Kubernetes pod UID; empty outside pods.", VIGIL_FIELD(return Str(v.pod_uid());)},
      {"k8s.pod.labels", FieldType::kString, kAllEvents, false,
       "The pod's labels as k=v pairs sorted by key, comma-separated; empty outside pods.",
       VIGIL_FIELD(return Str(v.pod_labels());)},
      {"k8s.pod.label", FieldType::kString, kAllEvents, true,
       "Value of the pod label given as argument (k8s.pod.label[app]); empty when the pod "
       "or the label is unknown.",
       VIGIL_FIELD(return Str(v.pod_label(arg.key));), /*key_arg=*/true},
  };
}

#undef VIGIL_FIELD

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
  }
  return "unknown";
}

const std::vector<FieldInfo>& FieldTable() {
  static const std::vector<FieldInfo>* table = BuildTable();
  return *table;
}

const FieldInfo* FindField(absl::string_view name) {
  for (const FieldInfo& field : FieldTable()) {
    if (field.name == name) return &field;
  }
  return nullptr;
}

std::string FieldTableMarkdown() {
  std::string out = "| field | type | events | description |\n|---|---|---|---|\n";
  for (const FieldInfo& f : FieldTable()) {
    std::string events;
    if (f.event_mask == kAllEvents) {
      events = "all";
    } else {
      for (event::EventType t : {event::EventType::kFork, event::EventType::kExec,
                                 event::EventType::kExit, event::EventType::kOpen}) {
        if (f.event_mask & EventBit(t)) {
          if (!events.empty()) events += ", ";
          events += std::string(event::EventTypeName(t));
        }
      }
    }
    absl::StrAppend(&out, "| `", f.name, f.takes_arg ? (f.key_arg ? "[KEY]" : "[N]") : "", "` | ",
                    FieldTypeName(f.type), " | ", events, " | ", f.desc, " |\n");
  }
  return out;
}

absl::string_view EvtTypeName(const event::Event& event) {
  switch (event.type) {
    case event::EventType::kFork: return "clone";
    case event::EventType::kExec: return "execve";
    case event::EventType::kExit: return "procexit";
    case event::EventType::kOpen: return event::OpenSyscallName(event.open.syscall);
  }
  return "unknown";
}

}  // namespace vigil::rules

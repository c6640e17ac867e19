#include "bundle/object_check.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "bundle/manifest.h"
#include "common/status_macros.h"
#include "common/unique_fd.h"

namespace vigil::bundle {
namespace {

using vigil::v1::BundleConfig;
using vigil::v1::BundleField;
using vigil::v1::BundleHook;
using vigil::v1::BundleManifest;
using vigil::v1::BundleRecord;

constexpr size_t kMaxShownChars = 64;
// The object is opened and checked in a child process given this long.
constexpr std::chrono::seconds kChildTimeout{10};
constexpr size_t kMaxChildMessageBytes = 4096;
constexpr size_t kMaxWarningChars = 200;
// Anonymous struct and union members are searched this deep for a field.
constexpr int kMaxAnonymousDepth = 8;
// Stand-in programs: <prefix><slot>__<kind> or any_<slot>__<kind>.
constexpr absl::string_view kStandInPrefix = "any_";
constexpr absl::string_view kStandInSeparator = "__";
// Section kinds only stand-ins may have, besides those of the modes: there is no lsm mode
// (sensor/probes/attach_mode.h), but ProbeModule attaches lsm/... stand-ins.
constexpr absl::string_view kStandInOnlySections[] = {"lsm"};

// An attach mode: its manifest name, its program-name prefix and the section kinds
// ("<kind>/...") its programs may have.
struct Mode {
  absl::string_view name;
  absl::string_view prefix;
  std::vector<absl::string_view> sections;
};

const std::vector<Mode>& Modes() {
  static const auto* modes = new std::vector<Mode>{
      {"tp_btf", "btf_", {"tp_btf"}},
      {"raw_tp", "raw_", {"raw_tp"}},
      {"tracepoint", "tp_", {"tracepoint"}},
      {"fentry", "fe_", {"fentry", "fexit"}},
  };
  return *modes;
}

const Mode* ModeNamed(absl::string_view name) {
  for (const Mode& mode : Modes()) {
    if (mode.name == name) return &mode;
  }
  return nullptr;
}

// The section kind ("tp_btf" of "tp_btf/sched_process_exec").
absl::string_view SectionKind(absl::string_view section) {
  return section.substr(0, section.find('/'));
}

bool SectionFits(const Mode& mode, absl::string_view section) {
  if (section.find('/') == absl::string_view::npos) return false;
  for (absl::string_view kind : mode.sections) {
    if (SectionKind(section) == kind) return true;
  }
  return false;
}

// Whether a stand-in may have `section`: one of any mode's kinds, or a stand-in-only kind.
bool StandInSectionFits(absl::string_view section) {
  for (const Mode& mode : Modes()) {
    if (SectionFits(mode, section)) return true;
  }
  if (section.find('/') == absl::string_view::npos) return false;
  for (absl::string_view kind : kStandInOnlySections) {
    if (SectionKind(section) == kind) return true;
  }
  return false;
}

// "tp_btf/..., raw_tp/..., ... or lsm/...": the sections a stand-in may have.
std::string StandInSectionList() {
  std::vector<std::string> kinds;
  for (const Mode& mode : Modes()) {
    for (absl::string_view kind : mode.sections) kinds.push_back(absl::StrCat(kind, "/..."));
  }
  for (absl::string_view kind : kStandInOnlySections) {
    kinds.push_back(absl::StrCat(kind, "/..."));
  }
  const std::string last = kinds.back();
  kinds.pop_back();
  return absl::StrCat(absl::StrJoin(kinds, ", "), " or ", last);
}

// Object-supplied `text` made safe to quote in an error: escaped and cut short.
std::string Shown(absl::string_view text) {
  std::string out = absl::CHexEscape(text.substr(0, kMaxShownChars));
  if (text.size() > kMaxShownChars) out.append("...");
  return out;
}

absl::Status Mismatch(absl::string_view why) { return absl::FailedPreconditionError(why); }

struct ObjectCloser {
  void operator()(bpf_object* obj) const { bpf_object__close(obj); }
};
using ObjectPtr = std::unique_ptr<bpf_object, ObjectCloser>;

absl::string_view NameOf(const btf* btf, uint32_t name_off) {
  const char* name = btf__name_by_offset(btf, name_off);
  return name == nullptr ? absl::string_view() : absl::string_view(name);
}

// The type `id` is, through typedefs and const/volatile/restrict; nullptr when it is void
// or not valid.
const btf_type* Resolved(const btf* btf, uint32_t id) {
  const int resolved = btf__resolve_type(btf, id);
  if (resolved <= 0) return nullptr;
  return btf__type_by_id(btf, static_cast<uint32_t>(resolved));
}

// Where a member was found: its entry, and its bit offset and bit-field size.
struct FoundMember {
  const btf_member* member = nullptr;
  uint64_t bit_offset = 0;
  uint32_t bitfield_size = 0;
};

// The member `name` of struct/union `type`, searching anonymous struct and union members
// too; false when there is none. `searched` holds the types already searched (a type
// that did not have the member once does not have it again), so a hostile BTF whose
// anonymous members refer to the same types over and over costs one pass over each type.
bool FindMember(const btf* btf, uint32_t type_id, absl::string_view name, int depth,
                std::set<uint32_t>& searched, FoundMember* found) {
  if (depth > kMaxAnonymousDepth || !searched.insert(type_id).second) return false;
  const btf_type* type = btf__type_by_id(btf, type_id);
  if (type == nullptr || !btf_is_composite(type)) return false;
  const btf_member* members = btf_members(type);
  for (uint32_t i = 0; i < btf_vlen(type); ++i) {
    const absl::string_view member_name = NameOf(btf, members[i].name_off);
    const uint64_t offset = btf_member_bit_offset(type, i);
    if (member_name == name) {
      found->member = &members[i];
      found->bit_offset = offset;
      found->bitfield_size = btf_member_bitfield_size(type, i);
      return true;
    }
    if (!member_name.empty()) continue;
    const int inner = btf__resolve_type(btf, members[i].type);
    if (inner > 0 &&
        FindMember(btf, static_cast<uint32_t>(inner), name, depth + 1, searched, found)) {
      found->bit_offset += offset;
      return true;
    }
  }
  return false;
}

// What `type` is, for errors: "an integer of 8 bytes", "char[16]", "a pointer", ...
std::string Describe(const btf* btf, const btf_type* type) {
  if (type == nullptr) return "void";
  if (btf_is_int(type)) return absl::StrCat("an integer of ", type->size, " bytes");
  if (btf_is_any_enum(type)) return absl::StrCat("an enum of ", type->size, " bytes");
  if (btf_is_ptr(type)) return "a pointer";
  if (btf_is_array(type)) {
    const struct btf_array* array = btf_array(type);
    const btf_type* element = Resolved(btf, array->type);
    if (element != nullptr && btf_is_int(element) && element->size == 1) {
      return absl::StrCat("char[", array->nelems, "]");
    }
    return absl::StrCat("an array of ", array->nelems, " elements");
  }
  if (btf_is_struct(type)) return "a struct";
  if (btf_is_union(type)) return "a union";
  return absl::StrCat("of BTF kind ", btf_kind(type));
}

absl::Status CheckField(const btf* btf, uint32_t record_type, const BundleRecord& record,
                        const BundleField& field) {
  const std::string where = absl::StrCat("record '", record.name(), "' field '", field.name(),
                                         "' (struct ", record.c_type(), ")");
  FoundMember found;
  std::set<uint32_t> searched;
  if (!FindMember(btf, record_type, field.name(), 0, searched, &found)) {
    return Mismatch(absl::StrCat(where, ": the struct has no member ", field.name()));
  }
  const btf_type* type = Resolved(btf, found.member->type);
  // A bit field: by the struct's kind flag, or (without it) by the integer's own encoding.
  const bool int_bits = type != nullptr && btf_is_int(type) &&
                        (btf_int_offset(type) != 0 || btf_int_bits(type) != 8 * type->size);
  if (found.bitfield_size != 0 || found.bit_offset % 8 != 0 || int_bits) {
    return Mismatch(absl::StrCat(where, ": the member is a bit field"));
  }
  if (found.bit_offset / 8 != field.offset()) {
    return Mismatch(absl::StrCat(where, ": the member is at offset ", found.bit_offset / 8,
                                 ", the manifest says ", field.offset()));
  }
  if (field.kind() == vigil::v1::BUNDLE_FIELD_KIND_STRING) {
    bool fits = false;
    if (type != nullptr && btf_is_array(type)) {
      const struct btf_array* array = btf_array(type);
      const btf_type* element = Resolved(btf, array->type);
      fits = element != nullptr && btf_is_int(element) && element->size == 1 &&
             array->nelems == field.size();
    }
    if (!fits) {
      return Mismatch(absl::StrCat(where, ": the member's type is ", Describe(btf, type),
                                   ", the manifest says char[", field.size(), "]"));
    }
    return absl::OkStatus();
  }
  // Integer kinds (bool included: a 1-byte integer or _Bool); enums are integers too.
  const bool integer = type != nullptr && (btf_is_int(type) || btf_is_any_enum(type));
  if (!integer || type->size != field.size()) {
    return Mismatch(absl::StrCat(where, ": the member's type is ", Describe(btf, type),
                                 ", the manifest says an integer of ", field.size(), " bytes"));
  }
  return absl::OkStatus();
}

absl::Status CheckRecords(const btf* btf, const BundleManifest& manifest) {
  for (const BundleRecord& record : manifest.records()) {
    const std::string where = absl::StrCat("record '", record.name(), "'");
    const int id = btf__find_by_name_kind(btf, record.c_type().c_str(), BTF_KIND_STRUCT);
    if (id <= 0) {
      return Mismatch(absl::StrCat(where, ": struct ", record.c_type(),
                                   " is not in the object's BTF (a struct the programs never "
                                   "use is left out by the compiler)"));
    }
    const btf_type* type = btf__type_by_id(btf, static_cast<uint32_t>(id));
    const int64_t size = btf__resolve_size(btf, static_cast<uint32_t>(id));
    if (type == nullptr || size < 0) {
      return Mismatch(absl::StrCat(where, ": struct ", record.c_type(), " has no size"));
    }
    if (static_cast<uint64_t>(size) != record.size()) {
      return Mismatch(absl::StrCat(where, ": struct ", record.c_type(), " is ", size,
                                   " bytes, the manifest says ", record.size()));
    }
    for (const BundleField& field : record.fields()) {
      VIGIL_RETURN_IF_ERROR(CheckField(btf, static_cast<uint32_t>(id), record, field));
    }
  }
  return absl::OkStatus();
}

const BundleHook* HookWithSlot(const BundleManifest& manifest, absl::string_view slot) {
  for (const BundleHook& hook : manifest.hooks()) {
    if (hook.slot() == slot) return &hook;
  }
  return nullptr;
}

bool HookHasMode(const BundleHook& hook, absl::string_view mode) {
  for (const std::string& declared : hook.modes()) {
    if (declared == mode) return true;
  }
  return false;
}

std::string PrefixList() {
  std::vector<absl::string_view> prefixes;
  for (const Mode& mode : Modes()) prefixes.push_back(mode.prefix);
  prefixes.push_back(kStandInPrefix);
  return absl::StrJoin(prefixes, ", ");
}

absl::Status CheckPrograms(bpf_object* obj, const BundleManifest& manifest) {
  std::set<std::string> names;
  bpf_program* prog;
  bpf_object__for_each_program(prog, obj) {
    const char* name = bpf_program__name(prog);
    const char* section = bpf_program__section_name(prog);
    if (name == nullptr || section == nullptr) return Mismatch("a program has no name");
    VIGIL_RETURN_IF_ERROR(CheckProgram(manifest, name, section));
    names.insert(name);
  }
  for (const BundleHook& hook : manifest.hooks()) {
    for (const std::string& mode_name : hook.modes()) {
      const Mode* mode = ModeNamed(mode_name);
      if (mode == nullptr) continue;  // ValidateManifest refuses it
      const std::string program = absl::StrCat(mode->prefix, hook.slot());
      if (names.count(program) == 0) {
        return Mismatch(absl::StrCat("hook '", hook.slot(), "' mode ", mode_name,
                                     ": the object has no program ", program));
      }
    }
  }
  return absl::OkStatus();
}

// The shared map `name`: of `type`, with __u32 keys and (when `value_size` is not 0)
// values of `value_size` bytes.
absl::Status CheckMap(bpf_object* obj, const char* name, bpf_map_type type,
                      absl::string_view type_name, uint32_t value_size) {
  const bpf_map* map = bpf_object__find_map_by_name(obj, name);
  if (map == nullptr) {
    return Mismatch(absl::StrCat("the object has no map ", name, " (a ", type_name, ")"));
  }
  if (bpf_map__type(map) != type) {
    return Mismatch(absl::StrCat("map ", name, " is not a ", type_name));
  }
  if (value_size != 0 && (bpf_map__key_size(map) != 4 || bpf_map__value_size(map) != value_size)) {
    return Mismatch(
        absl::StrCat("map ", name, " does not have __u32 keys and ", value_size, "-byte values"));
  }
  return absl::OkStatus();
}

// Whether `value` fits a global of `size` bytes (as signed or unsigned).
bool ValueFits(int64_t value, uint32_t size) {
  if (size >= 8) return true;
  const int64_t limit = int64_t{1} << (8 * size);
  return value >= -(limit / 2) && value < limit;
}

absl::Status CheckConfig(bpf_object* obj, const btf* btf, const BundleManifest& manifest) {
  // The .rodata globals by name, with their sizes.
  std::vector<std::pair<std::string, uint32_t>> globals;
  const int rodata = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
  if (rodata > 0) {
    const btf_type* sec = btf__type_by_id(btf, static_cast<uint32_t>(rodata));
    if (sec != nullptr) {
      const btf_var_secinfo* vars = btf_var_secinfos(sec);
      for (uint32_t i = 0; i < btf_vlen(sec); ++i) {
        const btf_type* var = btf__type_by_id(btf, vars[i].type);
        if (var == nullptr || !btf_is_var(var)) continue;
        globals.emplace_back(std::string(NameOf(btf, var->name_off)), vars[i].size);
      }
    }
  }
  auto global_size = [&globals](absl::string_view name) -> int64_t {
    for (const auto& [global, size] : globals) {
      if (global == name) return size;
    }
    return -1;
  };
  const int64_t instance = global_size(kInstanceGlobal);
  if (instance < 0) {
    return Mismatch(absl::StrCat("the object has no .rodata global ", kInstanceGlobal,
                                 " (const volatile __u32, bpf/vigil_bundle.bpf.h)"));
  }
  if (instance != 4) {
    return Mismatch(
        absl::StrCat("global ", kInstanceGlobal, " is ", instance, " bytes, not 4 (a __u32)"));
  }
  for (const BundleConfig& config : manifest.config()) {
    if (!config.map_entry()) {
      const std::string where = absl::StrCat("config '", config.name(), "'");
      const int64_t size = global_size(config.name());
      if (size < 0) {
        return Mismatch(absl::StrCat(where, ": the object has no .rodata global ", config.name(),
                                     " (a const volatile global)"));
      }
      if (size != 1 && size != 2 && size != 4 && size != 8) {
        return Mismatch(absl::StrCat(where, ": the global is ", size, " bytes, not 1, 2, 4 or 8"));
      }
      if (!ValueFits(config.value(), static_cast<uint32_t>(size))) {
        return Mismatch(absl::StrCat(where, ": value ", config.value(), " does not fit the ", size,
                                     "-byte global"));
      }
      continue;
    }
    const std::string where = absl::StrCat("config '", config.name(), "' index ", config.index());
    const bpf_map* map = bpf_object__find_map_by_name(obj, config.name().c_str());
    if (map == nullptr) {
      return Mismatch(absl::StrCat(where, ": the object has no map ", config.name()));
    }
    if (bpf_map__type(map) != BPF_MAP_TYPE_ARRAY || bpf_map__key_size(map) != 4 ||
        bpf_map__value_size(map) != 8) {
      return Mismatch(absl::StrCat(where, ": map ", config.name(),
                                   " is not an array of __u32 keys and 8-byte values"));
    }
    if (config.index() >= bpf_map__max_entries(map)) {
      return Mismatch(
          absl::StrCat(where, ": past the map's ", bpf_map__max_entries(map), " entries"));
    }
  }
  return absl::OkStatus();
}

// libbpf's first warning while opening, in the child (which has one thread).
std::string* first_libbpf_warning = nullptr;

int CaptureLibbpfWarning(enum libbpf_print_level level, const char* format, va_list args) {
  if (level == LIBBPF_DEBUG || first_libbpf_warning == nullptr || !first_libbpf_warning->empty()) {
    return 0;
  }
  char line[512];
  vsnprintf(line, sizeof(line), format, args);
  absl::string_view text = absl::StripAsciiWhitespace(line);
  absl::ConsumePrefix(&text, "libbpf: ");
  // It may quote the object's own bytes: keep printable ASCII only.
  for (char c : text.substr(0, kMaxWarningChars)) {
    first_libbpf_warning->push_back(c >= ' ' && c < 0x7f ? c : '?');
  }
  if (text.size() > kMaxWarningChars) first_libbpf_warning->append("...");
  return 0;
}

absl::Status OpenAndCheck(const BundleManifest& manifest, absl::string_view object) {
  std::string warning;
  first_libbpf_warning = &warning;
  libbpf_set_print(&CaptureLibbpfWarning);
  // libbpf reads the image through libelf, which takes it as writable: give it a copy.
  std::string image(object);
  LIBBPF_OPTS(bpf_object_open_opts, opts);
  opts.object_name = manifest.name().c_str();
  ObjectPtr obj(bpf_object__open_mem(image.data(), image.size(), &opts));
  if (obj == nullptr) {
    char error[128];
    libbpf_strerror(errno, error, sizeof(error));
    return absl::InvalidArgumentError(absl::StrCat("libbpf cannot open the object: ", error,
                                                   warning.empty() ? "" : " (", warning,
                                                   warning.empty() ? "" : ")"));
  }
  const btf* btf = bpf_object__btf(obj.get());
  if (btf == nullptr) return Mismatch("the object has no BTF (compile it with clang -g)");
  VIGIL_RETURN_IF_ERROR(CheckRecords(btf, manifest));
  VIGIL_RETURN_IF_ERROR(CheckPrograms(obj.get(), manifest));
  VIGIL_RETURN_IF_ERROR(CheckMap(obj.get(), "events", BPF_MAP_TYPE_RINGBUF, "ring buffer", 0));
  VIGIL_RETURN_IF_ERROR(
      CheckMap(obj.get(), "stats", BPF_MAP_TYPE_PERCPU_ARRAY, "per-CPU array", 8));
  return CheckConfig(obj.get(), btf, manifest);
}

bool WriteAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    const ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Runs `check` in a child process and returns its status. libbpf (1.1 at least) is not
// hardened against hostile ELF files: a malformed object can crash it, or make it run long.
// In a child, that ends the child only ("libbpf crashed opening the object"), and the
// caller (the sensor, the controller) lives on. The child never returns from here.
absl::Status InChildProcess(const std::function<absl::Status()>& check) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", strerror(errno)));
  }
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", strerror(errno)));
  if (pid == 0) {
    // A crash ends this process plainly, without the parent's crash handlers (sanitizers,
    // fuzzers) reporting it as the parent's.
    for (int sig : {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL}) signal(sig, SIG_DFL);
    const absl::Status status = check();
    std::string result(1, static_cast<char>(status.code()));
    const absl::string_view message = status.message().substr(0, kMaxChildMessageBytes);
    result.append(message.data(), message.size());
    _exit(WriteAll(write_end.get(), result) ? 0 : 1);
  }
  write_end.reset();
  std::string result;
  const auto deadline = std::chrono::steady_clock::now() + kChildTimeout;
  bool timed_out = false;
  for (;;) {
    const int64_t left_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                deadline - std::chrono::steady_clock::now())
                                .count();
    if (left_ms <= 0) {
      timed_out = true;
      break;
    }
    pollfd pfd{read_end.get(), POLLIN, 0};
    const int ready = poll(&pfd, 1, static_cast<int>(left_ms));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) break;
    if (ready == 0) continue;  // the deadline: checked above
    char buffer[4096];
    const ssize_t n = read(read_end.get(), buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // end of file: the child is done
    result.append(buffer, static_cast<size_t>(n));
  }
  if (timed_out) kill(pid, SIGKILL);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return absl::InvalidArgumentError(
        absl::StrCat("libbpf took over ", kChildTimeout.count(), " s opening the object"));
  }
  if (WIFSIGNALED(wstatus)) {
    return absl::InvalidArgumentError(
        absl::StrCat("libbpf crashed opening the object (signal ", WTERMSIG(wstatus), ")"));
  }
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0 || result.empty()) {
    return absl::InvalidArgumentError("libbpf crashed opening the object");
  }
  const auto code = static_cast<absl::StatusCode>(static_cast<unsigned char>(result[0]));
  return absl::Status(code, absl::string_view(result).substr(1));
}

}  // namespace

absl::Status CheckProgram(const BundleManifest& manifest, absl::string_view name,
                          absl::string_view section) {
  const std::string where =
      absl::StrCat("program ", Shown(name), " (section ", Shown(section), ")");
  if (absl::StartsWith(name, kStandInPrefix)) {
    absl::string_view rest = name.substr(kStandInPrefix.size());
    const size_t separator = rest.find(kStandInSeparator);
    if (separator == absl::string_view::npos || separator == 0) {
      return Mismatch(absl::StrCat(where, ": a stand-in program is named any_<slot>__<kind>"));
    }
    const absl::string_view slot = rest.substr(0, separator);
    if (HookWithSlot(manifest, slot) == nullptr) {
      return Mismatch(absl::StrCat(where, ": the manifest declares no hook '", Shown(slot), "'"));
    }
    if (StandInSectionFits(section)) return absl::OkStatus();
    return Mismatch(
        absl::StrCat(where, ": a stand-in program's section is ", StandInSectionList()));
  }
  for (const Mode& mode : Modes()) {
    if (!absl::StartsWith(name, mode.prefix)) continue;
    absl::string_view rest = name.substr(mode.prefix.size());
    const size_t separator = rest.find(kStandInSeparator);
    const absl::string_view slot = rest.substr(0, separator);
    const BundleHook* hook = HookWithSlot(manifest, slot);
    if (hook == nullptr) {
      return Mismatch(absl::StrCat(where, ": the manifest declares no hook '", Shown(slot), "'"));
    }
    if (!HookHasMode(*hook, mode.name)) {
      return Mismatch(
          absl::StrCat(where, ": hook '", hook->slot(), "' does not declare mode ", mode.name));
    }
    if (separator != absl::string_view::npos) {
      // A stand-in <prefix><slot>__<kind>: any section a stand-in may have, as ProbeModule
      // tries it in this mode whatever its section.
      if (StandInSectionFits(section)) return absl::OkStatus();
      return Mismatch(
          absl::StrCat(where, ": a stand-in program's section is ", StandInSectionList()));
    }
    if (!SectionFits(mode, section)) {
      return Mismatch(absl::StrCat(where, ": a ", mode.prefix, " program's section is ",
                                   absl::StrJoin(mode.sections, "/... or "), "/..."));
    }
    return absl::OkStatus();
  }
  return Mismatch(
      absl::StrCat(where, ": not named <mode prefix><hook slot> (prefixes ", PrefixList(), ")"));
}

absl::Status CheckObject(const BundleManifest& manifest, absl::string_view object) {
  if (absl::Status valid = ValidateManifest(manifest); !valid.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("manifest: ", valid.message()));
  }
  if (object.empty()) return absl::InvalidArgumentError("the object is empty");
  return InChildProcess([&manifest, object] { return OpenAndCheck(manifest, object); });
}

}  // namespace vigil::bundle

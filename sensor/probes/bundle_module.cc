#include "sensor/probes/bundle_module.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "bundle/object_check.h"
#include "sensor/probes/bundle_records.h"

namespace vigil::sensor::probes {
namespace {

// The internal map holding section `sec` (".rodata", ".bss") of `obj`, or null.
bpf_map* SectionMap(bpf_object* obj, absl::string_view sec) {
  bpf_map* map;
  bpf_object__for_each_map(map, obj) {
    if (bpf_map__is_internal(map) && absl::EndsWith(bpf_map__name(map), sec)) return map;
  }
  return nullptr;
}

// Where global `var` of section `sec` lives in `data` (`data_size` bytes: the section's
// initial image, or the kernel's memory mapped after load), or null; its size in *size.
void* GlobalAt(bpf_object* obj, absl::string_view sec, absl::string_view var, uint8_t* data,
               size_t data_size, size_t* size) {
  const btf* btf = bpf_object__btf(obj);
  if (data == nullptr || btf == nullptr) return nullptr;
  const int sec_id = btf__find_by_name_kind(btf, std::string(sec).c_str(), BTF_KIND_DATASEC);
  if (sec_id < 0) return nullptr;
  const btf_type* datasec = btf__type_by_id(btf, sec_id);
  const btf_var_secinfo* info = btf_var_secinfos(datasec);
  for (int i = 0; i < btf_vlen(datasec); ++i, ++info) {
    const btf_type* v = btf__type_by_id(btf, info->type);
    if (v == nullptr || btf__name_by_offset(btf, v->name_off) != var) continue;
    if (size_t{info->offset} + info->size > data_size) return nullptr;
    if (size != nullptr) *size = info->size;
    return data + info->offset;
  }
  return nullptr;
}

// GlobalAt in the section's initial image (what the kernel gets at load).
void* GlobalIn(bpf_object* obj, absl::string_view sec, absl::string_view var, size_t* size) {
  bpf_map* map = SectionMap(obj, sec);
  if (map == nullptr) return nullptr;
  size_t data_size = 0;
  // libbpf hands out the image the skeletons write to as const in this version.
  auto* data = static_cast<uint8_t*>(const_cast<void*>(bpf_map__initial_value(map, &data_size)));
  return GlobalAt(obj, sec, var, data, data_size, size);
}

// Stores `value` in a 1-, 2-, 4- or 8-byte global.
bool SetGlobal(bpf_object* obj, absl::string_view var, int64_t value) {
  size_t size = 0;
  void* at = GlobalIn(obj, ".rodata", var, &size);
  if (at == nullptr) return false;
  switch (size) {
    case 1: *static_cast<uint8_t*>(at) = static_cast<uint8_t>(value); return true;
    case 2: *static_cast<uint16_t*>(at) = static_cast<uint16_t>(value); return true;
    case 4: *static_cast<uint32_t*>(at) = static_cast<uint32_t>(value); return true;
    case 8: *static_cast<uint64_t*>(at) = static_cast<uint64_t>(value); return true;
    default: return false;
  }
}

}  // namespace

BundleModule::BundleModule(bundle::ParsedBundle parsed,
                           std::shared_ptr<const event::BundleSchema> schema)
    : ProbeModule(parsed.manifest.name()),
      parsed_(std::move(parsed)),
      schema_(std::move(schema)),
      instance_(RegisterBundleInstance(schema_)) {}

BundleModule::~BundleModule() {
  Stop();
  UnregisterBundleInstance(instance_);
}

absl::Status BundleModule::OpenSkeleton(const std::string& btf_path) {
  LIBBPF_OPTS(bpf_object_open_opts, opts);
  const std::string object_name = parsed_.manifest.name();
  opts.object_name = object_name.c_str();
  opts.btf_custom_path = btf_path.empty() ? nullptr : btf_path.c_str();
  const std::string& bytes = parsed_.bundle.object();
  obj_ = bpf_object__open_mem(bytes.data(), bytes.size(), &opts);
  if (obj_ == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("opening bundle module '", name(), "': ", strerror(errno)));
  }
  std::string missing;
  if (!SetGlobal(obj_, bundle::kInstanceGlobal, instance_)) missing = bundle::kInstanceGlobal;
  for (const vigil::v1::BundleConfig& config : parsed_.manifest.config()) {
    if (!config.map_entry() && !SetGlobal(obj_, config.name(), config.value())) {
      missing = config.name();
    }
  }
  if (!missing.empty()) {
    DestroySkeleton();
    return absl::FailedPreconditionError(
        absl::StrCat("bundle module '", name(), "' has no .rodata global ", missing));
  }
  optional_hooks_.clear();
  for (const vigil::v1::BundleHook& hook : parsed_.manifest.hooks()) {
    if (!hook.optional()) continue;
    bpf_program* prog;
    bpf_object__for_each_program(prog, obj_) {
      const absl::string_view name = bpf_program__name(prog);
      if (!absl::StrContains(name, hook.slot())) continue;
      const absl::string_view section = bpf_program__section_name(prog);
      optional_hooks_.insert(std::string(section.substr(section.rfind('/') + 1)));
    }
  }
  return absl::OkStatus();
}

int BundleModule::LoadSkeleton() {
  if (const int rc = bpf_object__load(obj_); rc != 0) return rc;
  // What skeletons do at load: map .bss from the kernel, so the runtime filter written
  // there reaches the programs.
  bpf_map* bss = SectionMap(obj_, ".bss");
  if (bss == nullptr) return -ENOENT;
  const size_t size = bpf_map__value_size(bss);
  void* mapped = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(bss), 0);
  if (mapped == MAP_FAILED) return -errno;
  bss_ = static_cast<uint8_t*>(mapped);
  bss_size_ = size;
  return 0;
}

void BundleModule::DestroySkeleton() {
  if (bss_ != nullptr) munmap(bss_, bss_size_);
  bss_ = nullptr;
  bss_size_ = 0;
  bpf_object__close(obj_);
  obj_ = nullptr;
}

ModuleGlobals BundleModule::globals() {
  ModuleGlobals g;
  g.self_tgid = static_cast<__u32*>(GlobalIn(obj_, ".rodata", "self_tgid", nullptr));
  g.wakeup_bytes = static_cast<__u64*>(GlobalIn(obj_, ".rodata", "wakeup_bytes", nullptr));
  g.wakeup_ns = static_cast<__u64*>(GlobalIn(obj_, ".rodata", "wakeup_ns", nullptr));
  g.filter = static_cast<vigil_filter_config*>(
      bss_ != nullptr ? GlobalAt(obj_, ".bss", "filter_cfg", bss_, bss_size_, nullptr)
                      : GlobalIn(obj_, ".bss", "filter_cfg", nullptr));
  g.events = bpf_object__find_map_by_name(obj_, "events");
  g.stats = bpf_object__find_map_by_name(obj_, "stats");
  return g;
}

bool BundleModule::IsOptionalHook(absl::string_view hook) const {
  return optional_hooks_.count(std::string(hook)) > 0;
}

absl::Status BundleModule::AfterLoad() {
  for (const vigil::v1::BundleConfig& config : parsed_.manifest.config()) {
    if (!config.map_entry()) continue;
    bpf_map* map = bpf_object__find_map_by_name(obj_, config.name().c_str());
    const uint32_t key = config.index();
    const uint64_t value = static_cast<uint64_t>(config.value());
    if (map == nullptr ||
        bpf_map__update_elem(map, &key, sizeof(key), &value, sizeof(value), BPF_ANY) != 0) {
      return absl::FailedPreconditionError(absl::StrCat("bundle module '", name(),
                                                        "': cannot set map ", config.name(), "[",
                                                        key, "]: ", strerror(errno)));
    }
  }
  return absl::OkStatus();
}

}  // namespace vigil::sensor::probes

#include "sensor/probes/file/file_module.h"

#include <bpf/bpf.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "bpf/abi/file.h"
#include "bpf/file.skel.h"
#include "event/file_id.h"
#include "sensor/probes/skeleton_module.h"

namespace vigil::sensor::probes {

FileProbe::FileProbe()
    : SkeletonModule("file", {file_bpf__open_opts, file_bpf__load, file_bpf__destroy}) {}

FileProbe::~FileProbe() { Stop(); }

void FileProbe::DestroySkeleton() {
  SkeletonModule::DestroySkeleton();
  loaded_ = false;
}

bool FileProbe::IsOptionalHook(absl::string_view hook) const {
  return absl::StartsWith(hook, "__ia32_");
}

absl::Status FileProbe::ProgramSupported(absl::string_view program, KernelEnv& env) {
  if (program == "btf_sys_exit" && !env.HasFunction("bpf_rdonly_cast")) {
    return absl::UnimplementedError("needs the kfunc bpf_rdonly_cast (Linux 6.2 or newer)");
  }
  return absl::OkStatus();
}

absl::Status FileProbe::AfterLoad() {
  loaded_ = true;
  WriteFirstByteBits(prefixes_);
  for (const std::string& prefix : prefixes_) {
    absl::Status status = WritePrefix(prefix, true);
    if (!status.ok()) return status;
  }
  for (const event::FileId& id : file_ids_) {
    absl::Status status = WriteFileId(id, true);
    if (!status.ok()) return status;
  }
  skel_->bss->file_id_count = static_cast<uint32_t>(file_ids_.size());
  return absl::OkStatus();
}

absl::Status FileProbe::WriteFileId(const event::FileId& id, bool add) {
  vigil_file_id key{};
  key.ino = id.ino;
  key.dev = event::UserDevToKernel(id.dev);
  const int fd = bpf_map__fd(skel_->maps.file_ids);
  const uint32_t value = 1;
  const int rc =
      add ? bpf_map_update_elem(fd, &key, &value, BPF_ANY) : bpf_map_delete_elem(fd, &key);
  if (rc != 0 && !(errno == ENOENT && !add)) {
    return absl::InternalError(absl::StrCat(add ? "adding" : "removing", " file identity ", id.dev,
                                            ":", id.ino, ": ", strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status FileProbe::SetFileIdentities(const std::vector<event::FileId>& ids) {
  std::set<event::FileId> next(ids.begin(), ids.end());
  if (next.size() > VIGIL_FILE_IDS_MAX) {
    return absl::InvalidArgumentError(absl::StrCat(next.size(), " file identities; the kernel ",
                                                   "set holds at most ", VIGIL_FILE_IDS_MAX));
  }
  if (loaded_) {
    // Widen before narrowing so no wanted open is missed during the swap, unless the
    // union would not fit the map.
    std::set<event::FileId> both = file_ids_;
    both.insert(next.begin(), next.end());
    const bool widen_first = both.size() <= VIGIL_FILE_IDS_MAX;
    for (int pass = 0; pass < 2; ++pass) {
      const bool add = (pass == 0) == widen_first;
      for (const event::FileId& id : add ? next : file_ids_) {
        if ((add ? file_ids_ : next).count(id)) continue;
        absl::Status status = WriteFileId(id, add);
        if (!status.ok()) return status;
      }
      skel_->bss->file_id_count = static_cast<uint32_t>(pass == 0 ? both.size() : next.size());
    }
  }
  file_ids_ = std::move(next);
  return absl::OkStatus();
}

absl::Status FileProbe::WritePrefix(const std::string& prefix, bool add) {
  vigil_prefix_key key{};
  key.prefixlen = static_cast<uint32_t>(prefix.size() * 8);
  std::memcpy(key.data, prefix.data(), prefix.size());
  const int fd = bpf_map__fd(skel_->maps.path_prefixes);
  const uint32_t value = 1;
  const int rc =
      add ? bpf_map_update_elem(fd, &key, &value, BPF_ANY) : bpf_map_delete_elem(fd, &key);
  if (rc != 0 && !(errno == ENOENT && !add)) {
    return absl::InternalError(absl::StrCat(add ? "adding" : "removing", " path prefix '", prefix,
                                            "': ", strerror(errno)));
  }
  return absl::OkStatus();
}

namespace {

// The first-byte filter for a prefix set (see prefix_first_byte in bpf/file.bpf.c).
std::array<uint64_t, 4> FirstByteBits(const std::set<std::string>& prefixes) {
  std::array<uint64_t, 4> bits{};
  for (const std::string& p : prefixes) {
    if (p.size() < 2) {
      bits.fill(~uint64_t{0});
      break;
    }
    const auto c = static_cast<unsigned char>(p[1]);
    bits[c >> 6] |= uint64_t{1} << (c & 63);
  }
  return bits;
}

}  // namespace

void FileProbe::WriteFirstByteBits(const std::set<std::string>& prefixes) {
  const std::array<uint64_t, 4> bits = FirstByteBits(prefixes);
  for (size_t i = 0; i < bits.size(); ++i) skel_->bss->prefix_first_byte[i] = bits[i];
}

absl::Status FileProbe::SetPathPrefixes(const std::vector<std::string>& prefixes) {
  std::set<std::string> next;
  for (const std::string& p : prefixes) {
    if (p.empty() || p[0] != '/') {
      return absl::InvalidArgumentError(absl::StrCat("path prefix '", p, "' is not absolute"));
    }
    if (p.size() > VIGIL_PREFIX_MAX) {
      return absl::InvalidArgumentError(absl::StrCat(
          "path prefix '", p.substr(0, 40), "...' is longer than ", VIGIL_PREFIX_MAX, " bytes"));
    }
    next.insert(p);
  }
  if (loaded_) {
    // Widen before narrowing so no wanted open is missed during the swap.
    std::set<std::string> both = prefixes_;
    both.insert(next.begin(), next.end());
    WriteFirstByteBits(both);
    for (const std::string& p : next) {
      if (!prefixes_.count(p)) {
        absl::Status status = WritePrefix(p, true);
        if (!status.ok()) return status;
      }
    }
    for (const std::string& p : prefixes_) {
      if (!next.count(p)) {
        absl::Status status = WritePrefix(p, false);
        if (!status.ok()) return status;
      }
    }
  }
  prefixes_ = std::move(next);
  if (loaded_) WriteFirstByteBits(prefixes_);
  return absl::OkStatus();
}

std::unique_ptr<ProbeModule> file::Create() { return std::make_unique<FileProbe>(); }

}  // namespace vigil::sensor::probes

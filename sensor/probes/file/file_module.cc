#include "sensor/probes/file/file_module.h"

#include <bpf/bpf.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "bpf/abi/file.h"
#include "bpf/file.skel.h"
#include "common/status_macros.h"
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
  return absl::StartsWith(hook, "__ia32_") || absl::StartsWith(hook, "io_uring_") ||
         absl::StartsWith(hook, "security_path_") || absl::StrContains(hook, "ctime");
}

absl::Status FileProbe::ProgramSupported(absl::string_view program, KernelEnv& env) {
  if (program == "btf_sys_exit" && !env.HasFunction("bpf_rdonly_cast")) {
    return absl::UnimplementedError("needs the kfunc bpf_rdonly_cast (Linux 6.2 or newer)");
  }
  // The io_uring programs read the request as Linux 6.0 lays it out; the submission
  // programs come in one form per tracepoint that carries it (the __sqe stand-ins for
  // io_uring_submit_sqe with seven arguments, __sqe_req for it with two).
  if (absl::StrContains(program, "uring_")) {
    const int form = env.UringRequestTracepoint();
    int needs = 0;  // the form a stand-in is written for; 0 for the programs every form serves
    if (absl::EndsWith(program, "__sqe")) needs = 7;
    if (absl::EndsWith(program, "__sqe_req")) needs = 2;
    const bool supported = needs != 0 ? form == needs : form >= 0;
    if (!supported) {
      return absl::UnimplementedError(
          "needs io_uring_submit_req, or io_uring_submit_sqe with the request (Linux 6.0+)");
    }
  }
  return absl::OkStatus();
}

absl::Status FileProbe::AfterLoad() {
  loaded_ = true;
  in_kernel_.clear();
  WriteFirstByteBits(prefixes_);
  VIGIL_RETURN_IF_ERROR(WriteTrie(prefixes_));
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

namespace {

// The trie's key for `prefix` (at most VIGIL_PREFIX_MAX bytes, checked by SetPathPrefixes).
vigil_prefix_key PrefixKey(const std::string& prefix) {
  vigil_prefix_key key{};
  key.prefixlen = static_cast<uint32_t>(prefix.size() * 8);
  std::memcpy(key.data, prefix.data(), prefix.size());
  return key;
}

// The trie's value for each prefix: its types and those of its shorter prefixes.
PathPrefixes TrieValues(const PathPrefixes& prefixes) {
  PathPrefixes values;
  for (auto it = prefixes.begin(); it != prefixes.end(); ++it) {
    uint32_t types = it->second;
    for (auto up = prefixes.begin(); up != it; ++up) {
      if (absl::StartsWith(it->first, up->first)) types |= up->second;
    }
    values[it->first] = types;
  }
  return values;
}

// The first-byte filter for a prefix set (see prefix_first_byte in bpf/file.bpf.c).
std::array<uint64_t, 4> FirstByteBits(const PathPrefixes& prefixes) {
  std::array<uint64_t, 4> bits{};
  for (const auto& [p, types] : prefixes) {
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

absl::Status FileProbe::WriteTrie(const PathPrefixes& next) {
  const PathPrefixes values = TrieValues(next);
  const int fd = bpf_map__fd(skel_->maps.path_prefixes);
  for (const auto& [prefix, types] : values) {
    const auto old = in_kernel_.find(prefix);
    if (old != in_kernel_.end() && old->second == types) continue;
    const vigil_prefix_key key = PrefixKey(prefix);
    if (bpf_map_update_elem(fd, &key, &types, BPF_ANY) != 0) {
      return absl::InternalError(
          absl::StrCat("adding path prefix '", prefix, "': ", strerror(errno)));
    }
    in_kernel_[prefix] = types;
  }
  for (auto it = in_kernel_.begin(); it != in_kernel_.end();) {
    if (values.count(it->first)) {
      ++it;
      continue;
    }
    const vigil_prefix_key key = PrefixKey(it->first);
    if (bpf_map_delete_elem(fd, &key) != 0 && errno != ENOENT) {
      return absl::InternalError(
          absl::StrCat("removing path prefix '", it->first, "': ", strerror(errno)));
    }
    it = in_kernel_.erase(it);
  }
  return absl::OkStatus();
}

void FileProbe::WriteFirstByteBits(const PathPrefixes& prefixes) {
  const std::array<uint64_t, 4> bits = FirstByteBits(prefixes);
  for (size_t i = 0; i < bits.size(); ++i) skel_->bss->prefix_first_byte[i] = bits[i];
}

absl::Status FileProbe::SetPathPrefixes(const PathPrefixes& prefixes) {
  for (const auto& [p, types] : prefixes) {
    if (p.empty() || p[0] != '/') {
      return absl::InvalidArgumentError(absl::StrCat("path prefix '", p, "' is not absolute"));
    }
    if (p.size() > VIGIL_PREFIX_MAX) {
      return absl::InvalidArgumentError(absl::StrCat(
          "path prefix '", p.substr(0, 40), "...' is longer than ", VIGIL_PREFIX_MAX, " bytes"));
    }
  }
  if (loaded_) {
    // Widen before narrowing so no wanted event is missed during the swap: the union of
    // both sets first (each prefix with both sets' types), then the new set.
    PathPrefixes both = prefixes_;
    for (const auto& [p, types] : prefixes) both[p] |= types;
    WriteFirstByteBits(both);
    VIGIL_RETURN_IF_ERROR(WriteTrie(both));
    VIGIL_RETURN_IF_ERROR(WriteTrie(prefixes));
    WriteFirstByteBits(prefixes);
  }
  prefixes_ = prefixes;
  return absl::OkStatus();
}

std::unique_ptr<ProbeModule> file::Create() { return std::make_unique<FileProbe>(); }

}  // namespace vigil::sensor::probes

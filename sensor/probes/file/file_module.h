// FileProbe: user-space twin of bpf/file.bpf.c (open-family syscalls), owning the
// in-kernel path interest set. Its records are decoded by file_records.cc.
#ifndef VIGIL_SENSOR_PROBES_FILE_FILE_MODULE_H_
#define VIGIL_SENSOR_PROBES_FILE_FILE_MODULE_H_

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "event/file_id.h"
#include "sensor/probes/skeleton_module.h"

struct file_bpf;

namespace vigil::sensor::probes {

// The file module: opens through fexit on the open syscalls (fentry mode) or the sys_exit
// tracepoint of every syscall (tp_btf, raw_tp, tracepoint); the other file operations
// (unlink, rename, ...) through sys_exit in every mode, built inside the kernel at the
// security_path_* hooks in fentry mode and told by the inode-timestamp tracepoints where
// only tracepoints attach; io_uring requests through the submission and completion
// tracepoints. Opens reach user space only when their resolved path starts with a prefix of
// the interest set, has a hidden component (when asked), or when the filter says all files,
// or when the opened file is in the identity set (device and inode); everything else is
// dropped in the kernel and counted as filtered.
class FileProbe : public SkeletonModule<file_bpf> {
 public:
  FileProbe();
  ~FileProbe() override;

  // Replaces the interest set. Each prefix must be absolute and at most
  // VIGIL_PREFIX_MAX bytes; a prefix matches any path that starts with it byte for byte
  // (so "/etc/" matches files under /etc, "/etc/shadow" also matches "/etc/shadow-"), for
  // the event types given with it. May be called before Start() (the set is loaded with
  // the programs) or while running (the kernel map is updated in place: widened first,
  // then narrowed).
  absl::Status SetPathPrefixes(const PathPrefixes& prefixes) override;

  const PathPrefixes& prefixes() const { return prefixes_; }

  // Replaces the identity set: an open of one of these files (st_dev as stat(2) reports
  // it, st_ino) reaches user space even when its path is outside the interest set. At most
  // VIGIL_FILE_IDS_MAX. Like SetPathPrefixes, before Start() or while running (added
  // first, then removed).
  absl::Status SetFileIdentities(const std::vector<event::FileId>& ids) override;

  const std::set<event::FileId>& file_ids() const { return file_ids_; }

 protected:
  void DestroySkeleton() override;
  absl::Status AfterLoad() override;
  // The 32-bit (compat) syscall functions exist only with IA32 emulation; the io_uring
  // tracepoints with io_uring (and io_uring_submit_req from Linux 6.2); the security_path_*
  // hooks with CONFIG_SECURITY_PATH; the inode-timestamp tracepoints from Linux 6.13.
  bool IsOptionalHook(absl::string_view hook) const override;
  // The fast tp_btf program reads through bpf_rdonly_cast (a kfunc of Linux 6.2+); before
  // it, its CO-RE twin stands in. The io_uring programs need the request layout of Linux
  // 6.0 and a submission tracepoint that carries the request: io_uring_submit_req (6.2+) or
  // io_uring_submit_sqe (6.0, 6.1).
  absl::Status ProgramSupported(absl::string_view program, KernelEnv& env) override;

 private:
  // Makes the kernel's interest set `next` (what the trie holds for each prefix: its types
  // and those of every shorter prefix of it, since a lookup finds the longest one only).
  absl::Status WriteTrie(const PathPrefixes& next);
  // Writes the kernel's first-byte pre-filter for `prefixes`.
  void WriteFirstByteBits(const PathPrefixes& prefixes);
  absl::Status WriteFileId(const event::FileId& id, bool add);

  bool loaded_ = false;
  PathPrefixes prefixes_;
  PathPrefixes in_kernel_;  // what the trie holds
  std::set<event::FileId> file_ids_;
};

namespace file {
// The registry's factory for the file module.
std::unique_ptr<ProbeModule> Create();
}  // namespace file

}  // namespace vigil::sensor::probes

#endif  // VIGIL_SENSOR_PROBES_FILE_FILE_MODULE_H_

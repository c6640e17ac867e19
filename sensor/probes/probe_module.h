// ProbeModule: one independently loadable set of BPF programs (one skeleton), with
// attach-mode probing, its counters and its runtime filter.
#ifndef VIGIL_SENSOR_PROBES_PROBE_MODULE_H_
#define VIGIL_SENSOR_PROBES_PROBE_MODULE_H_

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bpf/abi/vigil_event.h"
#include "event/file_id.h"
#include "sensor/probes/attach_mode.h"
#include "sensor/probes/kernel_env.h"

struct bpf_object;
struct bpf_map;
struct bpf_link;
struct bpf_program;

namespace vigil::sensor::probes {

// A path-prefix interest set: each prefix with the event types (EventBit mask) that want
// paths under it.
using PathPrefixes = std::map<std::string, uint32_t>;

// Per-module counters, indexed by enum vigil_stat, summed over CPUs.
using ModuleStats = std::array<uint64_t, VIGIL_STAT_MAX>;

// Stable name of a vigil_stat counter ("emitted", "drop_ringbuf_full", ...).
absl::string_view StatName(int stat);

// What every module is started with.
struct ModuleOptions {
  std::optional<AttachMode> forced_mode;  // try only this mode
  uint32_t self_tgid = 0;                 // process whose activity is never reported
  uint64_t wakeup_bytes = 256 * 1024;     // ring-buffer batching (see common.bpf.h)
  uint64_t wakeup_ns = 10'000'000;
  int ringbuf_fd = -1;           // the shared ring buffer
  vigil_filter_config filter{};  // initial runtime filter
  std::string btf_path;          // kernel BTF for CO-RE; empty: the running kernel's
};

// Where a module's skeleton keeps the globals every module shares (common.bpf.h).
struct ModuleGlobals {
  __u32* self_tgid = nullptr;
  __u64* wakeup_bytes = nullptr;
  __u64* wakeup_ns = nullptr;
  vigil_filter_config* filter = nullptr;  // .bss: writable after load (mmap'd)
  bpf_map* events = nullptr;
  bpf_map* stats = nullptr;
};

// Binds the shared globals of any Vigil skeleton type.
template <typename Skeleton>
ModuleGlobals GlobalsOf(Skeleton* skel) {
  return ModuleGlobals{&skel->rodata->self_tgid, &skel->rodata->wakeup_bytes,
                       &skel->rodata->wakeup_ns, &skel->bss->filter_cfg,
                       skel->maps.events,        skel->maps.stats};
}

// Base of the per-skeleton twins (ProcessProbe, FileProbe): a module's user half in
// sensor/probes/<name>/, created through the module registry (module_registry.h). Start() tries the
// attach modes cheapest first: for each, it opens a fresh skeleton, keeps only that mode's programs
// whose hooks exist, loads and attaches; the first mode that fully works wins. Not thread-safe;
// owned by the sensor's pipeline.
class ProbeModule {
 public:
  virtual ~ProbeModule();
  ProbeModule(const ProbeModule&) = delete;
  ProbeModule& operator=(const ProbeModule&) = delete;

  // Module name ("process", "file").
  absl::string_view name() const { return name_; }

  // Loads and attaches: the forced mode when the module offers it, else the cheapest
  // mode that works. On failure every tried mode's error is in the status, which is
  // Unimplemented when every mode failed only for lack of kernel support (hooks or hook
  // types missing), FailedPrecondition when the kernel refused Vigil's programs.
  absl::Status Start(KernelEnv& env, const ModuleOptions& options);

  // The modes the module has programs for, cheapest first (e.g. the process module has no
  // fentry mode).
  absl::StatusOr<std::vector<AttachMode>> OfferedModes();
  // Detaches every program; maps stay readable (for final counters) until Stop().
  void Detach();
  // Detaches and frees everything. Safe to call twice.
  void Stop();

  bool running() const { return running_; }
  AttachMode mode() const { return mode_; }
  // Hooks attached ("tp_btf/sched_process_exec", "lsm/bprm_committing_creds", ...).
  const std::vector<std::string>& attached() const { return attached_; }
  // Optional hooks this kernel lacks, skipped with the mode still usable.
  const std::vector<std::string>& skipped() const { return skipped_; }

  // Replaces the runtime filter (takes effect for the next event).
  void SetFilter(const vigil_filter_config& filter);
  // Replaces the path-prefix interest set of modules that filter by path in the kernel
  // (see FileProbe); others ignore it. May be called before Start() or while running.
  virtual absl::Status SetPathPrefixes(const PathPrefixes& prefixes) { return absl::OkStatus(); }
  // Replaces the file-identity set of modules that filter by path in the kernel: events
  // on these files reach user space whatever their path (see FileProbe); others ignore
  // it. Devices as stat(2) reports them. May be called before Start() or while running.
  virtual absl::Status SetFileIdentities(const std::vector<event::FileId>& ids) {
    return absl::OkStatus();
  }
  // Counters summed over CPUs.
  absl::StatusOr<ModuleStats> ReadStats() const;

 protected:
  explicit ProbeModule(std::string name) : name_(std::move(name)) {}

  // Opens a fresh skeleton (not loaded), relocating against `btf_path` when not empty.
  virtual absl::Status OpenSkeleton(const std::string& btf_path) = 0;
  // Loads the opened skeleton (programs and maps) and maps its global data, so that
  // globals() writes reach the kernel. Returns 0 or a negative errno, as libbpf does.
  virtual int LoadSkeleton() = 0;
  // Destroys the skeleton; links are already gone.
  virtual void DestroySkeleton() = 0;
  virtual bpf_object* object() = 0;
  virtual ModuleGlobals globals() = 0;
  // True for hooks the module works without (e.g. newer-kernel tracepoints) when no
  // stand-in program (<prefix><slot>__<kind> or any_<slot>__<kind>) can take their place.
  virtual bool IsOptionalHook(absl::string_view hook) const { return false; }
  // OK when the kernel can run `program` once its hook exists; Unimplemented naming what
  // is missing otherwise (e.g. a kfunc the program calls), so a stand-in is used.
  virtual absl::Status ProgramSupported(absl::string_view program, KernelEnv& env) {
    return absl::OkStatus();
  }
  // Called after a successful load, before attach (populate maps).
  virtual absl::Status AfterLoad() { return absl::OkStatus(); }

 private:
  absl::Status TryMode(KernelEnv& env, AttachMode mode, const ModuleOptions& options);
  // Marks for loading, in the opened skeleton, each of `mode`'s programs the kernel can run
  // or else the first stand-in for its slot that it can run (see ProgramSupported());
  // skipped_ lists optional hooks with neither. Unimplemented when a required one has none.
  absl::StatusOr<std::vector<bpf_program*>> SelectPrograms(KernelEnv& env, AttachMode mode);
  void DetachAll();

  std::string name_;
  bool running_ = false;
  AttachMode mode_ = AttachMode::kTpBtf;
  std::vector<bpf_link*> links_;
  std::vector<std::string> attached_;
  std::vector<std::string> skipped_;
  ModuleGlobals globals_;
};

}  // namespace vigil::sensor::probes

#endif  // VIGIL_SENSOR_PROBES_PROBE_MODULE_H_

// ModuleSet: the sensor's probe modules (every registered one, probes/module_registry.h)
// and the lock that serializes starting and stopping them (pipeline thread) against
// reading their state and counters (watchdog thread).
#ifndef VIGIL_SENSOR_MODULE_SET_H_
#define VIGIL_SENSOR_MODULE_SET_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "sensor/metrics.h"
#include "sensor/probes/kernel_env.h"
#include "sensor/probes/probe_module.h"
#include "vigil/v1/sensor_link.pb.h"

namespace vigil::sensor {

// One module's attach details, for the sensor_start record and --check.
struct ModuleAttachment {
  std::string name;
  std::string attach_mode;
  std::vector<std::string> hooks;
  std::vector<std::string> skipped;
};

// Thread-safe: every method takes the lock.
class ModuleSet {
 public:
  ModuleSet();
  ~ModuleSet();

  // Sets each module's path interest set and starts, with `options`, every module enabled
  // by default (ModuleSchema); logs the attach mode and skipped hooks. The first module
  // that cannot start fails the whole.
  absl::Status StartAll(probes::KernelEnv& env, const probes::ModuleOptions& options,
                        const probes::PathPrefixes& prefixes) ABSL_LOCKS_EXCLUDED(mu_);
  // Applies a module command from the controller: enables or disables modules by name.
  // An unknown name refuses the whole command before anything changes. `before_stop` runs
  // before a module is stopped (to drain what it wrote).
  absl::Status Apply(const vigil::v1::ModuleCommand& command, probes::KernelEnv& env,
                     const probes::ModuleOptions& options, const std::function<void()>& before_stop)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Replaces the runtime filter of every running module.
  void SetFilter(const vigil_filter_config& filter) ABSL_LOCKS_EXCLUDED(mu_);
  // Replaces the path interest set of every module.
  absl::Status SetPathPrefixes(const probes::PathPrefixes& prefixes) ABSL_LOCKS_EXCLUDED(mu_);
  // Replaces the file-identity set of every module (ProbeModule::SetFileIdentities).
  absl::Status SetFileIdentities(const std::vector<event::FileId>& ids) ABSL_LOCKS_EXCLUDED(mu_);

  // Each module's state and kernel counters, in registry order.
  std::vector<ModuleSnapshot> Snapshot() const ABSL_LOCKS_EXCLUDED(mu_);
  // Each running module's attach mode and hooks.
  std::vector<ModuleAttachment> Attachments() const ABSL_LOCKS_EXCLUDED(mu_);
  // True when at least one module is attached.
  bool AnyRunning() const ABSL_LOCKS_EXCLUDED(mu_);

  // Detaches every program (counters stay readable); then StopAll frees everything.
  void DetachAll() ABSL_LOCKS_EXCLUDED(mu_);
  void StopAll() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<probes::ProbeModule>> modules_ ABSL_GUARDED_BY(mu_);
  std::vector<uint64_t> starts_ ABSL_GUARDED_BY(mu_);  // per module, as in ModuleSnapshot
};

}  // namespace vigil::sensor

#endif  // VIGIL_SENSOR_MODULE_SET_H_

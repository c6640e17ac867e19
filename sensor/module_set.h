// ModuleSet: the sensor's probe modules (every registered one, probes/module_registry.h)
// and the lock that serializes starting and stopping them (pipeline thread) against
// reading their state and counters (watchdog thread).
#ifndef VIGIL_SENSOR_MODULE_SET_H_
#define VIGIL_SENSOR_MODULE_SET_H_

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "bundle/signing.h"
#include "sensor/bundle_admission.h"
#include "sensor/metrics.h"
#include "sensor/probes/bundle_module.h"
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
  // What applying a module command needs besides the modules.
  struct ChangeHooks {
    const bundle::KeyRing* keys = nullptr;  // pinned bundle signing keys
    // Runs after a module stopped writing and before it is freed (drains the ring buffer).
    std::function<void()> before_stop;
    // Compiles the rules in force against the bundle fields active now (event/bundle_schema.h)
    // and keeps the result for the caller to install; an error refuses the change.
    std::function<absl::Status()> check_rules;
  };

  // Applies a module command from the controller: enables or disables built-in modules by
  // name, and loads, replaces or removes bundle modules (ModuleSetting.bundle). Every bundle
  // is admitted (AdmitBundle) and the rules in force checked against the resulting fields
  // before anything changes; a replacement is attached before the version it replaces is
  // detached (make-before-break), and a bundle that fails to load leaves the previous
  // version running (state "rolled_back"). An unknown built-in name refuses the whole command.
  absl::Status Apply(const vigil::v1::ModuleCommand& command, probes::KernelEnv& env,
                     const probes::ModuleOptions& options, const ChangeHooks& hooks)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Bundles refused since start, by BundleRefusal.
  std::array<uint64_t, static_cast<int>(BundleRefusal::kCount)> Refusals() const
      ABSL_LOCKS_EXCLUDED(mu_);
  // Replaces the runtime filter of every running module.
  void SetFilter(const vigil_filter_config& filter) ABSL_LOCKS_EXCLUDED(mu_);
  // Replaces the path interest set of every module.
  absl::Status SetPathPrefixes(const probes::PathPrefixes& prefixes) ABSL_LOCKS_EXCLUDED(mu_);
  // Replaces the file-identity set of every module (ProbeModule::SetFileIdentities).
  absl::Status SetFileIdentities(const std::vector<event::FileId>& ids) ABSL_LOCKS_EXCLUDED(mu_);

  // Each module's state and kernel counters: built-in modules in registry order, then bundle
  // modules (running ones, and those whose last change failed).
  std::vector<ModuleSnapshot> Snapshot() const ABSL_LOCKS_EXCLUDED(mu_);
  // Each running module's attach mode and hooks (bundle modules after the built-in ones).
  std::vector<ModuleAttachment> Attachments() const ABSL_LOCKS_EXCLUDED(mu_);
  // True when at least one module is attached.
  bool AnyRunning() const ABSL_LOCKS_EXCLUDED(mu_);

  // Detaches every program (counters stay readable); then StopAll frees everything.
  void DetachAll() ABSL_LOCKS_EXCLUDED(mu_);
  void StopAll() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<probes::ProbeModule>> modules_ ABSL_GUARDED_BY(mu_);
  // Every module, built-in and bundle, for the operations that treat them alike.
  std::vector<probes::ProbeModule*> AllLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // True when `name` is a built-in module's.
  bool BuiltinLocked(absl::string_view name) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The bundle module called `name`, or null.
  probes::BundleModule* BundleLocked(absl::string_view name) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status ApplyBundles(const vigil::v1::ModuleCommand& command, probes::KernelEnv& env,
                            const probes::ModuleOptions& options, const ChangeHooks& hooks)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Records the failure of a change to `name` and counts it.
  absl::Status Fail(const std::string& name, BundleRefusal reason, const absl::Status& status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Why the last change of a module failed.
  struct Failure {
    std::string state;  // "failed" or "rolled_back"
    std::string error;
  };

  std::vector<uint64_t> starts_ ABSL_GUARDED_BY(mu_);  // per module, as in ModuleSnapshot
  std::vector<std::unique_ptr<probes::BundleModule>> bundles_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, uint64_t> bundle_starts_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Failure> failures_ ABSL_GUARDED_BY(mu_);
  std::array<uint64_t, static_cast<int>(BundleRefusal::kCount)> refused_ ABSL_GUARDED_BY(mu_){};
};

}  // namespace vigil::sensor

#endif  // VIGIL_SENSOR_MODULE_SET_H_

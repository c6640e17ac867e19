#include "sensor/module_set.h"

#include <cstdio>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "event/schema.h"
#include "sensor/probes/module_registry.h"

namespace vigil::sensor {

ModuleSet::ModuleSet() : modules_(probes::CreateModules()), starts_(modules_.size(), 0) {}

ModuleSet::~ModuleSet() { StopAll(); }

absl::Status ModuleSet::StartAll(probes::KernelEnv& env, const probes::ModuleOptions& options,
                                 const probes::PathPrefixes& prefixes) {
  absl::MutexLock lock(&mu_);
  for (size_t i = 0; i < modules_.size(); ++i) {
    probes::ProbeModule& module = *modules_[i];
    VIGIL_RETURN_IF_ERROR(module.SetPathPrefixes(prefixes));
    if (!event::ModuleSchemas()[i]->enabled_by_default) {
      Log("module ", module.name(), " off until the controller enables it");
      continue;
    }
    VIGIL_RETURN_IF_ERROR(module.Start(env, options));
    ++starts_[i];
    Log("module ", module.name(), " attached (", probes::AttachModeName(module.mode()), ")");
    for (const std::string& hook : module.skipped()) {
      Log("module ", module.name(), ": hook ", hook, " not in this kernel, skipped");
    }
  }
  return absl::OkStatus();
}

absl::Status ModuleSet::Apply(const vigil::v1::ModuleCommand& command, probes::KernelEnv& env,
                              const probes::ModuleOptions& options, const ChangeHooks& hooks) {
  absl::MutexLock lock(&mu_);
  for (const vigil::v1::ModuleSetting& setting : command.modules()) {
    const bool builtin = BuiltinLocked(setting.name());
    if (builtin && !setting.bundle().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", setting.name(), "' is a built-in probe module: it cannot run a bundle"));
    }
    // Disabling a bundle module that does not run is nothing to do (the controller sends
    // every node its whole module plan, removals included).
    if (!builtin && setting.bundle().empty() && setting.enabled()) {
      return absl::InvalidArgumentError(absl::StrCat("unknown probe module '", setting.name(),
                                                     "' (a bundle module needs its bundle)"));
    }
  }
  VIGIL_RETURN_IF_ERROR(ApplyBundles(command, env, options, hooks));
  for (const vigil::v1::ModuleSetting& setting : command.modules()) {
    for (size_t i = 0; i < modules_.size(); ++i) {
      probes::ProbeModule& module = *modules_[i];
      if (module.name() != setting.name() || module.running() == setting.enabled()) continue;
      if (setting.enabled()) {
        VIGIL_RETURN_IF_ERROR(module.Start(env, options));
        ++starts_[i];
      } else {
        hooks.before_stop();
        module.Stop();
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ModuleSet::Fail(const std::string& name, BundleRefusal reason,
                             const absl::Status& status) {
  ++refused_[static_cast<int>(reason)];
  failures_[name] = Failure{BundleLocked(name) != nullptr ? "rolled_back" : "failed",
                            std::string(status.message())};
  return status;
}

absl::Status ModuleSet::ApplyBundles(const vigil::v1::ModuleCommand& command,
                                     probes::KernelEnv& env, const probes::ModuleOptions& options,
                                     const ChangeHooks& hooks) {
  static const bundle::KeyRing kNoKeys;
  const bundle::KeyRing& keys = hooks.keys != nullptr ? *hooks.keys : kNoKeys;
  // Each bundle's bytes by their hash: a bundle is named by the hash of what was received.
  std::map<std::string, std::string> by_hash;
  for (const vigil::v1::ProbeBundle& b : command.bundles()) {
    std::string bytes = b.SerializeAsString();
    std::string hash = bundle::BundleHash(bytes);
    by_hash.emplace(std::move(hash), std::move(bytes));
  }
  // What changes: bundles to load (new or replacing a running version) and names to drop.
  std::vector<AdmittedBundle> admitted;
  std::set<std::string> leaving;
  for (const vigil::v1::ModuleSetting& setting : command.modules()) {
    probes::BundleModule* running = BundleLocked(setting.name());
    if (!setting.enabled()) {
      if (running != nullptr) leaving.insert(setting.name());
      failures_.erase(setting.name());
      continue;
    }
    if (setting.bundle().empty() || (running != nullptr && running->hash() == setting.bundle())) {
      continue;
    }
    auto found = by_hash.find(setting.bundle());
    if (found == by_hash.end()) {
      return Fail(setting.name(), BundleRefusal::kMalformed,
                  absl::InvalidArgumentError(
                      absl::StrCat("bundle ", setting.bundle(), " is not in the module command")));
    }
    RefusedBundle refusal{BundleRefusal::kMalformed, absl::OkStatus()};
    absl::StatusOr<AdmittedBundle> ok =
        AdmitBundle(found->second, setting.bundle(), keys, &refusal);
    if (!ok.ok()) return Fail(setting.name(), refusal.reason, ok.status());
    if (ok->parsed.manifest.name() != setting.name()) {
      return Fail(setting.name(), BundleRefusal::kMalformed,
                  absl::InvalidArgumentError(
                      absl::StrCat("bundle ", setting.bundle(), " is module '",
                                   ok->parsed.manifest.name(), "', not '", setting.name(), "'")));
    }
    if (running != nullptr) leaving.insert(setting.name());
    admitted.push_back(*std::move(ok));
  }
  if (admitted.empty() && leaving.empty()) return absl::OkStatus();

  // The rules in force must compile against the fields the change leaves.
  std::vector<std::shared_ptr<const event::BundleSchema>> before;
  std::vector<std::shared_ptr<const event::BundleSchema>> after;
  for (const auto& module : bundles_) {
    before.push_back(module->schema());
    if (!leaving.count(std::string(module->name()))) after.push_back(module->schema());
  }
  for (const AdmittedBundle& a : admitted) after.push_back(a.schema);
  event::SetActiveBundleSchemas(after);
  if (absl::Status rules = hooks.check_rules ? hooks.check_rules() : absl::OkStatus();
      !rules.ok()) {
    event::SetActiveBundleSchemas(before);
    const std::string name =
        !admitted.empty() ? admitted.front().parsed.manifest.name() : *leaving.begin();
    return Fail(
        name, BundleRefusal::kRules,
        absl::FailedPreconditionError(absl::StrCat(
            "the rules in force do not compile with this module change: ", rules.message())));
  }

  // Make: attach every new version while the old ones still run.
  std::vector<std::unique_ptr<probes::BundleModule>> started;
  for (AdmittedBundle& a : admitted) {
    const std::string name = a.parsed.manifest.name();
    auto module = std::make_unique<probes::BundleModule>(std::move(a.parsed), a.schema);
    if (absl::Status status = module->Start(env, options); !status.ok()) {
      for (auto& s : started) s->Detach();
      hooks.before_stop();
      started.clear();
      module.reset();
      event::SetActiveBundleSchemas(before);
      return Fail(name, BundleRefusal::kLoad, status);
    }
    ++bundle_starts_[name];
    Log("bundle module ", name, " ", module->version(), " attached (",
        probes::AttachModeName(module->mode()), ")");
    started.push_back(std::move(module));
  }
  // Break: detach the versions replaced or removed, drain what they wrote, free them.
  std::vector<std::unique_ptr<probes::BundleModule>> kept;
  std::vector<std::unique_ptr<probes::BundleModule>> gone;
  for (auto& module : bundles_) {
    if (leaving.count(std::string(module->name()))) {
      module->Detach();
      gone.push_back(std::move(module));
    } else {
      kept.push_back(std::move(module));
    }
  }
  if (!gone.empty()) hooks.before_stop();
  for (auto& module : gone) {
    Log("bundle module ", module->name(), " ", module->version(), " detached");
    failures_.erase(std::string(module->name()));
  }
  gone.clear();
  for (auto& module : started) {
    failures_.erase(std::string(module->name()));
    kept.push_back(std::move(module));
  }
  bundles_ = std::move(kept);
  return absl::OkStatus();
}

std::array<uint64_t, static_cast<int>(BundleRefusal::kCount)> ModuleSet::Refusals() const {
  absl::MutexLock lock(&mu_);
  return refused_;
}

std::vector<probes::ProbeModule*> ModuleSet::AllLocked() const {
  std::vector<probes::ProbeModule*> all;
  for (const auto& module : modules_) all.push_back(module.get());
  for (const auto& module : bundles_) all.push_back(module.get());
  return all;
}

bool ModuleSet::BuiltinLocked(absl::string_view name) const {
  for (const auto& module : modules_) {
    if (module->name() == name) return true;
  }
  return false;
}

probes::BundleModule* ModuleSet::BundleLocked(absl::string_view name) const {
  for (const auto& module : bundles_) {
    if (module->name() == name) return module.get();
  }
  return nullptr;
}

void ModuleSet::SetFilter(const vigil_filter_config& filter) {
  absl::MutexLock lock(&mu_);
  for (probes::ProbeModule* module : AllLocked()) {
    if (module->running()) module->SetFilter(filter);
  }
}

absl::Status ModuleSet::SetPathPrefixes(const probes::PathPrefixes& prefixes) {
  absl::MutexLock lock(&mu_);
  for (probes::ProbeModule* module : AllLocked()) {
    VIGIL_RETURN_IF_ERROR(module->SetPathPrefixes(prefixes));
  }
  return absl::OkStatus();
}

absl::Status ModuleSet::SetFileIdentities(const std::vector<event::FileId>& ids) {
  absl::MutexLock lock(&mu_);
  for (probes::ProbeModule* module : AllLocked()) {
    VIGIL_RETURN_IF_ERROR(module->SetFileIdentities(ids));
  }
  return absl::OkStatus();
}

std::vector<ModuleSnapshot> ModuleSet::Snapshot() const {
  absl::MutexLock lock(&mu_);
  std::vector<ModuleSnapshot> out;
  auto snap = [&](const probes::ProbeModule& module, uint64_t starts) {
    ModuleSnapshot m;
    m.name = std::string(module.name());
    m.running = module.running();
    m.starts = starts;
    m.state = m.running ? "running" : "disabled";
    if (m.running) {
      m.attach_mode = std::string(probes::AttachModeName(module.mode()));
      m.hooks = module.attached();
    }
    absl::StatusOr<probes::ModuleStats> stats = module.ReadStats();
    if (stats.ok()) {
      m.stats = *stats;
      m.stats_read = true;
    }
    if (auto failed = failures_.find(m.name); failed != failures_.end()) {
      m.state = failed->second.state;
      m.error = failed->second.error;
    }
    return m;
  };
  for (size_t i = 0; i < modules_.size(); ++i) out.push_back(snap(*modules_[i], starts_[i]));
  for (const auto& module : bundles_) {
    const auto starts = bundle_starts_.find(std::string(module->name()));
    ModuleSnapshot m = snap(*module, starts == bundle_starts_.end() ? 0 : starts->second);
    m.source = "bundle";
    m.version = module->version();
    m.bundle = module->hash();
    out.push_back(std::move(m));
  }
  for (const auto& [name, failure] : failures_) {
    if (BundleLocked(name) != nullptr) continue;
    if (BuiltinLocked(name)) continue;
    ModuleSnapshot m;
    m.name = name;
    m.source = "bundle";
    m.state = failure.state;
    m.error = failure.error;
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<ModuleAttachment> ModuleSet::Attachments() const {
  absl::MutexLock lock(&mu_);
  std::vector<ModuleAttachment> out;
  for (probes::ProbeModule* module : AllLocked()) {
    out.push_back({std::string(module->name()), std::string(probes::AttachModeName(module->mode())),
                   module->attached(), module->skipped()});
  }
  return out;
}

bool ModuleSet::AnyRunning() const {
  absl::MutexLock lock(&mu_);
  for (probes::ProbeModule* module : AllLocked()) {
    if (module->running()) return true;
  }
  return false;
}

void ModuleSet::DetachAll() {
  absl::MutexLock lock(&mu_);
  for (probes::ProbeModule* module : AllLocked()) module->Detach();
}

void ModuleSet::StopAll() {
  absl::MutexLock lock(&mu_);
  for (probes::ProbeModule* module : AllLocked()) module->Stop();
}

}  // namespace vigil::sensor

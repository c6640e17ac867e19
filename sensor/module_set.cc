#include "sensor/module_set.h"

#include <cstdio>

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
                              const probes::ModuleOptions& options,
                              const std::function<void()>& before_stop) {
  absl::MutexLock lock(&mu_);
  for (const vigil::v1::ModuleSetting& setting : command.modules()) {
    bool known = false;
    for (const auto& module : modules_) known |= module->name() == setting.name();
    if (!known) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown probe module '", setting.name(), "'"));
    }
  }
  for (const vigil::v1::ModuleSetting& setting : command.modules()) {
    for (size_t i = 0; i < modules_.size(); ++i) {
      probes::ProbeModule& module = *modules_[i];
      if (module.name() != setting.name() || module.running() == setting.enabled()) continue;
      if (setting.enabled()) {
        VIGIL_RETURN_IF_ERROR(module.Start(env, options));
        ++starts_[i];
      } else {
        before_stop();
        module.Stop();
      }
    }
  }
  return absl::OkStatus();
}

void ModuleSet::SetFilter(const vigil_filter_config& filter) {
  absl::MutexLock lock(&mu_);
  for (const auto& module : modules_) {
    if (module->running()) module->SetFilter(filter);
  }
}

absl::Status ModuleSet::SetPathPrefixes(const probes::PathPrefixes& prefixes) {
  absl::MutexLock lock(&mu_);
  for (const auto& module : modules_) VIGIL_RETURN_IF_ERROR(module->SetPathPrefixes(prefixes));
  return absl::OkStatus();
}

absl::Status ModuleSet::SetFileIdentities(const std::vector<event::FileId>& ids) {
  absl::MutexLock lock(&mu_);
  for (const auto& module : modules_) VIGIL_RETURN_IF_ERROR(module->SetFileIdentities(ids));
  return absl::OkStatus();
}

std::vector<ModuleSnapshot> ModuleSet::Snapshot() const {
  absl::MutexLock lock(&mu_);
  std::vector<ModuleSnapshot> out;
  for (size_t i = 0; i < modules_.size(); ++i) {
    const probes::ProbeModule& module = *modules_[i];
    ModuleSnapshot m;
    m.name = std::string(module.name());
    m.running = module.running();
    m.starts = starts_[i];
    if (m.running) m.attach_mode = std::string(probes::AttachModeName(module.mode()));
    absl::StatusOr<probes::ModuleStats> stats = module.ReadStats();
    if (stats.ok()) {
      m.stats = *stats;
      m.stats_read = true;
    }
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<ModuleAttachment> ModuleSet::Attachments() const {
  absl::MutexLock lock(&mu_);
  std::vector<ModuleAttachment> out;
  for (const auto& module : modules_) {
    out.push_back({std::string(module->name()), std::string(probes::AttachModeName(module->mode())),
                   module->attached(), module->skipped()});
  }
  return out;
}

bool ModuleSet::AnyRunning() const {
  absl::MutexLock lock(&mu_);
  for (const auto& module : modules_) {
    if (module->running()) return true;
  }
  return false;
}

void ModuleSet::DetachAll() {
  absl::MutexLock lock(&mu_);
  for (const auto& module : modules_) module->Detach();
}

void ModuleSet::StopAll() {
  absl::MutexLock lock(&mu_);
  for (const auto& module : modules_) module->Stop();
}

}  // namespace vigil::sensor

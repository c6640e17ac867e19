// BundleModule: a probe module loaded at run time from a verified bundle (docs/modules.md).
// It is a ProbeModule like the built-in ones (same attach-mode probing, counters, runtime
// filter), whose object comes from the bundle's bytes instead of a compiled-in skeleton and
// whose records carry the instance number it registered (bundle_records.h).
#ifndef VIGIL_SENSOR_PROBES_BUNDLE_MODULE_H_
#define VIGIL_SENSOR_PROBES_BUNDLE_MODULE_H_

#include <memory>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bundle/bundle.h"
#include "event/bundle_schema.h"
#include "sensor/probes/probe_module.h"

namespace vigil::sensor::probes {

class BundleModule : public ProbeModule {
 public:
  // A module for `parsed`, which the caller has verified (signature, object check) and
  // whose schema `schema` is. Registers its instance number; nothing is loaded yet.
  BundleModule(bundle::ParsedBundle parsed, std::shared_ptr<const event::BundleSchema> schema);
  // Stops the module and forgets its instance: call only once the ring buffer holds none
  // of its records (ModuleSet drains first).
  ~BundleModule() override;

  const std::string& hash() const { return parsed_.hash; }
  const std::string& version() const { return parsed_.manifest.version(); }
  const vigil::v1::BundleManifest& manifest() const { return parsed_.manifest; }
  const std::shared_ptr<const event::BundleSchema>& schema() const { return schema_; }
  uint32_t instance() const { return instance_; }

 protected:
  absl::Status OpenSkeleton(const std::string& btf_path) override;
  int LoadSkeleton() override;
  void DestroySkeleton() override;
  bpf_object* object() override { return obj_; }
  ModuleGlobals globals() override;
  bool IsOptionalHook(absl::string_view hook) const override;
  absl::Status AfterLoad() override;

 private:
  bundle::ParsedBundle parsed_;
  std::shared_ptr<const event::BundleSchema> schema_;
  uint32_t instance_;
  bpf_object* obj_ = nullptr;
  uint8_t* bss_ = nullptr;  // the kernel's .bss, mapped after load
  size_t bss_size_ = 0;
  std::set<std::string> optional_hooks_;  // hook names of optional slots (from sections)
};

}  // namespace vigil::sensor::probes

#endif  // VIGIL_SENSOR_PROBES_BUNDLE_MODULE_H_

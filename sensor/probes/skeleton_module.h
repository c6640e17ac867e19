// SkeletonModule: the part of every probe module's user-space twin that only depends on
// its bpftool-generated skeleton type. Include it only where the skeleton header is
// included (the twin's .cc), since its members use the complete skeleton type.
#ifndef VIGIL_SENSOR_PROBES_SKELETON_MODULE_H_
#define VIGIL_SENSOR_PROBES_SKELETON_MODULE_H_

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "sensor/probes/probe_module.h"

namespace vigil::sensor::probes {

// The generated functions of one skeleton type.
template <typename Skeleton>
struct SkeletonOps {
  Skeleton* (*open)(const bpf_object_open_opts* opts);
  int (*load)(Skeleton* skel);
  void (*destroy)(Skeleton* skel);
};

// Implements ProbeModule's skeleton hooks for `Skeleton`. The twin's constructor and
// destructor must be defined in its .cc (where the skeleton type is complete).
template <typename Skeleton>
class SkeletonModule : public ProbeModule {
 protected:
  SkeletonModule(std::string name, SkeletonOps<Skeleton> ops)
      : ProbeModule(std::move(name)), ops_(ops) {}

  absl::Status OpenSkeleton(const std::string& btf_path) override {
    LIBBPF_OPTS(bpf_object_open_opts, opts);
    opts.btf_custom_path = btf_path.empty() ? nullptr : btf_path.c_str();
    skel_ = ops_.open(&opts);
    if (skel_ == nullptr) {
      return absl::InternalError(absl::StrCat("opening ", name(), " module: ", strerror(errno)));
    }
    return absl::OkStatus();
  }
  int LoadSkeleton() override { return ops_.load(skel_); }
  void DestroySkeleton() override {
    ops_.destroy(skel_);
    skel_ = nullptr;
  }
  bpf_object* object() override { return skel_->obj; }
  ModuleGlobals globals() override { return GlobalsOf(skel_); }

  Skeleton* skel_ = nullptr;

 private:
  SkeletonOps<Skeleton> ops_;
};

}  // namespace vigil::sensor::probes

#endif  // VIGIL_SENSOR_PROBES_SKELETON_MODULE_H_

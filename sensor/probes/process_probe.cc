#include "sensor/probes/process_probe.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "bpf/abi/vigil_event.h"
#include "bpf/process.skel.h"

namespace vigil::sensor::probes {

ProcessProbe::~ProcessProbe() { Stop(); }

absl::Status ProcessProbe::OpenSkeleton() {
  skel_ = process_bpf__open();
  if (skel_ == nullptr) {
    return absl::InternalError(absl::StrCat("opening process module: ", strerror(errno)));
  }
  return absl::OkStatus();
}

void ProcessProbe::DestroySkeleton() {
  process_bpf__destroy(skel_);
  skel_ = nullptr;
}

bpf_object* ProcessProbe::object() { return skel_->obj; }

ModuleGlobals ProcessProbe::globals() { return GlobalsOf(skel_); }

bool ProcessProbe::IsOptionalHook(absl::string_view hook) const {
  return hook == "sched_prepare_exec";
}

}  // namespace vigil::sensor::probes

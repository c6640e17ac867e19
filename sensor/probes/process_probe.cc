#include "sensor/probes/process_probe.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "bpf/abi/vigil_event.h"
#include "bpf/process.skel.h"

namespace vigil::sensor::probes {

ProcessProbe::~ProcessProbe() { Stop(); }

absl::Status ProcessProbe::OpenSkeleton(const std::string& btf_path) {
  LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = btf_path.empty() ? nullptr
                                                                             : btf_path.c_str());
  skel_ = process_bpf__open_opts(&opts);
  if (skel_ == nullptr) {
    return absl::InternalError(absl::StrCat("opening process module: ", strerror(errno)));
  }
  return absl::OkStatus();
}

int ProcessProbe::LoadSkeleton() { return process_bpf__load(skel_); }

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

#include "sensor/probes/libbpf_log.h"

#include <bpf/libbpf.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace vigil::sensor::probes {
namespace {

constexpr size_t kTailBytes = 4096;

std::atomic<bool> g_verbose{false};
absl::Mutex g_mu;
std::string* g_tail ABSL_GUARDED_BY(g_mu) = new std::string();

int Print(enum libbpf_print_level level, const char* format, va_list args) {
  char line[1024];
  va_list copy;
  va_copy(copy, args);
  vsnprintf(line, sizeof(line), format, copy);
  va_end(copy);
  if (g_verbose.load(std::memory_order_relaxed)) fputs(line, stderr);
  if (level == LIBBPF_DEBUG) return 0;
  absl::MutexLock lock(&g_mu);
  g_tail->append(line);
  if (g_tail->size() > kTailBytes) g_tail->erase(0, g_tail->size() - kTailBytes);
  return 0;
}

}  // namespace

void InstallLibbpfLog(bool verbose) {
  g_verbose.store(verbose, std::memory_order_relaxed);
  libbpf_set_print(Print);
}

std::string TakeLibbpfLogTail() {
  absl::MutexLock lock(&g_mu);
  std::string out;
  out.swap(*g_tail);
  return out;
}

}  // namespace vigil::sensor::probes

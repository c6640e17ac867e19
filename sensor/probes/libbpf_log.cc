#include "sensor/probes/libbpf_log.h"

#include <bpf/libbpf.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"

namespace vigil::sensor::probes {
namespace {

constexpr size_t kMaxLogBytes = size_t{64} << 20;
constexpr size_t kSummaryInsns = 12;

std::atomic<bool> g_verbose{false};
absl::Mutex g_mu;
std::string* g_log ABSL_GUARDED_BY(g_mu) = new std::string();
std::string* g_refusals ABSL_GUARDED_BY(g_mu) = new std::string();

std::string Format(const char* format, va_list args) {
  va_list copy;
  va_copy(copy, args);
  const int n = vsnprintf(nullptr, 0, format, copy);
  va_end(copy);
  if (n <= 0) return "";
  std::string out(static_cast<size_t>(n) + 1, '\0');
  vsnprintf(out.data(), out.size(), format, args);
  out.resize(static_cast<size_t>(n));
  return out;
}

int Print(enum libbpf_print_level level, const char* format, va_list args) {
  const std::string message = Format(format, args);
  if (g_verbose.load(std::memory_order_relaxed)) fputs(message.c_str(), stderr);
  if (level == LIBBPF_DEBUG) return 0;
  absl::MutexLock lock(&g_mu);
  g_log->append(message);
  if (g_log->size() > kMaxLogBytes) g_log->erase(0, g_log->size() - kMaxLogBytes);
  return 0;
}

}  // namespace

void InstallLibbpfLog(bool verbose) {
  g_verbose.store(verbose, std::memory_order_relaxed);
  libbpf_set_print(Print);
}

std::string TakeLibbpfLog() {
  absl::MutexLock lock(&g_mu);
  std::string out;
  out.swap(*g_log);
  return out;
}

std::string SummarizeLoadLog(absl::string_view log) {
  std::vector<absl::string_view> lines = absl::StrSplit(log, '\n', absl::SkipEmpty());
  std::vector<std::string> out;
  // libbpf's own lines outside the verifier's log, and the verifier's tail: from the last
  // source-line annotation before the verdict, at most kSummaryInsns instructions back.
  bool in_verifier_log = false;
  std::vector<absl::string_view> verifier;
  for (absl::string_view line : lines) {
    if (absl::StrContains(line, "-- BEGIN PROG LOAD LOG --")) {
      in_verifier_log = true;
      verifier.clear();
      continue;
    }
    if (absl::StrContains(line, "-- END PROG LOAD LOG --")) {
      in_verifier_log = false;
      size_t from = verifier.size() > kSummaryInsns ? verifier.size() - kSummaryInsns : 0;
      for (size_t i = verifier.size(); i-- > 0;) {
        if (absl::StartsWith(verifier[i], "; ")) {
          if (i < from) out.push_back(std::string(verifier[i]));
          break;
        }
      }
      for (size_t i = from; i < verifier.size(); ++i) out.push_back(std::string(verifier[i]));
      continue;
    }
    if (in_verifier_log) {
      verifier.push_back(line);
    } else if (out.size() < 40) {
      out.push_back(std::string(line));
    }
  }
  return absl::StrJoin(out, "\n");
}

void KeepRefusalLog(absl::string_view label, absl::string_view log) {
  absl::MutexLock lock(&g_mu);
  if (g_refusals->size() + log.size() > kMaxLogBytes) return;
  absl::StrAppend(g_refusals, "==== refused: ", label, " ====\n", log);
}

std::string TakeRefusalLogs() {
  absl::MutexLock lock(&g_mu);
  std::string out;
  out.swap(*g_refusals);
  return out;
}

}  // namespace vigil::sensor::probes

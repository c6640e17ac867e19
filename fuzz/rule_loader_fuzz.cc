// libFuzzer target for the rule loader: the input is the text of one rules file. It is
// loaded into a fresh RuleFileSet and, when that succeeds, compiled. Any outcome is fine
// except a crash, a leak, undefined behaviour or an error without a location.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "rules/rule_file.h"
#include "rules/rule_set.h"

namespace {

constexpr char kFileName[] = "fuzz.yaml";

// Every rules error names the file it is about: "fuzz.yaml:...: reason".
void CheckError(const absl::Status& status) {
  if (!absl::StartsWith(status.message(), kFileName)) abort();
}

}  // namespace

// Called by libFuzzer for every input.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  vigil::rules::RuleFileSet files;
  const absl::Status loaded = files.AddText(text, kFileName);
  if (!loaded.ok()) {
    CheckError(loaded);
    return 0;
  }
  absl::StatusOr<std::unique_ptr<vigil::rules::RuleSet>> set =
      vigil::rules::RuleSet::Compile(files);
  if (!set.ok()) CheckError(set.status());
  return 0;
}

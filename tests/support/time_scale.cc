#include "tests/support/time_scale.h"

#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace vigil::testing {
namespace {

// The default pack's flood thresholds (deploy/rules/vigil_rules.yaml), stretched in time.
std::string Flood(const char* rule, int count, const char* by, int max_keys, int scale) {
  return absl::StrCat("- rule: ", rule, "\n  threshold:\n    count: ", count,
                      "\n    window: ", 500 * scale, "ms\n    by: [", by,
                      "]\n    cooldown: ", 10 * scale, "s\n    max_keys: ", max_keys,
                      "\n  override:\n    threshold: replace\n");
}

}  // namespace

int TestTimeScale() {
  const char* text = getenv("VIGIL_TEST_TIME_SCALE");
  if (text == nullptr || *text == '\0') return 1;
  int scale = 0;
  if (!absl::SimpleAtoi(text, &scale) || scale < 1 || scale > 1000) {
    ADD_FAILURE() << "VIGIL_TEST_TIME_SCALE='" << text << "' is not an integer from 1 to 1000";
    return 1;
  }
  return scale;
}

std::string ScaledFloodRules() {
  const int scale = TestTimeScale();
  if (scale == 1) return "";
  return Flood("Fork flood by process", 1000, "proc.pid", 1024, scale) +
         Flood("Fork flood by container", 2500, "container.id", 256, scale);
}

}  // namespace vigil::testing

// The layers depend only downward: common/ at the bottom, then event/, then rules/ and bundle/
// (probe-module bundles), with the sensor and the controller on top and neither including
// the other. A source file that includes a header of a layer above its own (or a sibling top
// layer) fails here, naming the file and the include.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace vigil {
namespace {

// Every `#include "<dir>/..."` of the sources under `layer` whose <dir> is in `forbidden`.
std::vector<std::string> ForbiddenIncludes(const std::string& layer,
                                           const std::vector<std::string>& forbidden) {
  std::vector<std::string> found;
  const std::filesystem::path root = std::filesystem::path(VIGIL_SOURCE_DIR) / layer;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    const std::string name = entry.path().filename().string();
    if (!absl::EndsWith(name, ".h") && !absl::EndsWith(name, ".cc")) continue;
    std::ifstream in(entry.path());
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
      ++number;
      for (const std::string& dir : forbidden) {
        if (absl::StartsWith(line, absl::StrCat("#include \"", dir, "/"))) {
          found.push_back(absl::StrCat(entry.path().string(), ":", number, ": ", line));
        }
      }
    }
  }
  return found;
}

TEST(LayeringTest, EachLayerIncludesOnlyLayersBelowIt) {
  EXPECT_EQ(
      ForbiddenIncludes("common", {"event", "bundle", "rules", "sensor", "controller", "cli"}),
      std::vector<std::string>{});
  EXPECT_EQ(ForbiddenIncludes("event", {"bundle", "rules", "sensor", "controller", "cli"}),
            std::vector<std::string>{});
  // Probe-module bundles: used by the sensor, the controller and vigilctl alike.
  EXPECT_EQ(ForbiddenIncludes("bundle", {"rules", "sensor", "controller", "cli"}),
            std::vector<std::string>{});
  EXPECT_EQ(ForbiddenIncludes("rules", {"sensor", "controller", "cli"}),
            std::vector<std::string>{});
  EXPECT_EQ(ForbiddenIncludes("controller", {"sensor", "cli"}), std::vector<std::string>{});
  EXPECT_EQ(ForbiddenIncludes("sensor", {"controller", "cli"}), std::vector<std::string>{});
}

TEST(LayeringTest, TheCheckSeesIncludes) {
  // The scan itself works: the sensor does include the event model and the rules.
  EXPECT_FALSE(ForbiddenIncludes("sensor", {"event"}).empty());
  EXPECT_FALSE(ForbiddenIncludes("sensor", {"rules"}).empty());
  EXPECT_FALSE(ForbiddenIncludes("bundle", {"common"}).empty());
}

}  // namespace
}  // namespace vigil

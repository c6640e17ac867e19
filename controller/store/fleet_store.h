// FleetStore: the fleet state the controller keeps across restarts: the sensors it knows,
// the rule sets it was given, what it wants the sensors to run, and how far each sensor
// has got.
#ifndef VIGIL_CONTROLLER_STORE_FLEET_STORE_H_
#define VIGIL_CONTROLLER_STORE_FLEET_STORE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vigil::controller {

// A sensor as last seen.
struct SensorRecord {
  std::string sensor_id;  // not empty; the key
  std::string node;
  std::string version;       // vigil-sensor version
  std::string kernel;        // kernel release
  std::string attach_modes;  // probe modules and their attach modes, as text
  int64_t last_seen_ns = 0;
  bool connected = false;
  std::string health;  // the last health report, as text
};

// A stored rule set.
struct RuleSetRecord {
  std::string version;  // the content hash; not empty; the key
  int64_t created_ns = 0;
  std::string content;  // serialized, at most FleetStore::kMaxRuleSetBytes
};

// A stored rule set without its content (for listings).
struct RuleSetVersion {
  std::string version;
  int64_t created_ns = 0;
  uint64_t size_bytes = 0;  // of the content
};

// A stored probe-module bundle, named by the hash of its bytes.
struct BundleRecord {
  std::string hash;      // "sha256:<hex>" of `bytes`; not empty; the key
  std::string name;      // the module its manifest names
  std::string version;   // its manifest's version
  std::string key_id;    // the key that signed it; empty when unsigned
  std::string manifest;  // the serialized manifest, as in the bundle
  std::string bytes;     // the serialized bundle, at most FleetStore::kMaxBundleBytes
  int64_t created_ns = 0;
};

// A stored bundle without its bytes (for listings).
struct BundleInfo {
  std::string hash;
  std::string name;
  std::string version;
  std::string key_id;
  std::string manifest;     // the serialized manifest
  uint64_t size_bytes = 0;  // of the bundle
  int64_t created_ns = 0;
};

// The probe-module settings the controller wants sensors to apply.
struct ModuleSettingsRecord {
  std::string version;   // names these settings in rollout status; empty: never set
  std::string settings;  // serialized, at most FleetStore::kMaxModuleSettingsBytes
  int64_t updated_ns = 0;
};

// What a rollout delivers.
enum class RolloutKind { kRules, kModules };
// How far one sensor has got with one version.
enum class RolloutState { kPending, kApplied, kFailed };

// "rules" / "modules": the stored spelling.
inline absl::string_view RolloutKindName(RolloutKind kind) {
  return kind == RolloutKind::kRules ? "rules" : "modules";
}
// "pending" / "applied" / "failed": the stored spelling.
inline absl::string_view RolloutStateName(RolloutState state) {
  switch (state) {
    case RolloutState::kPending: return "pending";
    case RolloutState::kApplied: return "applied";
    case RolloutState::kFailed: return "failed";
  }
  return "pending";
}

// One sensor's progress with one kind of rollout (the latest version it was sent).
struct RolloutRecord {
  std::string sensor_id;  // a known sensor (UpsertSensor)
  RolloutKind kind = RolloutKind::kRules;
  std::string version;
  RolloutState state = RolloutState::kPending;
  std::string error;  // why it failed; empty otherwise
  int64_t updated_ns = 0;
};

// The fleet store. Implementations are thread-safe.
class FleetStore {
 public:
  // The largest rule set PutRuleSet accepts.
  static constexpr size_t kMaxRuleSetBytes = size_t{16} << 20;
  // The largest module settings SetDesiredModules accepts.
  static constexpr size_t kMaxModuleSettingsBytes = size_t{1} << 20;
  // The largest bundle PutBundle accepts (bundle::kMaxBundleBytes, which the controller
  // checks before storing).
  static constexpr size_t kMaxBundleBytes = size_t{4} << 20;

  virtual ~FleetStore() = default;

  // Inserts or replaces the sensor with this sensor_id (INVALID_ARGUMENT when empty).
  virtual absl::Status UpsertSensor(const SensorRecord& sensor) = 0;
  // The sensor, or NOT_FOUND.
  virtual absl::StatusOr<SensorRecord> GetSensor(absl::string_view sensor_id) = 0;
  // Every sensor, by sensor_id.
  virtual absl::StatusOr<std::vector<SensorRecord>> ListSensors() = 0;
  // Marks every sensor disconnected (at start, before any sensor has reconnected).
  virtual absl::Status MarkAllDisconnected() = 0;

  // Stores a rule set. Returns true when it was stored, false when this version was stored
  // before (with the same content: nothing changes; with other content: ALREADY_EXISTS).
  virtual absl::StatusOr<bool> PutRuleSet(const RuleSetRecord& rule_set) = 0;
  // The rule set of this version, or NOT_FOUND.
  virtual absl::StatusOr<RuleSetRecord> GetRuleSet(absl::string_view version) = 0;
  // Every stored version, newest first (by created_ns, then by when it was stored).
  virtual absl::StatusOr<std::vector<RuleSetVersion>> ListRuleSets() = 0;

  // The rule set the sensors should run: a stored version (NOT_FOUND otherwise).
  virtual absl::Status SetDesiredRuleSet(absl::string_view version) = 0;
  // The desired rule-set version; empty when never set.
  virtual absl::StatusOr<std::string> GetDesiredRuleSet() = 0;

  // Stores a bundle. Returns true when it was stored, false when this hash was stored before
  // (with the same bytes: nothing changes; with other bytes: ALREADY_EXISTS).
  // INVALID_ARGUMENT when the hash or name is empty or the bytes exceed kMaxBundleBytes.
  virtual absl::StatusOr<bool> PutBundle(const BundleRecord& bundle) = 0;
  // The bundle with this hash, or NOT_FOUND.
  virtual absl::StatusOr<BundleRecord> GetBundle(absl::string_view hash) = 0;
  // Every stored bundle, without its bytes, newest first (by created_ns, then by when it
  // was stored).
  virtual absl::StatusOr<std::vector<BundleInfo>> ListBundles() = 0;

  // The probe-module settings the sensors should apply (version not empty).
  virtual absl::Status SetDesiredModules(const ModuleSettingsRecord& modules) = 0;
  // The desired module settings; an empty version when never set.
  virtual absl::StatusOr<ModuleSettingsRecord> GetDesiredModules() = 0;

  // Inserts or replaces the sensor's status for rollout.kind. NOT_FOUND when the sensor is
  // unknown, INVALID_ARGUMENT when sensor_id or version is empty.
  virtual absl::Status SetRollout(const RolloutRecord& rollout) = 0;
  // Every sensor's status for this kind and version, by sensor_id.
  virtual absl::StatusOr<std::vector<RolloutRecord>> ListRollout(RolloutKind kind,
                                                                 absl::string_view version) = 0;
  // The sensor's status for each kind it has one for (rules first).
  virtual absl::StatusOr<std::vector<RolloutRecord>> GetRollout(absl::string_view sensor_id) = 0;
};

}  // namespace vigil::controller

#endif  // VIGIL_CONTROLLER_STORE_FLEET_STORE_H_

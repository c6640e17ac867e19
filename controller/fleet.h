// Fleet: the controller's view of its sensors and of what they should run.
//
// It keeps the desired rule set and probe-module plan (persisted in the FleetStore), the
// live sessions of connected sensors, and per-sensor rollout status. When a sensor says
// hello, or the desired state changes, every connected sensor whose state differs is
// sent a command; its CommandResult marks it applied or failed (with the error), and a
// failed sensor keeps running what it ran before. Probe-module bundles are stored by the
// hash of their bytes; a module setting naming one sends the whole bundle with the module
// command to every node it applies to. Thread-safe.
#ifndef VIGIL_CONTROLLER_FLEET_H_
#define VIGIL_CONTROLLER_FLEET_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "controller/store/fleet_store.h"
#include "vigil/v1/bundle.pb.h"
#include "vigil/v1/fleet.pb.h"
#include "vigil/v1/sensor_link.pb.h"

namespace vigil::controller {

// A connected sensor's stream, as the fleet sees it.
class SensorSession {
 public:
  virtual ~SensorSession() = default;
  // Queues a message for the sensor without blocking; false when the stream is closing.
  virtual bool Send(const vigil::v1::ControllerMessage& message) = 0;
};

// The version of a rule set: "sha256:" and the hash of its files' names and contents.
std::string PushedRuleSetVersion(
    const google::protobuf::RepeatedPtrField<vigil::v1::RuleFile>& files);

class Fleet {
 public:
  // Largest rule set accepted (all files together).
  static constexpr size_t kMaxRuleSetBytes = 8u << 20;

  explicit Fleet(FleetStore* store);

  // Reads the desired state back and marks every sensor disconnected (at start).
  absl::Status Load();

  // A sensor connected: records it and sends what it should run.
  absl::Status Connected(const vigil::v1::Hello& hello, SensorSession* session);
  // The stream of `session` ended.
  void Disconnected(const std::string& sensor_id, SensorSession* session);
  // A sensor answered a command.
  void Result(const std::string& sensor_id, const vigil::v1::CommandResult& result);
  // A sensor reported health.
  void ReportHealth(const std::string& sensor_id, const vigil::v1::Health& health);

  // FleetService.
  absl::StatusOr<vigil::v1::PutRuleSetResponse> PutRuleSet(
      const vigil::v1::PutRuleSetRequest& request);
  absl::StatusOr<vigil::v1::RuleSet> GetRuleSet(const std::string& version);
  absl::StatusOr<vigil::v1::ListRuleSetsResponse> ListRuleSets();
  absl::StatusOr<vigil::v1::ListSensorsResponse> ListSensors();
  absl::StatusOr<vigil::v1::Sensor> GetSensor(const std::string& sensor_id);
  absl::StatusOr<vigil::v1::Rollout> GetRollout(const std::string& kind,
                                                const std::string& version);
  absl::StatusOr<vigil::v1::SetProbeModulesResponse> SetProbeModules(
      const vigil::v1::SetProbeModulesRequest& request);
  absl::StatusOr<vigil::v1::PutProbeBundleResponse> PutProbeBundle(
      const vigil::v1::PutProbeBundleRequest& request);
  absl::StatusOr<vigil::v1::ListProbeBundlesResponse> ListProbeBundles();

  // Sensors connected now.
  size_t connected() const;

 private:
  struct Live {
    SensorSession* session = nullptr;
    vigil::v1::Hello hello;
    vigil::v1::Health health;
  };
  struct Pending {
    std::string sensor_id;
    RolloutKind kind;
    std::string version;   // rollout version (rule set, or module plan)
    std::string applied;   // what the sensor reports when it applied it
    bool bundles = false;  // a module command that carries bundles
  };

 public:
  // Module commands carrying bundles that may be sent and not yet answered at once: a
  // fleet-wide bundle rollout goes out in waves, so the send queues never hold more than
  // this many copies of the bundles (up to 4 MiB each), however many sensors there are.
  static constexpr size_t kMaxBundleCommandsInFlight = 16;

 private:
  // Sends the module commands of sensors waiting for a bundle slot while slots are free.
  void StartWaitingLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Sends the desired rule set and module settings to one sensor when it differs.
  void SyncLocked(const std::string& sensor_id, Live& live) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The module settings the plan gives `node`, their version, and the bundle of every
  // enabled setting that names one.
  vigil::v1::ModuleCommand ModulesFor(const std::string& node) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The bundles `plan` sends to some node, by hash: those already in bundles_, the rest
  // read from the store. DATA_LOSS when a stored bundle is missing or does not parse.
  absl::StatusOr<std::map<std::string, std::shared_ptr<const vigil::v1::ProbeBundle>>> BundlesOf(
      const vigil::v1::ModulePlan& plan) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Checks the module settings of a SetProbeModules request against the built-in modules
  // and the stored bundles (INVALID_ARGUMENT naming the first bad one).
  absl::Status CheckModuleSettings(const vigil::v1::SetProbeModulesRequest& request);
  // Makes the fields of the stored bundles' modules known to rule validation (the newest
  // stored bundle of each module): after a bundle is stored, and at start.
  void PublishBundleFields() ABSL_LOCKS_EXCLUDED(publish_mu_);
  void SetRolloutLocked(const std::string& sensor_id, RolloutKind kind, const std::string& version,
                        RolloutState state, const std::string& error)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  vigil::v1::Sensor SensorOf(const SensorRecord& record) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  FleetStore* store_;
  mutable absl::Mutex mu_;
  std::map<std::string, Live> live_ ABSL_GUARDED_BY(mu_);
  vigil::v1::RuleSet desired_rules_ ABSL_GUARDED_BY(mu_);  // version empty: none
  vigil::v1::ModulePlan plan_ ABSL_GUARDED_BY(mu_);
  // Bundle module commands sent and not yet answered (see kMaxBundleCommandsInFlight), and
  // the sensors waiting for a slot, in arrival order.
  size_t bundles_in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<std::string> bundle_waiting_ ABSL_GUARDED_BY(mu_);
  std::string plan_version_ ABSL_GUARDED_BY(mu_);
  // The bundles plan_ sends to some node, parsed, by hash.
  std::map<std::string, std::shared_ptr<const vigil::v1::ProbeBundle>> bundles_
      ABSL_GUARDED_BY(mu_);
  uint64_t next_command_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<uint64_t, Pending> pending_ ABSL_GUARDED_BY(mu_);
  // Orders PublishBundleFields calls, so that the last one published lists every bundle
  // stored before it.
  absl::Mutex publish_mu_;
};

}  // namespace vigil::controller

#endif  // VIGIL_CONTROLLER_FLEET_H_

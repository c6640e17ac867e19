#include "controller/fleet.h"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bundle/bundle.h"
#include "bundle/event_schema.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "event/schema.h"
#include "rules/rule_file.h"
#include "rules/rule_set.h"

namespace vigil::controller {
namespace {

static_assert(bundle::kMaxBundleBytes <= FleetStore::kMaxBundleBytes,
              "the store must hold every bundle the controller accepts");

vigil::v1::RolloutState ToWire(RolloutState state) {
  switch (state) {
    case RolloutState::kPending: return vigil::v1::ROLLOUT_STATE_PENDING;
    case RolloutState::kApplied: return vigil::v1::ROLLOUT_STATE_APPLIED;
    case RolloutState::kFailed: return vigil::v1::ROLLOUT_STATE_FAILED;
  }
  return vigil::v1::ROLLOUT_STATE_UNSPECIFIED;
}

std::string ModulesText(const vigil::v1::Hello& hello) {
  std::vector<std::string> parts;
  for (const vigil::v1::ModuleState& m : hello.modules()) {
    const bool trouble = m.state() == "failed" || m.state() == "rolled_back";
    parts.push_back(absl::StrCat(m.name(), "=", m.enabled() ? m.attach_mode() : "disabled",
                                 trouble ? absl::StrCat("(", m.state(), ")") : ""));
  }
  return absl::StrJoin(parts, ",");
}

// The settings `plan` leaves a node with, by module name: each module's setting from the
// last change that names the node or all nodes. `node` null: a node no change names.
std::map<std::string, vigil::v1::ModuleSetting> EffectiveSettings(const vigil::v1::ModulePlan& plan,
                                                                  const std::string* node) {
  std::map<std::string, vigil::v1::ModuleSetting> settings;
  for (const vigil::v1::SetProbeModulesRequest& change : plan.changes()) {
    bool applies = change.nodes().empty();
    if (node != nullptr) {
      for (const std::string& n : change.nodes()) applies = applies || n == *node;
    }
    if (!applies) continue;
    for (const vigil::v1::ModuleSetting& m : change.modules()) settings[m.name()] = m;
  }
  return settings;
}

}  // namespace

std::string PushedRuleSetVersion(
    const google::protobuf::RepeatedPtrField<vigil::v1::RuleFile>& files) {
  std::vector<std::pair<std::string, std::string>> parts;
  for (const vigil::v1::RuleFile& f : files) parts.emplace_back(f.name(), f.content());
  return rules::RuleSetContentVersion(parts);
}

Fleet::Fleet(FleetStore* store) : store_(store) {}

absl::Status Fleet::Load() {
  {
    absl::MutexLock lock(&mu_);
    VIGIL_RETURN_IF_ERROR(store_->MarkAllDisconnected());
    VIGIL_ASSIGN_OR_RETURN(std::string desired, store_->GetDesiredRuleSet());
    if (!desired.empty()) {
      VIGIL_ASSIGN_OR_RETURN(RuleSetRecord record, store_->GetRuleSet(desired));
      if (!desired_rules_.ParseFromString(record.content)) {
        return absl::DataLossError(absl::StrCat("stored rule set ", desired, " does not parse"));
      }
    }
    VIGIL_ASSIGN_OR_RETURN(ModuleSettingsRecord modules, store_->GetDesiredModules());
    if (!modules.version.empty()) {
      if (!plan_.ParseFromString(modules.settings)) {
        return absl::DataLossError("stored module plan does not parse");
      }
      plan_version_ = modules.version;
      VIGIL_ASSIGN_OR_RETURN(bundles_, BundlesOf(plan_));
    }
  }
  PublishBundleFields();
  return absl::OkStatus();
}

absl::Status Fleet::Connected(const vigil::v1::Hello& hello, SensorSession* session) {
  if (hello.sensor_id().empty() || hello.sensor_id().size() > 256) {
    return absl::InvalidArgumentError("hello: sensor_id must be 1 to 256 bytes");
  }
  absl::MutexLock lock(&mu_);
  SensorRecord record;
  record.sensor_id = hello.sensor_id();
  record.node = hello.node();
  record.version = hello.version();
  record.kernel = hello.kernel();
  record.attach_modes = ModulesText(hello);
  record.last_seen_ns = WallNowNs();
  record.connected = true;
  VIGIL_RETURN_IF_ERROR(store_->UpsertSensor(record));
  Live& live = live_[hello.sensor_id()];
  live.session = session;
  live.hello = hello;
  SyncLocked(hello.sensor_id(), live);
  return absl::OkStatus();
}

void Fleet::Disconnected(const std::string& sensor_id, SensorSession* session) {
  absl::MutexLock lock(&mu_);
  auto it = live_.find(sensor_id);
  if (it == live_.end() || it->second.session != session) return;  // replaced by a newer one
  live_.erase(it);
  // Its unanswered commands never will be: free their bundle slots for the others.
  for (auto p = pending_.begin(); p != pending_.end();) {
    if (p->second.sensor_id != sensor_id) {
      ++p;
      continue;
    }
    if (p->second.bundles) --bundles_in_flight_;
    p = pending_.erase(p);
  }
  bundle_waiting_.erase(std::remove(bundle_waiting_.begin(), bundle_waiting_.end(), sensor_id),
                        bundle_waiting_.end());
  StartWaitingLocked();
  absl::StatusOr<SensorRecord> record = store_->GetSensor(sensor_id);
  if (record.ok()) {
    record->connected = false;
    record->last_seen_ns = WallNowNs();
    (void)store_->UpsertSensor(*record);
  }
}

void Fleet::SetRolloutLocked(const std::string& sensor_id, RolloutKind kind,
                             const std::string& version, RolloutState state,
                             const std::string& error) {
  RolloutRecord r;
  r.sensor_id = sensor_id;
  r.kind = kind;
  r.version = version;
  r.state = state;
  r.error = error;
  r.updated_ns = WallNowNs();
  (void)store_->SetRollout(r);
}

vigil::v1::ModuleCommand Fleet::ModulesFor(const std::string& node) const {
  vigil::v1::ModuleCommand command;
  std::string material;
  for (const auto& [name, setting] : EffectiveSettings(plan_, &node)) {
    vigil::v1::ModuleSetting* m = command.add_modules();
    m->set_name(name);
    m->set_enabled(setting.enabled());
    absl::StrAppend(&material, name, "=", setting.enabled() ? 1 : 0);
    // A disabled bundle module is removed: the sensor needs its name only.
    if (setting.enabled() && !setting.bundle().empty()) {
      m->set_bundle(setting.bundle());
      absl::StrAppend(&material, "@", setting.bundle());
      auto it = bundles_.find(setting.bundle());
      if (it != bundles_.end()) *command.add_bundles() = *it->second;
    }
    material += ";";
  }
  command.set_version("sha256:" + Sha256Hex(material).substr(0, 16));
  return command;
}

absl::StatusOr<std::map<std::string, std::shared_ptr<const vigil::v1::ProbeBundle>>>
Fleet::BundlesOf(const vigil::v1::ModulePlan& plan) {
  // Nodes no change names all get what a change for all nodes leaves them.
  std::set<std::string> nodes;
  for (const vigil::v1::SetProbeModulesRequest& change : plan.changes()) {
    nodes.insert(change.nodes().begin(), change.nodes().end());
  }
  std::set<std::string> hashes;
  auto collect = [&](const std::string* node) {
    for (const auto& [name, setting] : EffectiveSettings(plan, node)) {
      if (setting.enabled() && !setting.bundle().empty()) hashes.insert(setting.bundle());
    }
  };
  collect(nullptr);
  for (const std::string& node : nodes) collect(&node);

  std::map<std::string, std::shared_ptr<const vigil::v1::ProbeBundle>> bundles;
  for (const std::string& hash : hashes) {
    auto cached = bundles_.find(hash);
    if (cached != bundles_.end()) {
      bundles.emplace(hash, cached->second);
      continue;
    }
    absl::StatusOr<BundleRecord> record = store_->GetBundle(hash);
    if (absl::IsNotFound(record.status())) {
      return absl::DataLossError(
          absl::StrCat("the module plan names bundle ", hash, ", which is not stored"));
    }
    if (!record.ok()) return record.status();
    auto parsed = std::make_shared<vigil::v1::ProbeBundle>();
    if (!parsed->ParseFromString(record->bytes)) {
      return absl::DataLossError(absl::StrCat("stored bundle ", hash, " does not parse"));
    }
    bundles.emplace(hash, std::move(parsed));
  }
  return bundles;
}

void Fleet::SyncLocked(const std::string& sensor_id, Live& live) {
  auto sync_rules = [&] {
    if (desired_rules_.version().empty()) return;
    const std::string& want = desired_rules_.version();
    if (live.hello.rule_set_version() == want) {
      SetRolloutLocked(sensor_id, RolloutKind::kRules, want, RolloutState::kApplied, "");
      return;
    }
    vigil::v1::ControllerMessage message;
    const uint64_t id = next_command_++;
    message.mutable_rule_set()->set_command_id(id);
    *message.mutable_rule_set()->mutable_rule_set() = desired_rules_;
    pending_[id] = Pending{sensor_id, RolloutKind::kRules, want, want};
    SetRolloutLocked(sensor_id, RolloutKind::kRules, want, RolloutState::kPending, "");
    live.session->Send(message);
  };
  if (plan_version_.empty()) {
    sync_rules();
    return;
  }
  vigil::v1::ModuleCommand command = ModulesFor(live.hello.node());
  if (live.hello.modules_version() == command.version()) {
    SetRolloutLocked(sensor_id, RolloutKind::kModules, plan_version_, RolloutState::kApplied, "");
    sync_rules();
    return;
  }
  // The sensor applies commands in order. A module command that runs bundles goes first,
  // since the rule set may read their fields (as after a sensor restart); one that only
  // removes them goes after the rule set, which may have stopped reading their fields.
  const bool modules_first = command.bundles_size() > 0;
  if (modules_first && bundles_in_flight_ >= kMaxBundleCommandsInFlight) {
    // Its turn comes when a slot frees (StartWaitingLocked); the rule set waits with it.
    SetRolloutLocked(sensor_id, RolloutKind::kModules, plan_version_, RolloutState::kPending, "");
    if (std::find(bundle_waiting_.begin(), bundle_waiting_.end(), sensor_id) ==
        bundle_waiting_.end()) {
      bundle_waiting_.push_back(sensor_id);
    }
    return;
  }
  if (!modules_first) sync_rules();
  const uint64_t id = next_command_++;
  command.set_command_id(id);
  pending_[id] =
      Pending{sensor_id, RolloutKind::kModules, plan_version_, command.version(), modules_first};
  if (modules_first) ++bundles_in_flight_;
  SetRolloutLocked(sensor_id, RolloutKind::kModules, plan_version_, RolloutState::kPending, "");
  vigil::v1::ControllerMessage message;
  *message.mutable_modules() = std::move(command);
  live.session->Send(message);
  if (modules_first) sync_rules();
}

void Fleet::Result(const std::string& sensor_id, const vigil::v1::CommandResult& result) {
  absl::MutexLock lock(&mu_);
  auto it = pending_.find(result.command_id());
  if (it == pending_.end() || it->second.sensor_id != sensor_id) return;
  const Pending pending = it->second;
  pending_.erase(it);
  if (pending.bundles) --bundles_in_flight_;
  SetRolloutLocked(sensor_id, pending.kind, pending.version,
                   result.ok() ? RolloutState::kApplied : RolloutState::kFailed,
                   result.ok() ? "" : result.error());
  auto live = live_.find(sensor_id);
  if (live != live_.end() && result.ok()) {
    if (pending.kind == RolloutKind::kRules) {
      live->second.hello.set_rule_set_version(pending.applied);
    } else {
      live->second.hello.set_modules_version(pending.applied);
    }
  }
  if (pending.bundles) StartWaitingLocked();
}

void Fleet::StartWaitingLocked() {
  while (bundles_in_flight_ < kMaxBundleCommandsInFlight && !bundle_waiting_.empty()) {
    const std::string sensor_id = std::move(bundle_waiting_.front());
    bundle_waiting_.pop_front();
    auto live = live_.find(sensor_id);
    if (live != live_.end()) SyncLocked(sensor_id, live->second);
  }
}

void Fleet::ReportHealth(const std::string& sensor_id, const vigil::v1::Health& health) {
  absl::MutexLock lock(&mu_);
  auto it = live_.find(sensor_id);
  if (it == live_.end()) return;
  it->second.health = health;
  if (!health.modules().empty()) *it->second.hello.mutable_modules() = health.modules();
  absl::StatusOr<SensorRecord> record = store_->GetSensor(sensor_id);
  if (record.ok()) {
    record->last_seen_ns = WallNowNs();
    record->health = health.SerializeAsString();
    (void)store_->UpsertSensor(*record);
  }
}

absl::StatusOr<vigil::v1::PutRuleSetResponse> Fleet::PutRuleSet(
    const vigil::v1::PutRuleSetRequest& request) {
  if (request.files().empty()) return absl::InvalidArgumentError("a rule set needs files");
  size_t bytes = 0;
  rules::RuleFileSet files;
  for (const vigil::v1::RuleFile& f : request.files()) {
    bytes += f.content().size();
    if (f.name().empty()) return absl::InvalidArgumentError("a rules file needs a name");
    if (bytes > kMaxRuleSetBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("rule set larger than ", kMaxRuleSetBytes, " bytes"));
    }
    absl::Status loaded = files.AddText(f.content(), f.name());
    if (!loaded.ok()) return absl::InvalidArgumentError(loaded.message());
  }
  absl::StatusOr<std::unique_ptr<rules::RuleSet>> compiled = rules::RuleSet::Compile(files);
  if (!compiled.ok()) return absl::InvalidArgumentError(compiled.status().message());

  vigil::v1::RuleSet set;
  set.set_version(PushedRuleSetVersion(request.files()));
  *set.mutable_files() = request.files();
  set.set_created_unix_ns(WallNowNs());
  RuleSetRecord record;
  record.version = set.version();
  record.created_ns = set.created_unix_ns();
  record.content = set.SerializeAsString();

  absl::MutexLock lock(&mu_);
  // The same files again are the same version: keep the stored one (and its time).
  bool created = false;
  absl::StatusOr<RuleSetRecord> stored = store_->GetRuleSet(set.version());
  if (stored.ok()) {
    if (!set.ParseFromString(stored->content)) {
      return absl::DataLossError(
          absl::StrCat("stored rule set ", set.version(), " does not parse"));
    }
  } else if (absl::IsNotFound(stored.status())) {
    VIGIL_ASSIGN_OR_RETURN(created, store_->PutRuleSet(record));
  } else {
    return stored.status();
  }
  VIGIL_RETURN_IF_ERROR(store_->SetDesiredRuleSet(set.version()));
  desired_rules_ = set;
  for (auto& [id, live] : live_) SyncLocked(id, live);
  vigil::v1::PutRuleSetResponse response;
  response.set_version(set.version());
  response.set_created(created);
  response.set_rules(static_cast<uint32_t>((*compiled)->rules().size()));
  return response;
}

absl::StatusOr<vigil::v1::RuleSet> Fleet::GetRuleSet(const std::string& version) {
  std::string want = version;
  if (want.empty()) {
    VIGIL_ASSIGN_OR_RETURN(want, store_->GetDesiredRuleSet());
    if (want.empty()) return absl::NotFoundError("no rule set has been put yet");
  }
  VIGIL_ASSIGN_OR_RETURN(RuleSetRecord record, store_->GetRuleSet(want));
  vigil::v1::RuleSet set;
  if (!set.ParseFromString(record.content)) {
    return absl::DataLossError(absl::StrCat("stored rule set ", want, " does not parse"));
  }
  return set;
}

absl::StatusOr<vigil::v1::ListRuleSetsResponse> Fleet::ListRuleSets() {
  vigil::v1::ListRuleSetsResponse response;
  VIGIL_ASSIGN_OR_RETURN(std::vector<RuleSetVersion> versions, store_->ListRuleSets());
  for (const RuleSetVersion& v : versions) {
    vigil::v1::RuleSet* set = response.add_rule_sets();
    set->set_version(v.version);
    set->set_created_unix_ns(v.created_ns);
  }
  VIGIL_ASSIGN_OR_RETURN(std::string desired, store_->GetDesiredRuleSet());
  response.set_desired_version(desired);
  return response;
}

vigil::v1::Sensor Fleet::SensorOf(const SensorRecord& record) const {
  vigil::v1::Sensor sensor;
  sensor.set_sensor_id(record.sensor_id);
  sensor.set_node(record.node);
  sensor.set_version(record.version);
  sensor.set_kernel(record.kernel);
  sensor.set_last_seen_unix_ns(record.last_seen_ns);
  auto live = live_.find(record.sensor_id);
  sensor.set_connected(live != live_.end());
  if (live != live_.end()) {
    *sensor.mutable_modules() = live->second.hello.modules();
    sensor.set_rule_set_version(live->second.hello.rule_set_version());
    sensor.set_modules_version(live->second.hello.modules_version());
    *sensor.mutable_health() = live->second.health;
  } else if (!record.health.empty()) {
    sensor.mutable_health()->ParseFromString(record.health);
  }
  return sensor;
}

absl::StatusOr<vigil::v1::ListSensorsResponse> Fleet::ListSensors() {
  VIGIL_ASSIGN_OR_RETURN(std::vector<SensorRecord> records, store_->ListSensors());
  absl::MutexLock lock(&mu_);
  vigil::v1::ListSensorsResponse response;
  for (const SensorRecord& r : records) *response.add_sensors() = SensorOf(r);
  return response;
}

absl::StatusOr<vigil::v1::Sensor> Fleet::GetSensor(const std::string& sensor_id) {
  VIGIL_ASSIGN_OR_RETURN(SensorRecord record, store_->GetSensor(sensor_id));
  absl::MutexLock lock(&mu_);
  return SensorOf(record);
}

absl::StatusOr<vigil::v1::Rollout> Fleet::GetRollout(const std::string& kind_name,
                                                     const std::string& version) {
  RolloutKind kind = RolloutKind::kRules;
  if (kind_name == "modules") {
    kind = RolloutKind::kModules;
  } else if (!kind_name.empty() && kind_name != "rules") {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown rollout kind '", kind_name, "' (rules or modules)"));
  }
  std::string want = version;
  if (want.empty()) {
    absl::MutexLock lock(&mu_);
    want = kind == RolloutKind::kRules ? desired_rules_.version() : plan_version_;
  }
  if (want.empty()) return absl::NotFoundError(absl::StrCat("no ", kind_name, " desired yet"));
  VIGIL_ASSIGN_OR_RETURN(std::vector<RolloutRecord> records, store_->ListRollout(kind, want));
  VIGIL_ASSIGN_OR_RETURN(std::vector<SensorRecord> sensors, store_->ListSensors());
  vigil::v1::Rollout rollout;
  rollout.set_kind(std::string(RolloutKindName(kind)));
  rollout.set_version(want);
  rollout.set_sensors(static_cast<uint32_t>(sensors.size()));
  std::map<std::string, const RolloutRecord*> by_sensor;
  for (const RolloutRecord& r : records) by_sensor[r.sensor_id] = &r;
  uint32_t applied = 0;
  uint32_t failed = 0;
  for (const SensorRecord& s : sensors) {
    vigil::v1::SensorRollout* row = rollout.add_per_sensor();
    row->set_sensor_id(s.sensor_id);
    row->set_node(s.node);
    auto it = by_sensor.find(s.sensor_id);
    if (it == by_sensor.end()) {
      row->set_state(vigil::v1::ROLLOUT_STATE_PENDING);
      continue;
    }
    row->set_state(ToWire(it->second->state));
    row->set_error(it->second->error);
    row->set_updated_unix_ns(it->second->updated_ns);
    applied += it->second->state == RolloutState::kApplied ? 1 : 0;
    failed += it->second->state == RolloutState::kFailed ? 1 : 0;
  }
  rollout.set_applied(applied);
  rollout.set_failed(failed);
  rollout.set_pending(rollout.sensors() - applied - failed);
  rollout.set_summary(absl::StrCat("version ", want, ": applied on ", applied, " of ",
                                   rollout.sensors(), " sensors, failed on ", failed));
  return rollout;
}

absl::Status Fleet::CheckModuleSettings(const vigil::v1::SetProbeModulesRequest& request) {
  if (request.modules().empty()) return absl::InvalidArgumentError("no modules given");
  std::vector<absl::string_view> known;
  for (const event::ModuleSchema* schema : event::ModuleSchemas()) known.push_back(schema->name);
  std::optional<std::vector<BundleInfo>> stored;  // read when a setting needs it
  for (const vigil::v1::ModuleSetting& m : request.modules()) {
    if (std::find(known.begin(), known.end(), m.name()) != known.end()) {
      if (!m.bundle().empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("module '", m.name(), "' is built in: it takes no bundle"));
      }
      continue;
    }
    if (!stored.has_value()) {
      VIGIL_ASSIGN_OR_RETURN(stored, store_->ListBundles());
    }
    if (!m.bundle().empty()) {
      auto it = std::find_if(stored->begin(), stored->end(),
                             [&](const BundleInfo& b) { return b.hash == m.bundle(); });
      if (it == stored->end()) {
        return absl::InvalidArgumentError(absl::StrCat("no stored bundle ", m.bundle()));
      }
      if (it->name != m.name()) {
        return absl::InvalidArgumentError(absl::StrCat("bundle ", m.bundle(), " is module '",
                                                       it->name, "', not '", m.name(), "'"));
      }
      continue;
    }
    const bool bundle_module = std::any_of(stored->begin(), stored->end(),
                                           [&](const BundleInfo& b) { return b.name == m.name(); });
    if (bundle_module && !m.enabled()) continue;  // removes the module
    if (bundle_module) {
      return absl::InvalidArgumentError(absl::StrCat(
          "module '", m.name(), "' is a bundle module: enabling it names the bundle to run"));
    }
    return absl::InvalidArgumentError(absl::StrCat("unknown probe module '", m.name(), "' (",
                                                   absl::StrJoin(known, " or "),
                                                   ", or the module of a stored bundle)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<vigil::v1::SetProbeModulesResponse> Fleet::SetProbeModules(
    const vigil::v1::SetProbeModulesRequest& request) {
  // Bundles are never deleted: what is checked here is still stored below.
  VIGIL_RETURN_IF_ERROR(CheckModuleSettings(request));
  absl::MutexLock lock(&mu_);
  vigil::v1::ModulePlan plan = plan_;
  *plan.add_changes() = request;
  ModuleSettingsRecord record;
  record.settings = plan.SerializeAsString();
  // The settings include each bundle's hash: a new bundle is a new version.
  record.version = "sha256:" + Sha256Hex(record.settings).substr(0, 16);
  record.updated_ns = WallNowNs();
  VIGIL_ASSIGN_OR_RETURN(auto bundles, BundlesOf(plan));
  VIGIL_RETURN_IF_ERROR(store_->SetDesiredModules(record));
  plan_ = std::move(plan);
  plan_version_ = record.version;
  bundles_ = std::move(bundles);
  for (auto& [id, live] : live_) SyncLocked(id, live);
  vigil::v1::SetProbeModulesResponse response;
  response.set_version(plan_version_);
  for (const auto& [id, live] : live_) {
    vigil::v1::SensorRollout* row = response.add_per_sensor();
    row->set_sensor_id(id);
    row->set_node(live.hello.node());
    row->set_state(vigil::v1::ROLLOUT_STATE_PENDING);
  }
  return response;
}

absl::StatusOr<vigil::v1::PutProbeBundleResponse> Fleet::PutProbeBundle(
    const vigil::v1::PutProbeBundleRequest& request) {
  absl::StatusOr<bundle::ParsedBundle> parsed = bundle::ParseBundle(request.bundle());
  if (!parsed.ok()) return absl::InvalidArgumentError(parsed.status().message());
  BundleRecord record;
  record.hash = parsed->hash;
  record.name = parsed->manifest.name();
  record.version = parsed->manifest.version();
  record.key_id = parsed->bundle.signature().key_id();
  record.manifest = parsed->bundle.manifest();
  record.bytes = request.bundle();
  record.created_ns = WallNowNs();
  VIGIL_ASSIGN_OR_RETURN(bool created, store_->PutBundle(record));
  PublishBundleFields();
  vigil::v1::PutProbeBundleResponse response;
  response.set_hash(record.hash);
  response.set_name(record.name);
  response.set_version(record.version);
  response.set_created(created);
  return response;
}

absl::StatusOr<vigil::v1::ListProbeBundlesResponse> Fleet::ListProbeBundles() {
  VIGIL_ASSIGN_OR_RETURN(std::vector<BundleInfo> stored, store_->ListBundles());
  vigil::v1::ListProbeBundlesResponse response;
  for (const BundleInfo& info : stored) {
    vigil::v1::StoredBundle* b = response.add_bundles();
    b->set_hash(info.hash);
    vigil::v1::BundleManifest* manifest = b->mutable_manifest();
    if (!manifest->ParseFromString(info.manifest)) {
      // Stored only after it parsed; should its bytes be damaged, it is still listed.
      manifest->Clear();
      manifest->set_name(info.name);
      manifest->set_version(info.version);
    }
    b->set_key_id(info.key_id);
    b->set_size(info.size_bytes);
    b->set_created_unix_ns(info.created_ns);
  }
  return response;
}

void Fleet::PublishBundleFields() {
  absl::MutexLock lock(&publish_mu_);
  absl::StatusOr<std::vector<BundleInfo>> stored = store_->ListBundles();
  if (!stored.ok()) {
    Log("bundle fields not published: ", stored.status().message());
    return;
  }
  // The newest stored bundle of each module defines its fields.
  std::vector<vigil::v1::BundleManifest> manifests;
  std::set<std::string> seen;
  for (const BundleInfo& info : *stored) {
    if (!seen.insert(info.name).second) continue;
    vigil::v1::BundleManifest manifest;
    if (!manifest.ParseFromString(info.manifest)) {
      Log("bundle ", info.hash, ": stored manifest does not parse; its fields are unknown");
      continue;
    }
    manifests.push_back(std::move(manifest));
  }
  const absl::Status published = bundle::PublishManifestFields(manifests);
  if (!published.ok()) Log("bundle fields: ", published.message());
}

size_t Fleet::connected() const {
  absl::MutexLock lock(&mu_);
  return live_.size();
}

}  // namespace vigil::controller

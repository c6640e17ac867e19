#include "sensor/fleet_agent.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/status_macros.h"
#include "event/ip.h"
#include "event/schema.h"

namespace vigil::sensor {

absl::StatusOr<std::unique_ptr<FleetAgent>> FleetAgent::Create(const SensorOptions& options,
                                                               Spool* spool, Handlers handlers) {
  UniqueFd command_fd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (command_fd.get() < 0) {
    return absl::InternalError(absl::StrCat("eventfd: ", strerror(errno)));
  }
  std::unique_ptr<FleetAgent> agent(new FleetAgent(std::move(handlers), std::move(command_fd)));
  ControllerLinkOptions link_options;
  link_options.address = options.controller;
  link_options.insecure = options.controller_insecure;
  link_options.tls_ca = options.controller_ca;
  link_options.tls_cert = options.controller_cert;
  link_options.tls_key = options.controller_key;
  link_options.token_file = options.controller_token_file;
  link_options.tls_server_name = options.controller_server_name;
  FleetAgent* self = agent.get();
  VIGIL_ASSIGN_OR_RETURN(agent->link_, ControllerLink::Create(
                                           link_options, spool,
                                           [self] {
                                             absl::MutexLock lock(&self->mu_);
                                             return self->hello_;
                                           },
                                           [self] {
                                             absl::MutexLock lock(&self->mu_);
                                             return self->health_;
                                           },
                                           [self](const vigil::v1::ControllerMessage& message) {
                                             self->Queue(message);
                                           }));
  return agent;
}

FleetAgent::~FleetAgent() {
  if (link_ != nullptr) link_->Stop();
}

void FleetAgent::Queue(const vigil::v1::ControllerMessage& message) {
  {
    absl::MutexLock lock(&mu_);
    commands_.push_back(message);
  }
  const uint64_t one = 1;
  // A full counter (never in practice) still leaves the fd readable: nothing is lost.
  (void)!write(command_fd_.get(), &one, sizeof(one));
}

void FleetAgent::SetStatus(const SensorStatus& status) {
  vigil::v1::Hello hello;
  hello.set_sensor_id(status.sensor_id);
  hello.set_node(status.node);
  hello.set_version(VIGIL_VERSION);
  hello.set_kernel(status.kernel);
  hello.set_rule_set_version(status.rule_set_version);
  hello.set_modules_version(status.modules_version);
  hello.set_engine_version(rules::kEngineVersion);
  if (status.spool != nullptr) hello.set_spool_epoch(status.spool->epoch());
  for (const ModuleSnapshot& module : status.modules) {
    vigil::v1::ModuleState* m = hello.add_modules();
    m->set_name(module.name);
    m->set_enabled(module.running);
    m->set_attach_mode(module.attach_mode);
    m->set_state(module.state.empty() ? (module.running ? "running" : "disabled") : module.state);
    m->set_error(module.error);
    m->set_source(module.source);
    m->set_version(module.version);
    m->set_bundle(module.bundle);
    for (const std::string& hook : module.hooks) m->add_hooks(hook);
  }
  vigil::v1::Health health;
  auto& c = *health.mutable_counters();
  for (const event::EventTypeInfo* type : event::EventTypes()) {
    c[absl::StrCat("events_", type->name)] = (*status.events_by_type)[static_cast<int>(type->type)];
  }
  c["alerts"] = status.alerts;
  c["decode_errors"] = status.decode_errors;
  c["process_table_size"] = status.process_table_size;
  if (status.engine != nullptr) c["rule_state_evictions"] = status.engine->evictions();
  if (status.spool != nullptr) {
    health.set_spool_bytes(status.spool->bytes());
    health.set_spool_records(status.spool->records());
    c["spool_dropped"] = status.spool->dropped();
    c["spool_corrupt"] = status.spool->corrupt_records();
  }
  if (status.net_summarizer != nullptr) {
    c["net_summary_windows"] = status.net_summarizer->windows();
    c["net_summary_connections"] = status.net_summarizer->connections();
    c["net_summary_evicted"] = status.net_summarizer->evicted();
  }
  if (status.net_summaries != nullptr) {
    for (const ConnectionSummary& s : *status.net_summaries) {
      vigil::v1::ConnectionSummary* out = health.add_connections();
      out->set_pid(s.pid);
      out->set_comm(s.comm);
      out->set_inbound(s.inbound);
      out->set_l4proto(std::string(event::L4ProtoName(s.protocol)));
      out->set_remote_ip(event::FormatIp(s.remote()));
      out->set_port(s.port);
      out->set_connections(s.connections);
      out->set_failed(s.failed);
      out->set_bytes_received(s.bytes_received);
      out->set_bytes_sent(s.bytes_sent);
    }
  }
  health.set_time_unix_ns(WallNowNs());
  *health.mutable_modules() = hello.modules();
  absl::MutexLock lock(&mu_);
  hello_ = std::move(hello);
  health_ = std::move(health);
}

void FleetAgent::ApplyCommands() {
  uint64_t ignored;
  (void)!read(command_fd_.get(), &ignored, sizeof(ignored));  // EAGAIN: already drained
  std::deque<vigil::v1::ControllerMessage> commands;
  {
    absl::MutexLock lock(&mu_);
    commands.swap(commands_);
  }
  std::vector<vigil::v1::CommandResult> results;
  for (const vigil::v1::ControllerMessage& message : commands) {
    vigil::v1::CommandResult result;
    absl::Status applied;
    if (message.has_rule_set()) {
      result.set_command_id(message.rule_set().command_id());
      result.set_version(message.rule_set().rule_set().version());
      applied = handlers_.rule_set(message.rule_set().rule_set());
    } else if (message.has_modules()) {
      result.set_command_id(message.modules().command_id());
      result.set_version(message.modules().version());
      applied = handlers_.modules(message.modules());
    } else {
      continue;
    }
    result.set_ok(applied.ok());
    if (!applied.ok()) result.set_error(std::string(applied.message()));
    results.push_back(std::move(result));
  }
  handlers_.refresh_status();
  for (const vigil::v1::CommandResult& result : results) link_->SendResult(result);
}

}  // namespace vigil::sensor

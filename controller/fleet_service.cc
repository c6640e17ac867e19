#include "controller/fleet_service.h"

namespace vigil::controller {
namespace {

// Runs `body` when the caller holds `role`, and finishes the call with its status
// (absl codes map one to one onto gRPC's).
template <typename Response, typename Body>
grpc::ServerUnaryReactor* Serve(grpc::CallbackServerContext* context, const Authorizer* auth,
                                Role role, absl::string_view method, Response* response,
                                Body body) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  grpc::Status allowed = auth->Require(*context, role, method);
  if (!allowed.ok()) {
    reactor->Finish(allowed);
    return reactor;
  }
  absl::StatusOr<Response> result = body();
  if (!result.ok()) {
    reactor->Finish(grpc::Status(static_cast<grpc::StatusCode>(result.status().code()),
                                 std::string(result.status().message())));
    return reactor;
  }
  *response = *std::move(result);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace

grpc::ServerUnaryReactor* FleetServiceImpl::ListSensors(
    grpc::CallbackServerContext* context, const vigil::v1::ListSensorsRequest* request,
    vigil::v1::ListSensorsResponse* response) {
  return Serve(context, auth_, Role::kReader, "FleetService.ListSensors", response,
               [&] { return fleet_->ListSensors(); });
}

grpc::ServerUnaryReactor* FleetServiceImpl::GetSensor(grpc::CallbackServerContext* context,
                                                      const vigil::v1::GetSensorRequest* request,
                                                      vigil::v1::Sensor* response) {
  return Serve(context, auth_, Role::kReader, "FleetService.GetSensor", response,
               [&] { return fleet_->GetSensor(request->sensor_id()); });
}

grpc::ServerUnaryReactor* FleetServiceImpl::PutRuleSet(grpc::CallbackServerContext* context,
                                                       const vigil::v1::PutRuleSetRequest* request,
                                                       vigil::v1::PutRuleSetResponse* response) {
  return Serve(context, auth_, Role::kAdmin, "FleetService.PutRuleSet", response,
               [&] { return fleet_->PutRuleSet(*request); });
}

grpc::ServerUnaryReactor* FleetServiceImpl::GetRuleSet(grpc::CallbackServerContext* context,
                                                       const vigil::v1::GetRuleSetRequest* request,
                                                       vigil::v1::RuleSet* response) {
  return Serve(context, auth_, Role::kReader, "FleetService.GetRuleSet", response,
               [&] { return fleet_->GetRuleSet(request->version()); });
}

grpc::ServerUnaryReactor* FleetServiceImpl::ListRuleSets(
    grpc::CallbackServerContext* context, const vigil::v1::ListRuleSetsRequest* request,
    vigil::v1::ListRuleSetsResponse* response) {
  return Serve(context, auth_, Role::kReader, "FleetService.ListRuleSets", response,
               [&] { return fleet_->ListRuleSets(); });
}

grpc::ServerUnaryReactor* FleetServiceImpl::GetRollout(grpc::CallbackServerContext* context,
                                                       const vigil::v1::GetRolloutRequest* request,
                                                       vigil::v1::Rollout* response) {
  return Serve(context, auth_, Role::kReader, "FleetService.GetRollout", response,
               [&] { return fleet_->GetRollout(request->kind(), request->version()); });
}

grpc::ServerUnaryReactor* FleetServiceImpl::SetProbeModules(
    grpc::CallbackServerContext* context, const vigil::v1::SetProbeModulesRequest* request,
    vigil::v1::SetProbeModulesResponse* response) {
  return Serve(context, auth_, Role::kAdmin, "FleetService.SetProbeModules", response,
               [&] { return fleet_->SetProbeModules(*request); });
}

grpc::ServerUnaryReactor* FleetServiceImpl::PutProbeBundle(
    grpc::CallbackServerContext* context, const vigil::v1::PutProbeBundleRequest* request,
    vigil::v1::PutProbeBundleResponse* response) {
  return Serve(context, auth_, Role::kAdmin, "FleetService.PutProbeBundle", response,
               [&] { return fleet_->PutProbeBundle(*request); });
}

grpc::ServerUnaryReactor* FleetServiceImpl::ListProbeBundles(
    grpc::CallbackServerContext* context, const vigil::v1::ListProbeBundlesRequest* request,
    vigil::v1::ListProbeBundlesResponse* response) {
  return Serve(context, auth_, Role::kReader, "FleetService.ListProbeBundles", response,
               [&] { return fleet_->ListProbeBundles(); });
}

}  // namespace vigil::controller

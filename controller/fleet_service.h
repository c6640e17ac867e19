// FleetService: the API over Fleet (sensors, rule sets, modules and their bundles, rollout),
// with reads for readers and changes for admins.
#ifndef VIGIL_CONTROLLER_FLEET_SERVICE_H_
#define VIGIL_CONTROLLER_FLEET_SERVICE_H_

#include "controller/auth.h"
#include "controller/fleet.h"
#include "vigil/v1/fleet.grpc.pb.h"

namespace vigil::controller {

class FleetServiceImpl final : public vigil::v1::FleetService::CallbackService {
 public:
  FleetServiceImpl(Fleet* fleet, const Authorizer* auth) : fleet_(fleet), auth_(auth) {}

  grpc::ServerUnaryReactor* ListSensors(grpc::CallbackServerContext* context,
                                        const vigil::v1::ListSensorsRequest* request,
                                        vigil::v1::ListSensorsResponse* response) override;
  grpc::ServerUnaryReactor* GetSensor(grpc::CallbackServerContext* context,
                                      const vigil::v1::GetSensorRequest* request,
                                      vigil::v1::Sensor* response) override;
  grpc::ServerUnaryReactor* PutRuleSet(grpc::CallbackServerContext* context,
                                       const vigil::v1::PutRuleSetRequest* request,
                                       vigil::v1::PutRuleSetResponse* response) override;
  grpc::ServerUnaryReactor* GetRuleSet(grpc::CallbackServerContext* context,
                                       const vigil::v1::GetRuleSetRequest* request,
                                       vigil::v1::RuleSet* response) override;
  grpc::ServerUnaryReactor* ListRuleSets(grpc::CallbackServerContext* context,
                                         const vigil::v1::ListRuleSetsRequest* request,
                                         vigil::v1::ListRuleSetsResponse* response) override;
  grpc::ServerUnaryReactor* GetRollout(grpc::CallbackServerContext* context,
                                       const vigil::v1::GetRolloutRequest* request,
                                       vigil::v1::Rollout* response) override;
  grpc::ServerUnaryReactor* SetProbeModules(grpc::CallbackServerContext* context,
                                            const vigil::v1::SetProbeModulesRequest* request,
                                            vigil::v1::SetProbeModulesResponse* response) override;
  grpc::ServerUnaryReactor* PutProbeBundle(grpc::CallbackServerContext* context,
                                           const vigil::v1::PutProbeBundleRequest* request,
                                           vigil::v1::PutProbeBundleResponse* response) override;
  grpc::ServerUnaryReactor* ListProbeBundles(
      grpc::CallbackServerContext* context, const vigil::v1::ListProbeBundlesRequest* request,
      vigil::v1::ListProbeBundlesResponse* response) override;

 private:
  Fleet* fleet_;
  const Authorizer* auth_;
};

}  // namespace vigil::controller

#endif  // VIGIL_CONTROLLER_FLEET_SERVICE_H_

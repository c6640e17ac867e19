// AlertService: resumable subscriptions and paged queries over the alert store.
#ifndef VIGIL_CONTROLLER_ALERT_SERVICE_H_
#define VIGIL_CONTROLLER_ALERT_SERVICE_H_

#include "controller/alert_hub.h"
#include "controller/auth.h"
#include "controller/store/alert_store.h"
#include "vigil/v1/alert_service.grpc.pb.h"

namespace vigil::controller {

// Subscribe reads from the store by cursor, one batch at a time, and waits on the hub
// when caught up, so a slow subscriber costs no memory: it simply lags. A subscriber
// that falls behind retention is ended with OUT_OF_RANGE (never a silent gap).
class AlertServiceImpl final : public vigil::v1::AlertService::CallbackService {
 public:
  AlertServiceImpl(AlertStore* store, AlertHub* hub, const Authorizer* auth)
      : store_(store), hub_(hub), auth_(auth) {}

  grpc::ServerWriteReactor<vigil::v1::AlertEnvelope>* Subscribe(
      grpc::CallbackServerContext* context, const vigil::v1::SubscribeRequest* request) override;
  grpc::ServerUnaryReactor* Query(grpc::CallbackServerContext* context,
                                  const vigil::v1::QueryRequest* request,
                                  vigil::v1::QueryResponse* response) override;

  // Alerts read per store call by a subscription.
  static constexpr size_t kBatch = 256;

 private:
  AlertStore* store_;
  AlertHub* hub_;
  const Authorizer* auth_;
};

}  // namespace vigil::controller

#endif  // VIGIL_CONTROLLER_ALERT_SERVICE_H_

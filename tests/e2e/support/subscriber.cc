// Subscriber: the resuming AlertService.Subscribe client of the end-to-end tests.
#include "tests/e2e/support/subscriber.h"

#include "absl/time/clock.h"

namespace vigil::testing {

Subscriber::Subscriber(const std::string& address) {
  grpc::ChannelArguments args;
  // Reconnect quickly after the controller comes back (the default backoff grows to 2 min).
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
  stub_ = vigil::v1::AlertService::NewStub(
      grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
  thread_ = std::thread([this] { Run(); });
}

Subscriber::~Subscriber() { Stop(); }

void Subscriber::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
    if (context_ != nullptr) context_->TryCancel();
  }
  if (thread_.joinable()) thread_.join();
}

void Subscriber::Run() {
  while (true) {
    grpc::ClientContext context;
    vigil::v1::SubscribeRequest request;
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return;
      context_ = &context;
      request.set_cursor(cursor_);
      ++subscriptions_;
    }
    std::unique_ptr<grpc::ClientReader<vigil::v1::AlertEnvelope>> reader =
        stub_->Subscribe(&context, request);
    vigil::v1::AlertEnvelope envelope;
    while (reader->Read(&envelope)) {
      absl::MutexLock lock(&mu_);
      cursor_ = envelope.cursor();
      const vigil::v1::Alert& alert = envelope.alert();
      alerts_[alert.sensor_id()].push_back(alert);
      ++counts_[alert.sensor_id()][alert.sequence()];
    }
    (void)reader->Finish();
    {
      absl::MutexLock lock(&mu_);
      context_ = nullptr;
      if (stop_) return;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
}

std::vector<vigil::v1::Alert> Subscriber::AlertsOf(const std::string& sensor_id) const {
  absl::MutexLock lock(&mu_);
  auto it = alerts_.find(sensor_id);
  return it == alerts_.end() ? std::vector<vigil::v1::Alert>{} : it->second;
}

std::map<uint64_t, int> Subscriber::SequenceCounts(const std::string& sensor_id) const {
  absl::MutexLock lock(&mu_);
  auto it = counts_.find(sensor_id);
  return it == counts_.end() ? std::map<uint64_t, int>{} : it->second;
}

size_t Subscriber::DistinctOf(const std::string& sensor_id) const {
  return SequenceCounts(sensor_id).size();
}

bool Subscriber::WaitFor(const std::string& sensor_id,
                         const std::function<bool(const std::vector<vigil::v1::Alert>&)>& pred,
                         absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (pred(AlertsOf(sensor_id))) return true;
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(50));
  }
}

bool Subscriber::WaitForDistinct(const std::string& sensor_id, size_t count,
                                 absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (DistinctOf(sensor_id) >= count) return true;
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(50));
  }
}

int Subscriber::subscriptions() const {
  absl::MutexLock lock(&mu_);
  return subscriptions_;
}

std::string Subscriber::cursor() const {
  absl::MutexLock lock(&mu_);
  return cursor_;
}

}  // namespace vigil::testing

#include "sensor/delivery/controller_link.h"

#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/log.h"
#include "common/read_file.h"
#include "common/status_macros.h"

namespace vigil::sensor {
namespace {

// Service-account tokens are a few KiB; this bounds a mistaken path.
constexpr size_t kMaxTokenBytes = 64 * 1024;

}  // namespace

absl::StatusOr<std::unique_ptr<ControllerLink>> ControllerLink::Create(
    const ControllerLinkOptions& options, Spool* spool, HelloFn hello, HealthFn health,
    CommandFn on_command) {
  if (options.address.empty()) return absl::InvalidArgumentError("no controller address");
  std::unique_ptr<ControllerLink> link(new ControllerLink(
      options, spool, std::move(hello), std::move(health), std::move(on_command)));
  if (options.insecure) {
    link->creds_ = grpc::InsecureChannelCredentials();
  } else {
    const bool has_cert = !options.tls_cert.empty() && !options.tls_key.empty();
    if (options.tls_ca.empty() || (!has_cert && options.token_file.empty())) {
      return absl::InvalidArgumentError(
          "the controller link needs --controller-ca and a credential: --controller-token-file "
          "or --controller-cert and --controller-key (or --controller-insecure for local "
          "plaintext)");
    }
    grpc::SslCredentialsOptions ssl;
    VIGIL_ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadSmallFile(options.tls_ca));
    if (has_cert) {
      VIGIL_ASSIGN_OR_RETURN(ssl.pem_cert_chain, ReadSmallFile(options.tls_cert));
      VIGIL_ASSIGN_OR_RETURN(ssl.pem_private_key, ReadSmallFile(options.tls_key));
    }
    link->creds_ = grpc::SslCredentials(ssl);
  }
  if (options.insecure && !options.token_file.empty()) {
    return absl::InvalidArgumentError("a credential is never sent over a plaintext link");
  }
  // A credential that cannot be read now is a configuration error, not a retry.
  VIGIL_RETURN_IF_ERROR(link->ReadToken().status());
  return link;
}

ControllerLink::ControllerLink(const ControllerLinkOptions& options, Spool* spool, HelloFn hello,
                               HealthFn health, CommandFn on_command)
    : options_(options),
      spool_(spool),
      hello_(std::move(hello)),
      health_(std::move(health)),
      on_command_(std::move(on_command)) {}

ControllerLink::~ControllerLink() { Stop(); }

absl::StatusOr<std::string> ControllerLink::ReadToken() const {
  if (options_.token_file.empty()) return std::string();
  VIGIL_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(options_.token_file, kMaxTokenBytes));
  absl::string_view token = absl::StripAsciiWhitespace(text);
  if (token.empty()) return absl::InvalidArgumentError(options_.token_file + ": empty credential");
  if (std::any_of(token.begin(), token.end(), [](char c) { return c <= ' ' || c > '~'; })) {
    return absl::InvalidArgumentError(options_.token_file +
                                      ": the credential holds a character a header cannot carry");
  }
  return std::string(token);
}

void ControllerLink::Start() {
  thread_ = std::thread([this] { Run(); });
}

void ControllerLink::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
    if (context_ != nullptr) context_->TryCancel();
  }
  if (thread_.joinable()) thread_.join();
}

void ControllerLink::Wake() {
  absl::MutexLock lock(&mu_);
  woken_ = true;
}

void ControllerLink::SendResult(const vigil::v1::CommandResult& result) {
  absl::MutexLock lock(&mu_);
  results_.push_back(result);
  health_due_ = true;
  woken_ = true;
}

void ControllerLink::Run() {
  std::mt19937_64 rng(std::random_device{}());
  int backoff_ms = options_.backoff_min_ms;
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return;
    }
    const absl::Time started = absl::Now();
    absl::Status ended = Session();
    counters_.connected = false;
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return;
    }
    Log("controller link: ", ended.message(), "; reconnecting");
    // A session that lasted resets the backoff; quick failures grow it.
    if (absl::Now() - started > absl::Seconds(10)) backoff_ms = options_.backoff_min_ms;
    const int wait_ms = std::uniform_int_distribution<int>(0, backoff_ms)(rng);
    backoff_ms = std::min(options_.backoff_max_ms, backoff_ms * 2);
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stop_), absl::Milliseconds(wait_ms));
  }
}

absl::Status ControllerLink::Session() {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 20000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  args.SetInt(GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, 32 << 20);
  if (!options_.tls_server_name.empty()) {
    args.SetSslTargetNameOverride(options_.tls_server_name);
  }
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(options_.address, creds_, args);
  std::unique_ptr<vigil::v1::SensorLink::Stub> stub = vigil::v1::SensorLink::NewStub(channel);
  grpc::ClientContext context;
  absl::StatusOr<std::string> token = ReadToken();
  if (!token.ok()) return token.status();
  if (!token->empty()) context.AddMetadata("authorization", absl::StrCat("Bearer ", *token));
  {
    absl::MutexLock lock(&mu_);
    if (stop_) return absl::CancelledError("stopping");
    context_ = &context;
    broken_ = false;
  }
  auto stream = stub->Connect(&context);
  auto clear_context = [&] {
    absl::MutexLock lock(&mu_);
    context_ = nullptr;
  };

  vigil::v1::SensorMessage hello;
  *hello.mutable_hello() = hello_();
  if (!stream->Write(hello)) {
    clear_context();
    grpc::Status status = stream->Finish();
    return absl::UnavailableError(absl::StrCat("connect failed: ", status.error_message()));
  }
  ++counters_.connects;
  counters_.connected = true;

  // The reader: acks and commands.
  std::thread reader([&] {
    vigil::v1::ControllerMessage message;
    while (stream->Read(&message)) {
      if (message.has_ack()) {
        ++counters_.acks;
        absl::Status acked = spool_->Ack(message.ack().sequence());
        if (!acked.ok()) {
          Log("controller link: bad ack: ", acked.message());
        }
      } else if (message.has_rule_set() || message.has_modules()) {
        ++counters_.commands;
        on_command_(message);
      }
    }
    absl::MutexLock lock(&mu_);
    broken_ = true;
  });

  uint64_t next = spool_->first_unacked();
  bool unsynced = false;
  absl::Time next_health = absl::Now();
  absl::Status result = absl::OkStatus();
  for (;;) {
    std::deque<vigil::v1::CommandResult> results;
    bool health_due = false;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this, next]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stop_ || broken_ || woken_ || !results_.empty() || spool_->next_seq() > next;
      };
      mu_.AwaitWithDeadline(absl::Condition(&ready), next_health);
      if (stop_ || broken_) break;
      woken_ = false;
      results.swap(results_);
      health_due = health_due_;
      health_due_ = false;
    }
    bool write_failed = false;
    for (const vigil::v1::CommandResult& r : results) {
      vigil::v1::SensorMessage m;
      *m.mutable_result() = r;
      if (!stream->Write(m)) write_failed = true;
    }
    if (health_due || absl::Now() >= next_health) {
      vigil::v1::SensorMessage m;
      *m.mutable_health() = health_();
      if (!stream->Write(m)) write_failed = true;
      next_health = absl::Now() + absl::Seconds(options_.health_interval_s);
    }
    // Alerts: everything appended since `next`, a batch at a time.
    while (!write_failed) {
      absl::StatusOr<std::vector<SpoolRecord>> records =
          spool_->ReadFrom(next, options_.batch_records, options_.batch_bytes);
      if (!records.ok()) {
        result = records.status();
        write_failed = true;
        break;
      }
      if (records->empty()) break;
      vigil::v1::SensorMessage m;
      vigil::v1::AlertBatch* batch = m.mutable_alerts();
      for (const SpoolRecord& r : *records) {
        vigil::v1::Alert* alert = batch->add_alerts();
        if (r.kind == RecordKind::kGap) {
          alert->set_lost(r.gap_count());
          alert->set_lost_reason("spool full");
        } else if (!alert->ParseFromString(r.payload)) {
          alert->Clear();
          alert->set_lost(1);
          alert->set_lost_reason("spool record does not parse");
        }
        alert->set_sequence(r.seq);
      }
      if (!stream->Write(m)) {
        write_failed = true;
        break;
      }
      ++counters_.batches_sent;
      counters_.alerts_sent += records->size();
      next = records->back().seq + 1;
      unsynced = true;
    }
    // The spool is synced after sending, once per burst: sending first never loses more
    // than syncing first would (a record is at risk only while it is neither synced nor
    // stored by the controller), and it keeps the disk flush off the alerts' path.
    if (unsynced && !write_failed) {
      absl::Status synced = spool_->Sync();
      if (!synced.ok()) {
        result = synced;
        write_failed = true;
      }
      unsynced = false;
    }
    if (write_failed) break;
  }
  {
    // A stream the controller ended carries its reason in the status, which cancelling
    // would replace by CANCELLED: give the reader a moment to see the end first.
    absl::MutexLock lock(&mu_);
    if (!stop_ && result.ok()) mu_.AwaitWithTimeout(absl::Condition(&broken_), absl::Seconds(1));
    if (context_ != nullptr && !broken_) context_->TryCancel();
  }
  reader.join();
  clear_context();
  grpc::Status status = stream->Finish();
  if (!result.ok()) return result;
  return absl::UnavailableError(
      absl::StrCat("stream ended: ", status.ok() ? "closed" : status.error_message()));
}

}  // namespace vigil::sensor

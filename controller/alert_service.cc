#include "controller/alert_service.h"

#include <algorithm>
#include <deque>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "controller/alert_codec.h"

namespace vigil::controller {
namespace {

using vigil::v1::AlertEnvelope;

// True when alerts after `cursor` were deleted by retention before they were read: the
// oldest kept is past the next one, or everything up to `last` is gone.
bool Expired(uint64_t cursor, uint64_t oldest, uint64_t last) {
  return oldest > 0 ? cursor + 1 < oldest : cursor < last;
}

grpc::Status ToGrpc(const absl::Status& s) {
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

// One subscription. Lifetime: owned by gRPC until OnDone, which deletes it after the
// hub listener is removed (so no notification can reach a deleted reactor).
class SubscribeReactor : public grpc::ServerWriteReactor<AlertEnvelope> {
 public:
  SubscribeReactor(AlertStore* store, AlertHub* hub, AlertFilter filter)
      : store_(store), hub_(hub), filter_(std::move(filter)) {}

  // Starts streaming after `cursor`. Only the initial metadata is sent from the handler's
  // thread; the hub listener, which calls Fetch from storing threads, is registered once
  // gRPC has bound the reactor to the call (OnSendInitialMetadataDone).
  void Start(uint64_t cursor) {
    {
      absl::MutexLock lock(&mu_);
      cursor_ = cursor;
    }
    StartSendInitialMetadata();
  }

  void OnSendInitialMetadataDone(bool ok) override {
    if (!ok) {
      End(grpc::Status(grpc::StatusCode::CANCELLED, "subscriber went away"));
      return;
    }
    listener_ = hub_->AddListener([this] { Fetch(); });
    Fetch();
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      End(grpc::Status(grpc::StatusCode::CANCELLED, "subscriber went away"));
      return;
    }
    const AlertEnvelope* next = nullptr;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      queue_.pop_front();
      if (!queue_.empty() && !finished_) {
        writing_ = true;
        next = &queue_.front();
      }
    }
    if (next != nullptr) {
      StartWrite(next);
    } else {
      Fetch();
    }
  }

  void OnCancel() override { End(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled")); }

  void OnDone() override {
    if (listener_ != 0) hub_->RemoveListener(listener_);
    delete this;
  }

 private:
  // Reads the next batch when nothing is in flight; called on start, after each write
  // drains the queue, and on every store notification. gRPC calls (StartWrite, Finish)
  // are made without the lock held.
  void Fetch() {
    const AlertEnvelope* next = nullptr;
    std::optional<grpc::Status> finish;
    {
      absl::MutexLock lock(&mu_);
      if (finished_ || writing_) return;
      const absl::StatusOr<uint64_t> oldest_or = store_->OldestCursor();
      const absl::StatusOr<uint64_t> last_or = store_->LastCursor();
      const uint64_t oldest = oldest_or.ok() ? *oldest_or : 0;
      const uint64_t last = last_or.ok() ? *last_or : 0;
      absl::StatusOr<std::vector<StoredAlert>> batch;
      if (Expired(cursor_, oldest, last)) {
        finish = grpc::Status(grpc::StatusCode::OUT_OF_RANGE,
                              absl::StrCat("alerts after cursor ", cursor_,
                                           " were removed by retention before this "
                                           "subscriber read them; resume with cursor 0"));
      } else {
        batch = store_->ReadAfter(cursor_, filter_, AlertServiceImpl::kBatch);
        if (!batch.ok()) finish = ToGrpc(batch.status());
      }
      if (!finish) {
        for (const StoredAlert& stored : *batch) {
          absl::StatusOr<AlertEnvelope> envelope = ToEnvelope(stored);
          if (!envelope.ok()) {
            finish = ToGrpc(envelope.status());
            break;
          }
          cursor_ = stored.cursor;
          queue_.push_back(*std::move(envelope));
        }
        // A short batch read everything committed up to `last`: alerts the filter skipped
        // need no second look (and their removal by retention is no loss to this
        // subscriber).
        if (!finish && batch->size() < AlertServiceImpl::kBatch) {
          cursor_ = std::max(cursor_, last);
        }
      }
      if (finish) {
        finished_ = true;
      } else if (!queue_.empty()) {
        writing_ = true;
        next = &queue_.front();
      }
    }
    if (finish) {
      Finish(*std::move(finish));
    } else if (next != nullptr) {
      StartWrite(next);
    }
  }

  void End(grpc::Status status) {
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return;
      finished_ = true;
    }
    Finish(std::move(status));
  }

  AlertStore* store_;
  AlertHub* hub_;
  const AlertFilter filter_;
  uint64_t listener_ = 0;
  absl::Mutex mu_;
  uint64_t cursor_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<AlertEnvelope> queue_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

// A reactor that only reports an error.
class FailedWrite : public grpc::ServerWriteReactor<AlertEnvelope> {
 public:
  explicit FailedWrite(grpc::Status status) { Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::ServerWriteReactor<AlertEnvelope>* AlertServiceImpl::Subscribe(
    grpc::CallbackServerContext* context, const vigil::v1::SubscribeRequest* request) {
  grpc::Status allowed = auth_->Require(*context, Role::kReader, "AlertService.Subscribe");
  if (!allowed.ok()) return new FailedWrite(allowed);
  uint64_t cursor = 0;
  const absl::StatusOr<uint64_t> last_or = store_->LastCursor();
  const absl::StatusOr<uint64_t> oldest_or = store_->OldestCursor();
  if (!last_or.ok() || !oldest_or.ok()) {
    return new FailedWrite(ToGrpc(!last_or.ok() ? last_or.status() : oldest_or.status()));
  }
  const uint64_t last = *last_or;
  const uint64_t oldest = *oldest_or;
  if (request->cursor().empty()) {
    cursor = last;
  } else if (!ParseCursor(request->cursor(), &cursor)) {
    return new FailedWrite(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                        absl::StrCat("bad cursor '", request->cursor(), "'")));
  } else if (cursor > last) {
    return new FailedWrite(
        grpc::Status(grpc::StatusCode::NOT_FOUND,
                     absl::StrCat("unknown cursor ", cursor, ": the newest alert is ", last)));
  } else if (cursor != 0 && Expired(cursor, oldest, last)) {
    return new FailedWrite(
        grpc::Status(grpc::StatusCode::OUT_OF_RANGE,
                     absl::StrCat("cursor ", cursor, " is older than retention kept (oldest ",
                                  oldest, "); resume with cursor 0")));
  }
  if (cursor == 0) cursor = oldest > 0 ? oldest - 1 : last;  // "0": the oldest kept
  auto* reactor = new SubscribeReactor(store_, hub_, ToStoreFilter(request->filter()));
  reactor->Start(cursor);
  return reactor;
}

grpc::ServerUnaryReactor* AlertServiceImpl::Query(grpc::CallbackServerContext* context,
                                                  const vigil::v1::QueryRequest* request,
                                                  vigil::v1::QueryResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  grpc::Status allowed = auth_->Require(*context, Role::kReader, "AlertService.Query");
  if (!allowed.ok()) {
    reactor->Finish(allowed);
    return reactor;
  }
  uint64_t before = 0;
  if (!request->page_token().empty() && !ParseCursor(request->page_token(), &before)) {
    reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                 absl::StrCat("bad page_token '", request->page_token(), "'")));
    return reactor;
  }
  size_t limit = request->page_size() == 0 ? 100 : request->page_size();
  if (limit > 1000) limit = 1000;
  AlertFilter filter = ToStoreFilter(request->filter());
  filter.since_ns = request->since_unix_ns();
  filter.until_ns = request->until_unix_ns();
  absl::StatusOr<std::vector<StoredAlert>> page = store_->Query(filter, before, limit);
  if (!page.ok()) {
    reactor->Finish(ToGrpc(page.status()));
    return reactor;
  }
  for (const StoredAlert& stored : *page) {
    absl::StatusOr<vigil::v1::AlertEnvelope> envelope = ToEnvelope(stored);
    if (!envelope.ok()) {
      reactor->Finish(ToGrpc(envelope.status()));
      return reactor;
    }
    *response->add_alerts() = *std::move(envelope);
  }
  if (page->size() == limit && !page->empty()) {
    response->set_next_page_token(CursorText(page->back().cursor));
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace vigil::controller

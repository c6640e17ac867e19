// In-process gRPC tests of AlertService (controller/alert_service.h): Subscribe streams
// stored alerts from a cursor and then live ones, resumes with no gap and no repeat,
// filters, and refuses unknown, malformed and retention-expired cursors; Query pages
// newest first with filters and a time range.
#include <time.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "controller/alert_codec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controller/controller_fixture.h"

namespace vigil::controller::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

// One AlertService.Subscribe call.
class Subscription {
 public:
  Subscription(vigil::v1::AlertService::Stub* stub, const std::string& cursor,
               const vigil::v1::AlertFilter& filter = {}, const std::string& token = kReaderToken,
               std::chrono::milliseconds deadline = kCallDeadline)
      : context_(Context(token)) {
    context_->set_deadline(std::chrono::system_clock::now() + deadline);
    vigil::v1::SubscribeRequest request;
    request.set_cursor(cursor);
    *request.mutable_filter() = filter;
    reader_ = stub->Subscribe(context_.get(), request);
  }
  ~Subscription() {
    if (!finished_) {
      context_->TryCancel();
      (void)Finish();
    }
  }

  // The next `n` envelopes (fewer when the stream ends first).
  std::vector<vigil::v1::AlertEnvelope> Take(size_t n) {
    std::vector<vigil::v1::AlertEnvelope> out;
    vigil::v1::AlertEnvelope envelope;
    while (out.size() < n && reader_->Read(&envelope)) out.push_back(envelope);
    return out;
  }

  grpc::Status Finish() {
    vigil::v1::AlertEnvelope ignored;
    while (reader_->Read(&ignored)) {
    }
    finished_ = true;
    return reader_->Finish();
  }

  // Cancels the call (the subscriber goes away).
  void Cancel() {
    context_->TryCancel();
    (void)Finish();
  }

 private:
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientReader<vigil::v1::AlertEnvelope>> reader_;
  bool finished_ = false;
};

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

class AlertServiceTest : public ControllerFixture {
 protected:
  // Stores alerts straight into the store as received at `received_ns`, and tells the
  // subscribers.
  void StoreDirectly(const std::vector<vigil::v1::Alert>& alerts, int64_t received_ns) {
    std::vector<StoredAlert> stored;
    for (const vigil::v1::Alert& alert : alerts) {
      absl::StatusOr<StoredAlert> one =
          ToStored(alert, AlertSender{"sensor-1", "", ""}, received_ns);
      ASSERT_TRUE(one.ok()) << one.status();
      stored.push_back(*std::move(one));
    }
    ASSERT_TRUE(server_->store().Insert(std::move(stored)).ok());
    server_->hub().Notify();
  }

  // Alerts 1..6 with different priorities, rules, tags and nodes; the last matches every
  // filter the tests use.
  std::vector<vigil::v1::Alert> Mixed() {
    using vigil::v1::Alert;
    return {
        MakeAlert(1, "Shell", vigil::v1::PRIORITY_DEBUG, "node-a", {"shell"}),
        MakeAlert(2, "Write etc", vigil::v1::PRIORITY_ERROR, "node-b", {"files", "etc"}),
        MakeAlert(3, "Shell", vigil::v1::PRIORITY_CRITICAL, "node-b", {"shell", "mitre"}),
        MakeAlert(4, "Ptrace", vigil::v1::PRIORITY_NOTICE, "node-c", {}),
        MakeAlert(5, "Write etc", vigil::v1::PRIORITY_WARNING, "node-a", {"etc"}),
        MakeAlert(6, "Shell", vigil::v1::PRIORITY_EMERGENCY, "node-a", {"mitre"}),
    };
  }
};

TEST_F(AlertServiceTest, SubscribeFromZeroGetsStoredAlertsInOrderThenLiveOnes) {
  Deliver("sensor-1", {MakeAlert(1), MakeAlert(2), MakeAlert(3)});
  Subscription sub(alerts_.get(), "0");
  std::vector<vigil::v1::AlertEnvelope> got = sub.Take(3);
  ASSERT_THAT(Sequences(got), ElementsAre(1, 2, 3));
  uint64_t previous = 0;
  for (const vigil::v1::AlertEnvelope& e : got) {
    uint64_t cursor = 0;
    ASSERT_TRUE(ParseCursor(e.cursor(), &cursor)) << e.cursor();
    EXPECT_GT(cursor, previous);
    previous = cursor;
  }
  // Live: stored after the subscriber caught up.
  Deliver("sensor-1", {MakeAlert(4), MakeAlert(5)});
  Deliver("sensor-1", {MakeAlert(6)});
  EXPECT_THAT(Sequences(sub.Take(3)), ElementsAre(4, 5, 6));
}

TEST_F(AlertServiceTest, SubscribeOnAnEmptyStoreGetsLiveAlerts) {
  Subscription from_zero(alerts_.get(), "0");
  Subscription from_now(alerts_.get(), "");
  ASSERT_TRUE(Eventually([&] { return server_->hub().listeners() == 2; }));
  Deliver("sensor-1", {MakeAlert(1), MakeAlert(2)});
  EXPECT_THAT(Sequences(from_zero.Take(2)), ElementsAre(1, 2));
  EXPECT_THAT(Sequences(from_now.Take(2)), ElementsAre(1, 2));
}

TEST_F(AlertServiceTest, EmptyCursorStartsAfterTheNewestAlert) {
  Deliver("sensor-1", {MakeAlert(1), MakeAlert(2)});
  Subscription sub(alerts_.get(), "");
  ASSERT_TRUE(Eventually([&] { return server_->hub().listeners() == 1; }));
  Deliver("sensor-1", {MakeAlert(3)});
  EXPECT_THAT(Sequences(sub.Take(1)), ElementsAre(3));
}

TEST_F(AlertServiceTest, ResumingFromTheLastCursorHasNoGapAndNoRepeat) {
  std::vector<vigil::v1::Alert> first;
  for (uint64_t seq = 1; seq <= 300; ++seq) first.push_back(MakeAlert(seq));
  Deliver("sensor-1", first);  // more than one of the subscription's store batches

  std::map<uint64_t, int> seen;
  std::string cursor = "0";
  uint64_t next = 301;
  // Reads a little, goes away, resumes from the last cursor received; alerts keep coming.
  for (int round = 0; round < 5; ++round) {
    Subscription sub(alerts_.get(), cursor);
    const std::vector<vigil::v1::AlertEnvelope> got = sub.Take(60);
    ASSERT_EQ(got.size(), 60u) << "round " << round;
    for (const vigil::v1::AlertEnvelope& e : got) ++seen[e.alert().sequence()];
    cursor = got.back().cursor();
    sub.Cancel();
    std::vector<vigil::v1::Alert> more;
    for (int i = 0; i < 20; ++i) more.push_back(MakeAlert(next++));
    Deliver("sensor-1", more);
  }
  Subscription rest(alerts_.get(), cursor);
  const size_t remaining = (next - 1) - seen.size();
  for (const vigil::v1::AlertEnvelope& e : rest.Take(remaining)) ++seen[e.alert().sequence()];
  ASSERT_EQ(seen.size(), next - 1);
  for (uint64_t seq = 1; seq < next; ++seq) EXPECT_EQ(seen[seq], 1) << "sequence " << seq;
}

TEST_F(AlertServiceTest, SubscribeFilters) {
  Deliver("sensor-1", Mixed());
  struct Case {
    const char* name;
    vigil::v1::AlertFilter filter;
    std::vector<uint64_t> expected;
  };
  std::vector<Case> cases(5);
  cases[0].name = "min_priority error";
  cases[0].filter.set_min_priority(vigil::v1::PRIORITY_ERROR);
  cases[0].expected = {2, 3, 6};
  cases[1].name = "rules";
  cases[1].filter.add_rules("Shell");
  cases[1].filter.add_rules("Ptrace");
  cases[1].expected = {1, 3, 4, 6};
  cases[2].name = "tags";
  cases[2].filter.add_tags("mitre");
  cases[2].expected = {3, 6};
  cases[3].name = "nodes";
  cases[3].filter.add_nodes("node-a");
  cases[3].expected = {1, 5, 6};
  cases[4].name = "all together";
  cases[4].filter.set_min_priority(vigil::v1::PRIORITY_WARNING);
  cases[4].filter.add_rules("Shell");
  cases[4].filter.add_rules("Write etc");
  cases[4].filter.add_nodes("node-a");
  cases[4].expected = {5, 6};
  for (const Case& c : cases) {
    Subscription sub(alerts_.get(), "0", c.filter);
    EXPECT_THAT(Sequences(sub.Take(c.expected.size())), ElementsAreArray(c.expected)) << c.name;
  }
  // Live alerts are filtered too.
  ASSERT_TRUE(Eventually([&] { return server_->hub().listeners() == 0; }));
  vigil::v1::AlertFilter shell;
  shell.add_rules("Shell");
  Subscription sub(alerts_.get(), "", shell);
  ASSERT_TRUE(Eventually([&] { return server_->hub().listeners() == 1; }));
  Deliver("sensor-1", {MakeAlert(7, "Ptrace"), MakeAlert(8, "Shell")});
  EXPECT_THAT(Sequences(sub.Take(1)), ElementsAre(8));
}

TEST_F(AlertServiceTest, CursorBeyondTheNewestIsNotFound) {
  {
    Subscription sub(alerts_.get(), "1");  // nothing stored yet
    EXPECT_EQ(sub.Finish().error_code(), grpc::StatusCode::NOT_FOUND);
  }
  Deliver("sensor-1", {MakeAlert(1), MakeAlert(2)});
  Subscription sub(alerts_.get(), "3");
  const grpc::Status status = sub.Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("newest alert is 2"));
}

TEST_F(AlertServiceTest, GarbageCursorIsInvalidArgument) {
  Deliver("sensor-1", {MakeAlert(1)});
  for (const char* cursor : {"abc", "-1", "1x", "0x1", "1.5", "99999999999999999999999"}) {
    Subscription sub(alerts_.get(), cursor);
    const grpc::Status status = sub.Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << "'" << cursor << "': " << status.error_message();
  }
}

TEST_F(AlertServiceTest, CursorOlderThanRetentionIsOutOfRange) {
  const int64_t long_ago = NowNs() - int64_t{3600} * 1000000000;
  StoreDirectly({MakeAlert(1), MakeAlert(2), MakeAlert(3)}, long_ago);
  StoreDirectly({MakeAlert(4), MakeAlert(5)}, NowNs());
  absl::StatusOr<uint64_t> deleted = server_->store().ApplyRetention(int64_t{60} * 1000000000, 0);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  ASSERT_EQ(*deleted, 3u);

  {
    Subscription sub(alerts_.get(), "2");  // alert 3 came after it and is gone
    const grpc::Status status = sub.Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE) << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr("cursor 0"));
  }
  {
    Subscription sub(alerts_.get(), "1");
    EXPECT_EQ(sub.Finish().error_code(), grpc::StatusCode::OUT_OF_RANGE);
  }
  {
    Subscription sub(alerts_.get(), "3");  // saw everything that was deleted
    EXPECT_THAT(Sequences(sub.Take(2)), ElementsAre(4, 5));
  }
  Subscription sub(alerts_.get(), "0");  // the oldest kept
  EXPECT_THAT(Sequences(sub.Take(2)), ElementsAre(4, 5));
}

// BUG (controller/alert_service.cc, AlertServiceImpl::Subscribe and SubscribeReactor::
// Fetch): when retention has deleted every alert, the store is empty (OldestCursor() == 0)
// and the OUT_OF_RANGE checks are skipped, so a subscriber resuming from an old cursor
// silently misses the deleted alerts (the call just waits for new ones). AlertStore
// documents this case: "or, with the store empty, when c < LastCursor()". DISABLED_ until
// the controller is fixed; enable it with the fix.
TEST_F(AlertServiceTest, CursorOlderThanRetentionIsOutOfRangeWhenRetentionDeletedEverything) {
  const int64_t long_ago = NowNs() - int64_t{3600} * 1000000000;
  StoreDirectly({MakeAlert(1), MakeAlert(2), MakeAlert(3)}, long_ago);
  absl::StatusOr<uint64_t> deleted = server_->store().ApplyRetention(int64_t{60} * 1000000000, 0);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  ASSERT_EQ(*deleted, 3u);

  // Alerts 2 and 3 were never seen. (A short deadline: with the bug the call waits.)
  Subscription sub(alerts_.get(), "1", {}, kReaderToken, std::chrono::seconds(1));
  const grpc::Status status = sub.Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE) << status.error_message();
}

TEST_F(AlertServiceTest, QueryIsNewestFirstAndPagesUntilEmpty) {
  std::vector<vigil::v1::Alert> batch;
  for (uint64_t seq = 1; seq <= 20; ++seq) batch.push_back(MakeAlert(seq));
  Deliver("sensor-1", batch);

  vigil::v1::QueryRequest request;
  request.set_page_size(7);
  std::vector<size_t> page_sizes;
  std::vector<uint64_t> all;
  for (int page = 0; page < 10; ++page) {
    vigil::v1::QueryResponse response;
    const grpc::Status status = alerts_->Query(Context(kReaderToken).get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    page_sizes.push_back(response.alerts_size());
    for (const vigil::v1::AlertEnvelope& e : response.alerts()) {
      all.push_back(e.alert().sequence());
      EXPECT_FALSE(e.cursor().empty());
    }
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  EXPECT_THAT(page_sizes, ElementsAre(7, 7, 6));
  std::vector<uint64_t> expected;
  for (uint64_t seq = 20; seq >= 1; --seq) expected.push_back(seq);
  EXPECT_EQ(all, expected);

  // A page size dividing the count: the last full page has a token, the next is empty.
  request.Clear();
  request.set_page_size(10);
  vigil::v1::QueryResponse first, second, third;
  ASSERT_TRUE(alerts_->Query(Context(kReaderToken).get(), request, &first).ok());
  ASSERT_FALSE(first.next_page_token().empty());
  request.set_page_token(first.next_page_token());
  ASSERT_TRUE(alerts_->Query(Context(kReaderToken).get(), request, &second).ok());
  ASSERT_FALSE(second.next_page_token().empty());
  ASSERT_EQ(second.alerts_size(), 10);
  EXPECT_EQ(second.alerts(9).alert().sequence(), 1u);
  request.set_page_token(second.next_page_token());
  ASSERT_TRUE(alerts_->Query(Context(kReaderToken).get(), request, &third).ok());
  EXPECT_EQ(third.alerts_size(), 0);
  EXPECT_TRUE(third.next_page_token().empty());

  // The default page holds them all.
  EXPECT_EQ(QueryAll({}).size(), 20u);
}

TEST_F(AlertServiceTest, QueryCursorsMatchSubscribeCursors) {
  Deliver("sensor-1", {MakeAlert(1), MakeAlert(2)});
  const std::vector<vigil::v1::AlertEnvelope> queried = QueryAll({});
  Subscription sub(alerts_.get(), "0");
  const std::vector<vigil::v1::AlertEnvelope> streamed = sub.Take(2);
  ASSERT_EQ(queried.size(), 2u);
  ASSERT_EQ(streamed.size(), 2u);
  EXPECT_EQ(queried[0].cursor(), streamed[1].cursor());
  EXPECT_EQ(queried[1].cursor(), streamed[0].cursor());
  EXPECT_EQ(queried[0].alert().output(), "Exec seen #2");
}

TEST_F(AlertServiceTest, QueryFilters) {
  Deliver("sensor-1", Mixed());
  vigil::v1::QueryRequest request;
  request.mutable_filter()->set_min_priority(vigil::v1::PRIORITY_ERROR);
  EXPECT_THAT(Sequences(QueryAll(request)), ElementsAre(6, 3, 2));
  request.Clear();
  request.mutable_filter()->add_rules("Write etc");
  EXPECT_THAT(Sequences(QueryAll(request)), ElementsAre(5, 2));
  request.Clear();
  request.mutable_filter()->add_tags("etc");
  request.mutable_filter()->add_tags("shell");
  EXPECT_THAT(Sequences(QueryAll(request)), ElementsAre(5, 3, 2, 1));
  request.Clear();
  request.mutable_filter()->add_nodes("node-b");
  request.mutable_filter()->add_nodes("node-c");
  EXPECT_THAT(Sequences(QueryAll(request)), ElementsAre(4, 3, 2));
  request.Clear();
  request.mutable_filter()->add_rules("No such rule");
  EXPECT_TRUE(QueryAll(request).empty());
}

TEST_F(AlertServiceTest, QuerySinceAndUntil) {
  std::vector<vigil::v1::Alert> batch;
  for (uint64_t seq = 1; seq <= 8; ++seq) batch.push_back(MakeAlert(seq));  // time seq*1000
  Deliver("sensor-1", batch);
  vigil::v1::QueryRequest request;
  request.set_since_unix_ns(3000);
  request.set_until_unix_ns(6000);
  EXPECT_THAT(Sequences(QueryAll(request)), ElementsAre(5, 4, 3));  // [since, until)
  request.set_until_unix_ns(0);
  EXPECT_THAT(Sequences(QueryAll(request)), ElementsAre(8, 7, 6, 5, 4, 3));
  request.set_since_unix_ns(0);
  request.set_until_unix_ns(3000);
  EXPECT_THAT(Sequences(QueryAll(request)), ElementsAre(2, 1));
  request.set_page_size(1);
  request.set_since_unix_ns(2000);
  EXPECT_THAT(Sequences(QueryAll(request)), ElementsAre(2));
}

TEST_F(AlertServiceTest, QueryBadPageTokenIsInvalidArgument) {
  vigil::v1::QueryRequest request;
  request.set_page_token("not-a-token");
  vigil::v1::QueryResponse response;
  const grpc::Status status = alerts_->Query(Context(kReaderToken).get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("not-a-token"));
}

TEST_F(AlertServiceTest, GapRecordsPassEveryFilterButNodes) {
  vigil::v1::Alert big = MakeAlert(2, "Shell", vigil::v1::PRIORITY_DEBUG, "node-b");
  big.set_output(std::string(300 * 1024, 'x'));
  Deliver("sensor-1", {MakeAlert(1, "Shell"), big});
  vigil::v1::QueryRequest request;
  request.mutable_filter()->add_rules("Ptrace");
  request.mutable_filter()->set_min_priority(vigil::v1::PRIORITY_EMERGENCY);
  const std::vector<vigil::v1::AlertEnvelope> got = QueryAll(request);
  ASSERT_THAT(Sequences(got), ElementsAre(2));
  EXPECT_EQ(got[0].alert().lost(), 1u);
  request.Clear();
  request.mutable_filter()->add_nodes("node-a");
  EXPECT_THAT(Sequences(QueryAll(request)), ElementsAre(1));
}

}  // namespace
}  // namespace vigil::controller::testing

#include "common/metrics_server.h"

#include <string>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "prometheus/counter.h"
#include "tests/support/http_client.h"

namespace vigil {
namespace {

using ::vigil::testing::HttpGet;
using ::vigil::testing::HttpRaw;

class MetricsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_ = std::make_shared<prometheus::Registry>();
    auto& family = prometheus::BuildCounter()
                       .Name("vigil_test_things_total")
                       .Help("Things.")
                       .Register(*registry_);
    counter_ = &family.Add({{"kind", "a"}});
    auto server = MetricsServer::Start(
        "127.0.0.1:0", registry_,
        [this] {
          absl::MutexLock lock(&mu_);
          return not_ready_;
        },
        [this] { counter_->Increment(); });  // each scrape counts itself
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  void SetNotReady(const std::string& why) {
    absl::MutexLock lock(&mu_);
    not_ready_ = why;
  }

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Counter* counter_ = nullptr;
  std::unique_ptr<MetricsServer> server_;
  absl::Mutex mu_;
  std::string not_ready_ ABSL_GUARDED_BY(mu_);
};

TEST_F(MetricsServerTest, MetricsAreServedInTextFormatAfterTheCollectHook) {
  auto first = HttpGet(server_->port(), "/metrics");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->status, 200);
  EXPECT_NE(first->body.find("# TYPE vigil_test_things_total counter"), std::string::npos);
  EXPECT_NE(first->body.find("vigil_test_things_total{kind=\"a\"} 1"), std::string::npos)
      << first->body;
  auto second = HttpGet(server_->port(), "/metrics?x=1");  // a query string is ignored
  ASSERT_TRUE(second.ok());
  EXPECT_NE(second->body.find("vigil_test_things_total{kind=\"a\"} 2"), std::string::npos);
}

TEST_F(MetricsServerTest, ReadinessAnswers503WithTheReasonUntilReady) {
  SetNotReady("no rules loaded yet");
  auto before = HttpGet(server_->port(), "/readyz");
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->status, 503);
  EXPECT_EQ(before->body, "not ready: no rules loaded yet\n");
  SetNotReady("");
  auto after = HttpGet(server_->port(), "/readyz");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->status, 200);
  auto live = HttpGet(server_->port(), "/healthz");
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(live->status, 200);
}

TEST_F(MetricsServerTest, BadRequestsGetClearStatusCodes) {
  struct Case {
    std::string request;
    std::string status_line;
  };
  const Case cases[] = {
      {"GET /nope HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found"},
      {"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 405 Method Not Allowed"},
      {"garbage\r\n\r\n", "HTTP/1.1 400 Bad Request"},
      {"GET /metrics FTP/1.0\r\n\r\n", "HTTP/1.1 400 Bad Request"},
      {"GET /" + std::string(20000, 'a') + " HTTP/1.1\r\n\r\n",
       "HTTP/1.1 431 Request Header Fields Too Large"},
  };
  for (const Case& c : cases) {
    auto raw = HttpRaw(server_->port(), c.request);
    ASSERT_TRUE(raw.ok()) << raw.status();
    EXPECT_EQ(raw->substr(0, raw->find("\r\n")), c.status_line) << c.request.substr(0, 40);
  }
}

TEST_F(MetricsServerTest, AClientThatSendsNothingIsDroppedAndOthersAreServed) {
  // A silent connection holds the endpoint at most for the read timeout (2 s).
  auto silent = HttpRaw(server_->port(), "", 4000);
  ASSERT_TRUE(silent.ok()) << silent.status();
  EXPECT_EQ(*silent, "");
  auto next = HttpGet(server_->port(), "/healthz");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->status, 200);
}

TEST(MetricsServerStartTest, BadAddressesAndBusyPortsAreErrorsNotExceptions) {
  auto registry = std::make_shared<prometheus::Registry>();
  for (const std::string address :
       {"nocolon", "127.0.0.1:http", "127.0.0.1:70000", "no.such.host.invalid:9470"}) {
    auto server = MetricsServer::Start(address, registry, nullptr);
    EXPECT_FALSE(server.ok()) << address;
    EXPECT_NE(server.status().message().find(address.substr(0, 8)), absl::string_view::npos)
        << server.status();
  }
  auto first = MetricsServer::Start("127.0.0.1:0", registry, nullptr);
  ASSERT_TRUE(first.ok());
  const std::string busy = "127.0.0.1:" + std::to_string((*first)->port());
  auto second = MetricsServer::Start(busy, registry, nullptr);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find("cannot listen on " + busy), absl::string_view::npos)
      << second.status();
  (*first)->Stop();
  (*first)->Stop();  // twice is fine
}

}  // namespace
}  // namespace vigil

#include "controller/metrics.h"

#include <string>

#include "gtest/gtest.h"
#include "tests/controller/controller_fixture.h"
#include "tests/support/http_client.h"

namespace vigil::controller::testing {
namespace {

using ::vigil::testing::HttpGet;

class ControllerMetricsTest : public ControllerFixture {
 protected:
  void Configure(ControllerOptions& options) override { options.metrics_address = "127.0.0.1:0"; }

  std::string Scrape() {
    auto response = HttpGet(server_->metrics_port(), "/metrics");
    EXPECT_TRUE(response.ok()) << response.status();
    if (!response.ok()) return "";
    EXPECT_EQ(response->status, 200);
    return response->body;
  }

  static bool Has(const std::string& text, const std::string& line) {
    return text.find(line + "\n") != std::string::npos;
  }
};

TEST_F(ControllerMetricsTest, SensorsAlertsAndTheStoreAreCountedAtScrape) {
  ASSERT_NE(server_->metrics_port(), 0);
  std::string text = Scrape();
  EXPECT_TRUE(Has(text, "vigil_controller_sensors_connected 0")) << text;
  EXPECT_TRUE(Has(text, "vigil_controller_alerts_total{outcome=\"stored\"} 0"));

  std::unique_ptr<SensorStream> sensor = Sensor();
  ASSERT_TRUE(sensor->Hello("node-1"));
  ASSERT_TRUE(sensor->SendAlerts({MakeAlert(1), MakeAlert(2), MakeAlert(3)}));
  ASSERT_EQ(sensor->AwaitAck(3), 3u);
  EXPECT_TRUE(sensor->Close().ok());
  sensor = Sensor();  // a resend on a new stream: acked, not stored again
  ASSERT_TRUE(sensor->Hello("node-1"));
  ASSERT_TRUE(sensor->SendAlerts({MakeAlert(3)}));
  ASSERT_EQ(sensor->AwaitAck(3), 3u);
  text = Scrape();
  EXPECT_TRUE(Has(text, "vigil_controller_sensors_connected 1")) << text;
  EXPECT_TRUE(Has(text, "vigil_controller_sensors_known 1"));
  EXPECT_TRUE(Has(text, "vigil_controller_alerts_total{outcome=\"received\"} 4"));
  EXPECT_TRUE(Has(text, "vigil_controller_alerts_total{outcome=\"stored\"} 3"));
  EXPECT_TRUE(Has(text, "vigil_controller_alerts_total{outcome=\"duplicate\"} 1"));
  EXPECT_TRUE(Has(text, "vigil_controller_store_alerts 3"));
  EXPECT_TRUE(Has(text, "vigil_controller_sensor_streams_total 2"));
  EXPECT_NE(text.find("vigil_controller_store_bytes "), std::string::npos);
  EXPECT_TRUE(sensor->Close().ok());
}

TEST_F(ControllerMetricsTest, RolloutStatesFollowTheDesiredRuleSet) {
  std::unique_ptr<SensorStream> sensor = Sensor();
  ASSERT_TRUE(sensor->Hello("node-1"));
  vigil::v1::PutRuleSetRequest request;
  vigil::v1::RuleFile* file = request.add_files();
  file->set_name(kRulesName);
  file->set_content(kRulesText);
  vigil::v1::PutRuleSetResponse response;
  ASSERT_TRUE(fleet_->PutRuleSet(Context(kAdminToken).get(), request, &response).ok());
  const std::string text = Scrape();
  EXPECT_TRUE(Has(text, "vigil_controller_rollout_sensors{kind=\"rules\",state=\"pending\"} 1"))
      << text;
  EXPECT_TRUE(Has(text, "vigil_controller_rollout_sensors{kind=\"rules\",state=\"applied\"} 0"));
  EXPECT_TRUE(Has(text, "vigil_controller_rollout_sensors{kind=\"modules\",state=\"pending\"} 0"));
}

TEST_F(ControllerMetricsTest, ReadyOnceTheStoreAnswers) {
  auto ready = HttpGet(server_->metrics_port(), "/readyz");
  ASSERT_TRUE(ready.ok());
  EXPECT_EQ(ready->status, 200);
  auto live = HttpGet(server_->metrics_port(), "/healthz");
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(live->status, 200);
}

}  // namespace
}  // namespace vigil::controller::testing

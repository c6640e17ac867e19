// What the SqliteStore tests share: status assertions, alerts to store (MakeAlert, MakeGap,
// FilterFixture), what to compare of the alerts read back (Cursors, Seqs), and OpenOrDie.
#ifndef VIGIL_TESTS_CONTROLLER_STORE_SQLITE_STORE_TEST_UTIL_H_
#define VIGIL_TESTS_CONTROLLER_STORE_SQLITE_STORE_TEST_UTIL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "controller/store/sqlite_store.h"
#include "gtest/gtest.h"

// Asserts that `expr` (an absl::Status) is OK, printing the status when it is not.
#define ASSERT_OK(expr)                                 \
  do {                                                  \
    const ::absl::Status assert_status_ = (expr);       \
    ASSERT_TRUE(assert_status_.ok()) << assert_status_; \
  } while (0)

// Asserts that `expr` (an absl::StatusOr) is OK and moves its value into `lhs` (a
// declaration or an existing variable).
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL_(VIGIL_CONCAT_(assert_statusor_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                               \
  ASSERT_TRUE(statusor.ok()) << statusor.status();      \
  lhs = std::move(statusor).value()

namespace vigil::controller::sqlite_store_test {

// An alert of `sensor` with sequence number `seq`, every other field filled in plainly.
inline StoredAlert MakeAlert(const std::string& sensor, uint64_t seq) {
  StoredAlert alert;
  alert.sensor_id = sensor;
  alert.sensor_seq = seq;
  alert.node = "node-1";
  alert.rule = "rule-a";
  alert.priority = 4;
  alert.time_ns = 1000 + static_cast<int64_t>(seq);
  alert.received_ns = absl::GetCurrentTimeNanos();
  alert.payload = absl::StrCat("payload ", sensor, " ", seq);
  return alert;
}

// A gap record of `sensor` at `seq` on `node`, saying `lost` alerts were lost.
inline StoredAlert MakeGap(const std::string& sensor, uint64_t seq, const std::string& node,
                           uint64_t lost) {
  StoredAlert gap = MakeAlert(sensor, seq);
  gap.node = node;
  gap.rule = "";
  gap.priority = 7;
  gap.gap = true;
  gap.lost = lost;
  return gap;
}

// The cursors of `alerts`, in order.
inline std::vector<uint64_t> Cursors(const std::vector<StoredAlert>& alerts) {
  std::vector<uint64_t> out;
  for (const StoredAlert& a : alerts) out.push_back(a.cursor);
  return out;
}

// The sensor sequence numbers of `alerts`, in order.
inline std::vector<uint64_t> Seqs(const std::vector<StoredAlert>& alerts) {
  std::vector<uint64_t> out;
  for (const StoredAlert& a : alerts) out.push_back(a.sensor_seq);
  return out;
}

// The store at `path`, opened with `options`; null (and a failed expectation) on an error.
inline std::unique_ptr<SqliteStore> OpenOrDie(const std::string& path,
                                              const SqliteStoreOptions& options = {}) {
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path, options);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? std::move(*store) : nullptr;
}

// A fixed set of alerts for the filter tests: seq 1..8 of sensor "s", plus gaps.
inline std::vector<StoredAlert> FilterFixture() {
  std::vector<StoredAlert> alerts;
  auto add = [&](uint64_t seq, const std::string& node, const std::string& rule, int priority,
                 std::vector<std::string> tags, int64_t time_ns) {
    StoredAlert a = MakeAlert("s", seq);
    a.node = node;
    a.rule = rule;
    a.priority = priority;
    a.tags = std::move(tags);
    a.time_ns = time_ns;
    alerts.push_back(a);
  };
  add(1, "n1", "shadow", 1, {"creds", "mitre"}, 100);
  add(2, "n2", "fork", 4, {"dos"}, 200);
  add(3, "n1", "fork", 6, {}, 300);
  StoredAlert gap1 = MakeGap("s", 4, "n1", 5);
  gap1.time_ns = 50;  // outside every time window the tests use: gaps pass time filters too
  alerts.push_back(gap1);
  add(5, "n3", "setuid", 2, {"mitre", "priv"}, 500);
  add(6, "n2", "shadow", 7, {"creds"}, 600);
  alerts.push_back(MakeGap("s", 7, "n2", 1));
  add(8, "n1", "setuid", 0, {"priv"}, 800);
  return alerts;
}

}  // namespace vigil::controller::sqlite_store_test

#endif  // VIGIL_TESTS_CONTROLLER_STORE_SQLITE_STORE_TEST_UTIL_H_

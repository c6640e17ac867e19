// Unit tests for controller/store/sqlite_store.h: the alert and fleet stores on SQLite.
#include "controller/store/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_dir.h"

namespace vigil::controller {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

#define ASSERT_OK(expr)                                 \
  do {                                                  \
    const ::absl::Status assert_status_ = (expr);       \
    ASSERT_TRUE(assert_status_.ok()) << assert_status_; \
  } while (0)

#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL_(VIGIL_CONCAT_(assert_statusor_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                               \
  ASSERT_TRUE(statusor.ok()) << statusor.status();      \
  lhs = std::move(statusor).value()

constexpr int64_t kHourNs = int64_t{3600} * 1000 * 1000 * 1000;

StoredAlert MakeAlert(const std::string& sensor, uint64_t seq) {
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

StoredAlert MakeGap(const std::string& sensor, uint64_t seq, const std::string& node,
                    uint64_t lost) {
  StoredAlert gap = MakeAlert(sensor, seq);
  gap.node = node;
  gap.rule = "";
  gap.priority = 7;
  gap.gap = true;
  gap.lost = lost;
  return gap;
}

std::vector<uint64_t> Cursors(const std::vector<StoredAlert>& alerts) {
  std::vector<uint64_t> out;
  for (const StoredAlert& a : alerts) out.push_back(a.cursor);
  return out;
}

std::vector<uint64_t> Seqs(const std::vector<StoredAlert>& alerts) {
  std::vector<uint64_t> out;
  for (const StoredAlert& a : alerts) out.push_back(a.sensor_seq);
  return out;
}

std::unique_ptr<SqliteStore> OpenOrDie(const std::string& path,
                                       const SqliteStoreOptions& options = {}) {
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path, options);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? std::move(*store) : nullptr;
}

// Runs SQL on a database file directly (to build old schemas and inspect files).
void RawExec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  EXPECT_EQ(rc, SQLITE_OK) << (error != nullptr ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
}

// The text of the first column of the first row of `sql`.
std::string RawQuery(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open(path.c_str(), &db) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt, 0);
      out = text != nullptr ? reinterpret_cast<const char*>(text) : "";
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return out;
}

TEST(SqliteStoreTest, StoresEveryFieldAndAssignsConsecutiveCursors) {
  auto store = OpenOrDie(":memory:");
  ASSERT_NE(store, nullptr);
  StoredAlert full = MakeAlert("sensor-a", ~uint64_t{0} - 1);  // above INT64_MAX
  full.cursor = 999;                                           // ignored
  full.node = "node-7";
  full.rule = "Read of shadow file";
  full.priority = 2;
  full.tags = {"mitre_credential_access", "", "host"};
  full.time_ns = -5;
  full.received_ns = 1234567890123456789;
  full.payload = std::string("\0binary\xff\0", 9);
  StoredAlert gap = MakeGap("sensor-a", 3, "node-7", ~uint64_t{0});

  ASSERT_OK_AND_ASSIGN(auto results, store->Insert({full, gap, MakeAlert("sensor-b", 0)}));
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].cursor, 1u);
  EXPECT_EQ(results[1].cursor, 2u);
  EXPECT_EQ(results[2].cursor, 3u);
  for (const InsertResult& r : results) EXPECT_FALSE(r.duplicate);

  ASSERT_OK_AND_ASSIGN(auto read, store->ReadAfter(0, {}, 10));
  ASSERT_EQ(read.size(), 3u);
  const StoredAlert& got = read[0];
  EXPECT_EQ(got.cursor, 1u);
  EXPECT_EQ(got.sensor_id, "sensor-a");
  EXPECT_EQ(got.sensor_seq, ~uint64_t{0} - 1);
  EXPECT_EQ(got.node, "node-7");
  EXPECT_EQ(got.rule, "Read of shadow file");
  EXPECT_EQ(got.priority, 2);
  EXPECT_THAT(got.tags, ElementsAre("mitre_credential_access", "", "host"));
  EXPECT_EQ(got.time_ns, -5);
  EXPECT_EQ(got.received_ns, 1234567890123456789);
  EXPECT_FALSE(got.gap);
  EXPECT_EQ(got.payload, full.payload);
  EXPECT_TRUE(read[1].gap);
  EXPECT_EQ(read[1].lost, ~uint64_t{0});
  EXPECT_TRUE(read[1].tags.empty());
  EXPECT_EQ(read[2].sensor_seq, 0u);

  ASSERT_OK_AND_ASSIGN(uint64_t count, store->Count());
  EXPECT_EQ(count, 3u);
  ASSERT_OK_AND_ASSIGN(uint64_t last, store->LastCursor());
  EXPECT_EQ(last, 3u);
  ASSERT_OK_AND_ASSIGN(uint64_t oldest, store->OldestCursor());
  EXPECT_EQ(oldest, 1u);
}

TEST(SqliteStoreTest, EmptyStoreHasNoCursors) {
  auto store = OpenOrDie(":memory:");
  ASSERT_NE(store, nullptr);
  ASSERT_OK_AND_ASSIGN(uint64_t last, store->LastCursor());
  ASSERT_OK_AND_ASSIGN(uint64_t oldest, store->OldestCursor());
  ASSERT_OK_AND_ASSIGN(uint64_t count, store->Count());
  ASSERT_OK_AND_ASSIGN(uint64_t bytes, store->SizeBytes());
  EXPECT_EQ(last, 0u);
  EXPECT_EQ(oldest, 0u);
  EXPECT_EQ(count, 0u);
  EXPECT_EQ(bytes, 0u);
  ASSERT_OK_AND_ASSIGN(auto none, store->Insert({}));
  EXPECT_TRUE(none.empty());
  ASSERT_OK_AND_ASSIGN(auto read, store->ReadAfter(0, {}, 10));
  EXPECT_TRUE(read.empty());
}

TEST(SqliteStoreTest, DuplicatesInOneBatchReportTheFirstCursor) {
  auto store = OpenOrDie(":memory:");
  ASSERT_NE(store, nullptr);
  StoredAlert again = MakeAlert("s", 1);
  again.payload = "a different payload";  // still a duplicate: the key is (sensor, seq)
  ASSERT_OK_AND_ASSIGN(auto results, store->Insert({MakeAlert("s", 1), MakeAlert("s", 2), again,
                                                    MakeAlert("t", 1)}));
  ASSERT_EQ(results.size(), 4u);
  EXPECT_FALSE(results[0].duplicate);
  EXPECT_FALSE(results[1].duplicate);
  EXPECT_TRUE(results[2].duplicate);
  EXPECT_EQ(results[2].cursor, results[0].cursor);
  EXPECT_FALSE(results[3].duplicate);  // same seq, other sensor
  EXPECT_EQ(results[3].cursor, 3u);    // the duplicate took no cursor
  ASSERT_OK_AND_ASSIGN(auto read, store->ReadAfter(0, {}, 10));
  ASSERT_EQ(read.size(), 3u);
  EXPECT_EQ(read[0].payload, "payload s 1");
  ASSERT_OK_AND_ASSIGN(uint64_t count, store->Count());
  EXPECT_EQ(count, 3u);
}

TEST(SqliteStoreTest, DuplicatesAcrossBatchesAreNotStoredAgain) {
  auto store = OpenOrDie(":memory:");
  ASSERT_NE(store, nullptr);
  ASSERT_OK_AND_ASSIGN(auto first, store->Insert({MakeAlert("s", 1), MakeAlert("s", 2)}));
  ASSERT_OK_AND_ASSIGN(uint64_t bytes_before, store->SizeBytes());
  // A sensor resending after a lost ack: the old two, then a new one.
  ASSERT_OK_AND_ASSIGN(auto second,
                       store->Insert({MakeAlert("s", 1), MakeAlert("s", 2), MakeAlert("s", 3)}));
  ASSERT_EQ(second.size(), 3u);
  EXPECT_TRUE(second[0].duplicate);
  EXPECT_EQ(second[0].cursor, first[0].cursor);
  EXPECT_TRUE(second[1].duplicate);
  EXPECT_EQ(second[1].cursor, first[1].cursor);
  EXPECT_FALSE(second[2].duplicate);
  EXPECT_EQ(second[2].cursor, 3u);
  ASSERT_OK_AND_ASSIGN(uint64_t count, store->Count());
  EXPECT_EQ(count, 3u);
  ASSERT_OK_AND_ASSIGN(uint64_t bytes_after, store->SizeBytes());
  // payload, node, and twice sensor_id and rule.
  EXPECT_EQ(bytes_after - bytes_before,
            std::string("payload s 3").size() + 6 + 2 * (1 + 6) + SqliteStore::kRowOverheadBytes);
  ASSERT_OK_AND_ASSIGN(auto read, store->ReadAfter(0, {}, 10));
  EXPECT_THAT(Seqs(read), ElementsAre(1, 2, 3));
}

TEST(SqliteStoreTest, InvalidAlertsAreRefusedAndNothingIsStored) {
  auto store = OpenOrDie(":memory:");
  ASSERT_NE(store, nullptr);
  StoredAlert no_sensor = MakeAlert("", 1);
  StoredAlert too_big = MakeAlert("s", 2);
  too_big.payload.assign(AlertStore::kMaxPayloadBytes + 1, 'x');
  StoredAlert bad_priority = MakeAlert("s", 3);
  bad_priority.priority = 8;
  StoredAlert negative_priority = MakeAlert("s", 4);
  negative_priority.priority = -1;
  StoredAlert bad_tag = MakeAlert("s", 5);
  bad_tag.tags = {std::string("a\0b", 3)};
  for (const StoredAlert& bad : {no_sensor, too_big, bad_priority, negative_priority, bad_tag}) {
    absl::StatusOr<std::vector<InsertResult>> result = store->Insert({MakeAlert("ok", 1), bad});
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << result.status();
    EXPECT_THAT(std::string(result.status().message()), HasSubstr("alert 1 of the batch"));
  }
  ASSERT_OK_AND_ASSIGN(uint64_t count, store->Count());
  EXPECT_EQ(count, 0u);

  StoredAlert largest = MakeAlert("s", 6);
  largest.payload.assign(AlertStore::kMaxPayloadBytes, '\xab');
  ASSERT_OK_AND_ASSIGN(auto results, store->Insert({largest}));
  EXPECT_EQ(results[0].cursor, 1u);
  ASSERT_OK_AND_ASSIGN(auto read, store->ReadAfter(0, {}, 1));
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].payload, largest.payload);
}

// A fixed set of alerts for the filter tests: seq 1..8 of sensor "s", plus gaps.
std::vector<StoredAlert> FilterFixture() {
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
  gap1.time_ns = 50;  // outside every time window below: gaps pass time filters too
  alerts.push_back(gap1);
  add(5, "n3", "setuid", 2, {"mitre", "priv"}, 500);
  add(6, "n2", "shadow", 7, {"creds"}, 600);
  alerts.push_back(MakeGap("s", 7, "n2", 1));
  add(8, "n1", "setuid", 0, {"priv"}, 800);
  return alerts;
}

TEST(SqliteStoreTest, ReadAfterAppliesEachFilterAndPassesGapsExceptByNode) {
  auto store = OpenOrDie(":memory:");
  ASSERT_NE(store, nullptr);
  ASSERT_OK(store->Insert(FilterFixture()).status());

  struct Case {
    std::string name;
    AlertFilter filter;
    std::vector<uint64_t> seqs;
  };
  std::vector<Case> cases;
  cases.push_back({"none", {}, {1, 2, 3, 4, 5, 6, 7, 8}});
  {
    AlertFilter f;
    f.max_priority = 2;
    cases.push_back({"max_priority 2", f, {1, 4, 5, 7, 8}});
    f.max_priority = 0;
    cases.push_back({"max_priority 0", f, {4, 7, 8}});
  }
  {
    AlertFilter f;
    f.rules = {"fork", "setuid"};
    cases.push_back({"rules", f, {2, 3, 4, 5, 7, 8}});
    f.rules = {"nothing"};
    cases.push_back({"unknown rule", f, {4, 7}});
  }
  {
    AlertFilter f;
    f.tags = {"creds"};
    cases.push_back({"one tag", f, {1, 4, 6, 7}});
    f.tags = {"priv", "dos"};
    cases.push_back({"any of two tags", f, {2, 4, 5, 7, 8}});
  }
  {
    AlertFilter f;
    f.nodes = {"n1"};
    cases.push_back({"node n1", f, {1, 3, 4, 8}});
    f.nodes = {"n2", "n3"};
    cases.push_back({"nodes n2 n3", f, {2, 5, 6, 7}});
  }
  {
    AlertFilter f;
    f.since_ns = 300;
    cases.push_back({"since", f, {3, 4, 5, 6, 7, 8}});
    f.until_ns = 600;  // exclusive
    cases.push_back({"since until", f, {3, 4, 5, 7}});
    f.since_ns = 0;
    cases.push_back({"until", f, {1, 2, 3, 4, 5, 7}});
  }
  {
    AlertFilter f;
    f.max_priority = 4;
    f.tags = {"mitre", "dos"};
    f.nodes = {"n1", "n2"};
    cases.push_back({"combined", f, {1, 2, 4, 7}});
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ASSERT_OK_AND_ASSIGN(auto read, store->ReadAfter(0, c.filter, 100));
    EXPECT_THAT(Seqs(read), ElementsAreArray(c.seqs));
    // The same set newest first through Query.
    ASSERT_OK_AND_ASSIGN(auto queried, store->Query(c.filter, 0, 100));
    std::vector<uint64_t> reversed(c.seqs.rbegin(), c.seqs.rend());
    EXPECT_THAT(Seqs(queried), ElementsAreArray(reversed));
  }
}

TEST(SqliteStoreTest, ReadAfterResumesWithNoGapAndNoRepeat) {
  auto store = OpenOrDie(":memory:");
  ASSERT_NE(store, nullptr);
  ASSERT_OK(store->Insert(FilterFixture()).status());
  AlertFilter filter;
  filter.nodes = {"n1", "n2"};
  ASSERT_OK_AND_ASSIGN(auto all, store->ReadAfter(0, filter, 100));
  ASSERT_EQ(all.size(), 7u);
  std::vector<uint64_t> paged;
  uint64_t cursor = 0;
  for (int i = 0; i < 10; ++i) {
    ASSERT_OK_AND_ASSIGN(auto page, store->ReadAfter(cursor, filter, 2));
    if (page.empty()) break;
    EXPECT_LE(page.size(), 2u);
    for (const StoredAlert& a : page) paged.push_back(a.cursor);
    cursor = page.back().cursor;
  }
  EXPECT_EQ(paged, Cursors(all));
  // New alerts after the last cursor are what the next read returns.
  StoredAlert later = MakeAlert("s", 100);
  later.node = "n2";
  ASSERT_OK(store->Insert({later}).status());
  ASSERT_OK_AND_ASSIGN(auto next, store->ReadAfter(cursor, filter, 10));
  EXPECT_THAT(Seqs(next), ElementsAre(100));
}

TEST(SqliteStoreTest, QueryPagesNewestFirst) {
  auto store = OpenOrDie(":memory:");
  ASSERT_NE(store, nullptr);
  std::vector<StoredAlert> batch;
  for (uint64_t seq = 1; seq <= 10; ++seq) {
    batch.push_back(MakeAlert("s", seq));
    batch.back().rule = seq % 2 == 0 ? "even" : "odd";
  }
  ASSERT_OK(store->Insert(batch).status());

  ASSERT_OK_AND_ASSIGN(auto page1, store->Query({}, 0, 4));
  EXPECT_THAT(Cursors(page1), ElementsAre(10, 9, 8, 7));
  ASSERT_OK_AND_ASSIGN(auto page2, store->Query({}, page1.back().cursor, 4));
  EXPECT_THAT(Cursors(page2), ElementsAre(6, 5, 4, 3));
  ASSERT_OK_AND_ASSIGN(auto page3, store->Query({}, page2.back().cursor, 4));
  EXPECT_THAT(Cursors(page3), ElementsAre(2, 1));
  ASSERT_OK_AND_ASSIGN(auto page4, store->Query({}, page3.back().cursor, 4));
  EXPECT_TRUE(page4.empty());
  // Bounds beyond any cursor SQLite can assign.
  ASSERT_OK_AND_ASSIGN(auto from_top, store->Query({}, ~uint64_t{0}, 2));
  EXPECT_THAT(Cursors(from_top), ElementsAre(10, 9));
  ASSERT_OK_AND_ASSIGN(auto after_top, store->ReadAfter(~uint64_t{0}, {}, 2));
  EXPECT_TRUE(after_top.empty());
  ASSERT_OK_AND_ASSIGN(auto after_max, store->ReadAfter(uint64_t{1} << 63, {}, 2));
  EXPECT_TRUE(after_max.empty());

  AlertFilter even;
  even.rules = {"even"};
  ASSERT_OK_AND_ASSIGN(auto e1, store->Query(even, 0, 3));
  EXPECT_THAT(Seqs(e1), ElementsAre(10, 8, 6));
  ASSERT_OK_AND_ASSIGN(auto e2, store->Query(even, e1.back().cursor, 3));
  EXPECT_THAT(Seqs(e2), ElementsAre(4, 2));
}

TEST(SqliteStoreTest, ReadsAreBoundedByTheLimit) {
  auto store = OpenOrDie(":memory:");
  ASSERT_NE(store, nullptr);
  std::vector<StoredAlert> batch;
  for (uint64_t seq = 1; seq <= AlertStore::kMaxReadLimit + 5; ++seq) {
    batch.push_back(MakeAlert("s", seq));
  }
  ASSERT_OK(store->Insert(std::move(batch)).status());
  ASSERT_OK_AND_ASSIGN(auto zero, store->ReadAfter(0, {}, 0));
  EXPECT_TRUE(zero.empty());
  ASSERT_OK_AND_ASSIGN(auto capped, store->ReadAfter(0, {}, 1 << 30));
  EXPECT_EQ(capped.size(), AlertStore::kMaxReadLimit);
  ASSERT_OK_AND_ASSIGN(auto capped_query, store->Query({}, 0, 1 << 30));
  EXPECT_EQ(capped_query.size(), AlertStore::kMaxReadLimit);
  ASSERT_OK_AND_ASSIGN(auto rest, store->ReadAfter(capped.back().cursor, {}, 1 << 30));
  EXPECT_EQ(rest.size(), 5u);
}

TEST(SqliteStoreTest, RetentionByAgeDeletesTheOldestPrefix) {
  auto store = OpenOrDie(":memory:");
  ASSERT_NE(store, nullptr);
  const int64_t now = absl::GetCurrentTimeNanos();
  std::vector<StoredAlert> batch;
  for (int64_t age_h : {5, 4, 0, 3, 0}) {
    batch.push_back(MakeAlert("s", batch.size() + 1));
    batch.back().received_ns = now - age_h * kHourNs;
    batch.back().tags = {"t"};
  }
  ASSERT_OK(store->Insert(batch).status());
  ASSERT_OK_AND_ASSIGN(uint64_t bytes_before, store->SizeBytes());

  // Older than 2h: the first two; the third (recent) stops it, so the fourth (older,
  // received after it) stays: only a prefix of cursors is deleted.
  ASSERT_OK_AND_ASSIGN(uint64_t deleted, store->ApplyRetention(2 * kHourNs, 0));
  EXPECT_EQ(deleted, 2u);
  ASSERT_OK_AND_ASSIGN(auto left, store->ReadAfter(0, {}, 10));
  EXPECT_THAT(Cursors(left), ElementsAre(3, 4, 5));
  ASSERT_OK_AND_ASSIGN(uint64_t count, store->Count());
  EXPECT_EQ(count, 3u);
  ASSERT_OK_AND_ASSIGN(uint64_t oldest, store->OldestCursor());
  EXPECT_EQ(oldest, 3u);
  ASSERT_OK_AND_ASSIGN(uint64_t bytes_after, store->SizeBytes());
  // Per alert: payload, node, and twice sensor_id, rule and the tag ("t\0").
  EXPECT_EQ(bytes_before - bytes_after, 2 * (std::string("payload s 1").size() + 6 +
                                             2 * (1 + 6 + 2) + SqliteStore::kRowOverheadBytes));
  // The deleted alerts' tags went with them.
  AlertFilter tagged;
  tagged.tags = {"t"};
  ASSERT_OK_AND_ASSIGN(auto by_tag, store->Query(tagged, 0, 10));
  EXPECT_EQ(by_tag.size(), 3u);

  ASSERT_OK_AND_ASSIGN(uint64_t again, store->ApplyRetention(2 * kHourNs, 0));
  EXPECT_EQ(again, 0u);
  ASSERT_OK_AND_ASSIGN(uint64_t disabled, store->ApplyRetention(0, 0));
  EXPECT_EQ(disabled, 0u);
  EXPECT_EQ(store->ApplyRetention(-1, 0).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SqliteStoreTest, RetentionBySizeKeepsTheNewestWithinTheBudget) {
  auto store = OpenOrDie(":memory:");
  ASSERT_NE(store, nullptr);
  std::vector<StoredAlert> batch;
  for (uint64_t seq = 1; seq <= 10; ++seq) {
    batch.push_back(MakeAlert("s", seq));
    batch.back().payload.assign(1000, 'p');
  }
  ASSERT_OK(store->Insert(batch).status());
  const uint64_t per_alert = 1000 + 6 + 2 * (1 + 6) + SqliteStore::kRowOverheadBytes;
  ASSERT_OK_AND_ASSIGN(uint64_t bytes, store->SizeBytes());
  EXPECT_EQ(bytes, 10 * per_alert);

  // A budget of 3.5 alerts keeps 3.
  ASSERT_OK_AND_ASSIGN(uint64_t deleted, store->ApplyRetention(0, 3 * per_alert + per_alert / 2));
  EXPECT_EQ(deleted, 7u);
  ASSERT_OK_AND_ASSIGN(auto left, store->ReadAfter(0, {}, 10));
  EXPECT_THAT(Seqs(left), ElementsAre(8, 9, 10));
  ASSERT_OK_AND_ASSIGN(bytes, store->SizeBytes());
  EXPECT_EQ(bytes, 3 * per_alert);
  // Exactly at the budget: nothing more.
  ASSERT_OK_AND_ASSIGN(deleted, store->ApplyRetention(0, 3 * per_alert));
  EXPECT_EQ(deleted, 0u);
  ASSERT_OK_AND_ASSIGN(deleted, store->ApplyRetention(0, 3 * per_alert - 1));
  EXPECT_EQ(deleted, 1u);
}

TEST(SqliteStoreTest, RetentionSpanningSeveralChunksEmptiesTheStore) {
  auto store = OpenOrDie(":memory:");
  ASSERT_NE(store, nullptr);
  const uint64_t n = 2 * SqliteStore::kRetentionChunk + 7;
  std::vector<StoredAlert> batch;
  for (uint64_t seq = 1; seq <= n; ++seq) batch.push_back(MakeAlert("s", seq));
  ASSERT_OK(store->Insert(std::move(batch)).status());
  ASSERT_OK_AND_ASSIGN(uint64_t deleted, store->ApplyRetention(0, 1));
  EXPECT_EQ(deleted, n);
  ASSERT_OK_AND_ASSIGN(uint64_t count, store->Count());
  ASSERT_OK_AND_ASSIGN(uint64_t bytes, store->SizeBytes());
  ASSERT_OK_AND_ASSIGN(uint64_t oldest, store->OldestCursor());
  ASSERT_OK_AND_ASSIGN(uint64_t last, store->LastCursor());
  EXPECT_EQ(count, 0u);
  EXPECT_EQ(bytes, 0u);
  EXPECT_EQ(oldest, 0u);
  EXPECT_EQ(last, n);  // the high-water mark survives
}

TEST(SqliteStoreTest, CursorsAreNeverReusedAfterRetentionOrReopening) {
  vigil::testing::TestDir dir("sqlite-store");
  const std::string path = dir.Join("alerts.db");
  {
    auto store = OpenOrDie(path);
    ASSERT_NE(store, nullptr);
    ASSERT_OK(store->Insert({MakeAlert("s", 1), MakeAlert("s", 2), MakeAlert("s", 3)}).status());
    ASSERT_OK_AND_ASSIGN(uint64_t deleted, store->ApplyRetention(0, 1));
    ASSERT_EQ(deleted, 3u);  // the newest included
    ASSERT_OK_AND_ASSIGN(auto r, store->Insert({MakeAlert("s", 4)}));
    EXPECT_EQ(r[0].cursor, 4u);
    ASSERT_OK_AND_ASSIGN(deleted, store->ApplyRetention(0, 1));
    ASSERT_EQ(deleted, 1u);
  }
  auto store = OpenOrDie(path);
  ASSERT_NE(store, nullptr);
  ASSERT_OK_AND_ASSIGN(uint64_t last, store->LastCursor());
  EXPECT_EQ(last, 4u);
  ASSERT_OK_AND_ASSIGN(auto r, store->Insert({MakeAlert("s", 5)}));
  EXPECT_EQ(r[0].cursor, 5u);
}

TEST(SqliteStoreTest, ReopeningAFileKeepsEverything) {
  vigil::testing::TestDir dir("sqlite-store");
  const std::string path = dir.Join("controller.db");
  std::vector<StoredAlert> alerts = FilterFixture();
  {
    auto store = OpenOrDie(path);
    ASSERT_NE(store, nullptr);
    ASSERT_OK(store->Insert(alerts).status());
    SensorRecord sensor;
    sensor.sensor_id = "s";
    sensor.node = "n1";
    ASSERT_OK(store->UpsertSensor(sensor));
    ASSERT_OK(store->PutRuleSet({"sha256:aa", 7, "rules"}).status());
    ASSERT_OK(store->SetDesiredRuleSet("sha256:aa"));
    ASSERT_OK(store->SetDesiredModules({"m1", "settings", 9}));
    ASSERT_OK(
        store->SetRollout({"s", RolloutKind::kRules, "sha256:aa", RolloutState::kApplied, "", 11}));
    // WAL mode: the committed data is in the log until a checkpoint.
    EXPECT_EQ(RawQuery(path, "PRAGMA journal_mode"), "wal");
  }
  auto store = OpenOrDie(path);
  ASSERT_NE(store, nullptr);
  ASSERT_OK_AND_ASSIGN(auto read, store->ReadAfter(0, {}, 100));
  ASSERT_EQ(read.size(), alerts.size());
  for (size_t i = 0; i < read.size(); ++i) {
    EXPECT_EQ(read[i].cursor, i + 1);
    EXPECT_EQ(read[i].sensor_seq, alerts[i].sensor_seq);
    EXPECT_EQ(read[i].tags, alerts[i].tags);
    EXPECT_EQ(read[i].payload, alerts[i].payload);
    EXPECT_EQ(read[i].gap, alerts[i].gap);
  }
  ASSERT_OK_AND_ASSIGN(auto dup, store->Insert({alerts[0]}));
  EXPECT_TRUE(dup[0].duplicate);
  ASSERT_OK_AND_ASSIGN(uint64_t count, store->Count());
  EXPECT_EQ(count, alerts.size());
  ASSERT_OK_AND_ASSIGN(SensorRecord sensor, store->GetSensor("s"));
  EXPECT_EQ(sensor.node, "n1");
  ASSERT_OK_AND_ASSIGN(std::string desired, store->GetDesiredRuleSet());
  EXPECT_EQ(desired, "sha256:aa");
  ASSERT_OK_AND_ASSIGN(ModuleSettingsRecord modules, store->GetDesiredModules());
  EXPECT_EQ(modules.version, "m1");
  EXPECT_EQ(modules.settings, "settings");
  ASSERT_OK_AND_ASSIGN(auto rollout, store->GetRollout("s"));
  ASSERT_EQ(rollout.size(), 1u);
  EXPECT_EQ(rollout[0].state, RolloutState::kApplied);
}

// Version 1 of the schema as the first release created it.
constexpr char kSchemaV1[] = R"sql(
CREATE TABLE alerts (
  cursor INTEGER PRIMARY KEY AUTOINCREMENT,
  sensor_id TEXT NOT NULL,
  sensor_seq INTEGER NOT NULL,
  node TEXT NOT NULL,
  rule TEXT NOT NULL,
  priority INTEGER NOT NULL,
  tags BLOB NOT NULL,
  time_ns INTEGER NOT NULL,
  received_ns INTEGER NOT NULL,
  gap INTEGER NOT NULL,
  lost INTEGER NOT NULL,
  payload BLOB NOT NULL,
  bytes INTEGER NOT NULL
);
CREATE UNIQUE INDEX alerts_by_sensor_seq ON alerts (sensor_id, sensor_seq);
CREATE INDEX alerts_by_time ON alerts (time_ns);
CREATE INDEX alerts_by_rule ON alerts (rule);
CREATE TABLE alert_tags (
  cursor INTEGER NOT NULL REFERENCES alerts (cursor) ON DELETE CASCADE,
  tag TEXT NOT NULL,
  PRIMARY KEY (cursor, tag)
) WITHOUT ROWID;
CREATE TABLE alert_stats (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  count INTEGER NOT NULL,
  bytes INTEGER NOT NULL
);
INSERT INTO alert_stats (id, count, bytes) VALUES (1, 1, 100);
INSERT INTO alerts VALUES (41, 'old', 7, 'n0', 'legacy', 3, x'6100', 70, 71, 0, 0, x'01', 100);
INSERT INTO alert_tags VALUES (41, 'a');
PRAGMA user_version = 1;
)sql";

TEST(SqliteStoreTest, MigratesAVersion1Database) {
  vigil::testing::TestDir dir("sqlite-store");
  const std::string path = dir.Join("v1.db");
  RawExec(path, kSchemaV1);
  ASSERT_EQ(RawQuery(path, "PRAGMA user_version"), "1");
  ASSERT_EQ(RawQuery(path, "SELECT count(*) FROM sqlite_master WHERE name = 'sensors'"), "0");

  auto store = OpenOrDie(path);
  ASSERT_NE(store, nullptr);
  ASSERT_OK_AND_ASSIGN(int version, store->SchemaVersion());
  EXPECT_EQ(version, SqliteStore::kSchemaVersion);
  // The old alert is still there, and new ones continue its cursors.
  ASSERT_OK_AND_ASSIGN(auto read, store->ReadAfter(0, {}, 10));
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].cursor, 41u);
  EXPECT_EQ(read[0].rule, "legacy");
  EXPECT_THAT(read[0].tags, ElementsAre("a"));
  ASSERT_OK_AND_ASSIGN(auto results, store->Insert({MakeAlert("old", 7), MakeAlert("new", 1)}));
  EXPECT_TRUE(results[0].duplicate);
  EXPECT_EQ(results[0].cursor, 41u);
  EXPECT_EQ(results[1].cursor, 42u);
  // Version 2's tables work.
  SensorRecord sensor;
  sensor.sensor_id = "new";
  ASSERT_OK(store->UpsertSensor(sensor));
  ASSERT_OK_AND_ASSIGN(ModuleSettingsRecord modules, store->GetDesiredModules());
  EXPECT_EQ(modules.version, "");
  store.reset();
  EXPECT_EQ(RawQuery(path, "PRAGMA user_version"), absl::StrCat(SqliteStore::kSchemaVersion));
}

TEST(SqliteStoreTest, RefusesADatabaseFromANewerController) {
  vigil::testing::TestDir dir("sqlite-store");
  const std::string path = dir.Join("future.db");
  RawExec(path, absl::StrCat("CREATE TABLE future (x); PRAGMA user_version = ",
                             SqliteStore::kSchemaVersion + 1, ";"));
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition) << store.status();
  EXPECT_THAT(std::string(store.status().message()), HasSubstr("newer"));
  EXPECT_EQ(RawQuery(path, "PRAGMA user_version"), absl::StrCat(SqliteStore::kSchemaVersion + 1));
}

TEST(SqliteStoreTest, OpenErrorsSayWhatFailed) {
  vigil::testing::TestDir dir("sqlite-store");
  absl::StatusOr<std::unique_ptr<SqliteStore>> missing_dir =
      SqliteStore::Open(dir.Join("no/such/dir/x.db"));
  ASSERT_FALSE(missing_dir.ok());
  EXPECT_THAT(std::string(missing_dir.status().message()), HasSubstr("opening"));
  EXPECT_THAT(std::string(missing_dir.status().message()), HasSubstr("no/such/dir/x.db"));

  const std::string garbage = dir.WriteFile("garbage.db", std::string(4096, 'g'));
  absl::StatusOr<std::unique_ptr<SqliteStore>> not_db = SqliteStore::Open(garbage);
  ASSERT_FALSE(not_db.ok());
  EXPECT_EQ(not_db.status().code(), absl::StatusCode::kDataLoss) << not_db.status();
  EXPECT_THAT(std::string(not_db.status().message()), HasSubstr("not a database"));

  EXPECT_EQ(SqliteStore::Open("").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SqliteStoreTest, ConcurrentInsertsLoseAndRepeatNoCursor) {
  vigil::testing::TestDir dir("sqlite-store");
  auto store = OpenOrDie(dir.Join("concurrent.db"), {Durability::kProcessCrash});
  ASSERT_NE(store, nullptr);
  constexpr int kThreads = 4;
  constexpr int kBatches = 40;
  constexpr int kBatchSize = 20;
  std::vector<std::vector<std::pair<StoredAlert, InsertResult>>> done(kThreads);
  std::vector<std::string> errors(kThreads);
  std::atomic<bool> stop_reader{false};
  std::string reader_error;
  // A reader subscribes meanwhile: cursors must only ever increase.
  std::thread reader([&] {
    uint64_t cursor = 0;
    while (!stop_reader.load()) {
      absl::StatusOr<std::vector<StoredAlert>> page = store->ReadAfter(cursor, {}, 50);
      if (!page.ok()) {
        reader_error = page.status().ToString();
        return;
      }
      for (const StoredAlert& a : *page) {
        if (a.cursor != cursor + 1) {
          reader_error = absl::StrCat("cursor ", a.cursor, " after ", cursor);
          return;
        }
        cursor = a.cursor;
      }
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int b = 0; b < kBatches; ++b) {
        std::vector<StoredAlert> batch;
        for (int i = 0; i < kBatchSize; ++i) {
          const uint64_t seq = static_cast<uint64_t>(b * kBatchSize + i);
          // Half of each batch is the thread's own; the other half is shared by threads
          // 0/1 and 2/3, so every shared alert is offered twice.
          batch.push_back(i % 2 == 0 ? MakeAlert(absl::StrCat("own-", t), seq)
                                     : MakeAlert(absl::StrCat("shared-", t / 2), seq));
        }
        absl::StatusOr<std::vector<InsertResult>> results = store->Insert(batch);
        if (!results.ok()) {
          errors[t] = results.status().ToString();
          return;
        }
        for (size_t i = 0; i < batch.size(); ++i) done[t].emplace_back(batch[i], (*results)[i]);
      }
    });
  }
  for (std::thread& w : writers) w.join();
  stop_reader = true;
  reader.join();
  for (const std::string& e : errors) ASSERT_EQ(e, "");
  ASSERT_EQ(reader_error, "");

  // Every (sensor, seq) got exactly one new cursor; duplicates point at it.
  std::map<std::pair<std::string, uint64_t>, uint64_t> cursor_of;
  std::set<uint64_t> new_cursors;
  size_t duplicates = 0;
  for (const auto& thread : done) {
    for (const auto& [alert, result] : thread) {
      if (result.duplicate) continue;
      EXPECT_TRUE(new_cursors.insert(result.cursor).second) << "cursor " << result.cursor;
      EXPECT_TRUE(
          cursor_of.emplace(std::make_pair(alert.sensor_id, alert.sensor_seq), result.cursor)
              .second);
    }
  }
  for (const auto& thread : done) {
    for (const auto& [alert, result] : thread) {
      if (!result.duplicate) continue;
      ++duplicates;
      EXPECT_EQ(result.cursor, cursor_of[std::make_pair(alert.sensor_id, alert.sensor_seq)]);
    }
  }
  const size_t offered = size_t{kThreads} * kBatches * kBatchSize;
  EXPECT_EQ(duplicates, offered / 4);  // the shared half, offered twice
  EXPECT_EQ(new_cursors.size(), offered - offered / 4);
  // Cursors 1..N with no hole.
  EXPECT_EQ(*new_cursors.begin(), 1u);
  EXPECT_EQ(*new_cursors.rbegin(), new_cursors.size());
  ASSERT_OK_AND_ASSIGN(uint64_t count, store->Count());
  EXPECT_EQ(count, new_cursors.size());
  std::vector<uint64_t> stored;
  uint64_t cursor = 0;
  for (;;) {
    ASSERT_OK_AND_ASSIGN(auto page, store->ReadAfter(cursor, {}, 1000));
    if (page.empty()) break;
    for (const StoredAlert& a : page) stored.push_back(a.cursor);
    cursor = page.back().cursor;
  }
  EXPECT_EQ(stored, std::vector<uint64_t>(new_cursors.begin(), new_cursors.end()));
}

TEST(SqliteStoreTest, SensorsRoundTrip) {
  auto store = OpenOrDie(":memory:");
  ASSERT_NE(store, nullptr);
  SensorRecord a;
  a.sensor_id = "sensor-a";
  a.node = "node-a";
  a.version = "0.1.0";
  a.kernel = "6.18.0";
  a.attach_modes = "process=tp_btf,file=raw_tp";
  a.last_seen_ns = 100;
  a.connected = true;
  a.health = "spool_bytes=0";
  SensorRecord b = a;
  b.sensor_id = "sensor-b";
  b.node = "node-b";
  b.last_seen_ns = 200;
  ASSERT_OK(store->UpsertSensor(b));
  ASSERT_OK(store->UpsertSensor(a));
  ASSERT_OK_AND_ASSIGN(SensorRecord got, store->GetSensor("sensor-a"));
  EXPECT_EQ(got.node, "node-a");
  EXPECT_EQ(got.version, "0.1.0");
  EXPECT_EQ(got.kernel, "6.18.0");
  EXPECT_EQ(got.attach_modes, "process=tp_btf,file=raw_tp");
  EXPECT_EQ(got.last_seen_ns, 100);
  EXPECT_TRUE(got.connected);
  EXPECT_EQ(got.health, "spool_bytes=0");

  a.version = "0.2.0";
  a.last_seen_ns = 300;
  a.connected = false;
  ASSERT_OK(store->UpsertSensor(a));
  ASSERT_OK_AND_ASSIGN(got, store->GetSensor("sensor-a"));
  EXPECT_EQ(got.version, "0.2.0");
  EXPECT_EQ(got.last_seen_ns, 300);
  EXPECT_FALSE(got.connected);

  ASSERT_OK_AND_ASSIGN(auto all, store->ListSensors());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].sensor_id, "sensor-a");
  EXPECT_EQ(all[1].sensor_id, "sensor-b");
  EXPECT_TRUE(all[1].connected);

  ASSERT_OK(store->MarkAllDisconnected());
  ASSERT_OK_AND_ASSIGN(got, store->GetSensor("sensor-b"));
  EXPECT_FALSE(got.connected);
  EXPECT_EQ(got.last_seen_ns, 200);

  EXPECT_EQ(store->GetSensor("nobody").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store->UpsertSensor(SensorRecord{}).code(), absl::StatusCode::kInvalidArgument);
}

TEST(SqliteStoreTest, RuleSetsRoundTrip) {
  auto store = OpenOrDie(":memory:");
  ASSERT_NE(store, nullptr);
  ASSERT_OK_AND_ASSIGN(std::string desired, store->GetDesiredRuleSet());
  EXPECT_EQ(desired, "");

  const std::string content("rules\0bytes", 11);
  ASSERT_OK_AND_ASSIGN(bool created, store->PutRuleSet({"sha256:01", 100, content}));
  EXPECT_TRUE(created);
  ASSERT_OK_AND_ASSIGN(created, store->PutRuleSet({"sha256:01", 999, content}));
  EXPECT_FALSE(created);  // stored before; created_ns unchanged
  EXPECT_EQ(store->PutRuleSet({"sha256:01", 100, "other"}).status().code(),
            absl::StatusCode::kAlreadyExists);
  ASSERT_OK(store->PutRuleSet({"sha256:03", 300, "three"}).status());
  ASSERT_OK(store->PutRuleSet({"sha256:02", 200, "two"}).status());
  ASSERT_OK(store->PutRuleSet({"sha256:04", 300, ""}).status());  // same time, stored later

  ASSERT_OK_AND_ASSIGN(RuleSetRecord got, store->GetRuleSet("sha256:01"));
  EXPECT_EQ(got.version, "sha256:01");
  EXPECT_EQ(got.created_ns, 100);
  EXPECT_EQ(got.content, content);
  EXPECT_EQ(store->GetRuleSet("sha256:ff").status().code(), absl::StatusCode::kNotFound);

  ASSERT_OK_AND_ASSIGN(auto versions, store->ListRuleSets());
  std::vector<std::string> names;
  for (const RuleSetVersion& v : versions) names.push_back(v.version);
  EXPECT_THAT(names, ElementsAre("sha256:04", "sha256:03", "sha256:02", "sha256:01"));
  EXPECT_EQ(versions[3].size_bytes, content.size());
  EXPECT_EQ(versions[0].size_bytes, 0u);

  EXPECT_EQ(store->SetDesiredRuleSet("sha256:ff").code(), absl::StatusCode::kNotFound);
  ASSERT_OK(store->SetDesiredRuleSet("sha256:02"));
  ASSERT_OK_AND_ASSIGN(desired, store->GetDesiredRuleSet());
  EXPECT_EQ(desired, "sha256:02");
  ASSERT_OK(store->SetDesiredRuleSet("sha256:03"));
  ASSERT_OK_AND_ASSIGN(desired, store->GetDesiredRuleSet());
  EXPECT_EQ(desired, "sha256:03");

  EXPECT_EQ(store->PutRuleSet({"", 1, "x"}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store->PutRuleSet({"big", 1, std::string(FleetStore::kMaxRuleSetBytes + 1, 'x')})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SqliteStoreTest, DesiredModulesRoundTrip) {
  auto store = OpenOrDie(":memory:");
  ASSERT_NE(store, nullptr);
  ASSERT_OK_AND_ASSIGN(ModuleSettingsRecord modules, store->GetDesiredModules());
  EXPECT_EQ(modules.version, "");
  EXPECT_EQ(modules.settings, "");
  ASSERT_OK(store->SetDesiredModules({"m1", std::string("file\0off", 8), 5}));
  ASSERT_OK(store->SetDesiredModules({"m2", "file=on", 6}));
  ASSERT_OK_AND_ASSIGN(modules, store->GetDesiredModules());
  EXPECT_EQ(modules.version, "m2");
  EXPECT_EQ(modules.settings, "file=on");
  EXPECT_EQ(modules.updated_ns, 6);
  EXPECT_EQ(store->SetDesiredModules({"", "x", 1}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      store->SetDesiredModules({"m3", std::string(FleetStore::kMaxModuleSettingsBytes + 1, 'x'), 1})
          .code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(SqliteStoreTest, RolloutStatusRoundTrip) {
  auto store = OpenOrDie(":memory:");
  ASSERT_NE(store, nullptr);
  for (const char* id : {"s1", "s2", "s3"}) {
    SensorRecord sensor;
    sensor.sensor_id = id;
    ASSERT_OK(store->UpsertSensor(sensor));
  }
  ASSERT_OK(store->SetRollout({"s2", RolloutKind::kRules, "v1", RolloutState::kPending, "", 1}));
  ASSERT_OK(store->SetRollout({"s1", RolloutKind::kRules, "v1", RolloutState::kApplied, "", 2}));
  ASSERT_OK(store->SetRollout(
      {"s3", RolloutKind::kRules, "v1", RolloutState::kFailed, "rules.yaml:3:5: bad", 3}));
  ASSERT_OK(store->SetRollout({"s1", RolloutKind::kModules, "v1", RolloutState::kPending, "", 4}));

  ASSERT_OK_AND_ASSIGN(auto rules_v1, store->ListRollout(RolloutKind::kRules, "v1"));
  ASSERT_EQ(rules_v1.size(), 3u);
  EXPECT_EQ(rules_v1[0].sensor_id, "s1");
  EXPECT_EQ(rules_v1[0].state, RolloutState::kApplied);
  EXPECT_EQ(rules_v1[1].state, RolloutState::kPending);
  EXPECT_EQ(rules_v1[2].state, RolloutState::kFailed);
  EXPECT_EQ(rules_v1[2].error, "rules.yaml:3:5: bad");
  EXPECT_EQ(rules_v1[2].updated_ns, 3);
  ASSERT_OK_AND_ASSIGN(auto modules_v1, store->ListRollout(RolloutKind::kModules, "v1"));
  ASSERT_EQ(modules_v1.size(), 1u);
  EXPECT_EQ(modules_v1[0].kind, RolloutKind::kModules);

  // A new version replaces the sensor's status for that kind.
  ASSERT_OK(store->SetRollout({"s2", RolloutKind::kRules, "v2", RolloutState::kApplied, "", 5}));
  ASSERT_OK_AND_ASSIGN(rules_v1, store->ListRollout(RolloutKind::kRules, "v1"));
  EXPECT_EQ(rules_v1.size(), 2u);
  ASSERT_OK_AND_ASSIGN(auto rules_v2, store->ListRollout(RolloutKind::kRules, "v2"));
  ASSERT_EQ(rules_v2.size(), 1u);
  EXPECT_EQ(rules_v2[0].sensor_id, "s2");

  ASSERT_OK_AND_ASSIGN(auto s1, store->GetRollout("s1"));
  ASSERT_EQ(s1.size(), 2u);
  EXPECT_EQ(s1[0].kind, RolloutKind::kRules);
  EXPECT_EQ(s1[1].kind, RolloutKind::kModules);
  EXPECT_EQ(s1[1].state, RolloutState::kPending);

  // Re-registering a sensor keeps its rollout status.
  SensorRecord again;
  again.sensor_id = "s1";
  again.connected = true;
  ASSERT_OK(store->UpsertSensor(again));
  ASSERT_OK_AND_ASSIGN(s1, store->GetRollout("s1"));
  EXPECT_EQ(s1.size(), 2u);

  ASSERT_OK_AND_ASSIGN(auto nobody, store->GetRollout("nobody"));
  EXPECT_TRUE(nobody.empty());
  EXPECT_EQ(store->SetRollout({"nobody", RolloutKind::kRules, "v1", RolloutState::kPending, "", 1})
                .code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(
      store->SetRollout({"s1", RolloutKind::kRules, "", RolloutState::kPending, "", 1}).code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      store->SetRollout({"", RolloutKind::kRules, "v1", RolloutState::kPending, "", 1}).code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(SqliteStoreTest, RolloutNamesAreTheStoredSpelling) {
  EXPECT_EQ(RolloutKindName(RolloutKind::kRules), "rules");
  EXPECT_EQ(RolloutKindName(RolloutKind::kModules), "modules");
  EXPECT_EQ(RolloutStateName(RolloutState::kPending), "pending");
  EXPECT_EQ(RolloutStateName(RolloutState::kApplied), "applied");
  EXPECT_EQ(RolloutStateName(RolloutState::kFailed), "failed");
}

// Insert throughput on a file database: 300-byte payloads in batches of 100. Not run by
// default (it measures the disk); run with --gtest_also_run_disabled_tests.
TEST(SqliteStoreTest, DISABLED_InsertThroughput) {
  for (Durability durability : {Durability::kPowerLoss, Durability::kProcessCrash}) {
    vigil::testing::TestDir dir("sqlite-store-bench");
    auto store = OpenOrDie(dir.Join("bench.db"), {durability});
    ASSERT_NE(store, nullptr);
    constexpr int kBatches = 500;
    constexpr int kBatchSize = 100;
    uint64_t seq = 0;
    const auto start = std::chrono::steady_clock::now();
    for (int b = 0; b < kBatches; ++b) {
      std::vector<StoredAlert> batch;
      for (int i = 0; i < kBatchSize; ++i) {
        StoredAlert a = MakeAlert("sensor-bench", ++seq);
        a.node = "node-bench-1";
        a.rule = i % 3 == 0 ? "Read of shadow file by unexpected process" : "Fork flood";
        a.tags = {"mitre_credential_access", "host"};
        a.payload.assign(300, static_cast<char>('a' + i % 26));
        batch.push_back(std::move(a));
      }
      ASSERT_OK(store->Insert(std::move(batch)).status());
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_OK_AND_ASSIGN(uint64_t bytes, store->SizeBytes());
    store.reset();  // checkpoints the WAL into the file
    const double file_bytes = std::filesystem::file_size(dir.Join("bench.db"));
    std::printf("%s: %d alerts in %.2f s = %.0f alerts/s; SizeBytes %llu, file %.0f (x%.2f)\n",
                durability == Durability::kPowerLoss ? "synchronous=FULL" : "synchronous=NORMAL",
                kBatches * kBatchSize, seconds, kBatches * kBatchSize / seconds,
                static_cast<unsigned long long>(bytes), file_bytes, file_bytes / bytes);
  }
}

}  // namespace
}  // namespace vigil::controller

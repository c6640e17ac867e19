// Unit tests for SqliteStore's AlertStore half (controller/store/sqlite_alerts.cc): storing
// with de-duplication and consecutive cursors, filtered reads and pages, the read limit,
// retention by age and size, concurrent writers and a reader, and insert throughput.
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

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "controller/store/sqlite_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controller/store/sqlite_store_test_util.h"
#include "tests/support/test_dir.h"

namespace vigil::controller::sqlite_store_test {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

constexpr int64_t kHourNs = int64_t{3600} * 1000 * 1000 * 1000;

// What a store reports about its alerts as a whole.
struct Totals {
  uint64_t last_cursor = 0;
  uint64_t oldest_cursor = 0;
  uint64_t count = 0;
  uint64_t size_bytes = 0;
};

// The store's LastCursor, OldestCursor, Count and SizeBytes; the first error of the four.
absl::StatusOr<Totals> ReadTotals(SqliteStore& store) {
  Totals totals;
  VIGIL_ASSIGN_OR_RETURN(totals.last_cursor, store.LastCursor());
  VIGIL_ASSIGN_OR_RETURN(totals.oldest_cursor, store.OldestCursor());
  VIGIL_ASSIGN_OR_RETURN(totals.count, store.Count());
  VIGIL_ASSIGN_OR_RETURN(totals.size_bytes, store.SizeBytes());
  return totals;
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
  ASSERT_OK_AND_ASSIGN(Totals totals, ReadTotals(*store));
  EXPECT_EQ(totals.last_cursor, 0u);
  EXPECT_EQ(totals.oldest_cursor, 0u);
  EXPECT_EQ(totals.count, 0u);
  EXPECT_EQ(totals.size_bytes, 0u);
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
  ASSERT_OK_AND_ASSIGN(Totals totals, ReadTotals(*store));
  EXPECT_EQ(totals.count, 0u);
  EXPECT_EQ(totals.size_bytes, 0u);
  EXPECT_EQ(totals.oldest_cursor, 0u);
  EXPECT_EQ(totals.last_cursor, n);  // the high-water mark survives
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
}  // namespace vigil::controller::sqlite_store_test

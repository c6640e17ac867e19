// Unit tests for common/lru_map.h: bounded capacity, least-recently-used eviction order,
// refresh on lookup, erase, and eviction counting.
#include "common/lru_map.h"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "gtest/gtest.h"

namespace vigil {
namespace {

TEST(LruMapTest, FindsWhatWasPut) {
  LruMap<std::string, int> map(4);
  EXPECT_EQ(map.size(), 0u);
  EXPECT_EQ(map.capacity(), 4u);
  EXPECT_EQ(map.Find("a"), nullptr);
  EXPECT_FALSE(map.Put("a", 1));
  EXPECT_FALSE(map.Put("b", 2));
  ASSERT_NE(map.Find("a"), nullptr);
  EXPECT_EQ(*map.Find("a"), 1);
  ASSERT_NE(map.Find("b"), nullptr);
  EXPECT_EQ(*map.Find("b"), 2);
  EXPECT_EQ(map.size(), 2u);
  EXPECT_EQ(map.evictions(), 0u);
}

TEST(LruMapTest, EvictsInLeastRecentlyUsedOrder) {
  LruMap<int, int> map(3);
  EXPECT_FALSE(map.Put(1, 10));
  EXPECT_FALSE(map.Put(2, 20));
  EXPECT_FALSE(map.Put(3, 30));
  // Recency (most recent first): 3, 2, 1. Each insert now drops the oldest.
  EXPECT_TRUE(map.Put(4, 40));
  EXPECT_EQ(map.Find(1), nullptr);
  EXPECT_TRUE(map.Put(5, 50));
  EXPECT_EQ(map.Find(2), nullptr);
  EXPECT_TRUE(map.Put(6, 60));
  EXPECT_EQ(map.Find(3), nullptr);
  EXPECT_EQ(map.size(), 3u);
  EXPECT_EQ(map.evictions(), 3u);
  ASSERT_NE(map.Find(4), nullptr);
  ASSERT_NE(map.Find(5), nullptr);
  ASSERT_NE(map.Find(6), nullptr);
  EXPECT_EQ(*map.Find(6), 60);
}

TEST(LruMapTest, FindRefreshesRecency) {
  LruMap<int, int> map(3);
  map.Put(1, 10);
  map.Put(2, 20);
  map.Put(3, 30);
  ASSERT_NE(map.Find(1), nullptr);  // recency: 1, 3, 2
  EXPECT_TRUE(map.Put(4, 40));      // 2 goes, not 1
  EXPECT_EQ(map.Find(2), nullptr);
  ASSERT_NE(map.Find(1), nullptr);  // recency: 1, 4, 3
  EXPECT_TRUE(map.Put(5, 50));      // 3 goes
  EXPECT_EQ(map.Find(3), nullptr);
  EXPECT_NE(map.Find(1), nullptr);
  EXPECT_NE(map.Find(4), nullptr);
  EXPECT_NE(map.Find(5), nullptr);
  EXPECT_EQ(map.evictions(), 2u);
}

TEST(LruMapTest, PutOfAPresentKeyReplacesAndRefreshesWithoutEvicting) {
  LruMap<int, std::string> map(2);
  map.Put(1, "one");
  map.Put(2, "two");
  EXPECT_FALSE(map.Put(1, "uno"));  // recency: 1, 2
  EXPECT_EQ(map.size(), 2u);
  EXPECT_EQ(map.evictions(), 0u);
  ASSERT_NE(map.Find(1), nullptr);
  EXPECT_EQ(*map.Find(1), "uno");
  EXPECT_TRUE(map.Put(3, "three"));  // 2 goes
  EXPECT_EQ(map.Find(2), nullptr);
  EXPECT_NE(map.Find(1), nullptr);
}

TEST(LruMapTest, GetOrInsertFillsInPlaceAndEvictsWhenFull) {
  LruMap<int, std::string> map(2);
  std::string& one = map.GetOrInsert(1);
  EXPECT_EQ(one, "");  // default-constructed
  one = "one";
  EXPECT_EQ(&map.GetOrInsert(1), &one);  // the same entry, not a new one
  EXPECT_EQ(map.GetOrInsert(1), "one");
  map.GetOrInsert(2) = "two";
  EXPECT_EQ(map.evictions(), 0u);
  map.GetOrInsert(3) = "three";  // 1 is the least recently used
  EXPECT_EQ(map.evictions(), 1u);
  EXPECT_EQ(map.Find(1), nullptr);
  ASSERT_NE(map.Find(2), nullptr);
  EXPECT_EQ(*map.Find(2), "two");
}

TEST(LruMapTest, ValuesStayPutWhileOtherEntriesMove) {
  LruMap<int, int> map(8);
  map.Put(1, 10);
  const int* first = map.Find(1);
  for (int key = 2; key <= 8; ++key) map.Put(key, key * 10);
  ASSERT_NE(map.Find(1), nullptr);
  EXPECT_EQ(map.Find(1), first);
  map.Erase(5);
  EXPECT_EQ(map.Find(1), first);
}

TEST(LruMapTest, EraseRemovesWithoutCountingAnEviction) {
  LruMap<int, int> map(3);
  map.Put(1, 10);
  map.Put(2, 20);
  map.Put(3, 30);
  EXPECT_TRUE(map.Erase(2));
  EXPECT_FALSE(map.Erase(2));
  EXPECT_FALSE(map.Erase(99));
  EXPECT_EQ(map.Find(2), nullptr);
  EXPECT_EQ(map.size(), 2u);
  EXPECT_EQ(map.evictions(), 0u);
  // The freed slot is used before anything is evicted.
  EXPECT_FALSE(map.Put(4, 40));
  EXPECT_EQ(map.evictions(), 0u);
  EXPECT_TRUE(map.Put(5, 50));  // full again: 1, the oldest, goes
  EXPECT_EQ(map.Find(1), nullptr);
  EXPECT_NE(map.Find(3), nullptr);
  EXPECT_EQ(map.evictions(), 1u);
  // An erased key can come back.
  EXPECT_TRUE(map.Put(2, 21));
  ASSERT_NE(map.Find(2), nullptr);
  EXPECT_EQ(*map.Find(2), 21);
}

TEST(LruMapTest, CapacityOneKeepsOnlyTheNewest) {
  LruMap<int, int> map(1);
  EXPECT_EQ(map.capacity(), 1u);
  EXPECT_FALSE(map.Put(1, 10));
  EXPECT_FALSE(map.Put(1, 11));  // replacing the one entry evicts nothing
  EXPECT_EQ(map.evictions(), 0u);
  EXPECT_TRUE(map.Put(2, 20));
  EXPECT_EQ(map.Find(1), nullptr);
  ASSERT_NE(map.Find(2), nullptr);
  EXPECT_EQ(*map.Find(2), 20);
  EXPECT_EQ(map.size(), 1u);
  EXPECT_EQ(map.evictions(), 1u);
  EXPECT_TRUE(map.Erase(2));
  EXPECT_EQ(map.size(), 0u);
  EXPECT_FALSE(map.Put(3, 30));
  EXPECT_EQ(map.evictions(), 1u);
}

TEST(LruMapTest, CapacityZeroMeansOne) {
  LruMap<int, int> map(0);
  EXPECT_EQ(map.capacity(), 1u);
  EXPECT_FALSE(map.Put(1, 10));
  ASSERT_NE(map.Find(1), nullptr);
  EXPECT_TRUE(map.Put(2, 20));
  EXPECT_EQ(map.Find(1), nullptr);
  EXPECT_EQ(map.size(), 1u);
}

TEST(LruMapTest, EvictionReleasesTheValue) {
  LruMap<int, std::shared_ptr<int>> map(1);
  auto value = std::make_shared<int>(7);
  map.Put(1, value);
  EXPECT_EQ(value.use_count(), 2);
  map.Put(2, std::make_shared<int>(8));
  EXPECT_EQ(value.use_count(), 1);
}

TEST(LruMapTest, MovedMapKeepsItsEntriesAndOrder) {
  LruMap<int, int> source(2);
  source.Put(1, 10);
  source.Put(2, 20);
  source.Find(1);  // recency: 1, 2
  LruMap<int, int> map(std::move(source));
  EXPECT_EQ(map.size(), 2u);
  EXPECT_TRUE(map.Put(3, 30));  // 2 goes
  EXPECT_EQ(map.Find(2), nullptr);
  ASSERT_NE(map.Find(1), nullptr);
  EXPECT_EQ(*map.Find(1), 10);
}

}  // namespace
}  // namespace vigil

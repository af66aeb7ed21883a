#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/row_cache_shard.h"

#include <cstdint>
#include <map>
#include <random>
#include <string>

#include "gtest/gtest.h"

namespace tfra {
namespace redis_table {
namespace {

// Deliberately poor hashes (few distinct low bits) make long probe runs, so
// that removals shift entries back across runs and the wrap-around.
uint64_t PoorHash(int key) { return (static_cast<uint64_t>(key % 7) << 1) | 1; }

// Keys of bucket 0 (the fields live in `fields`, which outlives the keys).
RowKey Key(int key) {
  static std::map<int, std::string>* fields = new std::map<int, std::string>;
  auto [it, fresh] = fields->try_emplace(key, "k" + std::to_string(key));
  return RowKey{0, it->second};
}

TEST(RowCacheShardTest, AgreesWithAMapThroughInsertsErasesAndGrowth) {
  RowCacheShard shard(size_t{1} << 30);  // never evicts
  std::map<int, std::string> model;
  std::mt19937 random(5);
  int64_t evicted = 0;
  for (int step = 0; step < 20000; ++step) {
    const int key = static_cast<int>(random() % 500);
    switch (random() % 3) {
      case 0: {
        const std::string value(random() % 40, static_cast<char>('a' + key % 26));
        ASSERT_TRUE(shard.Insert(PoorHash(key), Key(key), value, step,
                                 &evicted));
        model[key] = value;
        break;
      }
      case 1:
        shard.Erase(PoorHash(key), Key(key));
        model.erase(key);
        break;
      default: {
        RowCacheShard::Found found;
        const bool hit = shard.Find(PoorHash(key), Key(key), &found);
        ASSERT_EQ(hit, model.count(key) == 1) << "step " << step;
        if (hit) {
          EXPECT_EQ(found.value, model[key]);
        }
      }
    }
    ASSERT_EQ(shard.entries(), model.size());
  }
  EXPECT_EQ(evicted, 0);
  for (const auto& [key, value] : model) {
    RowCacheShard::Found found;
    ASSERT_TRUE(shard.Find(PoorHash(key), Key(key), &found)) << key;
    EXPECT_EQ(found.value, value);
  }
}

TEST(RowCacheShardTest, EvictionKeepsTheChargesWithinTheCapacity) {
  const size_t capacity = 20 * (RowCacheShard::kEntryOverheadBytes + 30);
  RowCacheShard shard(capacity);
  std::mt19937 random(9);
  int64_t evicted = 0;
  for (int step = 0; step < 5000; ++step) {
    const int key = static_cast<int>(random() % 200);
    shard.Insert(PoorHash(key), Key(key), std::string(random() % 60, 'v'), 0,
                 &evicted);
    ASSERT_LE(shard.bytes(), capacity);
    RowCacheShard::Found found;
    shard.Find(PoorHash(key + 1), Key(key + 1), &found);
  }
  EXPECT_GT(evicted, 0);
  int64_t unused = 0;
  EXPECT_FALSE(
      shard.Insert(1, Key(-1), std::string(capacity, 'x'), 0, &unused));
}

TEST(RowCacheShardTest, ErasingByPrefixDropsThoseBucketsOnly) {
  RowCacheShard shard(size_t{1} << 20);
  int64_t evicted = 0;
  auto key = [](uint32_t bucket, int k) { return RowKey{bucket, Key(k).field}; };
  for (int k = 0; k < 100; ++k) {
    shard.Insert(PoorHash(k), key(1, k), "a", 0, &evicted);
    shard.Insert(PoorHash(k) + 2, key(2, k), "b", 0, &evicted);
  }
  shard.EraseWithPrefixes({1});
  EXPECT_EQ(shard.entries(), 100u);
  RowCacheShard::Found found;
  EXPECT_FALSE(shard.Find(PoorHash(3), key(1, 3), &found));
  EXPECT_TRUE(shard.Find(PoorHash(3) + 2, key(2, 3), &found));
}

}  // namespace
}  // namespace redis_table
}  // namespace tfra

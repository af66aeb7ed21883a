#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/row_cache.h"

#include <malloc.h>
#include <cstring>

#include <atomic>
#include <chrono>
#include <iostream>
#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace tfra {
namespace redis_table {
namespace {

using std::chrono::milliseconds;

constexpr auto kLong = std::chrono::hours(1);

std::string Field(int64_t key) {
  return std::string(reinterpret_cast<const char*>(&key), sizeof(key));
}

// Looks up `keys` of bucket 0; the values hit (by key index) and the misses.
struct Probe {
  std::vector<std::string> hits;
  std::vector<RowCache::Miss> misses;
};

Probe Look(RowCache& cache, uint32_t bucket_id,
           const std::vector<std::string>& keys,
           RowCache::Clock::duration staleness = kLong) {
  std::vector<std::string_view> fields(keys.begin(), keys.end());
  Probe probe;
  probe.hits.assign(keys.size(), "");
  const Status status = cache.Lookup(
      {bucket_id}, std::vector<uint32_t>(keys.size(), 0), fields, staleness,
      [&](size_t i, std::string_view value) {
        probe.hits[i] = std::string(value);
        return Status::Ok();
      },
      &probe.misses);
  EXPECT_TRUE(status.ok());
  return probe;
}

// Looks `key` up and caches `value` for it if it missed.
void Fill(RowCache& cache, uint32_t id, const std::string& key,
          const std::string& value) {
  Probe probe = Look(cache, id, {key});
  if (probe.misses.empty()) return;
  cache.Insert(id, key, value, probe.misses[0].ticket,
               RowCache::Clock::now());
}

TEST(RowCacheTest, HitsAfterAMissIsFilledAndCountsBoth) {
  RowCache cache(1 << 20);
  const uint32_t id = cache.BucketId("standalone a:1 db 0", "t:emb{3560}");
  Probe first = Look(cache, id, {Field(1), Field(2)});
  ASSERT_EQ(first.misses.size(), 2u);
  cache.Insert(id, Field(1), "row-1", first.misses[0].ticket,
               RowCache::Clock::now());
  Probe second = Look(cache, id, {Field(1), Field(2)});
  EXPECT_EQ(second.hits[0], "row-1");
  ASSERT_EQ(second.misses.size(), 1u);
  EXPECT_EQ(second.misses[0].index, 1u);
  const RowCacheStats stats = cache.stats();
  EXPECT_EQ(stats.hits, 1);
  EXPECT_EQ(stats.misses, 3);
  EXPECT_EQ(stats.entries, 1);
  EXPECT_EQ(stats.bytes,
            static_cast<int64_t>(4 + 8 + 5 + RowCache::kEntryOverheadBytes));
}

// CopyHits of `hits` (keys `fields` of bucket 0): the values copied (by key
// index, "" where none) and the keys dropped since Classify.
void CopyAll(RowCache& cache, uint32_t id,
             const std::vector<std::string_view>& fields,
             const RowCache::Hits& hits, std::vector<std::string>* copied,
             std::vector<RowCache::Miss>* dropped) {
  copied->assign(fields.size(), "");
  const Status status = cache.CopyHits(
      {id}, std::vector<uint32_t>(fields.size(), 0), fields, hits, kLong,
      [&](size_t i, std::string_view value) {
        (*copied)[i] = std::string(value);
        return Status::Ok();
      },
      dropped);
  EXPECT_TRUE(status.ok());
}

TEST(RowCacheTest, ClassifyThenCopyHitsServesWhatLookupServes) {
  RowCache cache(1 << 20);
  const uint32_t id = cache.BucketId("d", "b");
  for (int64_t k : {1, 2, 3}) Fill(cache, id, Field(k), "row-" + Field(k));
  const std::vector<std::string> keys = {Field(1), Field(4), Field(2),
                                         Field(3), Field(1)};
  const std::vector<std::string_view> fields(keys.begin(), keys.end());
  const std::vector<uint32_t> buckets(keys.size(), 0);
  const RowCacheStats before = cache.stats();
  RowCache::Hits hits;
  std::vector<RowCache::Miss> misses;
  cache.Classify({id}, buckets, fields, kLong, &hits, &misses);
  ASSERT_EQ(hits.index.size(), 4u);
  ASSERT_EQ(misses.size(), 1u);
  EXPECT_EQ(misses[0].index, 1u);
  // Key 2 is written (dropped) between the two halves: it becomes a miss.
  cache.Invalidate({id}, {0}, {Field(2)});
  std::vector<std::string> copied;
  std::vector<RowCache::Miss> dropped;
  CopyAll(cache, id, fields, hits, &copied, &dropped);
  EXPECT_EQ(copied, (std::vector<std::string>{"row-" + Field(1), "", "",
                                              "row-" + Field(3),
                                              "row-" + Field(1)}));
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0].index, 2u);
  const RowCacheStats after = cache.stats();
  EXPECT_EQ(after.hits - before.hits, 3);
  EXPECT_EQ(after.misses - before.misses, 2);
}

// CopyHits reads the entries Classify found only while their shard removed
// none; after a removal (here an eviction) it searches the index again.
TEST(RowCacheTest, AShardThatEvictedSinceClassifyIsSearchedAgain) {
  // One shard (the smallest cache) holding 3 entries.
  const size_t charge = 4 + 8 + 100 + RowCache::kEntryOverheadBytes;
  RowCache cache(static_cast<int64_t>(3 * charge + charge / 2));
  const uint32_t id = cache.BucketId("d", "b");
  auto row = [](int64_t k) { return std::string(100, '0' + k); };
  for (int64_t k : {1, 2, 3}) Fill(cache, id, Field(k), row(k));
  const std::vector<std::string> keys = {Field(1), Field(2), Field(9),
                                         Field(3)};
  const std::vector<std::string_view> fields(keys.begin(), keys.end());
  const std::vector<uint32_t> buckets(keys.size(), 0);
  RowCache::Hits hits;
  std::vector<RowCache::Miss> misses;
  cache.Classify({id}, buckets, fields, kLong, &hits, &misses);
  ASSERT_EQ(hits.index.size(), 3u);
  // All three are used: the clock clears their flags and evicts the row
  // just stored instead.
  Fill(cache, id, Field(4), row(4));
  ASSERT_EQ(cache.stats().evictions, 1);
  std::vector<std::string> copied;
  std::vector<RowCache::Miss> dropped;
  CopyAll(cache, id, fields, hits, &copied, &dropped);
  EXPECT_EQ(copied, (std::vector<std::string>{row(1), row(2), "", row(3)}));
  EXPECT_TRUE(dropped.empty());
}

// The many-row Insert caches every row read, except those whose shard saw a
// write since their miss.
TEST(RowCacheTest, ManyRowsInsertAtOnceSkippingThoseWrittenSince) {
  RowCache cache(4 << 20);  // several shards
  const uint32_t id = cache.BucketId("d", "b");
  std::vector<std::string> keys;
  for (int64_t k = 0; k < 200; ++k) keys.push_back(Field(k));
  Probe probe = Look(cache, id, keys);
  ASSERT_EQ(probe.misses.size(), keys.size());
  const RowCache::Clock::time_point read_at = RowCache::Clock::now();
  cache.Invalidate({id}, {0}, {Field(7)});  // written while the read was out
  std::vector<std::string> values;
  for (int64_t k = 0; k < 200; ++k) values.push_back("row-" + Field(k));
  std::vector<RowCache::Fetched> rows;
  for (const RowCache::Miss& miss : probe.misses) {
    rows.push_back(RowCache::Fetched{id, keys[miss.index],
                                     values[miss.index], miss.ticket});
  }
  cache.Insert(rows, read_at);
  Probe again = Look(cache, id, keys);
  ASSERT_GE(again.misses.size(), 1u);
  bool seven_missed = false;
  for (const RowCache::Miss& miss : again.misses) {
    seven_missed |= miss.index == 7;
  }
  EXPECT_TRUE(seven_missed);
  // Keys sharing key 7's shard are refused too (the shard's write count
  // moved); every other key is served what was inserted.
  EXPECT_LT(again.misses.size(), keys.size() / 2);
  for (size_t i = 0; i < keys.size(); ++i) {
    if (!again.hits[i].empty()) EXPECT_EQ(again.hits[i], values[i]) << i;
  }
}

TEST(RowCacheTest, AnEntryOlderThanTheStalenessIsAMiss) {
  RowCache cache(1 << 20);
  const uint32_t id = cache.BucketId("d", "b");
  Probe miss = Look(cache, id, {Field(5)});
  cache.Insert(id, Field(5), "old", miss.misses[0].ticket,
               RowCache::Clock::now() - milliseconds(500));
  EXPECT_EQ(Look(cache, id, {Field(5)}, milliseconds(1000)).hits[0], "old");
  Probe stale = Look(cache, id, {Field(5)}, milliseconds(100));
  EXPECT_EQ(stale.misses.size(), 1u);
  EXPECT_EQ(cache.stats().expired, 1);
}

TEST(RowCacheTest, AWriteBetweenMissAndInsertKeepsTheReadOut) {
  RowCache cache(1 << 20);
  const uint32_t id = cache.BucketId("d", "b");
  Probe miss = Look(cache, id, {Field(7)});
  // The row was written (and its write ended) while the read was out: what
  // the read returned may be the older row.
  cache.Invalidate({id}, {0}, {Field(7)});
  cache.Insert(id, Field(7), "maybe-old", miss.misses[0].ticket,
               RowCache::Clock::now());
  EXPECT_EQ(Look(cache, id, {Field(7)}).misses.size(), 1u);
}

TEST(RowCacheTest, InvalidateDropsKeysAndBuckets) {
  RowCache cache(1 << 20);
  const uint32_t a = cache.BucketId("d", "a"), b = cache.BucketId("d", "b");
  for (int64_t k = 0; k < 10; ++k) {
    Fill(cache, a, Field(k), "x");
    Fill(cache, b, Field(k), "y");
  }
  cache.Invalidate({a}, {0}, {Field(3)});
  EXPECT_EQ(Look(cache, a, {Field(3)}).misses.size(), 1u);
  EXPECT_EQ(Look(cache, a, {Field(4)}).hits[0], "x");
  cache.InvalidateBuckets({a});
  EXPECT_EQ(Look(cache, a, {Field(4)}).misses.size(), 1u);
  EXPECT_EQ(Look(cache, b, {Field(4)}).hits[0], "y");
  EXPECT_EQ(cache.stats().entries, 10);
}

TEST(RowCacheTest, BucketIdsTellDeploymentsAndBucketsApart) {
  RowCache cache(1 << 20);
  const uint32_t a = cache.BucketId("2 h:1 db 0", "t:emb{3560}");
  EXPECT_EQ(cache.BucketId("2 h:1 db 0", "t:emb{3560}"), a);
  EXPECT_NE(cache.BucketId("2 h:2 db 0", "t:emb{3560}"), a);
  EXPECT_NE(cache.BucketId("2 h:1 db 0", "t:emb{8209}"), a);
  // No concatenation collides: the deployment's length is part of the name.
  EXPECT_NE(cache.BucketId("ab", "c"), cache.BucketId("a", "bc"));
}

TEST(RowCacheTest, AnEntryNotUsedSinceTheLastEvictionLeavesFirst) {
  // One shard (the smallest cache) holding 3 entries.
  const size_t charge = 4 + 8 + 100 + RowCache::kEntryOverheadBytes;
  RowCache cache(static_cast<int64_t>(3 * charge + charge / 2));
  const uint32_t id = cache.BucketId("d", "b");
  const std::string row(100, 'r');
  for (int64_t k : {1, 2, 3}) Fill(cache, id, Field(k), row);
  Look(cache, id, {Field(1)});  // 1 is used: the clock passes it once
  Fill(cache, id, Field(4), row);
  EXPECT_EQ(Look(cache, id, {Field(2)}).misses.size(), 1u);
  for (int64_t k : {1, 3, 4}) {
    EXPECT_EQ(Look(cache, id, {Field(k)}).hits[0], row) << k;
  }
  EXPECT_EQ(cache.stats().evictions, 1);
}

// Writers and readers at once, rows of random sizes (some larger than a
// shard): the charged bytes never pass the bound, checked all along.
TEST(RowCacheTest, TheBoundIsNeverExceededUnderConcurrentUse) {
  constexpr int64_t kCapacity = 256 << 10;
  RowCache cache(kCapacity);
  const uint32_t id = cache.BucketId("d", "b");
  std::atomic<bool> stop{false};
  std::atomic<int64_t> worst{0};
  std::thread checker([&] {
    while (!stop.load()) {
      const int64_t bytes = cache.stats().bytes;
      int64_t seen = worst.load();
      while (bytes > seen && !worst.compare_exchange_weak(seen, bytes)) {
      }
    }
  });
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t) {
    workers.emplace_back([&, t] {
      std::mt19937 random(t);
      std::uniform_int_distribution<int64_t> key(0, 5000);
      std::uniform_int_distribution<size_t> size(1, 20000);
      for (int i = 0; i < 20000; ++i) {
        const std::string field = Field(key(random));
        if (i % 10 == 0) {
          cache.Invalidate({id}, {0}, {field});
        } else {
          Fill(cache, id, field, std::string(size(random) % 7 == 0
                                                 ? size(random)
                                                 : size(random) % 300,
                                             'v'));
        }
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  stop = true;
  checker.join();
  const RowCacheStats stats = cache.stats();
  EXPECT_LE(worst.load(), kCapacity);
  EXPECT_LE(stats.bytes, kCapacity);
  EXPECT_GT(stats.entries, 100);
  EXPECT_GT(stats.evictions, 0);
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

// The charge per entry covers what an entry really costs the heap (glibc
// malloc's own count), so the bound holds for the process's memory too.
TEST(RowCacheTest, TheChargeCoversTheHeapAnEntryTakes) {
  if (kSanitized) GTEST_SKIP() << "sanitizers replace malloc's accounting";
  constexpr int64_t kEntries = 100000;
  const std::string row(32, 'r');  // a dim-8 float row
  const size_t before = mallinfo2().uordblks;
  {
    RowCache cache(int64_t{1} << 30);
    const uint32_t id = cache.BucketId("d", "b");
    for (int64_t k = 0; k < kEntries; ++k) Fill(cache, id, Field(k), row);
    const RowCacheStats stats = cache.stats();
    ASSERT_EQ(stats.entries, kEntries);
    const double heap_per_entry =
        static_cast<double>(mallinfo2().uordblks - before) / kEntries;
    const double charge_per_entry =
        static_cast<double>(stats.bytes) / kEntries;
    std::cout << "heap per entry " << heap_per_entry << " bytes, charged "
              << charge_per_entry << std::endl;
    EXPECT_LE(heap_per_entry, charge_per_entry);
  }
}

}  // namespace
}  // namespace redis_table
}  // namespace tfra

// The read cache in front of a store's finds, against real deployments: hot
// rows come from memory; a row another client rewrites is served at most the
// staleness bound longer; the process's own writes (insert, accum, remove,
// clear) are seen at once, also by another table sharing the cache, and
// also while lookups and writes run at the same time.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_store.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/store_test_util.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/value_codec.h"

namespace tfra {
namespace redis_table {
namespace {

namespace client_util = redis_client::test_util;
using std::chrono::milliseconds;
using test_util::Int64Keys;

constexpr milliseconds kStaleness(300);

class ReadCacheTest : public test_util::StoreTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StoreTest::SetUp());
    cache_ = std::make_shared<RowCache>(int64_t{8} << 20);
    test_util::MakeKeys(50, 1, 2, &keys_);
  }

  // A table of 2 buckets reading through cache_ (a second one is another
  // table object over the same Redis rows).
  std::unique_ptr<RedisTableStore> CachedStore(
      milliseconds staleness = kStaleness, size_t keys_sending_size = 1024) {
    auto layout = TableKeyLayout::Create(test_util::LayoutConfig(2, tag_),
                                         "emb", {});
    EXPECT_TRUE(layout.ok());
    StoreSettings settings;
    settings.table_description = "cached table";
    settings.bucket_keys = layout->runtime_buckets();
    settings.read_cache = cache_;
    settings.read_cache_staleness = staleness;
    settings.value_bytes = sizeof(float);  // as the kernels set it
    settings.keys_sending_size = keys_sending_size;
    settings.deployment = redis_client::ModeName(GetParam());
    return std::make_unique<RedisTableStore>(client_, settings);
  }

  // Every key's row is `value` (one float).
  void Write(const RedisTableStore& store, float value) {
    std::vector<std::string_view> rows(keys_.batch.size(),
                                       PodRowBytes(&value, 1));
    ASSERT_TRUE(store.Insert(keys_.batch, rows, nullptr).ok());
  }

  // The rows found (NaN where none), and how many came from Redis.
  std::vector<float> Read(const RedisTableStore& store, int64_t* from_redis) {
    const int64_t misses_before = cache_->stats().misses;
    std::vector<float> rows(keys_.batch.size(), std::nanf(""));
    // With an executor, as kernels call it: the hits are copied on one
    // thread while the misses are read on another.
    redis_client::ThreadPerTaskExecutor executor;
    const Status status = store.Find(
        keys_.batch,
        [&](size_t i, std::string_view stored) {
          return DecodePodRow(stored, 1, &rows[i]);
        },
        &executor);
    EXPECT_TRUE(status.ok()) << status.ToString();
    if (from_redis != nullptr) *from_redis = cache_->stats().misses - misses_before;
    return rows;
  }

  std::vector<float> All(float value) {
    return std::vector<float>(keys_.batch.size(), value);
  }

  std::shared_ptr<RowCache> cache_;
  Int64Keys keys_;
};

TEST_P(ReadCacheTest, HotRowsComeFromMemoryAfterTheFirstRead) {
  auto store = CachedStore();
  Write(*store, 1.0f);
  int64_t from_redis = 0;
  EXPECT_EQ(Read(*store, &from_redis), All(1.0f));
  EXPECT_EQ(from_redis, 50);
  test_util::ResetCommandStats(*client_);
  EXPECT_EQ(Read(*store, &from_redis), All(1.0f));
  EXPECT_EQ(from_redis, 0);
  EXPECT_EQ(test_util::CommandCalls(*client_, "hmget"), 0);
}

// Past kInlineMaxKeys (key_chunks.h) keys a find copies its hits on one
// thread while another reads its misses.
TEST_P(ReadCacheTest, ALargeBatchCopiesHitsWhileItReadsMisses) {
  test_util::MakeKeys(5000, 1, 2, &keys_);
  auto store = CachedStore(milliseconds(60000));  // nothing expires here
  Write(*store, 1.0f);
  Read(*store, nullptr);  // all cached
  const float two = 2.0f;
  KeyBatch first;
  first.fields.assign(keys_.batch.fields.begin(),
                      keys_.batch.fields.begin() + 100);
  first.buckets.assign(keys_.batch.buckets.begin(),
                       keys_.batch.buckets.begin() + 100);
  ASSERT_TRUE(store
                  ->Insert(first, std::vector<std::string_view>(
                                      100, PodRowBytes(&two, 1)),
                           nullptr)
                  .ok());
  int64_t from_redis = 0;
  std::vector<float> expected = All(1.0f);
  std::fill(expected.begin(), expected.begin() + 100, 2.0f);
  EXPECT_EQ(Read(*store, &from_redis), expected);
  EXPECT_EQ(from_redis, 100);
}

// A key repeated in a batch that missed (a hot key whose entry expired) is
// read from Redis once, and every copy of it gets the row.
TEST_P(ReadCacheTest, ARepeatedKeyThatMissedIsReadOnce) {
  // 10 keys per HMGET: the 30 copies of 10 keys would need 3 or more.
  auto store = CachedStore(kStaleness, 10);
  std::vector<float> values(keys_.batch.size());
  std::vector<std::string_view> rows;
  for (size_t k = 0; k < values.size(); ++k) {
    values[k] = static_cast<float>(k);
    rows.push_back(PodRowBytes(&values[k], 1));
  }
  ASSERT_TRUE(store->Insert(keys_.batch, rows, nullptr).ok());
  KeyBatch repeated;  // keys 0..9, each three times, interleaved
  std::vector<float> expected;
  for (int copy = 0; copy < 3; ++copy) {
    for (size_t k = 0; k < 10; ++k) {
      repeated.fields.push_back(keys_.batch.fields[k]);
      repeated.buckets.push_back(keys_.batch.buckets[k]);
      expected.push_back(values[k]);
    }
  }
  std::vector<uint32_t> buckets(repeated.buckets.begin(),
                                repeated.buckets.end());
  std::sort(buckets.begin(), buckets.end());
  const int64_t bucket_count =
      std::unique(buckets.begin(), buckets.end()) - buckets.begin();
  test_util::ResetCommandStats(*client_);
  for (int round = 0; round < 2; ++round) {  // all misses, then all hits
    std::vector<float> found(repeated.size(), std::nanf(""));
    redis_client::ThreadPerTaskExecutor executor;
    ASSERT_TRUE(store
                    ->Find(repeated,
                           [&](size_t i, std::string_view stored) {
                             return DecodePodRow(stored, 1, &found[i]);
                           },
                           &executor)
                    .ok());
    EXPECT_EQ(found, expected) << "round " << round;
    EXPECT_EQ(cache_->stats().entries, 10);
  }
  // One HMGET per bucket, in the first round only.
  EXPECT_EQ(test_util::CommandCalls(*client_, "hmget"), bucket_count);
  EXPECT_EQ(cache_->stats().misses, 30);
  EXPECT_EQ(cache_->stats().hits, 30);
}

TEST_P(ReadCacheTest, ARowRewrittenElsewhereIsServedAtMostTheBoundLonger) {
  auto store = CachedStore();
  Write(*store, 1.0f);
  Read(*store, nullptr);  // cached
  // Another process rewrites the rows (a store without the cache).
  auto other = test_util::MakeStore(client_, test_util::LayoutConfig(2, tag_),
                                    "emb", 100);
  Write(*other, 2.0f);
  const auto written = std::chrono::steady_clock::now();
  EXPECT_EQ(Read(*store, nullptr), All(1.0f)) << "served from the cache";
  ASSERT_TRUE(client_util::WaitFor(
      [&] { return std::chrono::steady_clock::now() - written > kStaleness; },
      std::chrono::seconds(10)));
  EXPECT_EQ(Read(*store, nullptr), All(2.0f));
}

TEST_P(ReadCacheTest, TheProcesssOwnWritesAreSeenAtOnceByEveryTable) {
  auto store = CachedStore(), twin = CachedStore();
  Write(*store, 1.0f);
  Read(*store, nullptr);
  Read(*twin, nullptr);
  Write(*store, 3.0f);
  EXPECT_EQ(Read(*twin, nullptr), All(3.0f));
  const float delta = 0.5f;
  ASSERT_TRUE(store
                  ->Accum(keys_.batch,
                          std::vector<std::string_view>(
                              keys_.batch.size(), PodRowBytes(&delta, 1)),
                          std::vector<uint8_t>(keys_.batch.size(), 1),
                          AccumElement::kFloat, nullptr)
                  .ok());
  EXPECT_EQ(Read(*twin, nullptr), All(3.5f));
  ASSERT_TRUE(store->Remove(keys_.batch, nullptr).ok());
  int64_t from_redis = 0;
  EXPECT_TRUE(std::isnan(Read(*twin, &from_redis)[0]));
  EXPECT_EQ(from_redis, 50);
  Write(*store, 4.0f);
  Read(*twin, nullptr);
  ASSERT_TRUE(store->Clear().ok());
  EXPECT_TRUE(std::isnan(Read(*twin, nullptr)[7]));
}

// A writer counts up while readers look up: a lookup that starts after a
// write ended never sees an older value, wherever it comes from.
TEST_P(ReadCacheTest, LookupsNeverSeeAValueOlderThanTheLastFinishedWrite) {
  auto store = CachedStore();
  Write(*store, 0.0f);
  std::atomic<int> finished{0};
  std::atomic<bool> stop{false};
  std::atomic<int> stale{0};
  std::thread writer([&] {
    for (int v = 1; v <= 200; ++v) {
      Write(*store, static_cast<float>(v));
      finished = v;
    }
    stop = true;
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        const int before = finished.load();
        for (float row : Read(*store, nullptr)) {
          if (row < static_cast<float>(before)) ++stale;
        }
      }
    });
  }
  writer.join();
  for (std::thread& reader : readers) reader.join();
  EXPECT_EQ(stale.load(), 0);
  EXPECT_EQ(Read(*store, nullptr), All(200.0f));
  EXPECT_GT(cache_->stats().hits, 0);
}

INSTANTIATE_TEST_SUITE_P(AllModes, ReadCacheTest, client_util::EveryMode(),
                         client_util::ModeTestName);

}  // namespace
}  // namespace redis_table
}  // namespace tfra

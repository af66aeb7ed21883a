#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_store.h"

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/store_test_util.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/table_metrics.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/value_codec.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_factory.h"

namespace tfra {
namespace redis_table {
namespace {

namespace client_util = redis_client::test_util;
using redis_client::Mode;
using test_util::Int64Keys;

using RedisTableStoreTest = test_util::StoreTest;

std::vector<float> Row(int64_t key) {
  return {static_cast<float>(key), static_cast<float>(key) + 0.5f};
}

// Inserts rows Row(key) for every key.
void InsertRows(const RedisTableStore& store, const Int64Keys& keys,
                std::vector<std::vector<float>>* rows) {
  std::vector<std::string_view> values;
  for (int64_t key : keys.keys) rows->push_back(Row(key));
  for (const auto& row : *rows) values.push_back(PodRowBytes(row.data(), 2));
  const Status status = store.Insert(keys.batch, values, nullptr);
  ASSERT_TRUE(status.ok()) << status.ToString();
}

// Every key is found exactly once with its own row, both by a batch large
// enough for parallel lanes on the executor and by a small one, which runs
// on the calling thread.
TEST_P(RedisTableStoreTest, InsertFindSizeExportRemoveRoundTrip) {
  constexpr int kKeys = 6000;
  auto store = Store(3);
  Int64Keys keys;
  test_util::MakeKeys(kKeys, 7, 3, &keys);
  std::vector<std::vector<float>> rows;
  InsertRows(*store, keys, &rows);
  ASSERT_EQ(*store->Size(), kKeys);

  redis_client::ThreadPerTaskExecutor executor;
  Int64Keys small;
  test_util::MakeKeys(1000, 7, 3, &small);  // the first 1000 of `keys`
  for (const Int64Keys* batch : {&keys, &small}) {
    std::vector<int> found(batch->keys.size(), 0);
    const Status status = store->Find(
        batch->batch,
        [&](size_t i, std::string_view stored) {
          float row[2];
          Status s = DecodePodRow(stored, 2, row);
          if (s.ok() && row[0] == Row(batch->keys[i])[0] &&
              row[1] == Row(batch->keys[i])[1]) {
            ++found[i];
          }
          return s;
        },
        &executor);
    ASSERT_TRUE(status.ok()) << status.ToString();
    for (int count : found) ASSERT_EQ(count, 1);
  }

  std::map<int64_t, int> exported;
  ASSERT_TRUE(store
                  ->Export([&](std::string_view field, std::string_view) {
                    int64_t key;
                    Status s = DecodeKey(field, &key);
                    ++exported[key];
                    return s;
                  })
                  .ok());
  ASSERT_EQ(exported.size(), static_cast<size_t>(kKeys));
  for (const auto& entry : exported) ASSERT_EQ(entry.second, 1);

  ASSERT_TRUE(store->Remove(keys.batch, nullptr).ok());
  EXPECT_EQ(*store->Size(), 0);
}

TEST_P(RedisTableStoreTest, MissingKeysAreNotReported) {
  auto store = Store(2);
  Int64Keys keys;
  test_util::MakeKeys(10, 1, 2, &keys);
  int calls = 0;
  ASSERT_TRUE(store
                  ->Find(keys.batch,
                         [&](size_t, std::string_view) {
                           ++calls;
                           return Status::Ok();
                         },
                         nullptr)
                  .ok());
  EXPECT_EQ(calls, 0);
}

// A batch large enough for parallel lanes, half of it stored: the keys
// found are handed over once each and the others count as misses (the
// lanes count per chunk, not through one shared counter).
TEST_P(RedisTableStoreTest, MissesAreCountedOverParallelLanes) {
  auto store = Store(3);
  Int64Keys keys, stored;
  test_util::MakeKeys(6000, 7, 3, &keys);
  test_util::MakeKeys(3000, 7, 3, &stored);  // the first 3000 of `keys`
  std::vector<std::vector<float>> rows;
  InsertRows(*store, stored, &rows);
  const metrics::Labels table = {{"table", "test table 'emb'"}};
  auto* misses = metrics::MetricsRegistry::Global().GetCounter(
      "tfra_redis_table_misses_total", table, "");
  const int64_t misses_before = misses->value();

  redis_client::ThreadPerTaskExecutor executor;
  std::vector<int> found(keys.keys.size(), 0);
  const Status status = store->Find(
      keys.batch,
      [&](size_t i, std::string_view) {
        ++found[i];
        return Status::Ok();
      },
      &executor);
  ASSERT_TRUE(status.ok()) << status.ToString();
  for (size_t i = 0; i < found.size(); ++i) {
    ASSERT_EQ(found[i], i < 3000 ? 1 : 0) << "key " << keys.keys[i];
  }
  EXPECT_EQ(misses->value() - misses_before, 3000);
}

TEST_P(RedisTableStoreTest, ClearDeletesEveryBucket) {
  auto store = Store(4);
  Int64Keys keys;
  test_util::MakeKeys(100, 1, 4, &keys);
  std::vector<std::vector<float>> rows;
  InsertRows(*store, keys, &rows);
  ASSERT_TRUE(store->Clear().ok());
  EXPECT_EQ(*store->Size(), 0);
}

INSTANTIATE_TEST_SUITE_P(AllModes, RedisTableStoreTest,
                         client_util::EveryMode(),
                         client_util::ModeTestName);

}  // namespace
}  // namespace redis_table
}  // namespace tfra

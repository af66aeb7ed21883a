#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/accum_script.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/bucket_hash.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_store.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/store_test_util.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/value_codec.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_factory.h"

namespace tfra {
namespace redis_table {
namespace {

namespace client_util = redis_client::test_util;
using redis_client::Mode;

TEST(AccumScriptTest, StructFormatsFollowTheElements) {
  EXPECT_EQ(AccumStructFormat(AccumElement::kFloat), "<f");
  EXPECT_EQ(AccumStructFormat(AccumElement::kDouble), "<d");
  EXPECT_EQ(AccumStructFormat(AccumElement::kInt32), "<i4");
  EXPECT_EQ(AccumStructFormat(AccumElement::kInt64), "<i8");
  EXPECT_EQ(AccumStructFormat(AccumElement::kInt8), "<i1");
}

// Keys (int64, possibly repeated) and the batch viewing them.
struct Keys {
  explicit Keys(std::vector<int64_t> k, uint32_t slices) : keys(std::move(k)) {
    for (const int64_t& key : keys) {
      batch.fields.push_back(KeyBytes(key));
      batch.buckets.push_back(KeyBucket(key, slices, false));
    }
  }
  Keys(const Keys&) = delete;
  std::vector<int64_t> keys;
  KeyBatch batch;
};

// The transaction path (no module on these servers) or the script alone.
AccumPaths PathsOf(bool transactions) {
  return transactions ? AccumPaths::kNoModule : AccumPaths::kScriptOnly;
}

// Rows stored for `keys` (absent keys missing from the map).
template <typename V>
std::map<size_t, std::vector<V>> Read(const RedisTableStore& store,
                                      const Keys& keys, size_t dim) {
  return test_util::StoredRows<V>(store, keys.batch, dim);
}

class AccumScriptTest : public test_util::StoreTest {
 protected:
  // SCRIPT FLUSH on every master: the next accum finds no cached script.
  void FlushScripts() {
    const redis_client::Status status =
        client_->ForEachMaster([](redis_client::NodeSession& node) {
          auto reply = node.Run(redis_client::Command{"SCRIPT", "FLUSH"});
          return reply.ok() ? reply->ToStatus() : reply.status();
        });
    ASSERT_TRUE(status.ok()) << status.ToString();
  }

  // Masters that have the script cached (SCRIPT EXISTS).
  int CachedOn() {
    int cached = 0;
    const redis_client::Status status =
        client_->ForEachMaster([&](redis_client::NodeSession& node) {
          auto reply = node.Run(
              redis_client::Command{"SCRIPT", "EXISTS", AccumScriptSha1()});
          if (!reply.ok()) return reply.status();
          auto flag = reply->element(0).AsInteger();
          if (!flag.ok()) return flag.status();
          cached += static_cast<int>(*flag);
          return redis_client::Status();
        });
    EXPECT_TRUE(status.ok()) << status.ToString();
    return cached;
  }

};

std::vector<int64_t> Range(int64_t n) {
  std::vector<int64_t> keys(n);
  for (int64_t i = 0; i < n; ++i) keys[i] = i * 13 + 1;
  return keys;
}

// Byte views of rows[i].
template <typename V>
std::vector<std::string_view> Views(const std::vector<std::vector<V>>& rows) {
  std::vector<std::string_view> views;
  for (const auto& row : rows) {
    views.push_back(PodRowBytes(row.data(), row.size()));
  }
  return views;
}

TEST_P(AccumScriptTest, ShaIsTheNameRedisGivesTheScript) {
  const redis_client::Status status =
      client_->ForEachMaster([](redis_client::NodeSession& node) {
        auto reply =
            node.Run(redis_client::Command{"SCRIPT", "LOAD", AccumScript()});
        if (!reply.ok()) return reply.status();
        auto sha = reply->AsString();
        if (!sha.ok()) return sha.status();
        EXPECT_EQ(*sha, AccumScriptSha1());
        return redis_client::Status();
      });
  ASSERT_TRUE(status.ok()) << status.ToString();
}

// After SCRIPT FLUSH the first EVALSHA answers NOSCRIPT; the chunk goes
// again by EVAL, and every delta is still added exactly once.
TEST_P(AccumScriptTest, NoScriptFallsBackToEvalAndAddsOnce) {
  auto store = Store(4, 16, AccumPaths::kScriptOnly);
  Keys keys(Range(200), 4);
  std::vector<std::vector<float>> base(200, std::vector<float>(3, 1.0f));
  ASSERT_TRUE(store->Insert(keys.batch, Views(base), nullptr).ok());
  std::vector<std::vector<float>> delta(200, std::vector<float>(3, 0.5f));
  const std::vector<uint8_t> exists(200, 1);
  redis_client::ThreadPerTaskExecutor executor;
  int masters_with_script = 0;
  for (int round = 1; round <= 3; ++round) {
    if (round != 2) {
      ASSERT_NO_FATAL_FAILURE(FlushScripts());
    }
    ASSERT_EQ(CachedOn(), round == 2 ? masters_with_script : 0);
    const Status status = store->Accum(keys.batch, Views(delta), exists,
                                       AccumElement::kFloat, &executor);
    ASSERT_TRUE(status.ok()) << status.ToString();
    auto rows = Read<float>(*store, keys, 3);
    ASSERT_EQ(rows.size(), 200u);
    for (const auto& entry : rows) {
      ASSERT_EQ(entry.second, std::vector<float>(3, 1.0f + 0.5f * round))
          << "key " << keys.keys[entry.first] << " round " << round;
    }
    // Only EVAL (the fallback) can have cached the flushed script.
    if (round == 1) masters_with_script = CachedOn();
    EXPECT_GT(CachedOn(), 0);
  }
}

// Random rows of `dim` elements for keys 0..n-1 (kept in 2^-30..2^30 so
// sums round, and integers over their whole range so sums wrap).
template <typename V>
std::vector<std::vector<V>> RandomRows(size_t n, size_t dim,
                                       std::mt19937* random) {
  std::vector<std::vector<V>> rows(n, std::vector<V>(dim));
  for (auto& row : rows) {
    for (V& value : row) {
      if constexpr (std::is_floating_point_v<V>) {
        std::uniform_real_distribution<V> uniform(-1, 1);
        std::uniform_int_distribution<int> exponent(-30, 30);
        value = std::ldexp(uniform(*random), exponent(*random));
      } else {
        std::uniform_int_distribution<int64_t> uniform(
            std::numeric_limits<V>::min(), std::numeric_limits<V>::max());
        value = static_cast<V>(uniform(*random));
      }
    }
  }
  return rows;
}

// Wraps like two's complement, computed through unsigned arithmetic.
template <typename V>
V WrappingAdd(V a, V b) {
  using U = std::make_unsigned_t<V>;
  return static_cast<V>(static_cast<U>(static_cast<U>(a) + static_cast<U>(b)));
}

// Stores random rows for n keys, adds random deltas in one Accum and checks
// every element against `add` computed here, bit for bit. With
// keys_sending_size 16 the script adds with tables; with 1024 and one
// bucket, a call of >= 128 rows uses the generated adders.
template <typename V, typename Add>
void CheckSums(const RedisTableStore& store, size_t n, size_t dim,
               AccumElement element, const Add& add) {
  std::mt19937 random(static_cast<uint32_t>(n * 7919 + dim));
  const auto buckets =
      static_cast<uint32_t>(store.settings().bucket_keys.size());
  Keys keys(Range(static_cast<int64_t>(n)), buckets);
  const auto base = RandomRows<V>(n, dim, &random);
  const auto delta = RandomRows<V>(n, dim, &random);
  ASSERT_TRUE(store.Clear().ok());
  ASSERT_TRUE(store.Insert(keys.batch, Views(base), nullptr).ok());
  const Status status = store.Accum(keys.batch, Views(delta),
                                    std::vector<uint8_t>(n, 1), element,
                                    nullptr);
  ASSERT_TRUE(status.ok()) << status.ToString();
  auto rows = Read<V>(store, keys, dim);
  ASSERT_EQ(rows.size(), n);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < dim; ++j) {
      ASSERT_EQ(rows[i][j], add(base[i][j], delta[i][j]))
          << "n " << n << " dim " << dim << " row " << i << " element " << j;
    }
  }
}

// Float results equal C++ float32 adds bit for bit, for rows of one, one
// and a bit, and many groups (64 elements, or 2000 with tables).
// Both paths: the script alone, and transactions (which leave nothing to
// the script in these single-writer tests).
TEST_P(AccumScriptTest, FloatSumsEqualFloat32Adds) {
  for (bool transactions : {false, true}) {
    SCOPED_TRACE(transactions ? "transactions" : "script");
    auto small_calls = Store(2, 16, PathsOf(transactions));
    auto large_calls = Store(1, 1024, PathsOf(transactions));
    auto add = [](float a, float b) { return a + b; };
    for (size_t dim : {1, 8, 64, 65, 256, 1024, 4096}) {
      CheckSums<float>(*small_calls, 40, dim, AccumElement::kFloat, add);
      CheckSums<float>(*large_calls, dim >= 1024 ? 130 : 300, dim,
                       AccumElement::kFloat, add);
    }
    auto add_double = [](double a, double b) { return a + b; };
    CheckSums<double>(*small_calls, 40, 70, AccumElement::kDouble,
                      add_double);
    CheckSums<double>(*large_calls, 200, 70, AccumElement::kDouble,
                      add_double);
  }
}

TEST_P(AccumScriptTest, Int8AndInt32SumsWrapInSmallAndLargeCalls) {
  auto small_calls = Store(2, 16, AccumPaths::kScriptOnly);
  auto large_calls = Store(1, 1024, AccumPaths::kScriptOnly);
  auto in_transactions = Store(2, 16, AccumPaths::kNoModule);
  for (const RedisTableStore* store :
       {small_calls.get(), large_calls.get(), in_transactions.get()}) {
    CheckSums<int8_t>(*store, 200, 70, AccumElement::kInt8,
                      WrappingAdd<int8_t>);
    CheckSums<int32_t>(*store, 200, 9, AccumElement::kInt32,
                       WrappingAdd<int32_t>);
  }
}

// Adds `delta` to `base` through the store and returns the stored rows.
template <typename V>
std::vector<V> AddThroughStore(const RedisTableStore& store,
                               AccumElement element,
                               const std::vector<V>& base,
                               const std::vector<V>& delta) {
  Keys keys({42}, 1);
  EXPECT_TRUE(store.Remove(keys.batch, nullptr).ok());
  EXPECT_TRUE(store.Insert(keys.batch, {PodRowBytes(base.data(), base.size())},
                           nullptr)
                  .ok());
  const Status status = store.Accum(
      keys.batch, {PodRowBytes(delta.data(), delta.size())}, {1}, element,
      nullptr);
  EXPECT_TRUE(status.ok()) << status.ToString();
  std::vector<V> out(base.size());
  EXPECT_TRUE(store
                  .Find(keys.batch,
                        [&](size_t, std::string_view stored) {
                          return DecodePodRow(stored, out.size(), out.data());
                        },
                        nullptr)
                  .ok());
  return out;
}

TEST_P(AccumScriptTest, IntegerSumsWrapAndInt64IsExact) {
 for (bool transactions : {false, true}) {
  SCOPED_TRACE(transactions ? "transactions" : "script");
  auto store = Store(1, 16, PathsOf(transactions));
  const std::vector<int8_t> i8a = {127, -128, 100, -1, 0, 5, -100, 64};
  const std::vector<int8_t> i8b = {1, -1, 100, 1, -128, -5, -100, 64};
  std::vector<int8_t> i8_expected;
  for (size_t j = 0; j < i8a.size(); ++j) {
    i8_expected.push_back(WrappingAdd(i8a[j], i8b[j]));
  }
  EXPECT_EQ(AddThroughStore(*store, AccumElement::kInt8, i8a, i8b),
            i8_expected);

  constexpr int32_t kMax32 = std::numeric_limits<int32_t>::max();
  constexpr int32_t kMin32 = std::numeric_limits<int32_t>::min();
  const std::vector<int32_t> i32a = {kMax32, kMin32, kMax32, -7, kMin32, 3};
  const std::vector<int32_t> i32b = {1, -1, kMax32, 7, kMin32, -9};
  std::vector<int32_t> i32_expected;
  for (size_t j = 0; j < i32a.size(); ++j) {
    i32_expected.push_back(WrappingAdd(i32a[j], i32b[j]));
  }
  EXPECT_EQ(AddThroughStore(*store, AccumElement::kInt32, i32a, i32b),
            i32_expected);

  constexpr int64_t k2To52 = int64_t{1} << 52;
  const std::vector<int64_t> i64a = {k2To52, -k2To52, 123456789012345, -1};
  const std::vector<int64_t> i64b = {k2To52 - 1, -k2To52 + 1, -5, 1};
  EXPECT_EQ(AddThroughStore(*store, AccumElement::kInt64, i64a, i64b),
            (std::vector<int64_t>{2 * k2To52 - 1, -2 * k2To52 + 1,
                                  123456789012340, 0}));

  const std::vector<double> da = {0.1, 1e300, -2.5, 1e-300};
  const std::vector<double> db = {0.2, 1e300, 2.5, 3e-300};
  EXPECT_EQ(AddThroughStore(*store, AccumElement::kDouble, da, db),
            (std::vector<double>{0.1 + 0.2, 1e300 + 1e300, 0.0, 4e-300}));
 }
}

// A stored row of another size fails the chunk with the field in hex, and
// the chunk writes nothing, not even its valid rows.
// Through transactions too: they leave the chunk to the script, which fails.
TEST_P(AccumScriptTest, MismatchedSizeFailsNamingTheFieldAndWritesNothing) {
 for (bool transactions : {false, true}) {
  SCOPED_TRACE(transactions ? "transactions" : "script");
  auto store = Store(1, 100, PathsOf(transactions));
  Keys keys({5, 6, 7}, 1);
  const std::vector<float> two = {1, 2}, three = {1, 2, 3};
  ASSERT_TRUE(store
                  ->Insert(keys.batch,
                           {PodRowBytes(two.data(), 2),
                            PodRowBytes(three.data(), 3),
                            PodRowBytes(two.data(), 2)},
                           nullptr)
                  .ok());
  const std::vector<std::string_view> deltas(3, PodRowBytes(two.data(), 2));
  const Status status = store->Accum(keys.batch, deltas, {1, 1, 1},
                                     AccumElement::kFloat, nullptr);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("field 0x0600000000000000 stores 12 bytes"),
            std::string::npos)
      << status.ToString();
  Keys good({5, 7}, 1);
  auto rows = Read<float>(*store, good, 2);
  EXPECT_EQ(rows[0], two);  // key 5 precedes the bad row: still not added
  EXPECT_EQ(rows[1], two);
 }
}

// Triples apply in order: a repeated key sees its earlier updates, also
// when a chunk holds more pairs than one HMGET/HSET slice (1000/2000).
TEST_P(AccumScriptTest, RepeatedKeysApplyInOrderAcrossSlices) {
 for (bool transactions : {false, true}) {
  SCOPED_TRACE(transactions ? "transactions" : "script");
  auto store = Store(1, 6000, PathsOf(transactions));
  ASSERT_TRUE(store->Clear().ok());
  std::vector<int64_t> ids = Range(4500);
  ids.push_back(-1);  // absent: stored, then added to, then left alone
  ids.push_back(-1);
  ids.push_back(-1);
  ids.push_back(13 * 10 + 1);  // a key of the first slice, added twice
  Keys keys(ids, 1);
  const size_t n = ids.size();
  std::vector<std::vector<float>> delta(n, std::vector<float>(2, 1.0f));
  delta[4501] = {10.0f, 20.0f};
  std::vector<uint8_t> exists(n, 0);  // the 4500 keys: absent, stored
  exists[4501] = 1;
  exists[4502] = 0;
  exists[4503] = 1;
  const Status status =
      store->Accum(keys.batch, Views(delta), exists, AccumElement::kFloat,
                   nullptr);
  ASSERT_TRUE(status.ok()) << status.ToString();
  auto rows = Read<float>(*store, keys, 2);
  ASSERT_EQ(*store->Size(), 4501);
  EXPECT_EQ(rows[4500], (std::vector<float>{11.0f, 21.0f}));
  EXPECT_EQ(rows[10], (std::vector<float>{2.0f, 2.0f}));
  EXPECT_EQ(rows[4499], (std::vector<float>{1.0f, 1.0f}));
 }
}

INSTANTIATE_TEST_SUITE_P(AllModes, AccumScriptTest,
                         client_util::EveryMode(),
                         client_util::ModeTestName);

}  // namespace
}  // namespace redis_table
}  // namespace tfra

// Accum's semantics, the same tests both ways: on servers without a module
// (transactions, then the script) and on servers that load the HMACCUM
// module (HMACCUM), in every connection mode. Then what only the module
// case has: the path taken, and nodes that lose the module.
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_store.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/store_test_util.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/value_codec.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/redis_module/module_test_util.h"

namespace tfra {
namespace redis_table {
namespace {

namespace client_util = redis_client::test_util;
using test_util::Int64Keys;

// The deltas of one call: the same `dim` floats for each of n keys.
struct Deltas {
  Deltas(size_t n, std::vector<float> row) : row(std::move(row)) {
    views.assign(n, PodRowBytes(this->row.data(), this->row.size()));
  }
  std::vector<float> row;
  std::vector<std::string_view> views;
};

template <bool kWithModule>
class AccumSuite : public test_util::StoreTest {
 protected:
  std::vector<std::string> Modules() const override {
    if (!kWithModule) return {};
    return {redis_module::test_util::HmaccumModulePath()};
  }

  // A store of `slices` buckets whose keys 0..n-1 hold rows {key, key+0.5}.
  std::unique_ptr<RedisTableStore> Filled(int32_t slices, size_t n,
                                          Int64Keys* keys, size_t chunk = 64) {
    auto store = Store(slices, chunk);
    test_util::MakeKeys(n, 1, static_cast<uint32_t>(slices), keys);
    std::vector<std::vector<float>> rows;
    std::vector<std::string_view> values;
    for (int64_t key : keys->keys) {
      rows.push_back({static_cast<float>(key), static_cast<float>(key) + .5f});
    }
    for (const auto& row : rows) values.push_back(PodRowBytes(row.data(), 2));
    EXPECT_TRUE(store->Insert(keys->batch, values, nullptr).ok());
    return store;
  }

  Status AddToAll(const RedisTableStore& store, const Int64Keys& keys,
                  float delta, redis_client::Executor* executor) {
    const Deltas deltas(keys.batch.size(), {delta, delta});
    return store.Accum(keys.batch, deltas.views,
                       std::vector<uint8_t>(keys.batch.size(), 1),
                       AccumElement::kFloat, executor);
  }

  void AddsOnlyWhereTheCallerSawTheKey() {
    Int64Keys stored, keys;
    auto store = Filled(2, 2, &stored);  // 0 -> {0, .5}, 1 -> {1, 1.5}
    test_util::MakeKeys(4, 1, 2, &keys);
    const Deltas deltas(4, {10, 10});
    const std::vector<uint8_t> exists = {1, 0, 0, 1};
    const Status status = store->Accum(keys.batch, deltas.views, exists,
                                       AccumElement::kFloat, nullptr);
    ASSERT_TRUE(status.ok()) << status.ToString();
    auto rows = test_util::StoredRows<float>(*store, keys.batch, 2);
    EXPECT_EQ(rows[0], (std::vector<float>{10, 10.5}));  // added
    EXPECT_EQ(rows[1], (std::vector<float>{1, 1.5}));    // stale view: kept
    EXPECT_EQ(rows[2], (std::vector<float>{10, 10}));    // absent: stored
    EXPECT_EQ(rows.count(3), 0u);                        // stale: skipped
  }

  // A key repeated within a call and across its chunks (8 keys a command)
  // sees its earlier updates, in input order.
  void RepeatedKeysApplyInOrder() {
    Int64Keys stored;
    auto store = Filled(1, 30, &stored, /*chunk=*/8);
    std::vector<int64_t> ids;
    for (int repeat = 0; repeat < 3; ++repeat) {
      for (int64_t key = 0; key < 30; ++key) ids.push_back(key);
    }
    ids.push_back(-5);  // absent: set by its first pair, then added to
    ids.push_back(-5);
    Int64Keys keys;
    keys.keys = ids;
    for (const int64_t& key : keys.keys) {
      keys.batch.fields.push_back(KeyBytes(key));
      keys.batch.buckets.push_back(0);
    }
    const Deltas deltas(ids.size(), {1, 2});
    std::vector<uint8_t> exists(ids.size(), 1);
    exists[ids.size() - 2] = 0;
    const Status status = store->Accum(keys.batch, deltas.views, exists,
                                       AccumElement::kFloat, nullptr);
    ASSERT_TRUE(status.ok()) << status.ToString();
    auto rows = test_util::StoredRows<float>(*store, keys.batch, 2);
    EXPECT_EQ(rows[7], (std::vector<float>{10, 13.5}));  // key 7 + 3 deltas
    EXPECT_EQ(rows[ids.size() - 1], (std::vector<float>{2, 4}));
  }

  void ConcurrentAccumsLoseNoUpdate() {
    constexpr int kThreads = 4, kRounds = 25;
    Int64Keys keys;
    auto store = Filled(2, 300, &keys);
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        redis_client::ThreadPerTaskExecutor executor;
        for (int round = 0; round < kRounds; ++round) {
          if (!AddToAll(*store, keys, 1.0f, &executor).ok()) ++failures;
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    EXPECT_EQ(failures.load(), 0);
    auto rows = test_util::StoredRows<float>(*store, keys.batch, 2);
    ASSERT_EQ(rows.size(), keys.keys.size());
    for (const auto& [i, row] : rows) {
      const float key = static_cast<float>(keys.keys[i]);
      EXPECT_EQ(row, (std::vector<float>{key + 100, key + 100.5f})) << i;
    }
  }

  // A call of more keys than run inline, with an executor, on one bucket:
  // with the module its keys go out in parts on connections of their own
  // (accum_transaction.h), without it in one bucket's transactions. Either
  // way each delta is added once, and repeated keys in input order.
  void BigCallsAddEachDeltaOnce() {
    constexpr size_t kKeys = 5000;
    Int64Keys keys;
    auto store = Filled(1, kKeys, &keys, /*chunk=*/512);
    Int64Keys twice;  // every key twice; odd keys a third time, set-if-absent
    for (int repeat = 0; repeat < 2; ++repeat) {
      twice.keys.insert(twice.keys.end(), keys.keys.begin(), keys.keys.end());
    }
    std::vector<uint8_t> exists(twice.keys.size(), 1);
    for (size_t k = 1; k < kKeys; k += 2) {
      twice.keys.push_back(keys.keys[k]);
      exists.push_back(0);  // the caller saw no row: left alone
    }
    for (const int64_t& key : twice.keys) {
      twice.batch.fields.push_back(KeyBytes(key));
      twice.batch.buckets.push_back(0);
    }
    const Deltas deltas(twice.keys.size(), {1, 2});
    redis_client::ThreadPerTaskExecutor executor;
    const Status status = store->Accum(twice.batch, deltas.views, exists,
                                       AccumElement::kFloat, &executor);
    ASSERT_TRUE(status.ok()) << status.ToString();
    auto rows = test_util::StoredRows<float>(*store, keys.batch, 2);
    ASSERT_EQ(rows.size(), kKeys);
    for (const auto& [i, row] : rows) {
      const float key = static_cast<float>(keys.keys[i]);
      ASSERT_EQ(row, (std::vector<float>{key + 2, key + 4.5f})) << i;
    }
  }

  // Every path reads the stored row before writing: one of the wrong size
  // fails the op with InvalidArgument naming the field, and its command
  // writes nothing.
  void ARowOfTheWrongSizeFailsNamingTheField() {
    Int64Keys keys;
    auto store = Filled(1, 3, &keys);
    const std::vector<float> longer = {1, 2, 3};
    const Status status = store->Accum(
        keys.batch, std::vector<std::string_view>(3, PodRowBytes(longer.data(), 3)),
        {1, 1, 1}, AccumElement::kFloat, nullptr);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status.ToString();
    EXPECT_NE(status.message().find("TFRA accum: field 0x0000000000000000 "
                                    "stores 8 bytes, the delta has 12 bytes"),
              std::string::npos)
        << status.ToString();
    auto rows = test_util::StoredRows<float>(*store, keys.batch, 2);
    EXPECT_EQ(rows[2], (std::vector<float>{2, 2.5}));
  }

  // With the module, HMACCUM does all the work; without, transactions do.
  void TakesTheFastestPathTheServersOffer() {
    Int64Keys keys;
    auto store = Filled(2, 200, &keys);
    test_util::ResetCommandStats(*client_);
    const Status status = AddToAll(*store, keys, 1.0f, nullptr);
    ASSERT_TRUE(status.ok()) << status.ToString();
    const int64_t hmaccum = test_util::CommandCalls(*client_, "hmaccum");
    const int64_t exec = test_util::CommandCalls(*client_, "exec");
    EXPECT_EQ(hmaccum > 0, kWithModule) << hmaccum;
    EXPECT_EQ(exec > 0, !kWithModule) << exec;
    EXPECT_EQ(test_util::CommandCalls(*client_, "evalsha") +
                  test_util::CommandCalls(*client_, "eval"),
              0);
  }
};

using AccumWithoutModuleTest = AccumSuite<false>;
using AccumWithModuleTest = AccumSuite<true>;

// One body, both suites.
#define TFRA_ACCUM_TEST_BOTH_WAYS(Name)              \
  TEST_P(AccumWithoutModuleTest, Name) { Name(); } \
  TEST_P(AccumWithModuleTest, Name) { Name(); }

TFRA_ACCUM_TEST_BOTH_WAYS(AddsOnlyWhereTheCallerSawTheKey)
TFRA_ACCUM_TEST_BOTH_WAYS(RepeatedKeysApplyInOrder)
TFRA_ACCUM_TEST_BOTH_WAYS(ConcurrentAccumsLoseNoUpdate)
TFRA_ACCUM_TEST_BOTH_WAYS(BigCallsAddEachDeltaOnce)
TFRA_ACCUM_TEST_BOTH_WAYS(ARowOfTheWrongSizeFailsNamingTheField)
TFRA_ACCUM_TEST_BOTH_WAYS(TakesTheFastestPathTheServersOffer)

#undef TFRA_ACCUM_TEST_BOTH_WAYS

// Every master unloads the module while the store's connections remember
// that it had it: their HMACCUM commands answer "unknown command", ran
// nowhere, and go to the script, which adds each delta once. (Connections
// opened afterwards ask again and take the transaction path.) The module is
// loaded back for the suite's other tests.
TEST_P(AccumWithModuleTest, AModuleUnloadedUnderOpenConnectionsFallsBack) {
  Int64Keys keys;
  auto store = Filled(2, 100, &keys);
  ASSERT_TRUE(AddToAll(*store, keys, 1.0f, nullptr).ok());
  auto on_masters = [&](const redis_client::Command& command) {
    return client_->ForEachMaster([&](redis_client::NodeSession& node) {
      auto reply = node.Run(command);
      return reply.ok() ? reply->ToStatus() : reply.status();
    });
  };
  const std::string module = redis_module::test_util::HmaccumModulePath();
  ASSERT_TRUE(on_masters(redis_client::Command{"MODULE", "UNLOAD", "BPV2"})
                  .ok());
  test_util::ResetCommandStats(*client_);
  const Status status = AddToAll(*store, keys, 1.0f, nullptr);
  const redis_client::Status reloaded =
      on_masters(redis_client::Command{"MODULE", "LOAD", module});
  ASSERT_TRUE(reloaded.ok()) << reloaded.ToString();
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_GT(test_util::CommandCalls(*client_, "evalsha") +
                test_util::CommandCalls(*client_, "eval"),
            0);
  auto rows = test_util::StoredRows<float>(*store, keys.batch, 2);
  for (const auto& [i, row] : rows) {
    const float key = static_cast<float>(keys.keys[i]);
    EXPECT_EQ(row, (std::vector<float>{key + 2, key + 2.5f})) << i;
  }
}

INSTANTIATE_TEST_SUITE_P(AllModes, AccumWithoutModuleTest,
                         client_util::EveryMode(),
                         client_util::ModeTestName);
INSTANTIATE_TEST_SUITE_P(AllModes, AccumWithModuleTest,
                         client_util::EveryMode(),
                         client_util::ModeTestName);

}  // namespace
}  // namespace redis_table
}  // namespace tfra

// Accum through WATCH/MULTI/EXEC transactions against real deployments:
// it runs without the script when nobody else writes, and concurrent
// writers (other accums, or plain writes to the same bucket) lose no update,
// conflicts going to the script.
#include "tensorflow_recommenders_addons/dynamic_embedding/core/kernels/redis_impl/accum_transaction.h"

#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/kernels/redis_impl/redis_table_store.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/kernels/redis_impl/store_test_util.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/kernels/redis_impl/value_codec.h"

namespace tfra {
namespace redis_table {
namespace {

namespace client_util = redis_client::test_util;
using redis_client::Command;

class AccumTransactionTest : public test_util::StoreTest {
 protected:
  // Runs `command` on every master; the replies' text, concatenated.
  std::string OnEveryMaster(const Command& command) {
    std::string text;
    const redis_client::Status status =
        client_->ForEachMaster([&](redis_client::NodeSession& node) {
          auto reply = node.Run(command);
          if (!reply.ok()) return reply.status();
          if (!reply->is_nil() && reply->AsString().ok()) {
            text += std::string(*reply->AsString()) + "\n";
          }
          return reply->ToStatus();
        });
    EXPECT_TRUE(status.ok()) << status.ToString();
    return text;
  }

  // Calls of `command` (lower case) on all masters since the last reset.
  int64_t Calls(const std::string& command) {
    const std::string stats = OnEveryMaster(Command{"INFO", "commandstats"});
    const std::string prefix = "cmdstat_" + command + ":calls=";
    int64_t calls = 0;
    for (size_t at = stats.find(prefix); at != std::string::npos;
         at = stats.find(prefix, at + 1)) {
      calls += std::atoll(stats.c_str() + at + prefix.size());
    }
    return calls;
  }

  // Stores `value` in every element of n keys' rows of `dim` floats.
  void Fill(const RedisTableStore& store, const test_util::Int64Keys& keys,
            size_t dim, float value) {
    const std::vector<float> row(dim, value);
    const std::vector<std::string_view> values(
        keys.batch.size(), PodRowBytes(row.data(), row.size()));
    ASSERT_TRUE(store.Insert(keys.batch, values, nullptr).ok());
  }

  // Every row of `keys` holds `dim` copies of `value`.
  void ExpectRows(const RedisTableStore& store,
                  const test_util::Int64Keys& keys, size_t dim, float value) {
    std::atomic<size_t> found{0}, wrong{0};
    const Status status = store.Find(
        keys.batch,
        [&](size_t, std::string_view stored) {
          std::vector<float> row(dim);
          Status decoded = DecodePodRow(stored, dim, row.data());
          if (row != std::vector<float>(dim, value)) ++wrong;
          ++found;
          return decoded;
        },
        nullptr);
    ASSERT_TRUE(status.ok()) << status.ToString();
    EXPECT_EQ(found.load(), keys.batch.size());
    EXPECT_EQ(wrong.load(), 0u) << "rows differing from " << value;
  }
};

TEST_P(AccumTransactionTest, CommitsWithoutTheScriptWhenNobodyElseWrites) {
  auto store = Store(2, 64);
  test_util::Int64Keys keys;
  test_util::MakeKeys(1000, 3, 2, &keys);
  ASSERT_NO_FATAL_FAILURE(Fill(*store, keys, 8, 1.0f));
  OnEveryMaster(Command{"CONFIG", "RESETSTAT"});
  const std::vector<float> delta(8, 0.5f);
  const Status status = store->Accum(
      keys.batch,
      std::vector<std::string_view>(1000, PodRowBytes(delta.data(), 8)),
      std::vector<uint8_t>(1000, 1), AccumElement::kFloat, nullptr);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(Calls("exec"), 2);  // one transaction per bucket
  EXPECT_EQ(Calls("evalsha") + Calls("eval"), 0);
  ExpectRows(*store, keys, 8, 1.5f);
}

TEST_P(AccumTransactionTest, ConcurrentAccumsLoseNoUpdate) {
  constexpr int kThreads = 4, kRounds = 25;
  auto store = Store(2, 64);
  test_util::Int64Keys keys;
  test_util::MakeKeys(300, 7, 2, &keys);
  ASSERT_NO_FATAL_FAILURE(Fill(*store, keys, 4, 0.0f));
  OnEveryMaster(Command{"CONFIG", "RESETSTAT"});
  const std::vector<float> delta(4, 1.0f);
  const std::vector<std::string_view> deltas(300,
                                             PodRowBytes(delta.data(), 4));
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      redis_client::ThreadPerTaskExecutor executor;
      for (int round = 0; round < kRounds; ++round) {
        if (!store->Accum(keys.batch, deltas, std::vector<uint8_t>(300, 1),
                          AccumElement::kFloat, &executor)
                 .ok()) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  ExpectRows(*store, keys, 4, static_cast<float>(kThreads * kRounds));
  RecordProperty("exec_calls", std::to_string(Calls("exec")));
  RecordProperty("script_calls",
                 std::to_string(Calls("evalsha") + Calls("eval")));
}

// A client that keeps writing another field of the bucket makes every
// transaction conflict: units go to the script, and still add exactly once.
TEST_P(AccumTransactionTest, ConflictsGoToTheScriptAndAddOnce) {
  auto store = Store(1, 50);
  test_util::Int64Keys keys;
  test_util::MakeKeys(200, 5, 1, &keys);
  ASSERT_NO_FATAL_FAILURE(Fill(*store, keys, 4, 0.0f));
  OnEveryMaster(Command{"CONFIG", "RESETSTAT"});
  std::atomic<bool> stop{false};
  const std::string bucket = store->settings().bucket_keys[0];
  std::thread writer([&] {
    for (int i = 0; !stop.load(); ++i) {
      auto reply = client_->Run(
          bucket, Command{"HSET", bucket, "other", std::to_string(i)},
          redis_client::Access::kWrite);
      if (!reply.ok()) return;
    }
  });
  const std::vector<float> delta(4, 1.0f);
  const std::vector<std::string_view> deltas(200,
                                             PodRowBytes(delta.data(), 4));
  for (int round = 0; round < 20; ++round) {
    const Status status =
        store->Accum(keys.batch, deltas, std::vector<uint8_t>(200, 1),
                     AccumElement::kFloat, nullptr);
    ASSERT_TRUE(status.ok()) << status.ToString();
  }
  stop = true;
  writer.join();
  ExpectRows(*store, keys, 4, 20.0f);
  EXPECT_GT(Calls("evalsha") + Calls("eval"), 0)
      << "no transaction conflicted with a writer of the same bucket";
}

INSTANTIATE_TEST_SUITE_P(AllModes, AccumTransactionTest,
                         client_util::AllServerModes(),
                         client_util::ServerModeTestName);

}  // namespace
}  // namespace redis_table
}  // namespace tfra

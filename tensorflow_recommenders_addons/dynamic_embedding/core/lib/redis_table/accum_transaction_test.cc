// Accum through WATCH/MULTI/EXEC transactions against real deployments:
// it runs without the script when nobody else writes, and a concurrent
// writer of the same bucket makes units conflict, which go to the script and
// lose no update. (accum_test.cc runs the semantics every path shares.)
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/accum_transaction.h"

#include <atomic>
#include <chrono>
#include <cstdlib>
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
using redis_client::Command;

class AccumTransactionTest : public test_util::StoreTest {
 protected:
  // A store of `slices` buckets whose n keys hold rows of `dim` zeros, and
  // the servers' command counts reset.
  void Prepare(int32_t slices, size_t chunk, size_t n, size_t dim) {
    store_ = Store(slices, chunk, AccumPaths::kNoModule);
    test_util::MakeKeys(n, 7, static_cast<uint32_t>(slices), &keys_);
    dim_ = dim;
    const std::vector<float> zeros(dim, 0.0f);
    ASSERT_TRUE(store_
                    ->Insert(keys_.batch,
                             std::vector<std::string_view>(
                                 n, PodRowBytes(zeros.data(), dim)),
                             nullptr)
                    .ok());
    test_util::ResetCommandStats(*client_);
  }

  // Adds `delta` to every element of every key's row.
  Status AddToAll(float delta, redis_client::Executor* executor) {
    const std::vector<float> row(dim_, delta);
    return store_->Accum(keys_.batch,
                         std::vector<std::string_view>(
                             keys_.batch.size(), PodRowBytes(row.data(), dim_)),
                         std::vector<uint8_t>(keys_.batch.size(), 1),
                         AccumElement::kFloat, executor);
  }

  // Every row holds `dim_` copies of `value`.
  void ExpectRows(float value) {
    std::atomic<size_t> found{0}, wrong{0};
    const Status status = store_->Find(
        keys_.batch,
        [&](size_t, std::string_view stored) {
          std::vector<float> row(dim_);
          Status decoded = DecodePodRow(stored, dim_, row.data());
          if (row != std::vector<float>(dim_, value)) ++wrong;
          ++found;
          return decoded;
        },
        nullptr);
    ASSERT_TRUE(status.ok()) << status.ToString();
    EXPECT_EQ(found.load(), keys_.batch.size());
    EXPECT_EQ(wrong.load(), 0u) << "rows differing from " << value;
  }

  int64_t Calls(const std::string& command) {
    return test_util::CommandCalls(*client_, command);
  }

  std::unique_ptr<RedisTableStore> store_;
  test_util::Int64Keys keys_;
  size_t dim_ = 0;
};

TEST_P(AccumTransactionTest, CommitsWithoutTheScriptWhenNobodyElseWrites) {
  ASSERT_NO_FATAL_FAILURE(Prepare(2, 64, 1000, 8));
  const Status status = AddToAll(0.5f, nullptr);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(Calls("exec"), 2);  // one transaction per bucket
  EXPECT_EQ(Calls("evalsha") + Calls("eval"), 0);
  EXPECT_EQ(Calls("hmaccum"), 0);
  ExpectRows(0.5f);
}

// A client that keeps writing another field of the bucket makes
// transactions conflict: those units go to the script, and every accum
// still adds exactly once. Accums run until the script has been used (how
// soon the writer's turn falls inside a transaction is up to the scheduler).
TEST_P(AccumTransactionTest, ConflictsGoToTheScriptAndAddOnce) {
  ASSERT_NO_FATAL_FAILURE(Prepare(1, 50, 200, 4));
  std::atomic<bool> stop{false};
  std::atomic<int64_t> writes{0};
  const std::string bucket = store_->settings().bucket_keys[0];
  std::thread writer([&] {
    while (!stop.load()) {
      auto reply = client_->Run(
          bucket,
          Command{"HSET", bucket, "other", std::to_string(writes.load())},
          redis_client::Access::kWrite);
      if (!reply.ok()) return;
      ++writes;
    }
  });
  while (writes.load() == 0) std::this_thread::yield();
  Status status;
  int rounds = 0;
  int64_t script_calls = 0;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (status.ok() && script_calls == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    for (int i = 0; i < 10 && status.ok(); ++i, ++rounds) {
      status = AddToAll(1.0f, nullptr);
    }
    script_calls = Calls("evalsha") + Calls("eval");
  }
  stop = true;
  writer.join();  // before any ASSERT can return
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_GT(script_calls, 0)
      << "no transaction conflicted with a writer of the same bucket in "
      << rounds << " accums";
  ExpectRows(static_cast<float>(rounds));
}

INSTANTIATE_TEST_SUITE_P(AllModes, AccumTransactionTest,
                         client_util::EveryMode(),
                         client_util::ModeTestName);

}  // namespace
}  // namespace redis_table
}  // namespace tfra

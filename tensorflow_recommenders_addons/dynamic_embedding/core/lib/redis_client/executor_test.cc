#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/executor.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace tfra {
namespace redis_client {
namespace {

void ExpectEachIndexRunsOnce(Executor& executor, size_t n) {
  std::vector<std::atomic<int>> runs(n);
  executor.ParallelFor(n, [&runs](size_t i) { runs[i].fetch_add(1); });
  for (size_t i = 0; i < n; ++i) EXPECT_EQ(runs[i].load(), 1) << "index " << i;
}

TEST(InlineExecutorTest, RunsEachIndexOnceInOrderOnTheCaller) {
  InlineExecutor executor;
  ExpectEachIndexRunsOnce(executor, 17);
  std::vector<size_t> order;
  const std::thread::id caller = std::this_thread::get_id();
  executor.ParallelFor(4, [&](size_t i) {
    EXPECT_EQ(std::this_thread::get_id(), caller);
    order.push_back(i);
  });
  EXPECT_EQ(order, (std::vector<size_t>{0, 1, 2, 3}));
}

TEST(ThreadPerTaskExecutorTest, RunsEachIndexOnce) {
  ThreadPerTaskExecutor executor;
  ExpectEachIndexRunsOnce(executor, 0);
  ExpectEachIndexRunsOnce(executor, 1);
  ExpectEachIndexRunsOnce(executor, 9);
}

TEST(ThreadPerTaskExecutorTest, RunsTasksConcurrently) {
  // Every task waits until all have started: this only finishes if they
  // really run at the same time.
  ThreadPerTaskExecutor executor;
  constexpr size_t kTasks = 4;
  std::atomic<size_t> started{0};
  std::mutex mu;
  std::set<std::thread::id> threads;
  executor.ParallelFor(kTasks, [&](size_t) {
    started.fetch_add(1);
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (started.load() < kTasks &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    std::lock_guard<std::mutex> lock(mu);
    threads.insert(std::this_thread::get_id());
  });
  EXPECT_EQ(started.load(), kTasks);
  EXPECT_EQ(threads.size(), kTasks);
}

}  // namespace
}  // namespace redis_client
}  // namespace tfra

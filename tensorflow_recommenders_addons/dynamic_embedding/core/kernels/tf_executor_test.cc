#include "tensorflow_recommenders_addons/dynamic_embedding/core/kernels/tf_executor.h"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tensorflow/core/platform/env.h"
#include "tensorflow/core/platform/threadpool.h"

namespace tensorflow {
namespace recommenders_addons {
namespace {

using std::chrono::seconds;

// Polls `condition` until it holds or `timeout` passes.
bool WaitFor(const std::function<bool()>& condition, seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

TEST(TfExecutorTest, RunsEveryIndexExactlyOnce) {
  thread::ThreadPool pool(Env::Default(), "tf_executor_test", 4);
  TfExecutor executor(&pool);
  for (size_t n : {0, 1, 2, 7, 1000}) {
    std::vector<std::atomic<int>> calls(n);
    executor.ParallelFor(n, [&calls](size_t i) { calls[i].fetch_add(1); });
    for (size_t i = 0; i < n; ++i) {
      EXPECT_EQ(calls[i].load(), 1) << "index " << i << " of " << n;
    }
  }
}

// Each unit waits until both have started, which only two threads at once
// can satisfy: the caller and a pool thread.
TEST(TfExecutorTest, RunsUnitsOnPoolThreadsBesideTheCaller) {
  thread::ThreadPool pool(Env::Default(), "tf_executor_test", 2);
  TfExecutor executor(&pool);
  std::atomic<int> started{0};
  std::mutex mu;
  std::set<std::thread::id> threads;
  executor.ParallelFor(2, [&](size_t) {
    started.fetch_add(1);
    EXPECT_TRUE(WaitFor([&] { return started.load() == 2; }, seconds(30)));
    std::lock_guard<std::mutex> lock(mu);
    threads.insert(std::this_thread::get_id());
  });
  EXPECT_EQ(threads.size(), 2u);
}

// With every pool thread busy, the caller runs all units itself and returns;
// a helper that starts later finds nothing left to run.
TEST(TfExecutorTest, NeverWaitsForAHelperThatHasNotStarted) {
  auto pool = std::make_unique<thread::ThreadPool>(Env::Default(),
                                                   "tf_executor_test", 1);
  std::atomic<bool> release{false};
  std::atomic<bool> blocking{false};
  pool->Schedule([&] {
    blocking.store(true);
    WaitFor([&] { return release.load(); }, seconds(60));
  });
  ASSERT_TRUE(WaitFor([&] { return blocking.load(); }, seconds(30)));
  TfExecutor executor(pool.get());
  std::vector<std::thread::id> ran_on(8);
  executor.ParallelFor(ran_on.size(), [&ran_on](size_t i) {
    ran_on[i] = std::this_thread::get_id();
  });
  for (const std::thread::id& id : ran_on) {
    EXPECT_EQ(id, std::this_thread::get_id());
  }
  release.store(true);
  pool.reset();  // joins: the late helper ran and touched nothing
}

TEST(TfExecutorTest, WithoutAPoolRunsInOrderOnTheCaller) {
  TfExecutor executor(static_cast<thread::ThreadPool*>(nullptr));
  const std::thread::id caller = std::this_thread::get_id();
  std::vector<size_t> order;
  executor.ParallelFor(5, [&order, caller](size_t i) {
    EXPECT_EQ(std::this_thread::get_id(), caller);
    order.push_back(i);
  });
  EXPECT_EQ(order, (std::vector<size_t>{0, 1, 2, 3, 4}));
}

}  // namespace
}  // namespace recommenders_addons
}  // namespace tensorflow

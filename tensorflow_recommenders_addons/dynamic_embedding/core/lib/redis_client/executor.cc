#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/executor.h"

#include <thread>
#include <vector>

namespace tfra {
namespace redis_client {

void InlineExecutor::ParallelFor(size_t n,
                                 const std::function<void(size_t)>& fn) {
  for (size_t i = 0; i < n; ++i) fn(i);
}

void ThreadPerTaskExecutor::ParallelFor(size_t n,
                                        const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  std::vector<std::thread> threads;
  threads.reserve(n - 1);
  for (size_t i = 1; i < n; ++i) threads.emplace_back(fn, i);
  fn(0);
  for (std::thread& thread : threads) thread.join();
}

}  // namespace redis_client
}  // namespace tfra

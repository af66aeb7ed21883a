// The parallel-for the cluster client fans node batches out with. Threads are
// injected, never owned per table: the TF kernel adapts TF's worker pool,
// tests use ThreadPerTaskExecutor.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_EXECUTOR_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_EXECUTOR_H_

#include <cstddef>
#include <functional>

namespace tfra {
namespace redis_client {

// Implementations must be thread-safe: several client calls may use one
// executor at the same time.
class Executor {
 public:
  virtual ~Executor() = default;
  // Calls fn(i) once for each i in [0, n), possibly concurrently, and returns
  // when all calls have returned. `fn` must be safe to run concurrently for
  // distinct i and must not throw.
  virtual void ParallelFor(size_t n, const std::function<void(size_t)>& fn) = 0;
};

// Runs every task on the calling thread, in order.
class InlineExecutor : public Executor {
 public:
  void ParallelFor(size_t n, const std::function<void(size_t)>& fn) override;
};

// Starts one std::thread per task but the first, which runs on the caller.
// Simple and adequate for tests and tools with a handful of nodes.
class ThreadPerTaskExecutor : public Executor {
 public:
  void ParallelFor(size_t n, const std::function<void(size_t)>& fn) override;
};

}  // namespace redis_client
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_EXECUTOR_H_

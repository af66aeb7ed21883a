// redis_client::Executor over TensorFlow's CPU worker pool, so Redis calls
// fan out on the threads TF already has: no per-table thread pools.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_TF_EXECUTOR_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_TF_EXECUTOR_H_

#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/executor.h"

namespace tensorflow {
namespace recommenders_addons {

// Valid for the duration of one op's Compute; thread-safe.
class TfExecutor : public tfra::redis_client::Executor {
 public:
  explicit TfExecutor(OpKernelContext* ctx)
      : pool_(ctx->device()->tensorflow_cpu_worker_threads()->workers) {}

  void ParallelFor(size_t n, const std::function<void(size_t)>& fn) override {
    if (n <= 1 || pool_ == nullptr) {
      for (size_t i = 0; i < n; ++i) fn(i);
      return;
    }
    // One task per unit: each unit is a Redis round trip or a chunk of
    // decoding, far costlier than the scheduling.
    constexpr int64_t kCostPerUnit = int64_t{1} << 24;
    pool_->ParallelFor(static_cast<int64_t>(n), kCostPerUnit,
                       [&fn](int64_t begin, int64_t end) {
                         for (int64_t i = begin; i < end; ++i) fn(i);
                       });
  }

 private:
  thread::ThreadPool* pool_;
};

}  // namespace recommenders_addons
}  // namespace tensorflow

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_TF_EXECUTOR_H_

// CPU kernel of TFRA>RedisMetrics: a thin adapter over the TF-free
// metrics::MetricsRegistry.
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/tensor.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/metrics/metrics.h"

namespace tensorflow {
namespace recommenders_addons {

class RedisMetricsOp : public OpKernel {
 public:
  explicit RedisMetricsOp(OpKernelConstruction* context) : OpKernel(context) {}

  void Compute(OpKernelContext* context) override {
    Tensor* snapshot = nullptr;
    OP_REQUIRES_OK(context,
                   context->allocate_output(0, TensorShape({}), &snapshot));
    snapshot->scalar<tstring>()() =
        tfra::metrics::MetricsRegistry::Global().SnapshotJson();
  }
};

REGISTER_KERNEL_BUILDER(Name("TFRA>RedisMetrics").Device(DEVICE_CPU),
                        RedisMetricsOp);

}  // namespace recommenders_addons
}  // namespace tensorflow

// Registration of TFRA>RedisMetrics: the Redis backend's counters and latency
// histograms (core/lib/metrics) as one JSON text, read by
// python/ops/redis_metrics.py. Ours, not TFRA 0.8's. The kernel is in
// kernels/redis_metrics_kernel.cc.
#include "tensorflow/core/framework/common_shape_fns.h"
#include "tensorflow/core/framework/op.h"

namespace tensorflow {
namespace recommenders_addons {

REGISTER_OP("TFRA>RedisMetrics")
    .Output("snapshot: string")
    // Reads process state that changes between runs: never constant-folded
    // or cached.
    .SetIsStateful()
    .SetShapeFn(shape_inference::ScalarShape)
    .Doc(R"doc(
Every metric of this process's Redis tables and clients, as JSON.

snapshot: {"counters": [{"name", "labels", "value"}], "histograms": [{"name",
  "labels", "bounds_us", "counts", "count", "sum_us"}], "help": {name: text}}.
)doc");

}  // namespace recommenders_addons
}  // namespace tensorflow

// Registration of TFRA>RedisHashSlot: which Redis Cluster slot a key (for
// example a table bucket name) maps to. Useful to see how a table's buckets
// spread over cluster nodes; the kernel is in kernels/redis_hash_slot_kernel.cc.
#include "tensorflow/core/framework/common_shape_fns.h"
#include "tensorflow/core/framework/op.h"

namespace tensorflow {
namespace recommenders_addons {

REGISTER_OP("TFRA>RedisHashSlot")
    .Input("keys: string")
    .Output("slots: int32")
    .SetShapeFn(shape_inference::UnchangedShape)
    .Doc(R"doc(
Redis Cluster hash slot (CRC16 of the hash tag, modulo 16384) of each key.

keys: Redis key names, for example "test:emb{3560}".
slots: The slot of each key, same shape as `keys`.
)doc");

}  // namespace recommenders_addons
}  // namespace tensorflow

// CPU kernel of TFRA>RedisHashSlot: a thin adapter over the TF-free
// redis_client::HashSlot.
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/tensor.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/hash_slot.h"

namespace tensorflow {
namespace recommenders_addons {

class RedisHashSlotOp : public OpKernel {
 public:
  explicit RedisHashSlotOp(OpKernelConstruction* context) : OpKernel(context) {}

  void Compute(OpKernelContext* context) override {
    const Tensor& keys = context->input(0);
    Tensor* slots = nullptr;
    OP_REQUIRES_OK(context,
                   context->allocate_output(0, keys.shape(), &slots));
    const auto key_values = keys.flat<tstring>();
    auto slot_values = slots->flat<int32>();
    for (int64_t i = 0; i < key_values.size(); ++i) {
      const tstring& key = key_values(i);
      slot_values(i) =
          tfra::redis_client::HashSlot(std::string_view(key.data(), key.size()));
    }
  }
};

REGISTER_KERNEL_BUILDER(Name("TFRA>RedisHashSlot").Device(DEVICE_CPU),
                        RedisHashSlotOp);

}  // namespace recommenders_addons
}  // namespace tensorflow

// The table interface the generic kernels use: TensorFlow's LookupInterface
// plus the operations TFRA tables add (find with exists, accum, clear, a
// size that can fail). Written once; the Redis table implements it.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_TFRA_LOOKUP_TABLE_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_TFRA_LOOKUP_TABLE_H_

#include "tensorflow/core/framework/lookup_interface.h"
#include "tensorflow/core/framework/op_kernel.h"

namespace tensorflow {
namespace recommenders_addons {

class TfraLookupTable : public lookup::LookupInterface {
 public:
  // Like Find, and exists[i] tells whether key i was stored.
  virtual absl::Status FindWithExists(OpKernelContext* ctx, const Tensor& keys,
                                      Tensor* values,
                                      const Tensor& default_value,
                                      Tensor* exists) = 0;

  // Adds values_or_deltas to stored keys whose exists flag is set, stores
  // them for absent keys whose flag is clear.
  virtual absl::Status Accum(OpKernelContext* ctx, const Tensor& keys,
                             const Tensor& values_or_deltas,
                             const Tensor& exists) = 0;

  virtual absl::Status Clear(OpKernelContext* ctx) = 0;

  // Outputs "keys" and "values" with every stored row. ExportValues may
  // export less, depending on how the table is checkpointed.
  virtual absl::Status ExportRows(OpKernelContext* ctx) = 0;

  // The number of stored keys; unlike size(), reports failures.
  virtual absl::Status Size(OpKernelContext* ctx, int64_t* size) = 0;

 protected:
  ~TfraLookupTable() override = default;
};

}  // namespace recommenders_addons
}  // namespace tensorflow

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_TFRA_LOOKUP_TABLE_H_

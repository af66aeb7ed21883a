// How a lookup fills the rows of keys it did not find: with the default
// value, either one row shared by every key or (dynamic defaults, as TFRA's
// `default_value` of shape keys.shape + value_shape) one row per key. Only
// missing rows are written, so found rows are copied once, never twice.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_DEFAULT_VALUES_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_DEFAULT_VALUES_H_

#include <algorithm>
#include <cstdint>

#include "tensorflow/core/framework/tensor.h"

namespace tensorflow {
namespace recommenders_addons {

// `out` holds n rows of `dim` values; found[i] tells whether row i was
// filled from the table. `default_value` holds n * dim values (n > 1: row i
// is key i's default) or dim values (one row for every key), as the Find
// ops' argument checks allow.
template <class V>
void FillDefaultValues(const bool* found, int64_t n, int64_t dim,
                       const Tensor& default_value, V* out) {
  const V* defaults = default_value.flat<V>().data();
  const bool per_key = default_value.NumElements() == n * dim && n > 1;
  for (int64_t i = 0; i < n; ++i) {
    if (found[i]) continue;
    const V* source = per_key ? defaults + i * dim : defaults;
    std::copy(source, source + dim, out + i * dim);
  }
}

}  // namespace recommenders_addons
}  // namespace tensorflow

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_DEFAULT_VALUES_H_

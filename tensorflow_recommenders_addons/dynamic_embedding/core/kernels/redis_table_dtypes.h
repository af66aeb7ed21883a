// The (key, value) dtype pairs the Redis table supports: upstream TFRA's
// matrix. One list, expanded by the kernel instantiations and registrations.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_REDIS_TABLE_DTYPES_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_REDIS_TABLE_DTYPES_H_

#include "tensorflow/core/framework/types.h"

// X(K, V) for every supported pair.
#define TFRA_REDIS_TABLE_DTYPES(X) \
  X(int32, double)                 \
  X(int32, float)                  \
  X(int32, int32)                  \
  X(int32, bfloat16)               \
  X(int64_t, double)               \
  X(int64_t, float)                \
  X(int64_t, int32)                \
  X(int64_t, int64_t)              \
  X(int64_t, tstring)              \
  X(int64_t, int8)                 \
  X(int64_t, Eigen::half)          \
  X(int64_t, bfloat16)             \
  X(tstring, bool)                 \
  X(tstring, double)               \
  X(tstring, float)                \
  X(tstring, int32)                \
  X(tstring, int64_t)              \
  X(tstring, int8)                 \
  X(tstring, Eigen::half)          \
  X(tstring, bfloat16)

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_REDIS_TABLE_DTYPES_H_

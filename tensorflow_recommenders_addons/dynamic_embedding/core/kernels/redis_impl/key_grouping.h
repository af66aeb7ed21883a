// Groups one op's keys by table bucket and cuts each bucket's keys into
// chunks of at most `keys_sending_size`, so every Redis command touches one
// bucket (one hash tag, hence one cluster slot) and stays bounded in size.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_REDIS_IMPL_KEY_GROUPING_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_REDIS_IMPL_KEY_GROUPING_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tfra {
namespace redis_table {

// Keys order[begin, end) all live in `bucket`.
struct KeyChunk {
  uint32_t bucket = 0;
  size_t begin = 0;
  size_t end = 0;
};

// A plain value; build on one thread, then read from any number.
struct KeyGrouping {
  // Key positions (indices into the op's key list), bucket by bucket; within
  // a bucket the input order is kept, so for duplicate keys in one batch the
  // last one written wins, as in upstream.
  std::vector<size_t> order;
  std::vector<KeyChunk> chunks;
};

// `bucket_of_key[i]` < `bucket_count` is key i's bucket; `max_keys_per_chunk`
// >= 1. Linear in the number of keys (a counting sort).
KeyGrouping GroupKeysByBucket(const std::vector<uint32_t>& bucket_of_key,
                              uint32_t bucket_count,
                              size_t max_keys_per_chunk);

}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_REDIS_IMPL_KEY_GROUPING_H_

#include "tensorflow_recommenders_addons/dynamic_embedding/core/kernels/redis_impl/key_grouping.h"

#include <algorithm>
#include <cassert>

namespace tfra {
namespace redis_table {

KeyGrouping GroupKeysByBucket(const std::vector<uint32_t>& bucket_of_key,
                              uint32_t bucket_count,
                              size_t max_keys_per_chunk) {
  assert(bucket_count >= 1 && max_keys_per_chunk >= 1);
  // Counting sort: start[b] is where bucket b's keys begin in `order`.
  std::vector<size_t> start(static_cast<size_t>(bucket_count) + 1, 0);
  for (uint32_t bucket : bucket_of_key) {
    assert(bucket < bucket_count);
    ++start[bucket + 1];
  }
  for (uint32_t b = 0; b < bucket_count; ++b) start[b + 1] += start[b];

  KeyGrouping grouping;
  grouping.order.resize(bucket_of_key.size());
  std::vector<size_t> next(start.begin(), start.end() - 1);
  for (size_t i = 0; i < bucket_of_key.size(); ++i) {
    grouping.order[next[bucket_of_key[i]]++] = i;
  }
  for (uint32_t b = 0; b < bucket_count; ++b) {
    for (size_t begin = start[b]; begin < start[b + 1];
         begin += max_keys_per_chunk) {
      const size_t end = std::min(start[b + 1], begin + max_keys_per_chunk);
      grouping.chunks.push_back(KeyChunk{b, begin, end});
    }
  }
  return grouping;
}

}  // namespace redis_table
}  // namespace tfra

// One op's keys as the table logic sees them: field bytes and bucket index.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_KEY_BATCH_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_KEY_BATCH_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace tfra {
namespace redis_table {

// The field bytes of key i (borrowed, e.g. from a tensor) and its bucket
// index. Both vectors have the same length.
struct KeyBatch {
  std::vector<std::string_view> fields;
  std::vector<uint32_t> buckets;

  size_t size() const { return fields.size(); }
};

}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_KEY_BATCH_H_

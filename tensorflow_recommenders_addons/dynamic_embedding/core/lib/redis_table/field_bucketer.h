// The bucket of a stored hash field (the key's bytes), for code that holds
// fields rather than typed keys: re-bucketing data found in Redis.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_FIELD_BUCKETER_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_FIELD_BUCKETER_H_

#include <cstdint>
#include <string_view>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/table_status.h"

namespace tfra {
namespace redis_table {

// How keys are laid out as hash fields, which decides their bucket.
enum class KeyKind { kInt32, kInt64, kString };

// Applies bucket_hash.h's rules to field bytes. Immutable, thread-safe.
class FieldBucketer {
 public:
  FieldBucketer(KeyKind kind, uint32_t storage_slice, bool using_hash)
      : kind_(kind), storage_slice_(storage_slice), using_hash_(using_hash) {}

  // InvalidArgument when a numeric field has the wrong size.
  Result<uint32_t> BucketOf(std::string_view field) const;

 private:
  KeyKind kind_;
  uint32_t storage_slice_;
  bool using_hash_;
};

}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_FIELD_BUCKETER_H_

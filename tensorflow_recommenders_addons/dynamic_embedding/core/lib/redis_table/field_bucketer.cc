#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/field_bucketer.h"

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/bucket_hash.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/value_codec.h"

namespace tfra {
namespace redis_table {

Result<uint32_t> FieldBucketer::BucketOf(std::string_view field) const {
  switch (kind_) {
    case KeyKind::kInt32: {
      int32_t key;
      TFRA_TABLE_RETURN_IF_ERROR(DecodeKey(field, &key));
      return KeyBucket(key, storage_slice_, using_hash_);
    }
    case KeyKind::kInt64: {
      int64_t key;
      TFRA_TABLE_RETURN_IF_ERROR(DecodeKey(field, &key));
      return KeyBucket(key, storage_slice_, using_hash_);
    }
    case KeyKind::kString:
      return KeyBucket(field, storage_slice_, using_hash_);
  }
  return InternalError("unknown key kind");
}

}  // namespace redis_table
}  // namespace tfra

// Sizing a table: `tfra-redis plan` measures what a row costs on this Redis
// by writing a sample table through the table's own store and reading
// MEMORY USAGE, then deleting it; `tfra-redis hot` finds buckets that hold
// more than their share or more than a size limit. Both suggest the
// storage_slice that spreads a table over the masters with no bucket above
// the limit. TF-free.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_ADMIN_SIZING_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_ADMIN_SIZING_H_

#include <cstdint>
#include <string>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/admin_session.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/json_writer.h"

namespace tfra {
namespace redis_admin {

// The default largest bucket. One bucket is one Redis key, served by one
// thread of one node: a 256 MiB bucket still moves between cluster nodes
// (MIGRATE) and DUMPs in about a second; much larger ones stall the node
// that serves them and make it the hot spot of every batch.
inline constexpr int64_t kDefaultBucketLimitBytes = int64_t{256} << 20;
// Rows written to measure a row's cost: enough to leave Redis' compact
// small-hash encoding behind (its limit is 128 entries by default) and to
// average its allocator's size classes, few enough to take a second.
inline constexpr int64_t kDefaultSampleRows = 10000;

// The fewest buckets that keep each under `limit_bytes`, raised to at least
// `at_least` and rounded up to a multiple of `masters` (Cluster places
// bucket i on master i mod M, so a multiple spreads evenly).
int64_t SuggestedStorageSlice(int64_t total_bytes, int64_t limit_bytes,
                              int masters, int64_t at_least);

struct PlanRequest {
  int64_t rows = 0;
  int64_t dim = 0;
  redis_table::ElementType value_type = redis_table::ElementType::kFloat32;
  redis_table::KeyKind key_kind = redis_table::KeyKind::kInt64;
  int masters = 0;  // 0: the deployment's
  int64_t bucket_limit_bytes = kDefaultBucketLimitBytes;
  int64_t sample_rows = kDefaultSampleRows;
};

// Writes min(rows, sample_rows) rows to a scratch table (deleted again,
// also on failure), measures it and writes the plan as JSON.
Status PlanCapacity(const AdminSession& session, const PlanRequest& request,
                    JsonWriter* out);

// Bucket skew (the fullest bucket's rows over the mean) and buckets over
// `bucket_limit_bytes` for one table (or every
// table of `model_tag` when `embedding_name` is empty), as JSON.
Status FindHotBuckets(const AdminSession& session, const std::string& model_tag,
                      const std::string& embedding_name,
                      int64_t bucket_limit_bytes, JsonWriter* out);

}  // namespace redis_admin
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_ADMIN_SIZING_H_

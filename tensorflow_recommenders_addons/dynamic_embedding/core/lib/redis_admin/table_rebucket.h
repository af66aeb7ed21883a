// `tfra-redis rebucket TABLE --to N`: the lossless re-bucketing a table does
// when it opens with a new storage_slice (bucket_migration.h), run ahead of
// time by the same code, so that the jobs that open the table next find
// their rows in place. Every row is written to its new bucket before it is
// deleted from its old one; an interrupted run loses nothing and a second
// run (or the table's next open) finishes the job. Run it while no job
// writes the table, then set storage_slice to N (and
// using_hash_storage_slice, when changed) in the table's config.
// TF-free.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_ADMIN_TABLE_REBUCKET_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_ADMIN_TABLE_REBUCKET_H_

#include <cstdint>
#include <optional>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/admin_progress.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/admin_session.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/json_writer.h"

namespace tfra {
namespace redis_admin {

struct RebucketRequest {
  int64_t storage_slice = 1;
  // Needed when the layout record has no schema.
  std::optional<redis_table::KeyKind> key_kind;
  // A new using_hash_storage_slice; the table's own when unset.
  std::optional<bool> using_hash;
};

// Re-buckets `table` into `request.storage_slice` buckets named as the
// session's config names them with that storage_slice. Progress counts rows
// checked. Writes {"from": old bucket count, "to": N, "using_hash": H,
// "rows_moved": M, "rows": R}.
Status RebucketTable(const AdminSession& session, const TableLocation& table,
                     const RebucketRequest& request,
                     const AdminProgressFn& progress, JsonWriter* out);

}  // namespace redis_admin
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_ADMIN_TABLE_REBUCKET_H_

// Bringing data into a table's runtime buckets when it lives elsewhere:
//  - the bucket layout changed (storage_slice, using_hash_storage_slice or
//    the hash tags, same model tag): every key not in its bucket under the
//    new layout is moved there, and buckets that are no longer runtime
//    buckets end up empty (Redis then deletes them);
//  - model_tag_import != model_tag_runtime and the runtime buckets are
//    empty: every key of the import buckets is copied into the runtime
//    buckets; the import tag's data is never deleted. A copy that was cut
//    short (flagged in the layout record) is finished by the next open.
// A key is written to its new bucket before it is deleted from its old one,
// so no key is lost or duplicated whatever the bucket counts and whichever
// cluster nodes hold them; every command is safe to repeat (repeat_rule.h),
// and a migration that fails half way is finished by the next open. Runs
// synchronously at table creation.
//
// The layout a table's data was written with is recorded in its layout
// record (layout_record.h). Data without that record (for
// example written by upstream TFRA, which puts every key of a standalone or
// sentinel table in bucket 0) has every key's bucket checked once.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_BUCKET_MIGRATION_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_BUCKET_MIGRATION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/field_bucketer.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/key_layout.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/layout_record.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/progress.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_store.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/table_status.h"

namespace tfra {
namespace redis_table {

struct MigrationReport {
  int64_t keys_moved = 0;   // re-bucketed within the runtime tag
  int64_t keys_copied = 0;  // copied from the import tag
};

// Whether any of `keys` exists (EXISTS, one key at a time, each on its node).
Result<bool> AnyExists(const RedisTableStore& store,
                       const std::vector<std::string>& keys);

// `bucketer` gives the runtime bucket of a stored field; `using_hash` is the
// config's using_hash_storage_slice (part of the recorded layout).
// `progress` hears the rows checked so far (moved or not); stopping between
// two batches loses nothing (every row is written before it is deleted), and
// a later run finishes the job.
Result<MigrationReport> MigrateIntoRuntimeBuckets(
    const RedisTableStore& store, const TableKeyLayout& layout,
    const FieldBucketer& bucketer, bool using_hash,
    redis_client::Executor* executor, const ProgressFn& progress = {});

}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_BUCKET_MIGRATION_H_

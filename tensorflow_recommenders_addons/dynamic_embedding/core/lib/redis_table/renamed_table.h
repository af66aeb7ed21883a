// Taking over a table that was stored under an earlier embedding name.
//
// Optimizer slot tables were once named after Keras 3's slot names
// (test:emb_lk_momentum{3560}); they are named as TFRA 0.8 named them now
// (test:emb_lk_m{3560}). When a table has no bucket yet and buckets of its
// former name exist under the same runtime model tag, each former bucket is
// renamed to this table's bucket with the same hash tag (RENAMENX: the key
// stays on its cluster slot, no row is copied, and an existing key is never
// overwritten), the former layout record is dropped, and the usual layout
// migration (bucket_migration.h) then checks every row's bucket once. A table
// that already has buckets keeps them and the former table is left as it is
// (reported, never merged). TF-free.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_RENAMED_TABLE_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_RENAMED_TABLE_H_

#include <cstdint>
#include <string_view>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_opener.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/table_status.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/executor.h"

namespace tfra {
namespace redis_table {

struct AdoptionReport {
  int64_t buckets_renamed = 0;
  // This table had buckets already, and buckets of the former name exist:
  // nothing was renamed.
  bool kept_both = false;
};

// Renames the buckets of `former_embedding_name` into `table`'s (see the file
// comment). Safe to run from several processes at once: a bucket another
// process renamed first is skipped. Errors name the command and the key.
Result<AdoptionReport> AdoptRenamedTable(const OpenedTable& table,
                                         std::string_view former_embedding_name,
                                         redis_client::Executor* executor);

}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_RENAMED_TABLE_H_

// DUMP files (table_store_mode 1): a table saved as one Redis DUMP payload
// per bucket, in <model_lib_abs_dir>/<model_tag>/<bucket key>.rdb, as
// upstream TFRA names them; restored with RESTORE ... REPLACE. Not to be
// confused with the key/value files of save_to_file_system (kv_files.h).
//
// Unlike upstream: files are written completely (temp file, fsync, rename)
// before the save returns; a restore pairs file i with runtime bucket i and
// deletes runtime buckets whose saved file is empty (the bucket did not
// exist), so afterwards the table holds exactly what was saved; a missing
// file fails the restore instead of being skipped with a warning. A DUMP
// payload only restores on a Redis whose RDB version is at least the saving
// server's.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_BUCKET_DUMP_FILES_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_BUCKET_DUMP_FILES_H_

#include <string>
#include <string_view>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_opener.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/table_status.h"

namespace tfra {
namespace redis_table {

// DUMP file name of a bucket: the key itself when it is printable and has no
// '/', else every byte outside [A-Za-z0-9:_{}.-] as %XX (md5 prefixes are
// binary).
std::string DumpFileName(std::string_view bucket_key);

// Saves every runtime bucket under model_tag_runtime.
Status SaveBucketDumpFiles(const OpenedTable& table);

// Restores the files saved under model_tag_import into the runtime buckets.
Status RestoreBucketDumpFiles(const OpenedTable& table);

}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_BUCKET_DUMP_FILES_H_

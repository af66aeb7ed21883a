// Key/value files (save_to_file_system / load_from_file_system) over
// TensorFlow's FileSystem API (tensorflow::Env), so any filesystem TF knows
// works: local paths, file://, and s3:// or hdfs:// with tensorflow-io. The
// record format and the streaming are TF-free (lib/redis_table/kv_files.h);
// this file resolves the folder, opens, syncs and renames the files.
//
// A save writes <path>-keys.tmp and <path>-values.tmp, syncs and closes them,
// then renames each over its final name, so a failed save leaves the files
// of the previous save in place. append_to_file appends to the final files
// directly (a failure can then leave the two files of different lengths,
// which a load detects and refuses).
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_KV_FILE_SYSTEM_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_KV_FILE_SYSTEM_H_

#include "tensorflow/core/platform/env.h"
#include "tensorflow/core/platform/status.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_opener.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/kv_files.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/kernels/tfra_lookup_table.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/executor.h"

namespace tensorflow {
namespace recommenders_addons {

absl::Status SaveTableToFileSystem(
    Env* env, const tfra::redis_table::OpenedTable& table,
    const tfra::redis_table::KvRecordFormat& format,
    const KvFileRequest& request);

absl::Status LoadTableFromFileSystem(
    Env* env, const tfra::redis_table::OpenedTable& table,
    const tfra::redis_table::KvRecordFormat& format,
    const KvFileRequest& request, tfra::redis_client::Executor* executor);

}  // namespace recommenders_addons
}  // namespace tensorflow

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_KV_FILE_SYSTEM_H_

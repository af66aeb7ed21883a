// Where save_to_file_system / load_from_file_system put a table's key/value
// files (kv_files.h): the folder (an env var or the op's input), the two
// file names of one saved table, and the tables load_entire_dir picks from a
// folder. Pure functions; TF-free.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_KV_FILE_NAMES_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_KV_FILE_NAMES_H_

#include <string>
#include <string_view>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/config_path.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/table_status.h"

namespace tfra {
namespace redis_table {

std::string KeysFilePath(std::string_view path);    // path + "-keys"
std::string ValuesFilePath(std::string_view path);  // path + "-values"

// The folder: the value of the variable named `dirpath_env` when that name
// is non-empty and the variable is set to a non-empty value, else `dirpath`.
std::string ResolveKvFileDir(std::string_view dirpath_env,
                             std::string_view dirpath,
                             const GetEnvFunction& getenv_fn);

// dir + "/" + file_name (no doubled '/'; a URI such as "s3://b/x" works).
std::string JoinFilePath(std::string_view dir, std::string_view file_name);

// load_entire_dir: the saved tables among `children` (the names in folder
// `dir`, which only appears in messages) that belong to `file_name`, as names
// without the "-keys"/"-values" suffix, sorted. A table belongs when its name
// starts with `file_name` up to and including its last "_mht_" (the files of
// every shard and rank of a Variable), or, for a name without "_mht_", equals
// `file_name` or starts with `file_name` + "_mht_" (never "emb2" for "emb";
// upstream globbed a 4-character prefix). NotFound when none does, or when a
// table has only one of its two files.
Result<std::vector<std::string>> SavedTablesInDir(
    std::string_view dir, const std::vector<std::string>& children,
    std::string_view file_name);

}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_KV_FILE_NAMES_H_

// Opening a Redis table, as named steps that each return a status: resolve
// the config path, parse the config, get the (shared) client, name the
// buckets, bring data from an older layout or model tag into the runtime
// buckets, record what the table is, and clear TTLs left by earlier
// processes. Closing applies
// expire_model_tag_in_seconds. TF-free.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_REDIS_TABLE_OPENER_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_REDIS_TABLE_OPENER_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/config_path.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/field_bucketer.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/key_layout.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_config.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_store.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/slot_tags.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/table_schema.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/row_encoding.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/table_status.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/options.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/executor.h"

namespace tfra {
namespace redis_table {

// What the TF op knows when it creates the table.
struct TableRequest {
  std::string embedding_name;          // attr embedding_name
  std::string config_env_var_name;     // attr redis_config_abs_dir_env
  std::string config_path_attr;        // attr redis_config_abs_dir
  KeyKind key_kind = KeyKind::kInt64;
  // Exact stored value size for numeric values; 0 for string values, whose
  // framing is checked when decoded.
  size_t value_bytes = 0;
  // Recorded in the layout record (layout_record.h) with key_kind, so tools
  // can describe the table.
  ElementType value_type = ElementType::kFloat32;
  int64_t dim = 0;
};

// An open table. Immutable after opening; thread-safe.
struct OpenedTable {
  std::string config_path;
  RedisTableConfig config;
  std::unique_ptr<RedisTableStore> store;
  std::optional<TableKeyLayout> layout;  // always set once opened
  KeyKind key_kind = KeyKind::kInt64;
  std::vector<std::string> import_bucket_keys;
  // How rows are stored (redis_value_encoding); raw for non-float tables.
  RowEncoding row_encoding = RowEncoding::kRaw;
  // Non-fatal findings (unknown config keys, ...), for the kernel to log.
  std::vector<std::string> warnings;
};

// The client settings a config asks for (connection mode, endpoints,
// credentials, timeouts, pool).
redis_client::ClientOptions ClientOptionsFromConfig(
    const RedisTableConfig& config);

// The first slot range of every master (CLUSTER SLOTS) when the config
// places buckets by cluster topology (Cluster without
// redis_hash_tags_hypodispersion), else none: what TableKeyLayout::Create
// takes.
Result<std::vector<SlotRange>> MastersForHashTags(
    const RedisTableConfig& config, redis_client::RedisClient& client);

Result<std::unique_ptr<OpenedTable>> OpenRedisTable(
    const TableRequest& request, const GetEnvFunction& getenv_fn,
    redis_client::Executor* executor);

// Applies expire_model_tag_in_seconds to the runtime buckets (as upstream
// does when a table is destroyed): < 0 keeps them, 0 deletes, > 0 EXPIREs.
Status CloseRedisTable(const OpenedTable& table);

}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_REDIS_TABLE_OPENER_H_

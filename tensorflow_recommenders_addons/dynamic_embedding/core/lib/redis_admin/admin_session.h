// What every command of the operator's tool (tfra-redis) starts from: the
// table config, found and parsed exactly as a table finds and parses it
// (config_path.h, redis_table_config.h), a client of its deployment, checked
// like a table checks it, and the cluster topology that bucket names depend
// on. Also the places where a table lives: the layout a named table has
// (from its layout record, else from the config) and the node of a key.
// TF-free. An open session is immutable; its client is thread-safe.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_ADMIN_ADMIN_SESSION_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_ADMIN_ADMIN_SESSION_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/redis_client.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/config_path.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/layout_record.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_config.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_store.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/row_encoding.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/slot_tags.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/table_status.h"

namespace tfra {
namespace redis_admin {

using redis_table::Result;
using redis_table::Status;

struct AdminSession {
  std::string config_path;
  std::string config_source;  // "--config", "$TFRA_REDIS_CONFIG_PATH", ...
  redis_table::RedisTableConfig config;
  std::shared_ptr<redis_client::RedisClient> client;
  // What TableKeyLayout::Create takes (none outside topology-placed Cluster).
  std::vector<redis_table::SlotRange> masters;
  // Masters of the deployment (1 outside Cluster).
  int master_count = 1;
  std::vector<std::string> warnings;  // unknown config keys, ...
};

// Finds the config as a table does (the variable named `config_env_name`,
// then TFRA_REDIS_CONFIG_PATH, then `config_path`), connects and checks the
// deployment.
Result<std::unique_ptr<AdminSession>> OpenAdminSession(
    const std::string& config_env_name, const std::string& config_path,
    const redis_table::GetEnvFunction& getenv_fn);

// Where one table's rows are, and what they are.
struct TableLocation {
  std::string model_tag;
  std::string embedding_name;
  std::string prefix;  // runtime prefix of `model_tag`
  std::string record_key;
  std::optional<redis_table::LayoutRecord> record;
  // The buckets rows are written to and looked up in: the recorded layout,
  // else the one the session's config gives this table.
  std::vector<std::string> bucket_keys;
  bool using_hash = false;
  bool layout_from_record = false;
  std::optional<redis_table::TableSchema> schema;  // from the record
};

// The value_encoding a record holds, "raw" when it has none (or there is no
// record), as the tool shows it.
std::string ValueEncodingName(
    const std::optional<redis_table::LayoutRecord>& record);

// How Redis holds the table's rows: its record's value_encoding, raw when
// absent (value_encoding_record.h); FailedPrecondition for a name this
// version does not know.
Result<redis_table::RowEncoding> StoredEncoding(const TableLocation& table);

// The table `embedding_name` of `model_tag` (the config's model_tag_runtime
// when empty). Works for tables that hold nothing yet.
Result<TableLocation> LocateTable(const AdminSession& session,
                                  const std::string& model_tag,
                                  const std::string& embedding_name);

// NotFound unless the table has a layout record or a bucket in Redis.
Status CheckTableExists(const AdminSession& session, const TableLocation& table);

// A store over the table's buckets, with the config's batch size and the
// size of its stored rows (compact ones where the record says so).
std::unique_ptr<redis_table::RedisTableStore> StoreFor(
    const AdminSession& session, const TableLocation& table);

// "host:port" of the master that serves `key`.
Result<std::string> NodeOf(redis_client::RedisClient& client,
                           const std::string& key);

}  // namespace redis_admin
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_ADMIN_ADMIN_SESSION_H_

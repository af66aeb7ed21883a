// The JSON configuration of a Redis table: one struct holding every setting
// with its default (the only place defaults are written), and one parser
// driven by one field table (ConfigFields()), which the docs test also reads.
//
// Key names, JSON types and defaults are those of upstream TFRA (spec 3.3),
// so existing config files keep working. Differences, all stricter:
// malformed JSON, a non-object root and out-of-range values are
// InvalidArgument errors naming the key instead of crashes or silent wraps.
// Keys after model_lib_abs_dir are ours (reliability, security, compact
// rows and the read cache).
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_REDIS_TABLE_CONFIG_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_REDIS_TABLE_CONFIG_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/mode.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/table_status.h"

namespace tfra {
namespace redis_table {

// What a TF checkpoint of the table holds (table_store_mode).
enum class TableStoreMode {
  kCheckpointTensors,  // save/restore rows through TF checkpoint tensors
  kDumpFiles,          // DUMP/RESTORE bucket files in model_lib_abs_dir
  kNothing,            // data lives only in Redis
};

// The JSON integers of the enum-valued keys, fixed by upstream's config
// files: redis_connection_mode 0 Cluster, 1 Sentinel, 2 Standalone;
// table_store_mode 0, 1, 2 in the order above. Parsing, range checks and the
// docs go through these functions, the one place the integers are written.
// JsonIntegerOf gives -1 for a value outside the enum; FromJsonInteger is
// false for an integer that names no value.
int32_t JsonIntegerOf(redis_client::Mode mode);
int32_t JsonIntegerOf(TableStoreMode mode);
bool FromJsonInteger(int64_t json, redis_client::Mode* mode);
bool FromJsonInteger(int64_t json, TableStoreMode* mode);

// Plain value type; copy freely. Field comments give the unit; the field
// table in redis_table_config.cc gives each key's documentation.
struct RedisTableConfig {
  // Connection.
  redis_client::Mode redis_connection_mode = redis_client::Mode::kSentinel;
  std::string redis_master_name = "master";
  std::vector<std::string> redis_host_ip = {"127.0.0.1"};
  std::vector<int32_t> redis_host_port = {6379};
  std::string redis_user = "default";
  std::string redis_password = "";
  int32_t redis_db = 0;
  bool redis_read_access_slave = false;
  bool redis_connect_keep_alive = false;
  int32_t redis_connect_timeout = 1000;         // milliseconds
  int32_t redis_socket_timeout = 1000;          // milliseconds
  int32_t redis_conn_pool_size = 20;            // connections per pool
  int32_t redis_wait_timeout = 100000000;       // milliseconds
  int32_t redis_connection_lifetime = 100;      // minutes
  std::string redis_sentinel_user = "default";  // parsed, unused (as upstream)
  std::string redis_sentinel_password = "";
  int32_t redis_sentinel_connect_timeout = 1000;  // milliseconds
  int32_t redis_sentinel_socket_timeout = 1000;   // milliseconds

  // Data layout.
  int32_t storage_slice_import = -1;  // buckets; <= 0 means storage_slice
  int32_t storage_slice = 1;          // buckets per table
  bool using_hash_storage_slice = false;
  int64_t keys_sending_size = 1024;  // keys per command (batch hint)
  bool using_md5_prefix_name = false;
  bool redis_hash_tags_hypodispersion = false;
  std::string model_tag_import = "test";
  std::vector<std::string> redis_hash_tags_import;
  std::string model_tag_runtime = "test";
  std::vector<std::string> redis_hash_tags_runtime;
  int64_t expire_model_tag_in_seconds = 604800;  // seconds; < 0 disables
  TableStoreMode table_store_mode = TableStoreMode::kDumpFiles;
  std::string model_lib_abs_dir = "/tmp/";

  // Ours. What a lookup does when Redis cannot answer: "error" fails the
  // op, "default_values" returns the defaults and counts the rows.
  std::string redis_read_failure_policy = "error";
  // Ours. Durable writes: replicas that must acknowledge every write batch
  // (WAIT), 0 for none; and how long to wait for them.
  int32_t redis_write_replicas = 0;
  int32_t redis_write_replicas_timeout = 500;  // milliseconds
  // Ours. Circuit breaker: calls failing in a row that open it (0: off),
  // and how long it stays open before a probe.
  int32_t redis_circuit_breaker_failures = 0;
  int32_t redis_circuit_breaker_cooldown = 1000;  // milliseconds
  // Ours. TLS on every connection (data nodes and Sentinels): the CA
  // certificates that verify the servers (empty: the system's), a client
  // certificate and key for servers that ask for one, and the name the
  // server certificates must carry (empty: the host of each address).
  bool redis_tls = false;
  std::string redis_tls_ca_file = "";
  std::string redis_tls_cert_file = "";
  std::string redis_tls_key_file = "";
  std::string redis_tls_server_name = "";

  // True when redis_read_failure_policy is "default_values".
  bool read_failures_return_defaults() const {
    return redis_read_failure_policy == kReadFailureDefaultValues;
  }
  static constexpr char kReadFailureError[] = "error";
  static constexpr char kReadFailureDefaultValues[] = "default_values";

  // Ours: how float32 rows are stored (a RowEncoding name, row_encoding.h).
  std::string redis_value_encoding = "raw";
  // Ours: the process's read cache of looked-up rows (row_cache.h): its
  // bound (0: no cache) and how long a cached row may be served.
  int64_t redis_read_cache_bytes = 0;         // bytes
  int32_t redis_read_cache_staleness_ms = 1000;  // milliseconds

  // Not a key: whether the file named redis_connection_mode. Without it the
  // mode is Sentinel (upstream's default), and the opener connects directly
  // when the first host turns out to be a Redis server rather than a
  // Sentinel, as TFRA 0.8 did.
  bool redis_connection_mode_given = false;

  // storage_slice_import, or storage_slice when that is <= 0.
  int32_t effective_storage_slice_import() const {
    return storage_slice_import > 0 ? storage_slice_import : storage_slice;
  }
};

// A pointer to the struct member a key fills; the alternative decides the
// key's JSON type.
using ConfigMember = std::variant<
    bool RedisTableConfig::*, int32_t RedisTableConfig::*,
    int64_t RedisTableConfig::*, std::string RedisTableConfig::*,
    std::vector<std::string> RedisTableConfig::*,
    std::vector<int32_t> RedisTableConfig::*,
    redis_client::Mode RedisTableConfig::*, TableStoreMode RedisTableConfig::*>;

// One row of the field table.
struct ConfigField {
  std::string_view name;  // JSON key
  ConfigMember member;
  std::string_view unit;  // "ms", "min", "s", "bytes" or "" (none)
  // Accepted range of an integer (or of each integer-array element);
  // ignored for other types. Enum keys list their values in `doc`.
  int64_t min_value;
  int64_t max_value;
  std::string_view doc;

  // "integer", "boolean", "string", "string array" or "integer array".
  std::string_view json_type() const;
  // The default as JSON text, read from a default-constructed config, e.g.
  // "1000", "false", "\"master\"", "[\"127.0.0.1\"]", "[]".
  std::string default_text() const;
};

// Every key, in upstream's order followed by ours. Built once, immutable.
const std::vector<ConfigField>& ConfigFields();

// Parses `json_text` into `*out`, starting from the defaults (absent keys
// keep them). On error returns InvalidArgument naming the key and leaves
// `*out` untouched. Unknown keys are accepted and reported in ONE string
// appended to `*warnings` (may be null), as are hash tags that bucket
// discovery cannot find. Duplicate keys: the last occurrence wins.
Status ParseRedisTableConfig(std::string_view json_text, RedisTableConfig* out,
                             std::vector<std::string>* warnings);

// Cross-field and range checks, run by ParseRedisTableConfig; exposed for
// configs built in code. Appends non-fatal findings to `warnings` (may be
// null).
Status ValidateRedisTableConfig(const RedisTableConfig& config,
                                std::vector<std::string>* warnings);

// OK when `value` lies in [field.min_value, field.max_value], else an
// InvalidArgument naming the key, the range and the value.
Status CheckConfigFieldRange(const ConfigField& field, int64_t value);

}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_REDIS_TABLE_CONFIG_H_

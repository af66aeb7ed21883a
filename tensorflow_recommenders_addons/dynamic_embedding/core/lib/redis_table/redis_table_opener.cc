#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_opener.h"

#include <map>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/bucket_migration.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/client_status.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/key_layout.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/layout_record.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/row_cache.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/value_encoding_record.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_factory.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/command.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/sentinel.h"

namespace tfra {
namespace redis_table {

using redis_client::Access;
using std::chrono::milliseconds;

namespace {

// The deployment check's failure, for the table `description`. When no
// node could be reached, the message carries TFRA 0.8's words for that
// ("Exit without any Redis connection"): scripts and upstream's tests match
// on them.
Status DeploymentStatus(const redis_client::Status& checked,
                        const std::string& description) {
  Status status = FromClientStatus(checked, "connecting " + description);
  if (status.code() != StatusCode::kUnavailable) return status;
  return FromClientStatus(checked, "connecting " + description +
                                       ": Exit without any Redis connection");
}

}  // namespace

redis_client::ClientOptions ClientOptionsFromConfig(
    const RedisTableConfig& config) {
  redis_client::ClientOptions options;
  options.mode = config.redis_connection_mode;
  options.endpoints.clear();
  for (size_t i = 0; i < config.redis_host_ip.size(); ++i) {
    options.endpoints.push_back(
        {config.redis_host_ip[i], config.redis_host_port[i]});
  }
  options.connection.user = config.redis_user;
  options.connection.password = config.redis_password;
  options.connection.db = config.redis_db;
  options.connection.connect_timeout = milliseconds(config.redis_connect_timeout);
  options.connection.socket_timeout = milliseconds(config.redis_socket_timeout);
  options.connection.keep_alive = config.redis_connect_keep_alive;
  options.pool.size = config.redis_conn_pool_size;
  options.pool.wait_timeout = milliseconds(config.redis_wait_timeout);
  options.pool.connection_lifetime =
      std::chrono::minutes(config.redis_connection_lifetime);
  options.sentinel.master_name = config.redis_master_name;
  options.sentinel.user = config.redis_sentinel_user;
  options.sentinel.password = config.redis_sentinel_password;
  options.sentinel.connect_timeout =
      milliseconds(config.redis_sentinel_connect_timeout);
  options.sentinel.socket_timeout =
      milliseconds(config.redis_sentinel_socket_timeout);
  options.read_from_replicas = config.redis_read_access_slave;
  options.durable_writes.replicas = config.redis_write_replicas;
  options.durable_writes.timeout =
      milliseconds(config.redis_write_replicas_timeout);
  options.breaker.failures = config.redis_circuit_breaker_failures;
  options.breaker.cooldown = milliseconds(config.redis_circuit_breaker_cooldown);
  redis_client::TlsOptions& tls = options.connection.tls;
  tls.enabled = config.redis_tls;
  tls.ca_file = config.redis_tls_ca_file;
  tls.cert_file = config.redis_tls_cert_file;
  tls.key_file = config.redis_tls_key_file;
  tls.server_name = config.redis_tls_server_name;
  options.sentinel.tls = tls;
  return options;
}

namespace {

// A config that names no redis_connection_mode means Sentinel (upstream's
// default), yet upstream's own tests and example configs point such configs
// at a plain Redis, which TFRA 0.8 then reached by falling back to a direct
// connection. Here the first host is asked its ROLE instead: a data node
// ("master" or "slave") makes the table connect to it directly, with one
// warning; a Sentinel, or a host that cannot be asked (down, other
// credentials), leaves Sentinel mode and its errors unchanged. A mode the
// file names is never changed.
void ResolveDefaultConnectionMode(RedisTableConfig* config,
                                  std::vector<std::string>* warnings) {
  if (config->redis_connection_mode_given ||
      config->redis_connection_mode != redis_client::Mode::kSentinel) {
    return;
  }
  const redis_client::ClientOptions options = ClientOptionsFromConfig(*config);
  const redis_client::Endpoint& first = options.endpoints.front();
  auto role = redis_client::ProbeRole(first, options.connection);
  if (!role.ok() || (*role != "master" && *role != "slave")) return;
  config->redis_connection_mode = redis_client::Mode::kStandalone;
  warnings->push_back(
      "redis_connection_mode is not set, which means Sentinel, but " +
      first.ToString() + " is a Redis server (role " + *role +
      "), not a Sentinel: connecting to it directly (standalone mode, as "
      "TFRA 0.8 did); set \"redis_connection_mode\": 2 to say so");
}

// The first slot range of every master, from CLUSTER SLOTS, for the
// topology-aware hash tags (spec 4.1 rule 3).
Result<std::vector<SlotRange>> ClusterMasters(redis_client::RedisClient& client) {
  auto reply = client.Run("", redis_client::ClusterSlots(), Access::kWrite);
  if (!reply.ok()) return FromClientStatus(reply.status(), "CLUSTER SLOTS");
  TFRA_TABLE_RETURN_IF_ERROR(
      FromClientStatus(reply->ToStatus(), "CLUSTER SLOTS"));
  std::map<std::string, SlotRange> first_range_of_node;
  const size_t ranges = reply->ArraySize().ok() ? *reply->ArraySize() : 0;
  for (size_t i = 0; i < ranges; ++i) {
    const redis_client::ReplyView range = reply->element(i);
    auto first = range.element(0).AsInteger();
    auto last = range.element(1).AsInteger();
    const redis_client::ReplyView master = range.element(2);
    auto host = master.element(0).AsString();
    auto port = master.element(1).AsInteger();
    if (!first.ok() || !last.ok() || !host.ok() || !port.ok()) {
      return InternalError("malformed CLUSTER SLOTS reply");
    }
    const std::string node = std::string(*host) + ":" + std::to_string(*port);
    const SlotRange slots{static_cast<uint32_t>(*first),
                          static_cast<uint32_t>(*last)};
    auto it = first_range_of_node.find(node);
    if (it == first_range_of_node.end() || slots.first < it->second.first) {
      first_range_of_node[node] = slots;
    }
  }
  std::vector<SlotRange> masters;
  for (const auto& entry : first_range_of_node) masters.push_back(entry.second);
  return masters;
}


// Result of `command` on `bucket`'s node, transport and error replies as one
// status naming `what`.
Result<redis_client::Reply> RunOnBucket(const RedisTableStore& store,
                                        const std::string& bucket,
                                        const redis_client::Command& command,
                                        const char* what) {
  auto reply = store.client().Run(bucket, command, Access::kWrite);
  if (!reply.ok()) return FromClientStatus(reply.status(), what);
  TFRA_TABLE_RETURN_IF_ERROR(FromClientStatus(reply->ToStatus(), what));
  return std::move(reply).value();
}

// What tells deployments apart in the read cache: the mode, where it is
// reached (the Sentinels' master name included) and the database.
std::string DeploymentName(const RedisTableConfig& config) {
  std::string name = std::to_string(JsonIntegerOf(config.redis_connection_mode));
  if (config.redis_connection_mode == redis_client::Mode::kSentinel) {
    name += " " + config.redis_master_name + "@";
  }
  for (size_t i = 0; i < config.redis_host_ip.size(); ++i) {
    name += " " + config.redis_host_ip[i] + ":" +
            std::to_string(config.redis_host_port[i]);
  }
  return name + " db " + std::to_string(config.redis_db);
}

// The read cache settings of a store; notes go to `warnings`.
void SetReadCache(const RedisTableConfig& config, StoreSettings* settings,
                  std::vector<std::string>* warnings) {
  std::string note;
  settings->read_cache = ProcessRowCache(config.redis_read_cache_bytes, &note);
  if (!note.empty()) warnings->push_back(note);
  if (config.redis_read_cache_bytes > 0) {
    settings->read_cache_staleness =
        milliseconds(config.redis_read_cache_staleness_ms);
  }
  settings->deployment = DeploymentName(config);
}

// Clears TTLs an earlier process's expire_model_tag_in_seconds left. Only
// buckets that have one get a PERSIST (PTTL >= 0), so opening a table that
// has none, as a server loading a model does, writes nothing.
Status PersistRuntimeBuckets(const RedisTableStore& store) {
  for (const std::string& bucket : store.settings().bucket_keys) {
    auto ttl = RunOnBucket(store, bucket,
                           redis_client::Command{"PTTL", bucket}, "PTTL");
    if (!ttl.ok()) return ttl.status();
    auto millis = ttl->AsInteger();
    if (millis.ok() && *millis < 0) continue;  // no TTL, or no such key
    auto persisted =
        RunOnBucket(store, bucket, redis_client::Persist(bucket), "PERSIST");
    if (!persisted.ok()) return persisted.status();
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<SlotRange>> MastersForHashTags(
    const RedisTableConfig& config, redis_client::RedisClient& client) {
  if (config.redis_connection_mode != redis_client::Mode::kCluster ||
      config.redis_hash_tags_hypodispersion) {
    return std::vector<SlotRange>();
  }
  return ClusterMasters(client);
}

Result<std::unique_ptr<OpenedTable>> OpenRedisTable(
    const TableRequest& request, const GetEnvFunction& getenv_fn,
    redis_client::Executor* executor) {
  auto table = std::make_unique<OpenedTable>();
  auto choice = ResolveConfigPath(request.config_env_var_name,
                                  request.config_path_attr, getenv_fn);
  if (!choice.ok()) return choice.status();
  table->config_path = choice->path;
  auto text = ReadConfigFile(choice->path);
  if (!text.ok()) return text.status();
  Status parsed =
      ParseRedisTableConfig(*text, &table->config, &table->warnings);
  if (!parsed.ok()) {
    return InvalidArgumentError(parsed.message() + " (config file " +
                                choice->path + ", " +
                                choice->source_description + ")");
  }
  ResolveDefaultConnectionMode(&table->config, &table->warnings);
  const RedisTableConfig& config = table->config;
  auto client = redis_client::ClientRegistry::Global().GetOrCreate(
      ClientOptionsFromConfig(config));
  const std::string description = "Redis table '" + request.embedding_name + "'";
  if (!client.ok()) return FromClientStatus(client.status(), description);
  TFRA_TABLE_RETURN_IF_ERROR(
      DeploymentStatus(redis_client::CheckDeployment(**client), description));
  auto masters = MastersForHashTags(config, **client);
  if (!masters.ok()) return masters.status();
  auto layout = TableKeyLayout::Create(config, request.embedding_name, *masters);
  if (!layout.ok()) return layout.status();
  auto encoding = ConfiguredRowEncoding(config.redis_value_encoding,
                                        request.value_type,
                                        request.embedding_name);
  if (!encoding.ok()) return encoding.status();
  table->row_encoding = *encoding;

  StoreSettings settings;
  settings.table_description = description;
  settings.metrics_table = config.model_tag_runtime + ":" + request.embedding_name;
  settings.bucket_keys = layout->runtime_buckets();
  settings.keys_sending_size = static_cast<size_t>(config.keys_sending_size);
  settings.value_bytes = *encoding == RowEncoding::kRaw
                             ? request.value_bytes
                             : EncodedRowBytes(*encoding, static_cast<size_t>(request.dim));
  settings.read_fallback_to_default = config.read_failures_return_defaults();
  SetReadCache(config, &settings, &table->warnings);
  table->store = std::make_unique<RedisTableStore>(*client, settings);
  table->import_bucket_keys = layout->import_buckets();
  table->layout = *layout;
  table->key_kind = request.key_kind;

  TFRA_TABLE_RETURN_IF_ERROR(
      CheckValueEncoding(*table->store, *layout, *encoding));
  const FieldBucketer bucketer(request.key_kind,
                               static_cast<uint32_t>(config.storage_slice),
                               config.using_hash_storage_slice);
  auto migrated =
      MigrateIntoRuntimeBuckets(*table->store, *layout, bucketer,
                                config.using_hash_storage_slice, executor);
  if (!migrated.ok()) return migrated.status();
  if (migrated->keys_moved > 0 || migrated->keys_copied > 0) {
    table->store->ForgetCachedRows();
    table->warnings.push_back(
        "moved " + std::to_string(migrated->keys_moved) +
        " keys into their buckets of the current layout and copied " +
        std::to_string(migrated->keys_copied) + " keys from model tag '" +
        config.model_tag_import + "'");
  }
  const TableIdentity identity{
      config.model_tag_runtime, request.embedding_name,
      TableSchema{request.key_kind, request.value_type, request.dim}};
  TFRA_TABLE_RETURN_IF_ERROR(RecordTableIdentity(
      **client, LayoutRecordKey(layout->runtime_prefix()), identity));
  TFRA_TABLE_RETURN_IF_ERROR(PersistRuntimeBuckets(*table->store));
  return std::move(table);
}

Status CloseRedisTable(const OpenedTable& table) {
  const int64_t ttl = table.config.expire_model_tag_in_seconds;
  if (ttl < 0) return Status::Ok();
  const RedisTableStore& store = *table.store;
  for (const std::string& bucket : store.settings().bucket_keys) {
    const redis_client::Command command =
        ttl == 0 ? redis_client::Del(bucket)
                 : redis_client::Expire(bucket, std::chrono::seconds(ttl));
    auto reply = store.client().Run(bucket, command, Access::kWrite);
    if (!reply.ok()) return FromClientStatus(reply.status(), "closing table");
  }
  return Status::Ok();
}

}  // namespace redis_table
}  // namespace tfra

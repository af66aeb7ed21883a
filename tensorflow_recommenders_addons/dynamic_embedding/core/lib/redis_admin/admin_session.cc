#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/admin_session.h"

#include <utility>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_factory.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/client_status.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/key_layout.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_opener.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/value_encoding_record.h"

namespace tfra {
namespace redis_admin {
namespace {

using redis_table::FromClientStatus;

// Masters of the deployment: one per first slot range in Cluster.
Result<int> CountMasters(const AdminSession& session) {
  if (session.config.redis_connection_mode != redis_client::Mode::kCluster) {
    return 1;
  }
  if (!session.masters.empty()) {
    return static_cast<int>(session.masters.size());
  }
  int masters = 0;
  Status status = FromClientStatus(
      session.client->ForEachMaster([&](redis_client::NodeSession&) {
        ++masters;
        return redis_client::Status::Ok();
      }),
      "listing masters");
  if (!status.ok()) return status;
  return masters;
}

// Where the config came from, in the tool's own words.
std::string ConfigSourceOption(const redis_table::ConfigPathChoice& choice,
                               const std::string& config_env_name) {
  switch (choice.source) {
    case redis_table::ConfigPathSource::kAttrEnvVar:
      return "$" + config_env_name + " (--config-env)";
    case redis_table::ConfigPathSource::kGlobalEnvVar:
      return std::string("$") + redis_table::kGlobalConfigPathEnvVar;
    case redis_table::ConfigPathSource::kAttrPath:
      break;
  }
  return "--config";
}

}  // namespace

Result<std::unique_ptr<AdminSession>> OpenAdminSession(
    const std::string& config_env_name, const std::string& config_path,
    const redis_table::GetEnvFunction& getenv_fn) {
  auto session = std::make_unique<AdminSession>();
  auto choice =
      redis_table::ResolveConfigPath(config_env_name, config_path, getenv_fn);
  if (!choice.ok()) return choice.status();
  session->config_path = choice->path;
  session->config_source = ConfigSourceOption(*choice, config_env_name);
  auto text = redis_table::ReadConfigFile(choice->path);
  if (!text.ok()) return text.status();
  Status parsed = redis_table::ParseRedisTableConfig(*text, &session->config,
                                                     &session->warnings);
  if (!parsed.ok()) {
    return redis_table::InvalidArgumentError(
        parsed.message() + " (config file " + choice->path + ")");
  }
  auto client = redis_client::CreateClient(
      redis_table::ClientOptionsFromConfig(session->config));
  if (!client.ok()) return FromClientStatus(client.status(), "tfra-redis");
  session->client = std::move(client).value();
  TFRA_TABLE_RETURN_IF_ERROR(FromClientStatus(
      redis_client::CheckDeployment(*session->client), "connecting"));
  auto masters =
      redis_table::MastersForHashTags(session->config, *session->client);
  if (!masters.ok()) return masters.status();
  session->masters = std::move(masters).value();
  auto count = CountMasters(*session);
  if (!count.ok()) return count.status();
  session->master_count = *count;
  return session;
}

Result<TableLocation> LocateTable(const AdminSession& session,
                                  const std::string& model_tag,
                                  const std::string& embedding_name) {
  if (embedding_name.empty()) {
    return redis_table::InvalidArgumentError("a table name is required");
  }
  redis_table::RedisTableConfig config = session.config;
  if (!model_tag.empty()) config.model_tag_runtime = model_tag;
  config.model_tag_import = config.model_tag_runtime;
  config.storage_slice_import = -1;
  config.redis_hash_tags_import = config.redis_hash_tags_runtime;
  auto layout = redis_table::TableKeyLayout::Create(config, embedding_name,
                                                    session.masters);
  if (!layout.ok()) return layout.status();

  TableLocation table;
  table.model_tag = config.model_tag_runtime;
  table.embedding_name = embedding_name;
  table.prefix = layout->runtime_prefix();
  table.record_key = redis_table::LayoutRecordKey(table.prefix);
  auto record = redis_table::ReadLayoutRecord(*session.client, table.record_key);
  if (!record.ok()) return record.status();
  table.record = std::move(record).value();
  table.bucket_keys = layout->runtime_buckets();
  table.using_hash = config.using_hash_storage_slice;
  if (table.record.has_value()) {
    table.schema = table.record->schema;
    if (table.record->signature.has_value()) {
      auto recorded = redis_table::ParseLayoutSignature(
          *table.record->signature, table.prefix);
      if (!recorded.ok()) return recorded.status();
      table.bucket_keys = std::move(recorded->bucket_keys);
      table.using_hash = recorded->using_hash;
      table.layout_from_record = true;
    }
  }
  return table;
}

Status CheckTableExists(const AdminSession& session,
                        const TableLocation& table) {
  if (table.record) return Status::Ok();
  auto found =
      session.client->ScanKeys(redis_table::BucketScanPattern(table.prefix));
  if (!found.ok()) return FromClientStatus(found.status(), "finding a table");
  for (const std::string& key : *found) {
    if (redis_table::IsBucketOf(table.prefix, key)) return Status::Ok();
  }
  return redis_table::NotFoundError("no table '" + table.embedding_name +
                                    "' under model tag '" + table.model_tag +
                                    "'");
}

std::string ValueEncodingName(
    const std::optional<redis_table::LayoutRecord>& record) {
  if (record && record->value_encoding) return *record->value_encoding;
  return std::string(
      redis_table::RowEncodingName(redis_table::RowEncoding::kRaw));
}

Result<redis_table::RowEncoding> StoredEncoding(const TableLocation& table) {
  return redis_table::RecordedRowEncoding(
      table.record ? table.record->value_encoding : std::nullopt);
}

std::unique_ptr<redis_table::RedisTableStore> StoreFor(
    const AdminSession& session, const TableLocation& table) {
  redis_table::StoreSettings settings;
  settings.table_description = "table '" + table.embedding_name +
                               "' of model tag '" + table.model_tag + "'";
  settings.bucket_keys = table.bucket_keys;
  settings.keys_sending_size =
      static_cast<size_t>(session.config.keys_sending_size);
  auto encoding = StoredEncoding(table);
  if (table.schema.has_value() && encoding.ok()) {
    settings.value_bytes =
        *encoding == redis_table::RowEncoding::kRaw
            ? redis_table::RowBytes(*table.schema)
            : redis_table::EncodedRowBytes(
                  *encoding, static_cast<size_t>(table.schema->dim));
  }
  return std::make_unique<redis_table::RedisTableStore>(session.client,
                                                        settings);
}

Result<std::string> NodeOf(redis_client::RedisClient& client,
                           const std::string& key) {
  std::string node;
  Status status = FromClientStatus(
      client.WithMasterConnection(key,
                                  [&](redis_client::Connection& connection) {
                                    node = connection.endpoint().ToString();
                                    return redis_client::Status::Ok();
                                  }),
      "finding the node of a bucket");
  if (!status.ok()) return status;
  return node;
}

}  // namespace redis_admin
}  // namespace tfra

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/table_rebucket.h"

#include <limits>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/table_catalog.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/bucket_migration.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/client_status.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/key_layout.h"

namespace tfra {
namespace redis_admin {
namespace {

// The session's config for `table` with `storage_slice` buckets; explicit
// hash tags are kept only when they name that many buckets (as a table
// uses them).
redis_table::RedisTableConfig ConfigWithSlices(const AdminSession& session,
                                               const TableLocation& table,
                                               int64_t storage_slice,
                                               bool using_hash) {
  redis_table::RedisTableConfig config = session.config;
  config.model_tag_runtime = table.model_tag;
  config.model_tag_import = table.model_tag;
  config.storage_slice = static_cast<int32_t>(storage_slice);
  config.storage_slice_import = -1;
  config.using_hash_storage_slice = using_hash;
  if (config.redis_hash_tags_runtime.size() !=
      static_cast<size_t>(storage_slice)) {
    config.redis_hash_tags_runtime.clear();
  }
  config.redis_hash_tags_import = config.redis_hash_tags_runtime;
  return config;
}

// Rows in every bucket of the table's prefix, current layout or not.
Result<int64_t> RowsNow(const AdminSession& session, const TableLocation& table) {
  auto found = session.client->ScanKeys(redis_table::BucketScanPattern(table.prefix));
  if (!found.ok()) return redis_table::FromClientStatus(found.status(), "rebucket");
  CatalogTable buckets;
  for (const std::string& key : *found) {
    if (redis_table::IsBucketOf(table.prefix, key)) buckets.bucket_keys.push_back(key);
  }
  TFRA_TABLE_RETURN_IF_ERROR(MeasureTable(session, false, &buckets));
  return buckets.rows();
}

}  // namespace

Status RebucketTable(const AdminSession& session, const TableLocation& table,
                     const RebucketRequest& request,
                     const AdminProgressFn& progress, JsonWriter* out) {
  const int64_t slices = request.storage_slice;
  if (slices < 1 || slices > std::numeric_limits<int32_t>::max()) {
    return redis_table::InvalidArgumentError("--to must be at least 1");
  }
  std::optional<redis_table::KeyKind> key_kind = request.key_kind;
  if (table.schema) key_kind = table.schema->key_kind;
  if (!key_kind) {
    return redis_table::FailedPreconditionError(
        "table '" + table.embedding_name +
        "' has no schema in its layout record: give --key-dtype");
  }
  const bool using_hash = request.using_hash.value_or(table.using_hash);
  const redis_table::RedisTableConfig config =
      ConfigWithSlices(session, table, slices, using_hash);
  auto layout = redis_table::TableKeyLayout::Create(config, table.embedding_name,
                                                    session.masters);
  if (!layout.ok()) return layout.status();
  auto rows = RowsNow(session, table);
  if (!rows.ok()) return rows.status();
  TableLocation target = table;
  target.bucket_keys = layout->runtime_buckets();
  const redis_table::FieldBucketer bucketer(
      *key_kind, static_cast<uint32_t>(slices), using_hash);
  redis_table::ProgressFn checked;
  if (progress) {
    checked = [&](int64_t done) { return progress(done, *rows); };
  }
  auto report = redis_table::MigrateIntoRuntimeBuckets(
      *StoreFor(session, target), *layout, bucketer, using_hash, nullptr,
      checked);
  if (!report.ok()) return report.status();
  out->BeginObject()
      .Member("from", static_cast<int64_t>(table.bucket_keys.size()))
      .Member("to", slices)
      .Member("using_hash", using_hash)
      .Member("rows_moved", report->keys_moved)
      .Member("rows", *rows)
      .EndObject();
  return Status::Ok();
}

}  // namespace redis_admin
}  // namespace tfra

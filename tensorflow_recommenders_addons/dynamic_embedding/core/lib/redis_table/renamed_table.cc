#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/renamed_table.h"

#include <algorithm>
#include <string>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/bucket_migration.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/client_status.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/field_bucketer.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/key_layout.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/command.h"

namespace tfra {
namespace redis_table {
namespace {

using redis_client::Access;
using redis_client::Command;

// Bucket keys of `prefix` on every master, sorted.
Result<std::vector<std::string>> BucketsOf(const RedisTableStore& store,
                                           const std::string& prefix) {
  auto found = store.client().ScanKeys(BucketScanPattern(prefix));
  if (!found.ok()) return FromClientStatus(found.status(), "bucket discovery");
  std::vector<std::string> buckets;
  for (const std::string& key : *found) {
    if (IsBucketOf(prefix, key)) buckets.push_back(key);
  }
  std::sort(buckets.begin(), buckets.end());
  return buckets;
}

// RENAMENX `from` `to`: true when renamed; false when `to` exists or `from`
// is gone (another process renamed it first).
Result<bool> RenameIfFree(const RedisTableStore& store, const std::string& from,
                          const std::string& to) {
  const std::string what = "RENAMENX " + from;
  auto reply =
      store.client().Run(from, Command{"RENAMENX", from, to}, Access::kWrite);
  if (!reply.ok()) return FromClientStatus(reply.status(), what);
  if (reply->is_error() &&
      reply->text().find("no such key") != std::string_view::npos) {
    return false;
  }
  TFRA_TABLE_RETURN_IF_ERROR(FromClientStatus(reply->ToStatus(), what));
  auto renamed = reply->AsInteger();
  if (!renamed.ok()) return FromClientStatus(renamed.status(), what);
  return *renamed == 1;
}

Status DeleteKey(const RedisTableStore& store, const std::string& key) {
  auto reply = store.client().Run(key, redis_client::Del(key), Access::kWrite);
  if (!reply.ok()) return FromClientStatus(reply.status(), "DEL " + key);
  return FromClientStatus(reply->ToStatus(), "DEL " + key);
}

}  // namespace

Result<AdoptionReport> AdoptRenamedTable(const OpenedTable& table,
                                         std::string_view former_embedding_name,
                                         redis_client::Executor* executor) {
  const RedisTableStore& store = *table.store;
  const TableKeyLayout& layout = *table.layout;
  const RedisTableConfig& config = table.config;
  const std::string former_prefix =
      KeyPrefix(config.model_tag_runtime, former_embedding_name,
                config.using_md5_prefix_name);
  AdoptionReport report;
  if (former_prefix == layout.runtime_prefix()) return report;
  auto former = BucketsOf(store, former_prefix);
  if (!former.ok()) return former.status();
  if (former->empty()) return report;
  auto own = BucketsOf(store, layout.runtime_prefix());
  if (!own.ok()) return own.status();
  if (!own->empty()) {
    report.kept_both = true;
    return report;
  }
  for (const std::string& bucket : *former) {
    // The bucket's "{tag}" suffix: the same slot under the new prefix.
    const std::string renamed_key =
        layout.runtime_prefix() + bucket.substr(former_prefix.size());
    auto renamed = RenameIfFree(store, bucket, renamed_key);
    if (!renamed.ok()) return renamed.status();
    if (*renamed) ++report.buckets_renamed;
  }
  if (report.buckets_renamed == 0) return report;
  // Both records name buckets of their own prefix, so neither describes the
  // renamed buckets: without one, the migration checks every row's bucket
  // once (the former layout may have had other slices) and records ours.
  TFRA_TABLE_RETURN_IF_ERROR(DeleteKey(store, LayoutRecordKey(former_prefix)));
  TFRA_TABLE_RETURN_IF_ERROR(
      DeleteKey(store, LayoutRecordKey(layout.runtime_prefix())));
  const FieldBucketer bucketer(table.key_kind,
                               static_cast<uint32_t>(config.storage_slice),
                               config.using_hash_storage_slice);
  auto migrated = MigrateIntoRuntimeBuckets(
      store, layout, bucketer, config.using_hash_storage_slice, executor);
  if (!migrated.ok()) return migrated.status();
  return report;
}

}  // namespace redis_table
}  // namespace tfra

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/key_layout.h"

#include <utility>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/md5.h"

namespace tfra {
namespace redis_table {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Bucket keys of one side. Tags come back braced from BucketHashTags, so
// they are appended as they are.
Result<std::vector<std::string>> BuildBuckets(
    const std::string& prefix, int32_t storage_slice,
    const std::vector<std::string>& explicit_tags,
    const std::vector<SlotRange>& masters) {
  if (storage_slice < 1) {
    return InvalidArgumentError("storage_slice must be at least 1, got " +
                                std::to_string(storage_slice));
  }
  Result<std::vector<std::string>> tags = BucketHashTags(
      static_cast<uint32_t>(storage_slice), explicit_tags, masters);
  if (!tags.ok()) return tags.status();
  std::vector<std::string> buckets;
  buckets.reserve(tags->size());
  for (const std::string& tag : *tags) buckets.push_back(prefix + tag);
  return buckets;
}

}  // namespace

std::string EmbeddingNameFromTableName(std::string_view table_name) {
  return std::string(table_name.substr(0, table_name.find("_mht_")));
}

std::string KeyPrefix(std::string_view model_tag,
                      std::string_view embedding_name,
                      bool using_md5_prefix_name) {
  std::string prefix;
  prefix.reserve(model_tag.size() + 1 + embedding_name.size());
  prefix.append(model_tag).append(":").append(embedding_name);
  if (!using_md5_prefix_name) return prefix;
  const Md5Digest digest = TfraLegacyMd5(prefix);
  return std::string(reinterpret_cast<const char*>(digest.data()),
                     digest.size());
}

std::string BucketKey(std::string_view prefix, std::string_view tag) {
  std::string key;
  key.reserve(prefix.size() + tag.size() + 2);
  key.append(prefix).append("{").append(tag).append("}");
  return key;
}

std::string EscapeGlob(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (char c : text) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
      escaped.push_back('\\');
    }
    escaped.push_back(c);
  }
  return escaped;
}

std::string BucketScanPattern(std::string_view prefix) {
  return EscapeGlob(prefix) + "{[0123456789]*}";
}

bool IsBucketOf(std::string_view prefix, std::string_view key) {
  // Shortest bucket: prefix + "{" + one digit + "}".
  if (key.size() < prefix.size() + 3) return false;
  if (key.substr(0, prefix.size()) != prefix) return false;
  std::string_view rest = key.substr(prefix.size());
  if (rest.front() != '{' || rest.back() != '}') return false;
  const std::string_view tag = rest.substr(1, rest.size() - 2);
  if (!IsDigit(tag.front())) return false;
  return tag.find_first_of("{}") == std::string_view::npos;
}

Result<TableKeyLayout> TableKeyLayout::Create(
    const RedisTableConfig& config, std::string_view embedding_name,
    const std::vector<SlotRange>& cluster_masters) {
  const bool use_topology =
      config.redis_connection_mode == redis_client::Mode::kCluster &&
      !config.redis_hash_tags_hypodispersion;
  const std::vector<SlotRange> no_topology;
  const std::vector<SlotRange>& masters =
      use_topology ? cluster_masters : no_topology;

  TableKeyLayout layout;
  layout.runtime_prefix_ = KeyPrefix(config.model_tag_runtime, embedding_name,
                                     config.using_md5_prefix_name);
  layout.import_prefix_ = KeyPrefix(config.model_tag_import, embedding_name,
                                    config.using_md5_prefix_name);
  Result<std::vector<std::string>> runtime =
      BuildBuckets(layout.runtime_prefix_, config.storage_slice,
                   config.redis_hash_tags_runtime, masters);
  if (!runtime.ok()) return runtime.status();
  Result<std::vector<std::string>> import = BuildBuckets(
      layout.import_prefix_, config.effective_storage_slice_import(),
      config.redis_hash_tags_import, masters);
  if (!import.ok()) return import.status();
  layout.runtime_buckets_ = std::move(runtime).value();
  layout.import_buckets_ = std::move(import).value();
  return layout;
}

}  // namespace redis_table
}  // namespace tfra

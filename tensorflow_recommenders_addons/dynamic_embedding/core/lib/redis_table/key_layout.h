// Redis key names of a table, identical to upstream TFRA (spec 4.1):
//   prefix(tag) = "<model_tag>:<embedding_name>", or with
//                 using_md5_prefix_name the 16 raw bytes of upstream's MD5 of
//                 that text (TfraLegacyMd5, binary, may contain any byte);
//   bucket key  = prefix + "{" + hash tag + "}".
// A table has a runtime side (model_tag_runtime, storage_slice,
// redis_hash_tags_runtime) and an import side (model_tag_import, the
// effective storage_slice_import, redis_hash_tags_import).
//
// Unlike upstream, bucket discovery is exact: SCAN patterns escape glob
// characters of the prefix, and IsBucketOf accepts only this table's bucket
// names, so "emb" never claims "emb2{1}" or an optimizer slot table such as
// "emb_Adam_m{1}". All strings are binary-safe std::string.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_KEY_LAYOUT_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_KEY_LAYOUT_H_

#include <string>
#include <string_view>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_config.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/slot_tags.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/table_status.h"

namespace tfra {
namespace redis_table {

// The embedding name upstream derives from a table name: the text before the
// first "_mht_" (all shards "<var>_mht_<i>of<n>" of a Variable share it), or
// the whole name when it has none.
std::string EmbeddingNameFromTableName(std::string_view table_name);

// "<model_tag>:<embedding_name>", or its 16-byte upstream MD5.
std::string KeyPrefix(std::string_view model_tag,
                      std::string_view embedding_name,
                      bool using_md5_prefix_name);

// prefix + "{" + tag + "}"; `tag` is given without braces.
std::string BucketKey(std::string_view prefix, std::string_view tag);

// `text` with the Redis glob metacharacters * ? [ ] \ escaped by a
// backslash, so it matches itself literally (other bytes, NUL included, are
// literal already: Redis globs are length-based).
std::string EscapeGlob(std::string_view text);

// SCAN MATCH pattern for the buckets of `prefix`: escaped prefix +
// "{[0123456789]*}". It may over-match (the `*` also crosses braces); filter
// the results with IsBucketOf.
std::string BucketScanPattern(std::string_view prefix);

// True iff `key` is prefix + "{" + tag + "}" with a non-empty tag that starts
// with a digit and contains no brace: the bucket names upstream's discovery
// finds, restricted to this exact prefix.
bool IsBucketOf(std::string_view prefix, std::string_view key);

// The runtime and import key names of one table. Immutable after Create;
// safe to share between threads.
class TableKeyLayout {
 public:
  // Builds both sides from a validated config. `cluster_masters` (first
  // slot range of each master) is used only in Cluster mode without
  // redis_hash_tags_hypodispersion, and only when non-empty; other modes
  // place buckets with the sequential rule. InvalidArgument on bad slice
  // counts or slot ranges.
  static Result<TableKeyLayout> Create(
      const RedisTableConfig& config, std::string_view embedding_name,
      const std::vector<SlotRange>& cluster_masters);

  const std::string& runtime_prefix() const { return runtime_prefix_; }
  const std::string& import_prefix() const { return import_prefix_; }
  // One key per bucket, bucket i at index i.
  const std::vector<std::string>& runtime_buckets() const {
    return runtime_buckets_;
  }
  const std::vector<std::string>& import_buckets() const {
    return import_buckets_;
  }

 private:
  TableKeyLayout() = default;

  std::string runtime_prefix_;
  std::string import_prefix_;
  std::vector<std::string> runtime_buckets_;
  std::vector<std::string> import_buckets_;
};

}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_KEY_LAYOUT_H_

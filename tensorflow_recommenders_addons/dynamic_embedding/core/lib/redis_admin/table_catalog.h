// The tables a deployment holds, found from the key names (bucket keys and
// layout records, key_layout.h and layout_record.h) and measured: rows,
// memory (MEMORY USAGE), TTL and node per bucket. TF-free.
//
// A table is found by its buckets, <prefix>{<digits...>}, or by its layout
// record, <prefix>{tfra_layout}. Its model tag and name come from the record
// when there is one, else from the prefix "<model_tag>:<name>" cut at its
// first ':' (an MD5 prefix without a record stays nameless: "md5:<hex>").
// Keys of other applications that happen to look like buckets are listed
// too; tables with a record are certain.
//
// Copies in progress (tag_copy.h) live under the staging tag
// "<tag>~tfra-staging": its tables are listed as kStaging, and the tables of
// <tag> as kPublishing while a staging table of it remains.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_ADMIN_TABLE_CATALOG_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_ADMIN_TABLE_CATALOG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/admin_session.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/json_writer.h"

namespace tfra {
namespace redis_admin {

// Buckets up to this many rows are measured exactly (MEMORY USAGE ... SAMPLES
// 0 walks every field); larger ones from kMemorySamples fields, which keeps
// the server's pause short (a full walk of a 1M-row bucket takes tens of
// milliseconds) and is within a few percent for rows of one size.
inline constexpr int64_t kExactMemoryRows = 4096;
inline constexpr int64_t kMemorySamples = 1024;

inline constexpr char kStagingSuffix[] = "~tfra-staging";
std::string StagingTag(const std::string& model_tag);

enum class TableState {
  kComplete,
  kStaging,     // an unpublished copy, under a staging tag
  kPublishing,  // its tag is being published by copy-tag or rename-tag
};
const char* TableStateName(TableState state);

struct BucketStats {
  std::string key;
  int64_t rows = 0;
  int64_t memory_bytes = 0;
  bool memory_sampled = false;
  int64_t ttl_ms = -1;  // -1: no TTL
  std::string node;     // filled on request
};

struct CatalogTable {
  std::string prefix;
  std::string model_tag;  // empty when unknown
  std::string embedding_name;
  std::optional<redis_table::LayoutRecord> record;
  std::vector<std::string> bucket_keys;  // found in Redis, sorted
  std::vector<BucketStats> buckets;      // bucket_keys' stats, after Measure
  TableState state = TableState::kComplete;

  int64_t rows() const;
  int64_t memory_bytes() const;
  // The layout's bucket count: the recorded one, else the buckets found
  // (empty buckets do not exist in Redis).
  int64_t storage_slice() const;
  // The recorded using_hash_storage_slice; false without a record.
  bool using_hash() const;
  // The recorded value_encoding's name; "raw" when there is none.
  std::string value_encoding() const;
};

// The tables of `model_tag` (every tag when empty), sorted by tag and name.
// Tables of the tag's staging tag are included.
Result<std::vector<CatalogTable>> ListTables(const AdminSession& session,
                                             const std::string& model_tag);

// Fills table->buckets; with `with_nodes` also each bucket's node.
Status MeasureTable(const AdminSession& session, bool with_nodes,
                    CatalogTable* table);

// One bucket's stats as a JSON object (key, node, rows, memory, TTL).
void WriteBucketJson(const BucketStats& bucket, JsonWriter* out);

// The table as JSON: names, state, schema (null when unrecorded), value
// encoding, buckets,
// rows, memory, TTL range and the largest bucket's share; with
// `bucket_details` the per-bucket stats too.
void WriteTableJson(const CatalogTable& table, bool bucket_details,
                    JsonWriter* out);

}  // namespace redis_admin
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_ADMIN_TABLE_CATALOG_H_

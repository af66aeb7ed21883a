// The layout record of a table: a small Redis hash,
// <runtime prefix>{tfra_layout}, that says how the table's data is laid out
// and what it is, so that opening the table can tell whether its rows must
// be re-bucketed (bucket_migration.h) and the operator's tool (tfra-redis)
// can describe the table without TensorFlow. Its tag does not start with a
// digit, so upstream TFRA's bucket discovery never mistakes it for a bucket.
//
// Fields (each may be missing: records written before a field existed lack
// it, and TFRA 0.8 writes no record at all):
//   runtime_layout   "using_hash_storage_slice=<0|1>" then "\n<bucket key>"
//                    per runtime bucket, bucket i at position i;
//   model_tag, embedding_name
//                    the names the prefix is made of (an MD5 prefix hides
//                    them);
//   key_dtype, value_dtype, dim
//                    the table's schema (table_schema.h names);
//   value_encoding   how its float32 rows are stored (row_encoding.h
//                    names; value_encoding_record.h keeps it); absent
//                    means raw, so raw tables carry no such field.
// TF-free.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_LAYOUT_RECORD_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_LAYOUT_RECORD_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/redis_client.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/table_schema.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/table_status.h"

namespace tfra {
namespace redis_table {

inline constexpr char kLayoutSignatureField[] = "runtime_layout";
inline constexpr char kValueEncodingField[] = "value_encoding";

// The key of the layout record of a table whose runtime prefix is `prefix`.
std::string LayoutRecordKey(std::string_view prefix);

// The runtime_layout text of a layout.
std::string LayoutSignature(const std::vector<std::string>& bucket_keys,
                            bool using_hash);

// A runtime_layout text read back. Bucket keys may hold any byte (an MD5
// prefix can contain '\n'), so the text is split knowing the prefix every
// bucket key starts with.
struct RecordedLayout {
  bool using_hash = false;
  std::vector<std::string> bucket_keys;
};
Result<RecordedLayout> ParseLayoutSignature(std::string_view signature,
                                            std::string_view prefix);

// What a table is: the names its prefix is made of and its schema.
struct TableIdentity {
  std::string model_tag;
  std::string embedding_name;
  TableSchema schema;
};

// A record as read; absent or unreadable fields are empty optionals.
struct LayoutRecord {
  std::optional<std::string> signature;
  std::optional<std::string> model_tag;
  std::optional<std::string> embedding_name;
  // Set when key_dtype, value_dtype and dim are all present and valid.
  std::optional<TableSchema> schema;
  // The row encoding's name as recorded; nullopt means raw.
  std::optional<std::string> value_encoding;
};

// The record at `record_key` (HGETALL), or nullopt when there is none.
Result<std::optional<LayoutRecord>> ReadLayoutRecord(
    redis_client::RedisClient& client, const std::string& record_key);

// Writes the identity fields of the record, only those that differ from
// what is stored (a table opened as it was recorded sends no write).
Status RecordTableIdentity(redis_client::RedisClient& client,
                           const std::string& record_key,
                           const TableIdentity& identity);

// Writes every present field of `record` (tools that create a table's
// record: publishing a copied tag, importing into a new table).
Status WriteLayoutRecord(redis_client::RedisClient& client,
                         const std::string& record_key,
                         const LayoutRecord& record);

// The recorded value_encoding alone (HGET: opening a table reads just that
// field); nullopt when the record or the field is missing.
Result<std::optional<std::string>> ReadValueEncoding(
    redis_client::RedisClient& client, const std::string& record_key);

// Sets the value_encoding field, or deletes it when `name` is nullopt (raw).
Status WriteValueEncoding(redis_client::RedisClient& client,
                          const std::string& record_key,
                          const std::optional<std::string>& name);

}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_LAYOUT_RECORD_H_

// `tfra-redis inspect`: where one table lives (its layout record, bucket
// names, nodes) and the rows of the keys asked for, decoded with the table's
// own codec (value_codec.h; row_encoding.h for compact rows) and bucketed by
// its own rule (field_bucketer.h).
// TF-free.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_ADMIN_TABLE_ROWS_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_ADMIN_TABLE_ROWS_H_

#include <string>
#include <string_view>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/admin_session.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/json_writer.h"

namespace tfra {
namespace redis_admin {

// The hash field of a key typed as text: a decimal integer for int32/int64
// keys (InvalidArgument when it is not one or out of range), the bytes
// themselves for string keys.
Result<std::string> KeyFieldFromText(redis_table::KeyKind kind,
                                     std::string_view text);

// The text of a stored key (the inverse of KeyFieldFromText).
Result<std::string> KeyTextFromField(redis_table::KeyKind kind,
                                     std::string_view field);

// Writes a stored row as a JSON array of its elements (numbers, booleans or
// strings); a compact float32 row (`encoding` not raw) decoded to float32.
// InvalidArgument when its size or framing does not fit `schema`.
Status WriteRowJson(const redis_table::TableSchema& schema,
                    redis_table::RowEncoding encoding, std::string_view stored,
                    JsonWriter* out);

// {"layout": ..., "buckets": [...], "rows": [...]}: the table's record and
// buckets (with rows, memory, TTL and node each), then one entry per key in
// `key_texts`: its bucket, whether it is stored, and its decoded row. Keys
// need the table's schema, from its layout record.
Status InspectTable(const AdminSession& session, const TableLocation& table,
                    const std::vector<std::string>& key_texts,
                    JsonWriter* out);

}  // namespace redis_admin
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_ADMIN_TABLE_ROWS_H_

// How a table's rows are encoded (redis_value_encoding, row_encoding.h) is
// kept in its layout record (layout_record.h), field "value_encoding", so
// that a table opened with another encoding than its rows were written with
// fails with a clear error instead of reading garbage. No field means raw
// rows: what TFRA 0.8 and every table before encodings wrote. A raw table
// therefore writes nothing there (opening it stays write-free); a table that
// opts in records its encoding when it is opened without rows (also one
// emptied by clear(), which may change its encoding that way).
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_VALUE_ENCODING_RECORD_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_VALUE_ENCODING_RECORD_H_

#include <optional>
#include <string>
#include <string_view>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/key_layout.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_store.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/row_encoding.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/table_schema.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/table_status.h"

namespace tfra {
namespace redis_table {

// FailedPrecondition when the runtime buckets hold rows written with another
// encoding than `encoding` (as recorded; raw when none is), or when a
// model-tag import would copy rows of another encoding into an empty runtime
// table. Otherwise makes the record say `encoding` (a write only when it
// does not yet). Runs before any row is moved.
Status CheckValueEncoding(const RedisTableStore& store,
                          const TableKeyLayout& layout, RowEncoding encoding);

// The record's value_encoding for `encoding`: nullopt for raw.
std::optional<std::string> RecordedName(RowEncoding encoding);

// The encoding a record's value_encoding names (raw when absent);
// FailedPrecondition for a name this version does not know.
Result<RowEncoding> RecordedRowEncoding(
    const std::optional<std::string>& recorded);

// The config's redis_value_encoding for a table of `value_type`:
// InvalidArgument for a name not in RowEncodingNames() or a non-raw encoding
// of a value type other than float32.
Result<RowEncoding> ConfiguredRowEncoding(std::string_view name,
                                          ElementType value_type,
                                          std::string_view table_name);

}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_VALUE_ENCODING_RECORD_H_

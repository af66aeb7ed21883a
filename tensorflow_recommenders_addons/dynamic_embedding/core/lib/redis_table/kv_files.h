// Key/value files: save_to_file_system / load_from_file_system write a table
// as two files, `<path>-keys` and `<path>-values`, record i of one belonging
// to record i of the other (upstream TFRA's format, spec 5.5). Not to be
// confused with the DUMP files of table_store_mode 1 (bucket_dump_files.h).
//   - int32/int64 keys: sizeof(K) little-endian bytes per key;
//   - numeric rows: dim x sizeof(V) raw bytes per row (the bytes Redis holds,
//     unless `stored_encoding` says Redis holds compact float32 rows).
// Strings, where upstream wrote raw in-memory `tstring` objects (pointers
// included, unreadable), are framed like string rows in Redis:
//   - string key: 4-byte little-endian length, then the bytes;
//   - string row: for each of the dim elements, 4-byte length + bytes.
// So numeric files are byte-identical to upstream's; string files are ours.
//
// Saving streams the table (HSCAN, bucket by bucket) into the sinks,
// `buffer_size` records per write: memory holds one buffer, never the table.
// Loading checks both files first (sizes for fixed-size records, a counting
// pass for framed ones) and fails before writing anything if they disagree;
// then it upserts `buffer_size` records per call.
//
// TF-free: bytes go through ByteSink/ByteSource, which the kernel implements
// over TensorFlow's FileSystem API (any TF filesystem works).
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_KV_FILES_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_KV_FILES_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/field_bucketer.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_store.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/kv_file_names.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/progress.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/row_encoding.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/table_status.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/executor.h"

namespace tfra {
namespace redis_table {

// What one record of each file holds.
struct KvRecordFormat {
  KeyKind key_kind = KeyKind::kInt64;
  // Numeric rows: the size of a row in the values file (dim * sizeof(V),
  // or less where files hold compact rows as Redis does). 0 means string
  // rows.
  size_t value_bytes = 0;
  // Elements per row.
  size_t dim = 0;
  // How Redis holds the rows when the files hold float32 (value_bytes
  // dim * 4) but Redis compact rows (row_encoding.h): saving decodes each
  // row, loading encodes it. kRaw: the files hold the stored bytes as they
  // are.
  RowEncoding stored_encoding = RowEncoding::kRaw;
};

// Receives a file's bytes in order.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual Status Append(std::string_view bytes) = 0;
};

// Yields a file's bytes in order.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Total size of the file in bytes.
  virtual uint64_t size() const = 0;
  // Replaces *out with the next min(n, bytes left) bytes.
  virtual Status Read(size_t n, std::string* out) = 0;
};

using OpenSourceFn =
    std::function<Result<std::unique_ptr<ByteSource>>(const std::string& path)>;

// Writes every row of `store` to the two sinks, at most `buffer_size`
// records per Append. Rows whose stored bytes do not match `format` fail the
// save (InvalidArgument): the files would be unreadable.
// `progress` hears the rows written after each Append.
Status SaveKvFiles(const RedisTableStore& store, const KvRecordFormat& format,
                   size_t buffer_size, ByteSink* keys, ByteSink* values,
                   int64_t* rows_saved, const ProgressFn& progress = {});

// Upserts the rows of `<path>-keys` / `<path>-values` into `store`, at most
// `buffer_size` per insert. InvalidArgument, before any insert, when the
// files disagree (record counts, sizes not a multiple of the record size,
// truncated framing). `progress` hears the rows upserted after each insert;
// stopping leaves the rows upserted so far in the table.
Status LoadKvFiles(const RedisTableStore& store, const KvRecordFormat& format,
                   const FieldBucketer& bucketer, size_t buffer_size,
                   const std::string& path, const OpenSourceFn& open,
                   redis_client::Executor* executor, int64_t* rows_loaded,
                   const ProgressFn& progress = {});

}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_KV_FILES_H_

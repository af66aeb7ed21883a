// `tfra-redis export TABLE DIR` / `import TABLE DIR`: a table to and from
// key/value files in upstream's format (the files save_to_file_system
// writes, kv_files.h), streamed: memory holds `buffer_rows` rows, never the
// table. Files are local (POSIX); an export writes <name>-keys.tmp and
// <name>-values.tmp, syncs them and renames them into place, so an
// interrupted export leaves the previous pair. A table with compact rows
// (redis_value_encoding, recorded in its layout record) is exported as
// float32 rows and imported by encoding them; an import into a table without
// rows stores them as the config's redis_value_encoding says, as a table
// opened with that config would. TF-free.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_ADMIN_TABLE_FILES_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_ADMIN_TABLE_FILES_H_

#include <cstdint>
#include <optional>
#include <string>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/admin_progress.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/admin_session.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/json_writer.h"

namespace tfra {
namespace redis_admin {

struct FileTransfer {
  std::string dir;
  std::string file_name;  // empty: the table's name
  int64_t buffer_rows = 16384;
  // The table's schema when its layout record has none (a table written by
  // TFRA 0.8, or a new table for import); must agree with the record's.
  std::optional<redis_table::TableSchema> schema;
};

// Writes {"path": P, "rows": N}.
Status ExportTable(const AdminSession& session, const TableLocation& table,
                   const FileTransfer& transfer,
                   const AdminProgressFn& progress, JsonWriter* out);

// Upserts the files' rows into the table, bucketed by its layout; a table
// that did not exist gets a layout record. Writes {"path": P, "rows": N}.
Status ImportTable(const AdminSession& session, const TableLocation& table,
                   const FileTransfer& transfer,
                   const AdminProgressFn& progress, JsonWriter* out);

}  // namespace redis_admin
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_ADMIN_TABLE_FILES_H_

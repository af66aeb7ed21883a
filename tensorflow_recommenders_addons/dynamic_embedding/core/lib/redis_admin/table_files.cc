#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/table_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/client_status.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/key_layout.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/kv_files.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/value_encoding_record.h"

namespace tfra {
namespace redis_admin {
namespace {

using redis_table::KeyKind;

Status FileError(const std::string& what, const std::string& path) {
  const std::string message =
      what + " " + path + ": " + std::strerror(errno);
  if (errno == ENOENT) return redis_table::NotFoundError(message);
  return redis_table::FailedPreconditionError(message);
}

// A file written through its own descriptor: Append, then Finish (sync and
// close) or, on destruction unfinished, close and delete.
class PosixFileSink : public redis_table::ByteSink {
 public:
  static Result<std::unique_ptr<PosixFileSink>> Create(const std::string& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return FileError("cannot create", path);
    return std::unique_ptr<PosixFileSink>(new PosixFileSink(path, fd));
  }
  ~PosixFileSink() override {
    if (fd_ >= 0) {
      ::close(fd_);
      ::unlink(path_.c_str());
    }
  }

  Status Append(std::string_view bytes) override {
    while (!bytes.empty()) {
      const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return FileError("cannot write", path_);
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return Status::Ok();
  }

  Status Finish() {
    const bool ok = ::fsync(fd_) == 0;
    const int closed = ::close(fd_);
    fd_ = -1;
    if (!ok || closed != 0) return FileError("cannot sync", path_);
    return Status::Ok();
  }

 private:
  PosixFileSink(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_;
};

class PosixFileSource : public redis_table::ByteSource {
 public:
  static Result<std::unique_ptr<redis_table::ByteSource>> Open(
      const std::string& path) {
    std::FILE* file = std::fopen(path.c_str(), "rb");
    // stat, not fstat: the build pins stat to an old glibc version
    // (build_deps/manylinux), which fstat would need a wrapper for too.
    struct stat info;
    if (file == nullptr || ::stat(path.c_str(), &info) != 0) {
      Status status = FileError("cannot open", path);
      if (file != nullptr) std::fclose(file);
      return status;
    }
    return std::unique_ptr<redis_table::ByteSource>(new PosixFileSource(
        path, file, static_cast<uint64_t>(info.st_size)));
  }
  ~PosixFileSource() override { std::fclose(file_); }

  uint64_t size() const override { return size_; }
  Status Read(size_t n, std::string* out) override {
    out->resize(n);
    const size_t got = std::fread(out->data(), 1, n, file_);
    out->resize(got);
    if (got < n && std::ferror(file_)) return FileError("cannot read", path_);
    return Status::Ok();
  }

 private:
  PosixFileSource(std::string path, std::FILE* file, uint64_t size)
      : path_(std::move(path)), file_(file), size_(size) {}
  std::string path_;
  std::FILE* file_;
  uint64_t size_;
};

// The schema the files are read or written with: the record's, else the
// request's; the two must agree. Also checks the buffer size.
Result<redis_table::TableSchema> SchemaFor(const TableLocation& table,
                                           const FileTransfer& transfer) {
  if (transfer.buffer_rows < 1) {
    return redis_table::InvalidArgumentError("buffer rows must be >= 1");
  }
  if (table.schema && transfer.schema &&
      (table.schema->key_kind != transfer.schema->key_kind ||
       table.schema->value_type != transfer.schema->value_type ||
       table.schema->dim != transfer.schema->dim)) {
    return redis_table::InvalidArgumentError(
        "the given dtypes or dim differ from table '" + table.embedding_name +
        "''s layout record");
  }
  if (table.schema) return *table.schema;
  if (transfer.schema) return *transfer.schema;
  return redis_table::FailedPreconditionError(
      "table '" + table.embedding_name +
      "' has no schema in its layout record: give --key-dtype, "
      "--value-dtype and --dim");
}

// Files hold what TFRA's files hold: float32 rows of dim x 4 bytes, also
// when Redis holds compact rows (`stored`).
redis_table::KvRecordFormat FormatOf(const redis_table::TableSchema& schema,
                                     redis_table::RowEncoding stored) {
  return redis_table::KvRecordFormat{schema.key_kind,
                                     redis_table::RowBytes(schema),
                                     static_cast<size_t>(schema.dim), stored};
}

// How an import stores its rows: as the rows already there are stored, or,
// into a table without rows, as the config says (what opening it would
// choose, value_encoding_record.h), which the record is then made to say.
Result<redis_table::RowEncoding> ImportEncoding(
    const AdminSession& session, const TableLocation& table,
    const redis_table::TableSchema& schema, bool has_rows) {
  if (has_rows) return StoredEncoding(table);
  auto encoding = redis_table::ConfiguredRowEncoding(
      session.config.redis_value_encoding, schema.value_type,
      table.embedding_name);
  if (!encoding.ok()) return encoding.status();
  const std::optional<std::string> name = redis_table::RecordedName(*encoding);
  const std::optional<std::string> recorded =
      table.record ? table.record->value_encoding : std::nullopt;
  if (name != recorded) {
    TFRA_TABLE_RETURN_IF_ERROR(redis_table::WriteValueEncoding(
        *session.client, table.record_key, name));
  }
  return encoding;
}

std::string PathOf(const TableLocation& table, const FileTransfer& transfer) {
  return redis_table::JoinFilePath(
      transfer.dir,
      transfer.file_name.empty() ? table.embedding_name : transfer.file_name);
}

Status Rename(const std::string& from, const std::string& to) {
  if (std::rename(from.c_str(), to.c_str()) != 0) {
    return FileError("cannot rename " + from + " to", to);
  }
  return Status::Ok();
}

redis_table::ProgressFn RowProgress(const AdminProgressFn& progress,
                                    int64_t total) {
  if (!progress) return {};
  return [&progress, total](int64_t rows) { return progress(rows, total); };
}

// Rows the keys file holds, when its records have a fixed size; else 0.
int64_t RowsInKeysFile(const std::string& path, KeyKind kind) {
  struct stat info;
  const std::string keys = redis_table::KeysFilePath(path);
  if (kind == KeyKind::kString || ::stat(keys.c_str(), &info) != 0) return 0;
  return static_cast<int64_t>(info.st_size) / (kind == KeyKind::kInt32 ? 4 : 8);
}

}  // namespace

Status ExportTable(const AdminSession& session, const TableLocation& table,
                   const FileTransfer& transfer,
                   const AdminProgressFn& progress, JsonWriter* out) {
  auto schema = SchemaFor(table, transfer);
  if (!schema.ok()) return schema.status();
  auto encoding = StoredEncoding(table);
  if (!encoding.ok()) return encoding.status();
  const std::string path = PathOf(table, transfer);
  auto store = StoreFor(session, table);
  auto total = store->Size();
  if (!total.ok()) return total.status();
  auto keys = PosixFileSink::Create(redis_table::KeysFilePath(path) + ".tmp");
  if (!keys.ok()) return keys.status();
  auto values = PosixFileSink::Create(redis_table::ValuesFilePath(path) + ".tmp");
  if (!values.ok()) return values.status();
  int64_t rows = 0;
  TFRA_TABLE_RETURN_IF_ERROR(redis_table::SaveKvFiles(
      *store, FormatOf(*schema, *encoding),
      static_cast<size_t>(transfer.buffer_rows),
      keys->get(), values->get(), &rows, RowProgress(progress, *total)));
  TFRA_TABLE_RETURN_IF_ERROR((*keys)->Finish());
  TFRA_TABLE_RETURN_IF_ERROR((*values)->Finish());
  TFRA_TABLE_RETURN_IF_ERROR(Rename(redis_table::KeysFilePath(path) + ".tmp",
                                    redis_table::KeysFilePath(path)));
  TFRA_TABLE_RETURN_IF_ERROR(Rename(redis_table::ValuesFilePath(path) + ".tmp",
                                    redis_table::ValuesFilePath(path)));
  out->BeginObject().Member("path", path).Member("rows", rows).EndObject();
  return Status::Ok();
}

Status ImportTable(const AdminSession& session, const TableLocation& table,
                   const FileTransfer& transfer,
                   const AdminProgressFn& progress, JsonWriter* out) {
  auto schema = SchemaFor(table, transfer);
  if (!schema.ok()) return schema.status();
  const std::string path = PathOf(table, transfer);
  auto existing =
      session.client->ScanKeys(redis_table::BucketScanPattern(table.prefix));
  if (!existing.ok()) {
    return redis_table::FromClientStatus(existing.status(), "import");
  }
  // No rows and no layout yet (ImportEncoding may have begun a record).
  const bool new_table =
      existing->empty() && !(table.record && table.record->signature);
  auto encoding = ImportEncoding(session, table, *schema, !existing->empty());
  if (!encoding.ok()) return encoding.status();
  const redis_table::FieldBucketer bucketer(
      schema->key_kind, static_cast<uint32_t>(table.bucket_keys.size()),
      table.using_hash);
  int64_t rows = 0;
  TFRA_TABLE_RETURN_IF_ERROR(redis_table::LoadKvFiles(
      *StoreFor(session, table), FormatOf(*schema, *encoding), bucketer,
      static_cast<size_t>(transfer.buffer_rows), path, PosixFileSource::Open,
      nullptr, &rows,
      RowProgress(progress, RowsInKeysFile(path, schema->key_kind))));
  if (new_table) {
    redis_table::LayoutRecord record;
    record.signature =
        redis_table::LayoutSignature(table.bucket_keys, table.using_hash);
    TFRA_TABLE_RETURN_IF_ERROR(
        redis_table::WriteLayoutRecord(*session.client, table.record_key, record));
  }
  TFRA_TABLE_RETURN_IF_ERROR(redis_table::RecordTableIdentity(
      *session.client, table.record_key,
      redis_table::TableIdentity{table.model_tag, table.embedding_name,
                                 *schema}));
  out->BeginObject().Member("path", path).Member("rows", rows).EndObject();
  return Status::Ok();
}

}  // namespace redis_admin
}  // namespace tfra

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/kv_files.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/value_codec.h"

namespace tfra {
namespace redis_table {

namespace {

constexpr size_t kLengthPrefixSize = 4;
// Reads from the file system go in blocks at least this big, so framed
// records (a few bytes each) do not cost a file-system call apiece.
constexpr size_t kReadBlockSize = size_t{1} << 20;

// Fixed key record size; 0 for framed (string) keys.
size_t KeyRecordSize(KeyKind kind) {
  switch (kind) {
    case KeyKind::kInt32:
      return 4;
    case KeyKind::kInt64:
      return 8;
    case KeyKind::kString:
      return 0;
  }
  return 0;
}

uint32_t ReadLength(const char* bytes) {
  uint32_t length;
  std::memcpy(&length, bytes, kLengthPrefixSize);
  return length;  // little endian: value_codec.h asserts the host is
}

void AppendLength(size_t length, std::string* out) {
  const uint32_t length32 = static_cast<uint32_t>(length);
  out->append(reinterpret_cast<const char*>(&length32), kLengthPrefixSize);
}

// One file of a saved table, read record by record through a block buffer.
// A record is `fixed_size` bytes, or (fixed_size 0) `elements` framed
// elements of 4-byte length + bytes.
class RecordReader {
 public:
  RecordReader(ByteSource* source, std::string name, size_t fixed_size,
               size_t elements)
      : source_(source),
        name_(std::move(name)),
        fixed_size_(fixed_size),
        elements_(elements) {}

  // The next record, valid until the next call; false at the end.
  Result<bool> Next(std::string_view* record) {
    if (!Available(1)) return false;
    size_t size = fixed_size_;
    if (fixed_size_ == 0) {
      size = 0;
      for (size_t i = 0; i < elements_; ++i) {
        if (!Available(size + kLengthPrefixSize)) return Truncated(size);
        size += kLengthPrefixSize + ReadLength(buffer_.data() + pos_ + size);
      }
    }
    if (!Available(size)) return Truncated(size);
    *record = std::string_view(buffer_).substr(pos_, size);
    pos_ += size;
    ++records_;
    return true;
  }

  int64_t records() const { return records_; }
  const Status& read_status() const { return read_status_; }

 private:
  // Whether `n` bytes from the read position are buffered, reading more as
  // needed. A failed read is kept in read_status_ and reported as the end.
  bool Available(size_t n) {
    if (buffer_.size() - pos_ >= n) return true;
    buffer_.erase(0, pos_);
    pos_ = 0;
    std::string block;
    while (buffer_.size() < n) {
      read_status_ =
          source_->Read(std::max(kReadBlockSize, n - buffer_.size()), &block);
      if (!read_status_.ok() || block.empty()) return false;
      buffer_ += block;
    }
    return true;
  }

  Status Truncated(size_t needed) const {
    if (!read_status_.ok()) return read_status_;
    return InvalidArgumentError(
        name_ + " ends inside record #" + std::to_string(records_) +
        ": it needs at least " + std::to_string(needed) + " bytes, " +
        std::to_string(buffer_.size() - pos_) +
        " are left (the file is truncated or was written for another dtype "
        "or dim)");
  }

  ByteSource* source_;
  std::string name_;
  size_t fixed_size_;
  size_t elements_;
  std::string buffer_;
  size_t pos_ = 0;
  int64_t records_ = 0;
  Status read_status_;
};

// The two files of one saved table, opened for reading.
struct OpenFiles {
  std::unique_ptr<ByteSource> keys;
  std::unique_ptr<ByteSource> values;
};

Result<OpenFiles> Open(const std::string& path, const OpenSourceFn& open) {
  auto keys = open(KeysFilePath(path));
  if (!keys.ok()) return keys.status();
  auto values = open(ValuesFilePath(path));
  if (!values.ok()) return values.status();
  return OpenFiles{std::move(keys).value(), std::move(values).value()};
}

RecordReader KeyReader(const KvRecordFormat& format, const std::string& path,
                       ByteSource* source) {
  return RecordReader(source, KeysFilePath(path),
                      KeyRecordSize(format.key_kind), 1);
}

RecordReader ValueReader(const KvRecordFormat& format,
                         const std::string& path, ByteSource* source) {
  return RecordReader(source, ValuesFilePath(path), format.value_bytes,
                      format.dim);
}

// Records in a file of fixed-size records, from its size.
Result<int64_t> CountBySize(const std::string& name, uint64_t size,
                            size_t record_size, const char* what) {
  if (size % record_size != 0) {
    return InvalidArgumentError(
        name + " has " + std::to_string(size) + " bytes, not a multiple of " +
        std::to_string(record_size) + " (one " + what +
        "): it is truncated or was written for another dtype or dim");
  }
  return static_cast<int64_t>(size / record_size);
}

// Records in a file of framed records: reads it through.
Result<int64_t> CountByReading(RecordReader reader) {
  std::string_view record;
  while (true) {
    auto more = reader.Next(&record);
    if (!more.ok()) return more.status();
    if (!*more) break;
  }
  if (!reader.read_status().ok()) return reader.read_status();
  return reader.records();
}

Result<int64_t> CountRecords(const KvRecordFormat& format,
                             const std::string& path, bool keys_file,
                             ByteSource* source) {
  const size_t fixed =
      keys_file ? KeyRecordSize(format.key_kind) : format.value_bytes;
  const std::string name =
      keys_file ? KeysFilePath(path) : ValuesFilePath(path);
  if (fixed != 0) {
    return CountBySize(name, source->size(), fixed,
                       keys_file ? "key" : "row of dim x sizeof(value)");
  }
  return CountByReading(keys_file ? KeyReader(format, path, source)
                                  : ValueReader(format, path, source));
}

// Checks that both files hold the same number of whole records; returns it.
Result<int64_t> CheckFiles(const KvRecordFormat& format,
                           const std::string& path, const OpenSourceFn& open) {
  auto files = Open(path, open);
  if (!files.ok()) return files.status();
  auto keys = CountRecords(format, path, true, files->keys.get());
  if (!keys.ok()) return keys.status();
  auto values = CountRecords(format, path, false, files->values.get());
  if (!values.ok()) return values.status();
  if (*keys != *values) {
    return InvalidArgumentError(
        "saved key/value files disagree: " + KeysFilePath(path) + " holds " +
        std::to_string(*keys) + " keys (" +
        std::to_string(files->keys->size()) + " bytes) but " +
        ValuesFilePath(path) + " holds " + std::to_string(*values) +
        " rows (" + std::to_string(files->values->size()) +
        " bytes); nothing was loaded");
  }
  return *keys;
}

// Up to `max` records of `reader`: their bytes in `data`, their
// [offset, size) in `bounds`. `skip` bytes of each record are left out
// (the length prefix of a string key).
Status ReadChunk(RecordReader* reader, size_t max, size_t skip,
                 std::string* data,
                 std::vector<std::pair<size_t, size_t>>* bounds) {
  data->clear();
  bounds->clear();
  std::string_view record;
  while (bounds->size() < max) {
    auto more = reader->Next(&record);
    if (!more.ok()) return more.status();
    if (!*more) return reader->read_status();
    bounds->emplace_back(data->size(), record.size() - skip);
    data->append(record.substr(skip));
  }
  return Status::Ok();
}

std::vector<std::string_view> Views(
    const std::string& data,
    const std::vector<std::pair<size_t, size_t>>& bounds) {
  std::vector<std::string_view> views;
  views.reserve(bounds.size());
  for (const auto& [offset, size] : bounds) {
    views.push_back(std::string_view(data).substr(offset, size));
  }
  return views;
}

// Appends one exported row to the two buffers in file format.
Status AppendRecord(const KvRecordFormat& format, std::string_view field,
                    std::string_view stored, std::string* keys,
                    std::string* values) {
  const size_t key_size = KeyRecordSize(format.key_kind);
  if (key_size != 0 && field.size() != key_size) {
    return InvalidArgumentError(
        "a stored key has " + std::to_string(field.size()) +
        " bytes, the table's key dtype has " + std::to_string(key_size));
  }
  if (key_size == 0 && field.size() > std::numeric_limits<uint32_t>::max()) {
    return InvalidArgumentError("a stored string key is 4 GiB or longer");
  }
  if (format.stored_encoding != RowEncoding::kRaw) {
    const size_t offset = values->size();
    values->resize(offset + format.dim * sizeof(float));
    Status decoded = DecodeFloatRow(format.stored_encoding, stored, format.dim,
                                    reinterpret_cast<float*>(values->data() +
                                                             offset));
    if (!decoded.ok()) {
      values->resize(offset);
      return decoded;
    }
  } else if (format.value_bytes != 0) {
    if (stored.size() != format.value_bytes) {
      return InvalidArgumentError(
          "a stored value has " + std::to_string(stored.size()) +
          " bytes, the table's rows have " +
          std::to_string(format.value_bytes) +
          " (dim x sizeof(value)); the table's dim or value dtype differs "
          "from the data in Redis");
    }
  } else {
    TFRA_TABLE_RETURN_IF_ERROR(DecodeStringRow(
        stored, format.dim, [](size_t, std::string_view) {}));
  }
  if (key_size == 0) AppendLength(field.size(), keys);
  keys->append(field);
  if (format.stored_encoding == RowEncoding::kRaw) values->append(stored);
  return Status::Ok();
}

// Replaces float32 file rows by the compact rows Redis holds.
void EncodeChunk(const KvRecordFormat& format, std::string* data,
                 std::vector<std::pair<size_t, size_t>>* bounds) {
  const size_t row_bytes = EncodedRowBytes(format.stored_encoding, format.dim);
  std::string encoded(bounds->size() * row_bytes, '\0');
  std::vector<float> row(format.dim);  // file bytes may be unaligned
  for (size_t i = 0; i < bounds->size(); ++i) {
    std::memcpy(row.data(), data->data() + (*bounds)[i].first,
                format.dim * sizeof(float));
    EncodeFloatRow(format.stored_encoding, row.data(), format.dim,
                   encoded.data() + i * row_bytes);
    (*bounds)[i] = {i * row_bytes, row_bytes};
  }
  *data = std::move(encoded);
}

Status CheckFormat(const KvRecordFormat& format, size_t buffer_size) {
  if (format.dim == 0) {
    return InvalidArgumentError(
        "tables with dim 0 cannot be saved to or loaded from files");
  }
  if (buffer_size == 0) return InvalidArgumentError("buffer_size must be >= 1");
  if (format.stored_encoding != RowEncoding::kRaw &&
      format.value_bytes != format.dim * sizeof(float)) {
    return InvalidArgumentError(
        "files of a table with compact rows hold float32 rows");
  }
  return Status::Ok();
}

}  // namespace

Status SaveKvFiles(const RedisTableStore& store, const KvRecordFormat& format,
                   size_t buffer_size, ByteSink* keys, ByteSink* values,
                   int64_t* rows_saved, const ProgressFn& progress) {
  TFRA_TABLE_RETURN_IF_ERROR(CheckFormat(format, buffer_size));
  std::string key_buffer;
  std::string value_buffer;
  size_t pending = 0;
  int64_t saved = 0;
  auto flush = [&]() -> Status {
    TFRA_TABLE_RETURN_IF_ERROR(keys->Append(key_buffer));
    TFRA_TABLE_RETURN_IF_ERROR(values->Append(value_buffer));
    saved += static_cast<int64_t>(pending);
    key_buffer.clear();
    value_buffer.clear();
    pending = 0;
    return progress ? progress(saved) : Status::Ok();
  };
  TFRA_TABLE_RETURN_IF_ERROR(store.Export(
      [&](std::string_view field, std::string_view stored) -> Status {
        TFRA_TABLE_RETURN_IF_ERROR(
            AppendRecord(format, field, stored, &key_buffer, &value_buffer));
        return ++pending == buffer_size ? flush() : Status::Ok();
      }));
  if (pending > 0) TFRA_TABLE_RETURN_IF_ERROR(flush());
  *rows_saved = saved;
  return Status::Ok();
}

Status LoadKvFiles(const RedisTableStore& store, const KvRecordFormat& format,
                   const FieldBucketer& bucketer, size_t buffer_size,
                   const std::string& path, const OpenSourceFn& open,
                   redis_client::Executor* executor, int64_t* rows_loaded,
                   const ProgressFn& progress) {
  TFRA_TABLE_RETURN_IF_ERROR(CheckFormat(format, buffer_size));
  auto expected = CheckFiles(format, path, open);
  if (!expected.ok()) return expected.status();
  auto files = Open(path, open);
  if (!files.ok()) return files.status();
  RecordReader key_reader = KeyReader(format, path, files->keys.get());
  RecordReader value_reader = ValueReader(format, path, files->values.get());
  const size_t key_skip =
      format.key_kind == KeyKind::kString ? kLengthPrefixSize : 0;
  std::string key_data, value_data;
  std::vector<std::pair<size_t, size_t>> key_bounds, value_bounds;
  int64_t loaded = 0;
  while (true) {
    TFRA_TABLE_RETURN_IF_ERROR(ReadChunk(&key_reader, buffer_size, key_skip,
                                         &key_data, &key_bounds));
    TFRA_TABLE_RETURN_IF_ERROR(ReadChunk(&value_reader, buffer_size, 0,
                                         &value_data, &value_bounds));
    if (key_bounds.size() != value_bounds.size()) {
      return FailedPreconditionError(
          "saved key/value files " + path +
          "-keys/-values changed while loading");
    }
    if (key_bounds.empty()) break;
    if (format.stored_encoding != RowEncoding::kRaw) {
      EncodeChunk(format, &value_data, &value_bounds);
    }
    KeyBatch batch;
    batch.fields = Views(key_data, key_bounds);
    for (std::string_view field : batch.fields) {
      auto bucket = bucketer.BucketOf(field);
      if (!bucket.ok()) return bucket.status();
      batch.buckets.push_back(*bucket);
    }
    TFRA_TABLE_RETURN_IF_ERROR(
        store.Insert(batch, Views(value_data, value_bounds), executor));
    loaded += static_cast<int64_t>(key_bounds.size());
    if (progress) TFRA_TABLE_RETURN_IF_ERROR(progress(loaded));
  }
  if (loaded != *expected) {
    return FailedPreconditionError("saved key/value files " + path +
                                   "-keys/-values changed while loading");
  }
  *rows_loaded = loaded;
  return Status::Ok();
}

}  // namespace redis_table
}  // namespace tfra

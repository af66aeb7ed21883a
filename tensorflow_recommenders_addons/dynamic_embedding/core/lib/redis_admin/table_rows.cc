#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/table_rows.h"

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/table_catalog.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/field_bucketer.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/row_encoding.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/value_codec.h"

namespace tfra {
namespace redis_admin {
namespace {

using redis_table::ElementType;
using redis_table::KeyKind;

template <typename T>
T Element(const std::string& row, size_t i) {
  T value;
  std::memcpy(&value, row.data() + i * sizeof(T), sizeof(T));
  return value;
}

void WriteElement(ElementType type, const std::string& row, size_t i,
                  JsonWriter* out) {
  switch (type) {
    case ElementType::kFloat32:
      out->Double(Element<float>(row, i), 9);
      break;
    case ElementType::kFloat64:
      out->Double(Element<double>(row, i));
      break;
    case ElementType::kInt32:
      out->Int(Element<int32_t>(row, i));
      break;
    case ElementType::kInt64:
      out->Int(Element<int64_t>(row, i));
      break;
    case ElementType::kInt8:
      out->Int(Element<int8_t>(row, i));
      break;
    case ElementType::kFloat16:
      out->Double(redis_table::HalfToFloat(Element<uint16_t>(row, i)), 5);
      break;
    case ElementType::kBFloat16:
      out->Double(redis_table::Bfloat16ToFloat(Element<uint16_t>(row, i)), 4);
      break;
    case ElementType::kBool:
      out->Bool(Element<uint8_t>(row, i) != 0);
      break;
    case ElementType::kString:
      break;  // framed; WriteRowJson decodes strings
  }
}

// The layout part of inspect's answer.
void WriteLayout(const TableLocation& table, JsonWriter* out) {
  out->Key("layout").BeginObject()
      .Member("model_tag", table.model_tag)
      .Member("name", table.embedding_name)
      .Member("prefix", table.prefix)
      .Member("record_key", table.record_key)
      .Member("recorded", table.record.has_value())
      .Member("layout_from", table.layout_from_record ? "layout record"
                                                      : "config")
      .Member("using_hash_storage_slice", table.using_hash)
      .Member("storage_slice", static_cast<int64_t>(table.bucket_keys.size()))
      .Member("value_encoding", ValueEncodingName(table.record));
  if (table.schema) {
    out->Member("key_dtype", redis_table::KeyKindName(table.schema->key_kind))
        .Member("value_dtype",
                redis_table::ElementTypeName(table.schema->value_type))
        .Member("dim", table.schema->dim);
  }
  out->EndObject();
}

// Looks the keys up; rows[i] is key i's stored bytes, if any.
Status FindRows(const AdminSession& session, const TableLocation& table,
                const std::vector<std::string>& fields,
                std::vector<uint32_t>* buckets,
                std::vector<std::optional<std::string>>* rows) {
  const redis_table::FieldBucketer bucketer(
      table.schema->key_kind, static_cast<uint32_t>(table.bucket_keys.size()),
      table.using_hash);
  redis_table::KeyBatch batch;
  for (const std::string& field : fields) {
    auto bucket = bucketer.BucketOf(field);
    if (!bucket.ok()) return bucket.status();
    batch.fields.push_back(field);
    batch.buckets.push_back(*bucket);
  }
  *buckets = batch.buckets;
  rows->assign(fields.size(), std::nullopt);
  return StoreFor(session, table)
      ->Find(batch,
             [&](size_t i, std::string_view stored) {
               (*rows)[i] = std::string(stored);
               return Status::Ok();
             },
             nullptr);
}

}  // namespace

Result<std::string> KeyFieldFromText(KeyKind kind, std::string_view text) {
  if (kind == KeyKind::kString) return std::string(text);
  const std::string copy(text);
  char* end = nullptr;
  errno = 0;
  const long long value = std::strtoll(copy.c_str(), &end, 10);
  const bool int32 = kind == KeyKind::kInt32;
  if (copy.empty() || *end != '\0' || errno == ERANGE ||
      (int32 && (value < std::numeric_limits<int32_t>::min() ||
                 value > std::numeric_limits<int32_t>::max()))) {
    return redis_table::InvalidArgumentError(
        "key '" + copy + "' is not an " +
        std::string(redis_table::KeyKindName(kind)) + " integer");
  }
  if (int32) {
    const int32_t key = static_cast<int32_t>(value);
    return std::string(redis_table::KeyBytes(key));
  }
  const int64_t key = value;
  return std::string(redis_table::KeyBytes(key));
}

Result<std::string> KeyTextFromField(KeyKind kind, std::string_view field) {
  if (kind == KeyKind::kString) return std::string(field);
  if (kind == KeyKind::kInt32) {
    int32_t key = 0;
    TFRA_TABLE_RETURN_IF_ERROR(redis_table::DecodeKey(field, &key));
    return std::to_string(key);
  }
  int64_t key = 0;
  TFRA_TABLE_RETURN_IF_ERROR(redis_table::DecodeKey(field, &key));
  return std::to_string(key);
}

Status WriteRowJson(const redis_table::TableSchema& schema,
                    redis_table::RowEncoding encoding, std::string_view stored,
                    JsonWriter* out) {
  const size_t dim = static_cast<size_t>(schema.dim);
  if (encoding != redis_table::RowEncoding::kRaw) {
    std::vector<float> row(dim);
    TFRA_TABLE_RETURN_IF_ERROR(
        redis_table::DecodeFloatRow(encoding, stored, dim, row.data()));
    out->BeginArray();
    for (float element : row) out->Double(element, 9);
    out->EndArray();
    return Status::Ok();
  }
  if (schema.value_type == ElementType::kString) {
    std::vector<std::string> elements(dim);
    TFRA_TABLE_RETURN_IF_ERROR(redis_table::DecodeStringRow(
        stored, dim, [&](size_t i, std::string_view element) {
          elements[i] = std::string(element);
        }));
    out->BeginArray();
    for (const std::string& element : elements) out->String(element);
    out->EndArray();
    return Status::Ok();
  }
  const size_t element_size = redis_table::ElementSize(schema.value_type);
  std::string row(dim * element_size, '\0');
  TFRA_TABLE_RETURN_IF_ERROR(redis_table::DecodePodRowBytes(
      stored, row.size(), element_size, row.data()));
  out->BeginArray();
  for (size_t i = 0; i < dim; ++i) {
    WriteElement(schema.value_type, row, i, out);
  }
  out->EndArray();
  return Status::Ok();
}

Status InspectTable(const AdminSession& session, const TableLocation& table,
                    const std::vector<std::string>& key_texts,
                    JsonWriter* out) {
  if (!key_texts.empty() && !table.schema) {
    return redis_table::FailedPreconditionError(
        "table '" + table.embedding_name +
        "' has no schema in its layout record (written by TFRA 0.8 or "
        "before the record had one): its keys cannot be decoded");
  }
  auto encoding = StoredEncoding(table);
  if (!key_texts.empty() && !encoding.ok()) return encoding.status();
  std::vector<std::string> fields;
  for (const std::string& text : key_texts) {
    auto field = KeyFieldFromText(table.schema->key_kind, text);
    if (!field.ok()) return field.status();
    fields.push_back(std::move(field).value());
  }
  CatalogTable buckets;
  buckets.bucket_keys = table.bucket_keys;
  TFRA_TABLE_RETURN_IF_ERROR(MeasureTable(session, true, &buckets));
  std::vector<uint32_t> bucket_of;
  std::vector<std::optional<std::string>> rows;
  if (!fields.empty()) {
    TFRA_TABLE_RETURN_IF_ERROR(
        FindRows(session, table, fields, &bucket_of, &rows));
  }
  out->BeginObject();
  WriteLayout(table, out);
  out->Key("buckets").BeginArray();
  for (const BucketStats& bucket : buckets.buckets) {
    WriteBucketJson(bucket, out);
  }
  out->EndArray().Key("rows").BeginArray();
  for (size_t i = 0; i < fields.size(); ++i) {
    out->BeginObject()
        .Member("key", key_texts[i])
        .Member("bucket", static_cast<int64_t>(bucket_of[i]))
        .Member("bucket_key", table.bucket_keys[bucket_of[i]])
        .Member("found", rows[i].has_value())
        .Key("value");
    if (rows[i]) {
      TFRA_TABLE_RETURN_IF_ERROR(
          WriteRowJson(*table.schema, *encoding, *rows[i], out));
    } else {
      out->Null();
    }
    out->EndObject();
  }
  out->EndArray().EndObject();
  return Status::Ok();
}

}  // namespace redis_admin
}  // namespace tfra

// What a table's rows are: its key kind, its value element type and its dim,
// under the names the layout record stores and the operator's tool
// (tfra-redis) prints. The names are TensorFlow's `tf.DType.name`s
// ("int64", "float32", "float16", "string", ...), so Python users read the
// dtypes they wrote. TF-free; pure functions.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_TABLE_SCHEMA_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_TABLE_SCHEMA_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/field_bucketer.h"

namespace tfra {
namespace redis_table {

// The element types of the value dtypes the table supports (value_codec.h).
enum class ElementType {
  kFloat32,
  kFloat64,
  kInt32,
  kInt64,
  kInt8,
  kFloat16,
  kBFloat16,
  kBool,
  kString,
};

struct TableSchema {
  KeyKind key_kind = KeyKind::kInt64;
  ElementType value_type = ElementType::kFloat32;
  int64_t dim = 0;
};

// "int32", "int64", "string".
std::string_view KeyKindName(KeyKind kind);
// "float32", "float64", "int32", "int64", "int8", "float16", "bfloat16",
// "bool", "string".
std::string_view ElementTypeName(ElementType type);

// The inverse of the *Name functions; also accept TensorFlow's C++ spellings
// "float", "double" and "half". False for anything else.
bool KeyKindFromName(std::string_view name, KeyKind* kind);
bool ElementTypeFromName(std::string_view name, ElementType* type);

// Bytes of one element; 0 for strings (framed, variable size).
size_t ElementSize(ElementType type);

// Bytes of one stored row (dim x element size); 0 for string rows.
inline size_t RowBytes(const TableSchema& schema) {
  return static_cast<size_t>(schema.dim) * ElementSize(schema.value_type);
}

}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_TABLE_SCHEMA_H_

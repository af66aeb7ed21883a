// Element-wise sums of embedding rows in their stored byte format, for the
// HMACCUM module. No Redis and no TensorFlow here, and no allocation: rows
// are raw little-endian elements (x86-64 and arm64), at any alignment.
//
// A float or double sum is the IEEE sum of the two elements, rounded once
// (no fast-math, no fused operations): the bits the table's client-side accum
// (accum_rows.h) and its Lua script produce. int8, int32 and int64 sums wrap
// as two's complement.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_REDIS_MODULE_ROW_ADD_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_REDIS_MODULE_ROW_ADD_H_

#include <cstddef>

namespace tfra {
namespace redis_module {

// The value types upstream's HMACCUM adds.
enum class ElementType { kFloat, kDouble, kInt32, kInt64, kInt8 };

// The type named by `name` (TensorFlow's DataTypeString: "float", "double",
// "int32", "int64", "int8"; exact, case-sensitive, as upstream's HMACCUM
// reads its dtype argument). False for any other name.
bool ElementTypeFromName(const char* name, size_t length, ElementType* type);

// Bytes of one element.
size_t ElementBytes(ElementType type);

// sum[j] = row[j] + delta[j] for the bytes / ElementBytes(type) elements
// (`bytes` must be a multiple of it). `sum` may be `row` itself; no other
// overlap is allowed.
void AddRows(ElementType type, const char* row, const char* delta, char* sum,
             size_t bytes);

}  // namespace redis_module
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_REDIS_MODULE_ROW_ADD_H_

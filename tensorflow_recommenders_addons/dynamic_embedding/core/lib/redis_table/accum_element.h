// The element types accum adds, and their sums, in the stored byte format:
// one implementation for the table's client-side accum (accum_transaction.h),
// the description of its Lua script (accum_script.h) and the HMACCUM server
// module (core/redis_module), which links this file alone: no allocation, no
// exceptions, no C++ runtime, no TensorFlow. Rows are raw little-endian
// elements (x86-64 and arm64), at any alignment.
//
// A float or double sum is the IEEE sum of the two elements, rounded once
// (no fast-math, no fused operations): the bits the Lua script produces too.
// int8, int32 and int64 sums wrap as two's complement.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_ACCUM_ELEMENT_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_ACCUM_ELEMENT_H_

#include <cstddef>

namespace tfra {
namespace redis_table {

// The value types accum adds: upstream's HMACCUM's five.
enum class AccumElement { kFloat, kDouble, kInt32, kInt64, kInt8 };

// The type named by `name` (TensorFlow's DataTypeString: "float", "double",
// "int32", "int64", "int8"; exact, case-sensitive, as upstream's HMACCUM
// reads its dtype argument). False for any other name.
bool AccumElementFromName(const char* name, size_t length,
                          AccumElement* element);

// The name AccumElementFromName reads (HMACCUM's dtype argument).
const char* AccumElementName(AccumElement element);

// Bytes of one element.
size_t AccumElementBytes(AccumElement element);

// sum[j] = row[j] + delta[j] for the bytes / AccumElementBytes(element)
// elements (`bytes` must be a multiple of it). `sum` may be `row` itself; no
// other overlap is allowed.
void AddRows(AccumElement element, const char* row, const char* delta,
             char* sum, size_t bytes);

}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_ACCUM_ELEMENT_H_

// Adding a delta row into a stored row on the client, for accum's
// transaction path (accum_transaction.h). Results equal the accum script's
// (accum_script.h) bit for bit: a float or double sum is rounded once (the
// script adds in double and rounds to float32, which gives the same float32
// sum), int8 and int32 sums wrap as two's complement. int64 sums are exact
// and wrap, where the script's Lua doubles are exact only within +-2^53.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_ACCUM_ROWS_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_ACCUM_ROWS_H_

#include <string_view>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/accum_script.h"

namespace tfra {
namespace redis_table {

// row[j] += delta[j] for every element; `row` holds delta.size() bytes, a
// multiple of AccumElementBytes(element). Both are little-endian raw
// elements (the stored value format), any alignment.
void AddRowInPlace(AccumElement element, std::string_view delta, char* row);

}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_ACCUM_ROWS_H_

// Compact stored rows for float32 tables (opt-in, config key
// redis_value_encoding): a row is stored in fewer bytes than its dim x 4, and
// lookups decode it back to float32. Memory in Redis and bytes on the wire
// shrink; values lose precision:
//   raw       dim x 4 bytes, the float32 elements (the default; what TFRA 0.8
//             stores and reads);
//   float16   dim x 2 bytes, IEEE half precision, rounded to nearest even
//             (11 significant bits; magnitudes above 65504 become infinite,
//             below 2^-24 zero);
//   bfloat16  dim x 2 bytes, the upper half of the float32, rounded to
//             nearest even (8 significant bits, float32's range);
//   int8      4 + dim bytes: a float32 scale s = max|x| / 127 over the row's
//             finite elements, then each element as round(x / s) in
//             [-127, 127], read back as q * s: the error is at most s / 2
//             (plus float rounding); +-inf become +-127 (+-max|x|), NaN 0.
// All little endian. Upstream TFRA cannot read rows stored this way.
// Pure functions; thread-safe.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_ROW_ENCODING_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_ROW_ENCODING_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/table_status.h"

namespace tfra {
namespace redis_table {

enum class RowEncoding { kRaw, kFloat16, kBfloat16, kInt8 };

// The config's names: "raw", "float16", "bfloat16", "int8".
std::string_view RowEncodingName(RowEncoding encoding);
// False for any other name.
bool RowEncodingFromName(std::string_view name, RowEncoding* encoding);
// The names, comma-separated, for messages and docs.
std::string_view RowEncodingNames();

// Stored bytes of a row of `dim` float32 elements.
size_t EncodedRowBytes(RowEncoding encoding, size_t dim);

// Writes EncodedRowBytes(encoding, dim) bytes for `row` to `out`.
void EncodeFloatRow(RowEncoding encoding, const float* row, size_t dim,
                    char* out);

// Decodes a stored row into `dim` floats. InvalidArgument, with nothing
// written, unless `stored` has EncodedRowBytes(encoding, dim) bytes.
Status DecodeFloatRow(RowEncoding encoding, std::string_view stored,
                      size_t dim, float* out);

// The element conversions, exposed for tests.
uint16_t FloatToHalf(float value);
float HalfToFloat(uint16_t half);
uint16_t FloatToBfloat16(float value);
float Bfloat16ToFloat(uint16_t bits);

}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_ROW_ENCODING_H_

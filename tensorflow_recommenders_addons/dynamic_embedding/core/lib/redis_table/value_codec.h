// Byte layout of keys (HASH fields) and values (HASH values), identical to
// upstream TFRA (spec 4.3) so that existing Redis data stays readable:
//   - int32 key: 4 bytes, int64 key: 8 bytes, two's complement, little endian;
//     string key: its raw bytes (no length, no NUL);
//   - numeric row: dim x sizeof(V) raw bytes, row-major (float 4, double 8,
//     int32 4, int64 8, int8 1, half 2, bfloat16 2, bool 1);
//   - string row: for each of the dim elements, a 4-byte unsigned little-
//     endian length, then that many bytes.
// Unlike upstream, decoding is strict: a stored value of the wrong size or
// with broken framing is an InvalidArgument naming expected and actual sizes,
// never an over-read.
//
// TF-free: numeric rows are plain memory (half/bfloat16 are any 2-byte
// trivially copyable type), string elements come in as std::string_view and
// go out through a writer callback, so the kernel can fill tstrings.
// All functions are pure and thread-safe.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_VALUE_CODEC_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_VALUE_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/table_status.h"

// The layout is defined as the in-memory layout of a little-endian machine;
// a big-endian port would need byte swaps here and only here.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the TFRA Redis data layout assumes a little-endian host");

namespace tfra {
namespace redis_table {

// ---- Keys ----------------------------------------------------------------

// The field bytes of a numeric key: a view of the key's own memory (valid as
// long as `key` is), so argv can point into the caller's tensor.
template <typename K>
std::string_view KeyBytes(const K& key) {
  static_assert(std::is_same_v<K, int32_t> || std::is_same_v<K, int64_t>,
                "numeric keys are int32 or int64");
  return std::string_view(reinterpret_cast<const char*>(&key), sizeof(K));
}

// String keys are stored as their bytes.
inline std::string_view KeyBytes(std::string_view key) { return key; }

// Reads a numeric key back from a field; InvalidArgument unless the field
// has exactly sizeof(K) bytes.
Status DecodeKeyBytes(std::string_view field, size_t key_size, void* key);

template <typename K>
Status DecodeKey(std::string_view field, K* key) {
  static_assert(std::is_same_v<K, int32_t> || std::is_same_v<K, int64_t>,
                "numeric keys are int32 or int64");
  return DecodeKeyBytes(field, sizeof(K), key);
}

// ---- Numeric rows ----------------------------------------------------------

// The stored bytes of one row of `dim` elements: a view of the row's memory.
template <typename V>
std::string_view PodRowBytes(const V* row, size_t dim) {
  static_assert(std::is_trivially_copyable_v<V>, "POD values only");
  return std::string_view(reinterpret_cast<const char*>(row), dim * sizeof(V));
}

// Copies a stored row into `out` (row_bytes bytes). InvalidArgument, with
// nothing written, unless stored.size() == row_bytes.
Status DecodePodRowBytes(std::string_view stored, size_t row_bytes,
                         size_t element_size, void* out);

template <typename V>
Status DecodePodRow(std::string_view stored, size_t dim, V* out) {
  static_assert(std::is_trivially_copyable_v<V>, "POD values only");
  return DecodePodRowBytes(stored, dim * sizeof(V), sizeof(V), out);
}

// ---- String rows -----------------------------------------------------------

// Size of the framed encoding of `dim` elements.
size_t StringRowEncodedSize(const std::string_view* elements, size_t dim);

// Appends the framed encoding of `elements[0..dim)` to `out`.
// InvalidArgument if an element is 4 GiB or longer (its length does not fit
// the 4-byte prefix); `out` is then unchanged.
Status AppendStringRow(const std::string_view* elements, size_t dim,
                       std::string* out);

// Receives element `index` of a decoded string row. The view points into the
// stored bytes and is valid only during the call.
using StringElementWriter =
    std::function<void(size_t index, std::string_view element)>;

// Decodes a framed row of exactly `dim` elements. The whole value is checked
// first (every length within bounds, no bytes left over); on any violation
// the result is InvalidArgument and `write` is never called.
Status DecodeStringRow(std::string_view stored, size_t dim,
                       const StringElementWriter& write);

}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_VALUE_CODEC_H_

// Server-side accumulation of embedding deltas as one Lua script per bucket
// command. Redis runs a script atomically, so two writers adding deltas to
// the same key never lose an update, and no custom module (upstream's
// HMACCUM) has to be loaded into the server.
//
// Semantics per (field, value, exists) triple, the same as HMACCUM:
//   field present, exists = 1 -> stored row += value (element-wise);
//   field absent,  exists = 0 -> stored row  = value;
//   otherwise                 -> nothing (the caller's view was stale).
// A stored row whose size differs from the delta's fails the script, naming
// the field, instead of being skipped silently.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_REDIS_IMPL_ACCUM_SCRIPT_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_REDIS_IMPL_ACCUM_SCRIPT_H_

#include <optional>
#include <string_view>

namespace tfra {
namespace redis_table {

// Element types the script can add. Redis' Lua numbers are doubles, so int64
// sums are exact while they stay within +-2^53.
enum class AccumElement { kFloat, kDouble, kInt32, kInt64, kInt8 };

// The element type for a TensorFlow dtype name ("float", "double", "int32",
// "int64", "int8"); nullopt for types that cannot be accumulated.
std::optional<AccumElement> AccumElementFromDtypeName(std::string_view name);

// Lua `struct` format of one element ("<f", "<d", ...).
std::string_view AccumStructFormat(AccumElement element);

// The script: KEYS[1] = bucket; ARGV[1] = struct format; ARGV[2] = element
// size in bytes; ARGV[3] = one byte (0/1) per pair; ARGV[4..] = field, value
// pairs. Returns the number of rows written.
std::string_view AccumScript();

}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_REDIS_IMPL_ACCUM_SCRIPT_H_

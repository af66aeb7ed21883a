// Server-side accumulation of embedding deltas as one Lua script per bucket
// command. Redis runs a script atomically, so two writers adding deltas to
// the same key never lose an update, and no custom module (upstream's
// HMACCUM) has to be loaded into the server. Accum tries a cheaper optimistic
// transaction first (accum_transaction.h); the script takes the units that
// conflict with other writers, and reports errors such as a row of the
// wrong size.
//
// Semantics per (field, value, exists) triple, the same as HMACCUM:
//   field present, exists = 1 -> stored row += value (element-wise);
//   field absent,  exists = 0 -> stored row  = value;
//   otherwise                 -> nothing (the caller's view was stale).
// Triples apply in order, so a field given twice sees its first update.
// A stored row whose size differs from the delta's fails the script, naming
// the field (hex), instead of being skipped silently; a failed script writes
// nothing, because it reads every row before it writes any.
//
// Speed: the script reads the chunk with one HMGET and writes it with one
// HSET (sliced below Lua's 8000-value stack limit), and adds a row with one
// struct.unpack and one struct.pack per group of elements (64 elements
// through a generated Lua function when the call has 128 rows or more)
// instead of calls per element. Commands name the script by its SHA1
// (EVALSHA), so its body is not resent; a node that has not cached it
// answers NOSCRIPT and only its chunks are resent with EVAL.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_ACCUM_SCRIPT_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_ACCUM_SCRIPT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/accum_element.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/table_status.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/command.h"

namespace tfra {
namespace redis_table {

// Lua `struct` format of one element ("<f", "<d", ...). Redis' Lua numbers
// are doubles, so int64 sums are exact while they stay within +-2^53;
// int8/int32 sums wrap like two's complement; a float sum is rounded to
// float32 once, which gives the float32 sum exactly (a double holds the exact
// sum of two float32 values closely enough for one rounding to be correct).
std::string_view AccumStructFormat(AccumElement element);

// The script: KEYS[1] = bucket; ARGV[1] = struct format; ARGV[2] = element
// size in bytes; ARGV[3] = one byte (0/1) per pair; ARGV[4..] = field, value
// pairs. Returns the number of rows written.
std::string_view AccumScript();

// Lower-case hex SHA1 of AccumScript(): the name EVALSHA knows it by.
std::string_view AccumScriptSha1();

// The command for keys order[begin, end) of one bucket: EVALSHA when
// `by_sha`, else EVAL with the body (which also caches it on that node).
// fields, deltas and exists are indexed by key; views are borrowed.
redis_client::Command AccumCommand(bool by_sha, std::string_view bucket,
                                   AccumElement element,
                                   const std::vector<std::string_view>& fields,
                                   const std::vector<std::string_view>& deltas,
                                   const std::vector<uint8_t>& exists,
                                   const std::vector<size_t>& order,
                                   size_t begin, size_t end);

// True when `status` comes from a NOSCRIPT reply: the node did not have the
// script cached (first use, SCRIPT FLUSH, a restart or a failover), nothing
// ran, and the same chunk can be resent with EVAL.
bool IsNoScriptError(const Status& status);

}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_ACCUM_SCRIPT_H_

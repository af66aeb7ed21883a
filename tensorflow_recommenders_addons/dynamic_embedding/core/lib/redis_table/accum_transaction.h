// Accum's fast path: a bucket's rows are read under WATCH, the deltas added
// on the client (accum_rows.h), and the sums written back in MULTI / EXEC.
// If anything writes the bucket in between, Redis discards the EXEC and
// nothing is written, so no concurrent update is lost; the unit is then
// read again once, and after a second conflict it is left to the accum
// script (accum_script.h), which is atomic by itself and cannot starve.
// The server only runs HMGET and HSET, so this costs about one read and one
// write of the rows, where the script's Lua arithmetic costs many times more
// (see the benchmark in tools/bench).
//
// The semantics are the script's: per (field, delta, exists) in input order,
// a stored row gains the delta when exists, an absent row becomes the delta
// when !exists, anything else is left alone.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_ACCUM_TRANSACTION_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_ACCUM_TRANSACTION_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/accum_script.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/key_batch.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/table_status.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/executor.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/redis_client.h"

namespace tfra {
namespace redis_table {

// One accum call; everything borrowed, indexed by key.
struct AccumRequest {
  const KeyBatch* keys;
  const std::vector<std::string_view>* deltas;
  const std::vector<uint8_t>* exists;
  AccumElement element;
};

// Where the transactions run and how they are cut.
struct AccumTarget {
  redis_client::RedisClient* client;
  const std::vector<std::string>* bucket_keys;  // Redis key of each bucket
  size_t keys_per_command;                       // >= 1
  std::string context;                           // "accum in table 'emb'"
};

// Runs the transactions, buckets in parallel on `executor` (null: in turn),
// each bucket's keys in input order, in units of a few MB. Sets committed[i]
// for each key whose update is done. Everything else is left at 0 for the
// script path, in order: a bucket stops at its first unit that does not
// commit, so a later unit never overtakes an earlier update of the same key.
// That happens after two conflicts, a redirection, a stored row of another
// size than its delta, an error reply or any failure before EXEC was sent;
// the script path then reports what is wrong. Fails only when some writes may
// have run: a transport failure while committing, an error reply at EXEC, or
// (durable writes) a WAIT after a commit that too few replicas answered.
Status AccumByTransactions(const AccumTarget& target,
                           const AccumRequest& request,
                           redis_client::Executor* executor,
                           std::vector<uint8_t>* committed);

}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_ACCUM_TRANSACTION_H_

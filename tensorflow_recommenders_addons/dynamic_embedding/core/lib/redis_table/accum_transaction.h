// Accum's fast paths, per bucket. Where the bucket's master loads our
// HMACCUM module, the deltas are added inside Redis (accum_module.h).
// Elsewhere the rows are read under WATCH, the deltas added on the client
// (accum_element.h), and the sums written back in MULTI / EXEC.
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

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/accum_request.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/table_status.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/executor.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/redis_client.h"

namespace tfra {
namespace redis_table {

// Runs the buckets in parallel on `executor` (null: in turn), each bucket's
// keys in input order: by HMACCUM where the master has our module (when
// target.use_module), else by transactions in units of a few MB. A big call
// (more keys than an insert runs inline) on a bucket with the module splits
// the bucket's keys into parts by a hash of the field, as an insert's lanes
// do, and runs the parts' HMACCUMs on connections of their own at once;
// every copy of a key is in one part, in input order. Sets committed[i] for
// each key whose update is done. Everything else is left at 0 for the
// script path, in order: a bucket (or part) stops at its first unit (or
// HMACCUM chunk) that does not commit, so a later one never overtakes an
// earlier update of the same key. A transaction unit stops there after two
// conflicts, a redirection, a stored row of another size than its delta, an
// error reply or any failure before EXEC was sent; an HMACCUM chunk after a
// reply that says it did not run (accum_module.h). The script path then
// reports what is wrong. Fails when some writes may have run: a transport
// failure while committing or while HMACCUM commands were out, an error
// reply at EXEC, an HMACCUM that failed (a row of the wrong size), or
// (durable writes) a WAIT after them that too few replicas answered.
Status AccumByModuleOrTransactions(const AccumTarget& target,
                                   const AccumRequest& request,
                                   redis_client::Executor* executor,
                                   std::vector<uint8_t>* committed);

}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_ACCUM_TRANSACTION_H_

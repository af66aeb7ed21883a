// Accum through the HMACCUM server module (core/redis_module), on the nodes
// that load it: one command per chunk adds the deltas inside Redis, so a row
// crosses the wire once, as for HSET, instead of being read and written back
// (the transaction path) or added by Lua (the script path). The semantics are
// the other paths': per (field, delta, exists) in input order, a stored row
// gains the delta when exists, an absent row becomes the delta when !exists,
// anything else is left alone; a stored row of another size than its delta
// fails the command, which then writes nothing (the same error text).
//
// Which nodes: COMMAND INFO HMACCUM, asked once per connection
// (Connection::SupportOf). Only a module that flags HMACCUM as a write
// counts, i.e. ours: TFRA 0.8's flags it readonly, so its sums never reach
// replicas or the AOF, and the table uses the module-free paths there.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_ACCUM_MODULE_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_ACCUM_MODULE_H_

#include <cstddef>
#include <string_view>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/accum_request.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/key_chunks.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/table_status.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/command.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/connection.h"

namespace tfra {
namespace redis_table {

// HMACCUM bucket dtype f1 d1 ... fn dn exists, for keys order[begin, end)
// of `request` (fields and deltas borrowed, the exists bytes owned).
redis_client::Command HmaccumCommand(std::string_view bucket,
                                     const AccumRequest& request,
                                     const std::vector<size_t>& order,
                                     size_t begin, size_t end);

// Whether the node `connection` reaches has our HMACCUM (present and flagged
// as a write). A failed query counts as absent: the other paths then run,
// and report what is wrong.
bool HasReplicatedHmaccum(redis_client::Connection& connection);

// Runs chunks [first, last) of `chunked` (all of one bucket, in order) as one
// pipeline of HMACCUM commands on `connection`, and sets *done to the number
// of leading chunks that ran. A transport failure fails the call (which
// commands ran is then unknown, and an HMACCUM is never resent: it would add
// its deltas twice). When every reply from some chunk on is an error that
// means the command did not run (a redirection, TRYAGAIN and the like, an ACL
// refusal, or "unknown command" after the module was unloaded), those
// chunks are left to the caller (*done stops there) and the call succeeds;
// any other error reply fails it.
Status AccumChunksByModule(redis_client::Connection& connection,
                           const AccumTarget& target,
                           const AccumRequest& request,
                           const KeyChunks& chunked, size_t first, size_t last,
                           size_t* done);

}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_ACCUM_MODULE_H_

// The one translation of Redis client errors into table errors: transient
// failures (I/O, timeouts, redirections that outlasted the retry budget,
// TRYAGAIN, ...) become Unavailable, set-up problems (wrong password, ACL,
// invalid options) FailedPrecondition, server error replies (WRONGTYPE, a
// script error) InvalidArgument or Internal, and a write that lost its reply
// and may have been applied (repeat_rule.h) OutcomeUnknown. The message keeps the client's
// text, which names the node, the command and the attempts.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_CLIENT_STATUS_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_CLIENT_STATUS_H_

#include <string_view>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/table_status.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/status.h"

namespace tfra {
namespace redis_table {

// `context` says what was being done, e.g. "find in table 'emb'".
Status FromClientStatus(const redis_client::Status& status,
                        std::string_view context);

}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_CLIENT_STATUS_H_

// Optimistic transactions on one leased connection (WATCH / MULTI / EXEC):
// read a key under WATCH, compute on the client, then write only if nobody
// changed the key in between. When someone did, the server discards the
// whole EXEC and writes nothing, so the caller may read again or take
// another path. The server runs only plain reads and writes, which is what
// makes this cheaper than computing in a Lua script.
//
// Use from inside RedisClient::WithMasterConnection: WATCH state belongs to
// the connection, so every WatchAndRead must be followed on the same
// connection by CommitWatched or Unwatch before the lease ends.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_TRANSACTION_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_TRANSACTION_H_

#include <functional>
#include <string_view>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/connection.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/pipeline.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/status.h"

namespace tfra {
namespace redis_client {

// Sends WATCH `key` and `reads` as one pipeline and hands each read's reply
// (error replies included) to `on_reply`, indexed into `reads`, as it is
// read. `while_sent` (if any) runs once the first window of commands is out
// and before any reply is read: client work that overlaps the server's.
// A WATCH that failed (e.g. MOVED in a cluster) is the returned status,
// after every reply was read; the watch is then not in place.
Status WatchAndRead(Connection& connection, std::string_view key,
                    const CommandRefs& reads, const ReplyFn& on_reply,
                    const std::function<void()>& while_sent = nullptr);

enum class CommitOutcome {
  kCommitted,  // every write ran
  // Nothing ran: a watched key changed since WATCH, or the server refused a
  // queued write (e.g. MOVED), which makes it discard the whole EXEC.
  kNotRun,
};

// Sends MULTI, `writes` and EXEC as one pipeline; the watch ends either way.
// An error status means some writes may have run: a transport failure (the
// outcome is unknown), or an error reply of a write at EXEC time (which
// Redis does not roll back), named in the message.
Result<CommitOutcome> CommitWatched(Connection& connection,
                                    const CommandRefs& writes);

// Drops the watch of a WatchAndRead the caller does not commit.
Status Unwatch(Connection& connection);

}  // namespace redis_client
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_TRANSACTION_H_

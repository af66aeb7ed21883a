// The narrow interface the table layer talks to. Commands come with a
// routing key: every command of one pipeline touches the same (hash-tagged)
// key, so a cluster can route the whole pipeline by one slot and a single
// node simply ignores the key. (The table layer's routing keys are its bucket
// keys; this layer knows nothing of buckets.) Modes differ only behind this
// interface (single_node_client for standalone/sentinel, cluster_client for
// cluster).
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_REDIS_CLIENT_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_REDIS_CLIENT_H_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/command.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/executor.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/options.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/pipeline.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/reply.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/status.h"

namespace tfra {
namespace redis_client {

// kRead may be served by a replica when ClientOptions::read_from_replicas is
// set (replicas lag: use it only for reads that tolerate staleness).
enum class Access { kWrite, kRead };

// Commands that all touch `routing_key`, so they go to one node.
struct RoutedCommands {
  std::string_view routing_key;  // borrowed, like the commands' arguments
  std::vector<Command> commands;
};

// Implementations are thread-safe: any number of threads may call any method
// concurrently (each call leases its own connections).
class RedisClient {
 public:
  virtual ~RedisClient() = default;

  virtual Mode mode() const = 0;

  // Runs `commands` as one pipeline on the node serving `routing_key` and
  // returns one reply per command, in order. Server error replies stay in the
  // replies (reply.ToStatus()); a transport failure, or redirections that
  // outlast the retry budget, fail the call with a message naming the node,
  // the command and the attempts.
  virtual Result<std::vector<Reply>> RunPipeline(
      std::string_view routing_key, const std::vector<Command>& commands,
      Access access) = 0;

  // Runs the commands of many routing keys and hands each final reply to
  // `on_reply` as soon as it is read (a caller decodes it while it is in
  // cache); `index` counts all groups' commands in group order. Redirections
  // and replies that are retried are never handed over. The cluster client
  // merges the groups per node and sends to the nodes in parallel through
  // `executor` (nullptr: interleaved from the calling thread), so `on_reply`
  // may run concurrently, for different indexes. On failure, the replies
  // handed over are of commands that ran.
  virtual Status StreamPipelines(const std::vector<RoutedCommands>& groups,
                                 Access access, Executor* executor,
                                 const ReplyFn& on_reply) = 0;

  // StreamPipelines with the replies collected; indexed like `groups`.
  Result<std::vector<std::vector<Reply>>> RunPipelines(
      const std::vector<RoutedCommands>& groups, Access access,
      Executor* executor);

  // Calls `fn` once per master node (one for standalone/sentinel), stopping
  // at the first error, which is returned naming the node. For whole-database
  // operations: SCAN, FLUSHDB, INFO, SCRIPT LOAD.
  virtual Status ForEachMaster(
      const std::function<Status(NodeSession&)>& fn) = 0;

  // Leases one connection to the master serving `routing_key` and runs `fn`
  // on it, for command sequences that must share a connection (WATCH ...
  // EXEC, see transaction.h). Nothing is retried or redirected here: a
  // cluster node that no longer serves the key answers fn's commands with
  // MOVED, and fn decides what to do. Errors name the node.
  virtual Status WithMasterConnection(
      std::string_view routing_key,
      const std::function<Status(Connection&)>& fn) = 0;

  // One command; RunPipeline of a single command.
  Result<Reply> Run(std::string_view routing_key, const Command& command,
                    Access access);

  // All keys matching the glob `pattern` on every master (SCAN, duplicates
  // removed, unordered).
  Result<std::vector<std::string>> ScanKeys(std::string_view pattern);

  // PING on every master.
  Status Ping();
};

// Cuts the replies of all groups' commands, sent in group order, back into
// one vector per group (for RunPipelines implementations).
std::vector<std::vector<Reply>> SplitPerGroup(
    const std::vector<RoutedCommands>& groups, std::vector<Reply> flat);

}  // namespace redis_client
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_REDIS_CLIENT_H_

// Talking to Redis Sentinels: which node is the master (or a healthy
// replica) of a master set, and whether a connected node really has the role
// the Sentinels claimed (they lag behind during a failover). Errors of all
// Sentinels are aggregated into one message.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_SENTINEL_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_SENTINEL_H_

#include <memory>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/connection.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/options.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/status.h"

namespace tfra {
namespace redis_client {

// Which node of a master set a connection must reach.
enum class NodeRole { kMaster, kReplica };

// All functions are thread-safe (they share no state; each opens its own
// short-lived Sentinel connections).

// Asks the Sentinels in order; the first one that knows the master answers.
Result<Endpoint> QueryMasterAddress(const std::vector<Endpoint>& sentinels,
                                    const SentinelOptions& options);

// Replicas the first answering Sentinel reports as connected and not down.
// May be empty.
Result<std::vector<Endpoint>> QueryReplicaAddresses(
    const std::vector<Endpoint>& sentinels, const SentinelOptions& options);

// Checks with ROLE that `connection` reaches a node of `role`.
Status CheckRole(Connection& connection, NodeRole role);

// What the node at `endpoint` is, by the first element of its ROLE reply:
// "master", "slave" or "sentinel". Opens (handshake with `options`) and
// closes a connection of its own. Lets a caller tell a Sentinel from a data
// node before choosing how to connect.
Result<std::string> ProbeRole(const Endpoint& endpoint,
                              const ConnectionOptions& options);

// Resolves a node of `role` (a random healthy replica for kReplica), opens a
// data connection with `connection_options` and checks its ROLE; repeats up to
// options.max_rounds times, options.round_interval apart, while the answer is
// stale or unreachable.
Result<std::unique_ptr<Connection>> ConnectThroughSentinels(
    const std::vector<Endpoint>& sentinels, const SentinelOptions& options,
    NodeRole role, const ConnectionOptions& connection_options);

}  // namespace redis_client
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_SENTINEL_H_

// What a cluster client knows about the cluster: the slot map (fetched with
// CLUSTER SLOTS from a random known node, cached, refreshed on demand) and
// one connection pool per node. It sends no data commands; routing and the
// retry loop live in ClusterRouter, as redis-plus-plus keeps its shards pool
// apart from its command loop.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_CLUSTER_TOPOLOGY_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_CLUSTER_TOPOLOGY_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/connection_pool.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/options.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/slot_map.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/status.h"

namespace tfra {
namespace redis_client {

// Thread-safe: the slot map is an immutable snapshot swapped under a lock,
// at most one refresh runs at a time, and pools are made once per node.
class ClusterTopology {
 public:
  // `options.endpoints` are the seeds; connects lazily.
  explicit ClusterTopology(const ClientOptions& options);
  ~ClusterTopology();

  // The current map (null before the first refresh) and its version, which
  // every refresh increments.
  std::shared_ptr<const SlotMap> Snapshot(uint64_t* version) const;

  // The current map, fetching one first if there is none yet.
  Result<std::shared_ptr<const SlotMap>> CurrentMap();

  // Fetches CLUSTER SLOTS from a randomly chosen known node (seeds and nodes
  // of the current map), trying the others in random order on failure.
  Status Refresh();

  // Refresh, unless the map changed since `seen_version` (another thread
  // already refreshed): N threads that met the same MOVED refresh once.
  Status RefreshUnlessNewer(uint64_t seen_version);

  // The pool of connections to `node` (sending READONLY first when
  // `readonly`, for replica reads), made on first use and kept while this
  // object lives.
  std::shared_ptr<ConnectionPool> PoolFor(const Endpoint& node, bool readonly);

 private:
  using PoolKey = std::pair<Endpoint, bool>;  // node, readonly

  std::vector<Endpoint> KnownNodes(const SlotMap* map) const;
  Result<SlotMap> FetchSlotMap(const Endpoint& node) const;

  const std::vector<Endpoint> seeds_;
  const ConnectionOptions connection_options_;
  const PoolOptions pool_options_;

  std::mutex refresh_mu_;  // serialises refreshes; taken before map_mu_
  mutable std::mutex map_mu_;
  std::shared_ptr<const SlotMap> map_;  // guarded by map_mu_
  uint64_t map_version_ = 0;            // guarded by map_mu_
  std::mutex pools_mu_;
  std::map<PoolKey, std::shared_ptr<ConnectionPool>>
      pools_;  // guarded by pools_mu_
};

}  // namespace redis_client
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_CLUSTER_TOPOLOGY_H_

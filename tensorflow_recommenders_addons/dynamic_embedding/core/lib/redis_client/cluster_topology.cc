#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/cluster_topology.h"

#include <algorithm>
#include <random>
#include <set>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/command.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/connection.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/endpoint_provider.h"

namespace tfra {
namespace redis_client {

ClusterTopology::ClusterTopology(const ClientOptions& options)
    : seeds_(options.endpoints),
      connection_options_(options.connection),
      pool_options_(options.pool) {}

ClusterTopology::~ClusterTopology() = default;

std::shared_ptr<const SlotMap> ClusterTopology::Snapshot(
    uint64_t* version) const {
  std::lock_guard<std::mutex> lock(map_mu_);
  *version = map_version_;
  return map_;
}

Result<std::shared_ptr<const SlotMap>> ClusterTopology::CurrentMap() {
  uint64_t version = 0;
  std::shared_ptr<const SlotMap> map = Snapshot(&version);
  if (map != nullptr) return map;
  TFRA_REDIS_RETURN_IF_ERROR(RefreshUnlessNewer(version));
  map = Snapshot(&version);
  if (map == nullptr) return Status(ErrorCode::kNoNode, "cluster: no slot map");
  return map;
}

Status ClusterTopology::Refresh() {
  uint64_t version = 0;
  Snapshot(&version);
  return RefreshUnlessNewer(version);
}

Status ClusterTopology::RefreshUnlessNewer(uint64_t seen_version) {
  std::lock_guard<std::mutex> refresh_lock(refresh_mu_);
  uint64_t version = 0;
  std::shared_ptr<const SlotMap> current = Snapshot(&version);
  if (version != seen_version) return Status::Ok();  // refreshed meanwhile
  StatusList errors;
  for (const Endpoint& node : KnownNodes(current.get())) {
    Result<SlotMap> map = FetchSlotMap(node);
    if (map.ok()) {
      auto fresh = std::make_shared<const SlotMap>(std::move(map).value());
      std::lock_guard<std::mutex> lock(map_mu_);
      map_ = std::move(fresh);
      ++map_version_;
      return Status::Ok();
    }
    errors.Add(map.status());
  }
  return errors.Combine("cluster: no node answered CLUSTER SLOTS");
}

std::shared_ptr<ConnectionPool> ClusterTopology::PoolFor(const Endpoint& node,
                                                         bool readonly) {
  std::lock_guard<std::mutex> lock(pools_mu_);
  std::shared_ptr<ConnectionPool>& pool = pools_[PoolKey(node, readonly)];
  if (pool == nullptr) {
    pool = std::make_shared<ConnectionPool>(
        std::make_shared<FixedEndpointProvider>(node, readonly),
        connection_options_, pool_options_);
  }
  return pool;
}

// Seeds and the nodes of `map`, in random order, so no single node (say, a
// dead first seed) is asked first every time.
std::vector<Endpoint> ClusterTopology::KnownNodes(const SlotMap* map) const {
  std::set<Endpoint> unique(seeds_.begin(), seeds_.end());
  if (map != nullptr) {
    for (const Endpoint& node : map->Nodes()) unique.insert(node);
  }
  std::vector<Endpoint> nodes(unique.begin(), unique.end());
  std::shuffle(nodes.begin(), nodes.end(),
               std::minstd_rand(std::random_device{}()));
  return nodes;
}

// Transport errors already name the node; reply errors get it added.
Result<SlotMap> ClusterTopology::FetchSlotMap(const Endpoint& node) const {
  Result<std::unique_ptr<Connection>> connection =
      Connection::Open(node, connection_options_);
  if (!connection.ok()) return connection.status();
  Result<Reply> reply = (*connection)->Run(ClusterSlots());
  if (!reply.ok()) return reply.status();
  Result<SlotMap> map = SlotMap::FromClusterSlots(reply->view(), node);
  if (!map.ok()) return map.status().WithContext(node.ToString());
  return map;
}

}  // namespace redis_client
}  // namespace tfra

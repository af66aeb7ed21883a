// RedisClient over a Redis Cluster: routes each pipeline by the hash slot of
// its routing key through a ClusterRouter, which owns the retry loop (and,
// in its ClusterTopology, the slot map and the per-node pools). This file
// only maps routing keys to slots.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_CLUSTER_CLIENT_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_CLUSTER_CLIENT_H_

#include <memory>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/cluster_router.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/options.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/redis_client.h"

namespace tfra {
namespace redis_client {

// Thread-safe (see RedisClient).
class ClusterClient : public RedisClient {
 public:
  // `options` must have passed ValidateOptions with Mode::kCluster. Connects
  // lazily: the slot map is fetched by the first call.
  explicit ClusterClient(const ClientOptions& options);

  Mode mode() const override { return Mode::kCluster; }
  Result<std::vector<Reply>> RunPipeline(std::string_view routing_key,
                                         const std::vector<Command>& commands,
                                         Access access) override;
  // One pipeline per node per attempt, nodes in parallel on `executor`.
  Status StreamPipelines(const std::vector<RoutedCommands>& groups,
                         Access access, Executor* executor,
                         const ReplyFn& on_reply) override;
  Status ForEachMaster(const std::function<Status(NodeSession&)>& fn) override;
  // The master the current slot map names (fetched first if there is none).
  Status WithMasterConnection(
      std::string_view routing_key,
      const std::function<Status(Connection&)>& fn) override;

  ClusterRouter& router() { return router_; }

 private:
  ClusterRouter router_;
};

}  // namespace redis_client
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_CLUSTER_CLIENT_H_

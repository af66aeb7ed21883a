#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/cluster_client.h"

#include <utility>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/hash_slot.h"

namespace tfra {
namespace redis_client {

ClusterClient::ClusterClient(const ClientOptions& options) : router_(options) {}

Result<std::vector<Reply>> ClusterClient::RunPipeline(
    std::string_view routing_key, const std::vector<Command>& commands,
    Access access) {
  const uint16_t slot = HashSlot(routing_key);
  std::vector<SlotCommand> routed;
  routed.reserve(commands.size());
  for (const Command& command : commands) routed.push_back({slot, &command});
  return router_.Execute(routed, access == Access::kRead, nullptr);
}

Status ClusterClient::StreamPipelines(const std::vector<RoutedCommands>& groups,
                                      Access access, Executor* executor,
                                      const ReplyFn& on_reply) {
  std::vector<SlotCommand> routed;
  for (const RoutedCommands& group : groups) {
    const uint16_t slot = HashSlot(group.routing_key);
    for (const Command& command : group.commands)
      routed.push_back({slot, &command});
  }
  return router_.Execute(routed, access == Access::kRead, executor, on_reply);
}

Status ClusterClient::ForEachMaster(
    const std::function<Status(NodeSession&)>& fn) {
  return router_.ForEachMaster(fn);
}

Status ClusterClient::WithMasterConnection(
    std::string_view routing_key,
    const std::function<Status(Connection&)>& fn) {
  return router_.WithMasterConnection(HashSlot(routing_key), fn);
}

}  // namespace redis_client
}  // namespace tfra

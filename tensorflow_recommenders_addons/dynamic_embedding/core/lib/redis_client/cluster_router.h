// Routing in a Redis Cluster, and the one bounded retry loop: commands of a
// batch are grouped per node (by the slot map of a ClusterTopology), each
// node's group is one pipeline, and MOVED, ASK, TRYAGAIN, CLUSTERDOWN and
// transport failures are retried with backoff. The groups of an attempt run
// in parallel on an Executor, or interleaved on the calling thread.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_CLUSTER_ROUTER_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_CLUSTER_ROUTER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/cluster_topology.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/command.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/connection.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/executor.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/options.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/pipeline.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/replica_ack.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/reply.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/status.h"

namespace tfra {
namespace redis_client {

// A borrowed command and the slot of the key it touches.
struct SlotCommand {
  uint16_t slot = 0;
  const Command* command = nullptr;
};

// Thread-safe: Execute, ForEachMaster and WithMasterConnection may run
// concurrently from many threads (see ClusterTopology).
class ClusterRouter {
 public:
  // `options.endpoints` are the seeds; connects lazily.
  explicit ClusterRouter(const ClientOptions& options);
  ~ClusterRouter();

  // Runs every command on the node serving its slot (a replica for reads when
  // `prefer_replicas` and read_from_replicas are set) and hands each final
  // reply to `on_reply` as soon as it is read, with its index in `commands`;
  // groups run in parallel on `executor`, so calls may be concurrent.
  // Without an executor (nullptr), one thread drives every node's pipeline
  // window at once (PipelineWindow), so the nodes still work in parallel.
  // Redirected and transiently failed commands are retried (their replies
  // are never handed over), at most cluster.max_attempts attempts in all;
  // commands that got any other error reply get it as their reply. A
  // transport failure resends the commands of the node's group that got no
  // reply, when all of those that were sent are safe to repeat
  // (repeat_rule.h); otherwise the pipeline's failure is kOutcomeUnknown and
  // fails the call, so no update is applied twice. The final error names the
  // node, the command and the attempts. Writes (!prefer_replicas) end each
  // node's group with WAIT when durable writes are on (replica_ack.h).
  Status Execute(const std::vector<SlotCommand>& commands,
                 bool prefer_replicas, Executor* executor,
                 const ReplyFn& on_reply);
  // Execute with the replies collected, indexed like `commands`.
  Result<std::vector<Reply>> Execute(const std::vector<SlotCommand>& commands,
                                     bool prefer_replicas, Executor* executor);

  // Calls `fn` for each master of the current slot map, in slot order.
  Status ForEachMaster(const std::function<Status(NodeSession&)>& fn);

  // Runs `fn` on a leased connection to the master the current map names
  // for `slot`, then WAIT when durable writes are on; no retries (see
  // RedisClient::WithMasterConnection).
  Status WithMasterConnection(uint16_t slot,
                              const std::function<Status(Connection&)>& fn);

  // The slot map and the pools of the nodes.
  ClusterTopology& topology() { return topology_; }

 private:
  struct Entry;
  struct Group;
  struct RetryState;
  struct GroupPipeline;

  std::vector<Group> GroupByNode(const std::vector<SlotCommand>& commands,
                                 const std::vector<Entry>& pending,
                                 const SlotMap& map, bool use_replicas,
                                 RetryState* state) const;
  GroupPipeline PipelineOf(const std::vector<SlotCommand>& commands,
                           const std::vector<Entry>& pending, bool wait,
                           Group* group) const;
  ReplyFn GroupReplyFn(const GroupPipeline& pipeline,
                       const std::vector<Entry>& pending,
                       const ReplyFn& on_reply, Group* group) const;
  // Runs every routed group's pipeline: on `executor`, or without one from
  // the calling thread, interleaved over the nodes (RunPipelinesInterleaved).
  void RunGroups(const std::vector<SlotCommand>& commands,
                 const std::vector<Entry>& pending, const ReplyFn& on_reply,
                 Executor* executor, bool wait, std::vector<Group>* groups);
  std::vector<Entry> Settle(const std::vector<SlotCommand>& commands,
                            const std::vector<Entry>& pending,
                            std::vector<Group>* groups,
                            const ReplyFn& on_reply, RetryState* state) const;
  void SettleReply(const Command& command, const Group& group, Entry entry,
                   Reply reply, std::vector<Entry>* next,
                   const ReplyFn& on_reply, RetryState* state) const;
  std::chrono::milliseconds Backoff(int retry) const;

  ClusterTopology topology_;
  const ClusterOptions cluster_options_;
  const bool read_from_replicas_;
  const Command asking_{"ASKING"};
  const ReplicaAck replica_ack_;
};

}  // namespace redis_client
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_CLUSTER_ROUTER_H_

// Routing in a Redis Cluster: the slot map (refreshed from a random known
// node), one connection pool per node, and the one bounded retry loop that
// handles MOVED, ASK, TRYAGAIN, CLUSTERDOWN and transport failures with
// backoff. Commands of a batch are grouped per node; each node's group is one
// pipeline, and the groups of an attempt run in parallel on an Executor.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_CLUSTER_ROUTER_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_CLUSTER_ROUTER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/command.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/connection_pool.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/executor.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/options.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/pipeline.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/reply.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/slot_map.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/status.h"

namespace tfra {
namespace redis_client {

// A borrowed command and the slot of the key it touches.
struct SlotCommand {
  uint16_t slot = 0;
  const Command* command = nullptr;
};

// A MOVED or ASK error reply, parsed.
struct Redirect {
  bool ask = false;  // ASK (one-off, send ASKING first) vs MOVED (permanent)
  uint16_t slot = 0;
  Endpoint target;
};

// Parses "MOVED <slot> <host>:<port>" / "ASK ..."; an empty host (a node
// that does not know its address) becomes `replied_by`'s host.
Result<Redirect> ParseRedirect(std::string_view error_text,
                               const Endpoint& replied_by);

// Thread-safe: Execute and ForEachMaster may run concurrently from many
// threads; the slot map is an immutable snapshot swapped under a lock, and
// at most one refresh runs at a time.
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
  // reply (at-least-once). The final error names the node, the command and
  // the attempts.
  Status Execute(const std::vector<SlotCommand>& commands,
                 bool prefer_replicas, Executor* executor,
                 const ReplyFn& on_reply);
  // Execute with the replies collected, indexed like `commands`.
  Result<std::vector<Reply>> Execute(const std::vector<SlotCommand>& commands,
                                     bool prefer_replicas, Executor* executor);

  // Calls `fn` for each master of the current slot map, in slot order.
  Status ForEachMaster(const std::function<Status(NodeSession&)>& fn);

  // Runs `fn` on a leased connection to the master the current map names
  // for `slot`; no retries (see RedisClient::WithMasterConnection).
  Status WithMasterConnection(uint16_t slot,
                              const std::function<Status(Connection&)>& fn);

  // Fetches CLUSTER SLOTS from a randomly chosen known node (seeds and nodes
  // of the current map), trying the others in random order on failure.
  Status Refresh();

  // The current map, fetching one first if there is none yet.
  Result<std::shared_ptr<const SlotMap>> CurrentMap();

 private:
  struct Entry;
  struct Group;
  struct RetryState;
  using PoolKey = std::pair<Endpoint, bool>;  // node, readonly

  // The current map (may be null) and its version.
  std::shared_ptr<const SlotMap> Snapshot(uint64_t* version) const;
  // Refreshes unless the map changed since `seen_version` (another thread
  // already refreshed): N threads hitting the same MOVED refresh once.
  Status RefreshUnlessNewer(uint64_t seen_version);
  std::vector<Endpoint> KnownNodes(const SlotMap* map) const;
  Result<SlotMap> FetchSlotMap(const Endpoint& node) const;
  std::shared_ptr<ConnectionPool> PoolFor(const Endpoint& node, bool readonly);
  std::vector<Group> GroupByNode(const std::vector<SlotCommand>& commands,
                                 const std::vector<Entry>& pending,
                                 const SlotMap& map, bool use_replicas,
                                 RetryState* state) const;
  struct GroupPipeline;
  GroupPipeline PipelineOf(const std::vector<SlotCommand>& commands,
                           const std::vector<Entry>& pending,
                           Group* group) const;
  static ReplyFn GroupReplyFn(const GroupPipeline& pipeline,
                              const std::vector<Entry>& pending,
                              const ReplyFn& on_reply, Group* group);
  void RunGroup(const std::vector<SlotCommand>& commands,
                const std::vector<Entry>& pending, const ReplyFn& on_reply,
                Group* group);
  // Runs every group's pipeline on the calling thread: each node gets its
  // first window, then the nodes take turns, one reply read and a top-up.
  void RunGroupsInterleaved(const std::vector<SlotCommand>& commands,
                            const std::vector<Entry>& pending,
                            const ReplyFn& on_reply, std::vector<Group>* groups);
  std::vector<Entry> Settle(const std::vector<SlotCommand>& commands,
                            const std::vector<Entry>& pending,
                            std::vector<Group>* groups,
                            const ReplyFn& on_reply, RetryState* state) const;
  void SettleReply(const Command& command, const Group& group, Entry entry,
                   Reply reply, std::vector<Entry>* next,
                   const ReplyFn& on_reply, RetryState* state) const;
  std::chrono::milliseconds Backoff(int retry) const;

  const std::vector<Endpoint> seeds_;
  const ConnectionOptions connection_options_;
  const PoolOptions pool_options_;
  const ClusterOptions cluster_options_;
  const bool read_from_replicas_;
  const Command asking_{"ASKING"};

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

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_CLUSTER_ROUTER_H_

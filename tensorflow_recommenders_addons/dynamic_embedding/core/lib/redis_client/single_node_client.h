// RedisClient over one node: a standalone server or the master a Sentinel
// deployment names. The two modes differ only in the EndpointProvider their
// pools connect through; there is no retry loop here: a failed call fails,
// its broken connection is dropped, and the next call reconnects (asking the
// Sentinels again, so calls after a failover reach the new master).
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_SINGLE_NODE_CLIENT_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_SINGLE_NODE_CLIENT_H_

#include <memory>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/connection_pool.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/options.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/redis_client.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/replica_ack.h"

namespace tfra {
namespace redis_client {

// Thread-safe (see RedisClient).
class SingleNodeClient : public RedisClient {
 public:
  // For Mode::kStandalone or Mode::kSentinel; `options` must have passed
  // ValidateOptions. Connects lazily: creation never touches the network.
  static std::unique_ptr<SingleNodeClient> Create(const ClientOptions& options);

  // `read_pool` may be null: reads then use `write_pool`. Pipelines with a
  // write end with WAIT when `durable_writes` asks for it (replica_ack.h).
  SingleNodeClient(Mode mode, std::unique_ptr<ConnectionPool> write_pool,
                   std::unique_ptr<ConnectionPool> read_pool,
                   const DurableWriteOptions& durable_writes = {});

  Mode mode() const override { return mode_; }
  Result<std::vector<Reply>> RunPipeline(std::string_view routing_key,
                                         const std::vector<Command>& commands,
                                         Access access) override;
  // All groups go out as one pipeline on one connection; `executor` is not
  // needed for a single node.
  Status StreamPipelines(const std::vector<RoutedCommands>& groups,
                         Access access, Executor* executor,
                         const ReplyFn& on_reply) override;
  Status ForEachMaster(const std::function<Status(NodeSession&)>& fn) override;
  Status WithMasterConnection(
      std::string_view routing_key,
      const std::function<Status(Connection&)>& fn) override;

 private:
  ConnectionPool& PoolFor(Access access);
  Status Send(Access access, const CommandRefs& commands,
              const ReplyFn& on_reply);

  const Mode mode_;
  const std::unique_ptr<ConnectionPool> write_pool_;
  const std::unique_ptr<ConnectionPool> read_pool_;  // may be null
  const ReplicaAck replica_ack_;
};

}  // namespace redis_client
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_SINGLE_NODE_CLIENT_H_

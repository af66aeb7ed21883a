#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/single_node_client.h"

#include <algorithm>
#include <utility>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/endpoint_provider.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/repeat_rule.h"

namespace tfra {
namespace redis_client {
namespace {

std::shared_ptr<EndpointProvider> ProviderFor(const ClientOptions& options,
                                              NodeRole role) {
  if (options.mode == Mode::kStandalone) {
    return std::make_shared<FixedEndpointProvider>(options.endpoints.front());
  }
  return std::make_shared<SentinelEndpointProvider>(options.endpoints,
                                                    options.sentinel, role);
}

// A READONLY error means the node we write to was demoted (failover without
// a restart): none of the pooled connections may be trusted any more.
bool IsDemotedMasterError(const Reply& reply) {
  return reply.is_error() && reply.text().rfind("READONLY", 0) == 0;
}

}  // namespace

std::unique_ptr<SingleNodeClient> SingleNodeClient::Create(
    const ClientOptions& options) {
  auto write_pool =
      std::make_unique<ConnectionPool>(ProviderFor(options, NodeRole::kMaster),
                                       options.connection, options.pool);
  std::unique_ptr<ConnectionPool> read_pool;
  if (options.read_from_replicas && options.mode == Mode::kSentinel) {
    read_pool = std::make_unique<ConnectionPool>(
        ProviderFor(options, NodeRole::kReplica), options.connection,
        options.pool);
  }
  return std::make_unique<SingleNodeClient>(options.mode, std::move(write_pool),
                                            std::move(read_pool),
                                            options.durable_writes);
}

SingleNodeClient::SingleNodeClient(Mode mode,
                                   std::unique_ptr<ConnectionPool> write_pool,
                                   std::unique_ptr<ConnectionPool> read_pool,
                                   const DurableWriteOptions& durable_writes)
    : mode_(mode),
      write_pool_(std::move(write_pool)),
      read_pool_(std::move(read_pool)),
      replica_ack_(durable_writes) {}

ConnectionPool& SingleNodeClient::PoolFor(Access access) {
  return access == Access::kRead && read_pool_ != nullptr ? *read_pool_
                                                          : *write_pool_;
}

Status SingleNodeClient::Send(Access access, const CommandRefs& commands,
                              const ReplyFn& on_reply) {
  if (commands.empty()) return Status::Ok();
  ConnectionPool& pool = PoolFor(access);
  const bool waits =
      access == Access::kWrite && replica_ack_.enabled() &&
      std::any_of(commands.begin(), commands.end(),
                  [](const Command* command) { return WritesData(*command); });
  CommandRefs with_wait;
  if (waits) {
    with_wait = commands;
    with_wait.push_back(&replica_ack_.command());
  }
  const CommandRefs& sent = waits ? with_wait : commands;
  bool demoted = false;
  PipelineAck ack(waits ? &replica_ack_ : nullptr);
  Status status =
      RunPipelineOnPool(pool, sent, [&](size_t index, Reply&& reply) {
        if (index == commands.size()) {
          ack.OnWait(reply);
          return;
        }
        ack.OnReply(*commands[index], reply);
        demoted = demoted || IsDemotedMasterError(reply);
        on_reply(index, std::move(reply));
      });
  if (access == Access::kWrite && demoted) pool.DiscardAll();
  return ack.Outcome(status).WithContext(ModeName(mode_));
}

Result<std::vector<Reply>> SingleNodeClient::RunPipeline(
    std::string_view /*routing_key*/, const std::vector<Command>& commands,
    Access access) {
  return CollectReplies(commands.size(), [&](const ReplyFn& on_reply) {
    return Send(access, RefsOf(commands), on_reply);
  });
}

Status SingleNodeClient::StreamPipelines(
    const std::vector<RoutedCommands>& groups, Access access,
    Executor* /*executor*/, const ReplyFn& on_reply) {
  CommandRefs all;
  for (const RoutedCommands& group : groups) {
    for (const Command& command : group.commands) all.push_back(&command);
  }
  return Send(access, all, on_reply);
}

Status SingleNodeClient::ForEachMaster(
    const std::function<Status(NodeSession&)>& fn) {
  NodeSession session(write_pool_.get());
  return fn(session).WithContext(std::string(ModeName(mode_)) + " " +
                                 write_pool_->Describe());
}

Status SingleNodeClient::WithMasterConnection(
    std::string_view /*routing_key*/,
    const std::function<Status(Connection&)>& fn) {
  const std::string context =
      std::string(ModeName(mode_)) + " " + write_pool_->Describe();
  Result<PooledConnection> lease = write_pool_->Acquire();
  if (!lease.ok()) return lease.status().WithContext(context);
  return replica_ack_.RunThenWait(**lease, fn).WithContext(context);
}

}  // namespace redis_client
}  // namespace tfra

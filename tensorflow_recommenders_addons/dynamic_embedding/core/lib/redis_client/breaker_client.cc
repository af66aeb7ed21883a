#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/breaker_client.h"

#include <utility>

namespace tfra {
namespace redis_client {

BreakerClient::BreakerClient(std::unique_ptr<RedisClient> inner,
                             const BreakerOptions& options,
                             std::string describe)
    : inner_(std::move(inner)), breaker_(options, std::move(describe)) {}

Status BreakerClient::Guarded(const std::function<Status()>& call) {
  bool probe = false;
  TFRA_REDIS_RETURN_IF_ERROR(breaker_.Admit(&probe));
  Status outcome = call();
  breaker_.Report(outcome, probe);
  return outcome;
}

Result<std::vector<Reply>> BreakerClient::RunPipeline(
    std::string_view routing_key, const std::vector<Command>& commands,
    Access access) {
  Result<std::vector<Reply>> replies = Status::ResultWithoutValue();
  Status status = Guarded([&] {
    replies = inner_->RunPipeline(routing_key, commands, access);
    return replies.status();
  });
  if (!status.ok()) return status;
  return replies;
}

Status BreakerClient::StreamPipelines(const std::vector<RoutedCommands>& groups,
                                      Access access, Executor* executor,
                                      const ReplyFn& on_reply) {
  return Guarded([&] {
    return inner_->StreamPipelines(groups, access, executor, on_reply);
  });
}

Status BreakerClient::ForEachMaster(
    const std::function<Status(NodeSession&)>& fn) {
  return Guarded([&] { return inner_->ForEachMaster(fn); });
}

Status BreakerClient::WithMasterConnection(
    std::string_view routing_key,
    const std::function<Status(Connection&)>& fn) {
  return Guarded(
      [&] { return inner_->WithMasterConnection(routing_key, fn); });
}

}  // namespace redis_client
}  // namespace tfra

// A RedisClient that puts a CircuitBreaker in front of another: every call
// asks the breaker first and reports its outcome. client_factory wraps a
// client in one when BreakerOptions::failures > 0, so one dead deployment
// trips one breaker, shared by every table that uses the client.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_BREAKER_CLIENT_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_BREAKER_CLIENT_H_

#include <memory>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/circuit_breaker.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/redis_client.h"

namespace tfra {
namespace redis_client {

// Thread-safe (see RedisClient and CircuitBreaker).
class BreakerClient : public RedisClient {
 public:
  BreakerClient(std::unique_ptr<RedisClient> inner,
                const BreakerOptions& options, std::string describe);

  Mode mode() const override { return inner_->mode(); }
  Result<std::vector<Reply>> RunPipeline(std::string_view routing_key,
                                         const std::vector<Command>& commands,
                                         Access access) override;
  Status StreamPipelines(const std::vector<RoutedCommands>& groups,
                         Access access, Executor* executor,
                         const ReplyFn& on_reply) override;
  Status ForEachMaster(const std::function<Status(NodeSession&)>& fn) override;
  Status WithMasterConnection(
      std::string_view routing_key,
      const std::function<Status(Connection&)>& fn) override;

  const CircuitBreaker& breaker() const { return breaker_; }

 private:
  // Runs `call` if the breaker admits it and reports its outcome.
  Status Guarded(const std::function<Status()>& call);

  const std::unique_ptr<RedisClient> inner_;
  CircuitBreaker breaker_;
};

}  // namespace redis_client
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_BREAKER_CLIENT_H_

// Where a connection pool opens its connections. This is the one seam between
// standalone and sentinel mode: a fixed address, or the node the Sentinels
// currently name (checked with ROLE). Everything above the pool is shared.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_ENDPOINT_PROVIDER_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_ENDPOINT_PROVIDER_H_

#include <memory>
#include <string>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/connection.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/options.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/sentinel.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/status.h"

namespace tfra {
namespace redis_client {

// Implementations are thread-safe: pools call Connect() concurrently, outside
// their lock.
class EndpointProvider {
 public:
  virtual ~EndpointProvider() = default;
  // Opens a connection (handshake done) to the node this provider stands for.
  virtual Result<std::unique_ptr<Connection>> Connect(
      const ConnectionOptions& options) = 0;
  // Human-readable target for messages, e.g. "127.0.0.1:6379". Never
  // contains credentials.
  virtual std::string Describe() const = 0;
};

// Always the same address (standalone servers and cluster nodes). `readonly`
// sends READONLY after connecting (cluster replica reads).
class FixedEndpointProvider : public EndpointProvider {
 public:
  explicit FixedEndpointProvider(Endpoint endpoint, bool readonly = false);
  Result<std::unique_ptr<Connection>> Connect(
      const ConnectionOptions& options) override;
  std::string Describe() const override;

 private:
  const Endpoint endpoint_;
  const bool readonly_;
};

// Asks the Sentinels for the current master (or a healthy replica) of
// `options.master_name` each time a connection is opened, so connections
// opened after a failover reach the new master. Connections whose ROLE does
// not match `role` are rejected and the Sentinels asked again (see
// sentinel.h).
class SentinelEndpointProvider : public EndpointProvider {
 public:
  SentinelEndpointProvider(std::vector<Endpoint> sentinels,
                           SentinelOptions options, NodeRole role);
  Result<std::unique_ptr<Connection>> Connect(
      const ConnectionOptions& options) override;
  std::string Describe() const override;

 private:
  const std::vector<Endpoint> sentinels_;
  const SentinelOptions options_;
  const NodeRole role_;
};

}  // namespace redis_client
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_ENDPOINT_PROVIDER_H_

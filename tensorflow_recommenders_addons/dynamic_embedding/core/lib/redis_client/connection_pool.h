// A bounded pool of connections to one node. Connections are opened lazily,
// outside the pool lock, through an EndpointProvider (a fixed address, or
// whatever the Sentinels name), handed out as RAII leases, and closed instead
// of reused when broken, aged past their lifetime, or older than a transport
// failure seen on a sibling connection.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_CONNECTION_POOL_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_CONNECTION_POOL_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/connection.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/endpoint_provider.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/options.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/status.h"

namespace tfra {
namespace redis_client {

class ConnectionPool;

// Exclusive use of one pooled connection until destroyed; then the
// connection goes back to the pool (or is closed if it is no longer fit).
// Move-only; use from one thread at a time; must not outlive its pool.
class PooledConnection {
 public:
  PooledConnection(PooledConnection&& other) noexcept;
  PooledConnection& operator=(PooledConnection&& other) noexcept;
  ~PooledConnection();

  Connection& operator*() const { return *connection_; }
  Connection* operator->() const { return connection_.get(); }

 private:
  friend class ConnectionPool;
  PooledConnection(ConnectionPool* pool, std::unique_ptr<Connection> connection,
                   uint64_t generation);
  void Return();

  ConnectionPool* pool_ = nullptr;
  std::unique_ptr<Connection> connection_;
  uint64_t generation_ = 0;
};

// Thread-safe: any number of threads may Acquire() concurrently. The pool
// must outlive every lease it handed out.
class ConnectionPool {
 public:
  ConnectionPool(std::shared_ptr<EndpointProvider> provider,
                 ConnectionOptions connection_options,
                 PoolOptions pool_options);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // A connection for exclusive use: an idle one, else a new one when fewer
  // than `size` are open, else waits up to `wait_timeout` for a return
  // (then kUnavailable). Connect errors are returned as they are.
  Result<PooledConnection> Acquire();

  // Closes idle connections and marks the leased ones to be closed when
  // returned (e.g. the node turned out to be a demoted master).
  void DiscardAll();

  // What this pool connects to, for messages.
  std::string Describe() const { return provider_->Describe(); }

  // Connections open or being opened, and idle ones (for tests and metrics).
  int open_connections() const;
  int idle_connections() const;

 private:
  friend class PooledConnection;
  struct Idle {
    std::unique_ptr<Connection> connection;
    uint64_t generation;
  };

  void Release(std::unique_ptr<Connection> connection, uint64_t generation);
  // Whether `connection` of `generation` may be handed out again. Caller
  // holds mu_.
  bool ReusableLocked(const Connection& connection, uint64_t generation) const;
  // Takes an idle connection that is still fit, moving unfit ones into
  // `to_close` (closed by the caller after unlocking). Caller holds mu_.
  std::unique_ptr<Connection> TakeIdleLocked(
      uint64_t* generation, std::vector<std::unique_ptr<Connection>>* to_close);
  Status ExhaustedError() const;

  const std::shared_ptr<EndpointProvider> provider_;
  const ConnectionOptions connection_options_;
  const PoolOptions pool_options_;

  mutable std::mutex mu_;
  std::condition_variable returned_;  // signalled when a slot may be free
  std::vector<Idle> idle_;            // guarded by mu_
  int open_ = 0;                      // guarded by mu_; leased+idle+opening
  // guarded by mu_. Bumped when a connection dies of a transport error:
  // every connection opened before is presumed dead too.
  uint64_t generation_ = 0;
};

}  // namespace redis_client
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_CONNECTION_POOL_H_

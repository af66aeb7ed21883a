// Making clients, and the one process-wide registry of them: tables whose
// options are identical share one client (and so its connections); tables
// that differ in anything (another deployment, other credentials, db, or
// other timeouts) never do (TFRA issue #175: clients were shared across
// deployments).
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_CLIENT_FACTORY_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_CLIENT_FACTORY_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/options.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/redis_client.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/status.h"

namespace tfra {
namespace redis_client {

// A new, unshared client for `options` (validated first). Does not touch the
// network; connections open on first use.
Result<std::unique_ptr<RedisClient>> CreateClient(const ClientOptions& options);

// Checks that the deployment answers and matches `client`'s mode: INFO
// cluster on every master must say cluster_enabled:1 in cluster mode and
// cluster_enabled:0 otherwise. Lets a table fail at creation with a clear
// error instead of on its first lookup.
Status CheckDeployment(RedisClient& client);

// The registry key of `options`: every field, length-prefixed. Contains the
// passwords: compare it, never print it.
std::string RegistryKey(const ClientOptions& options);

// Thread-safe. Holds clients weakly: a client lives while some table holds
// it and is closed when the last one lets go.
class ClientRegistry {
 public:
  // The process-wide registry (the one sanctioned global, STYLE rule 8).
  static ClientRegistry& Global();

  // The live client for options equal to `options`, else a new one.
  Result<std::shared_ptr<RedisClient>> GetOrCreate(
      const ClientOptions& options);

  // Clients currently alive in the registry.
  size_t live_clients();

 private:
  std::mutex mu_;
  std::map<std::string, std::weak_ptr<RedisClient>> clients_;  // guarded by mu_
};

}  // namespace redis_client
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_CLIENT_FACTORY_H_

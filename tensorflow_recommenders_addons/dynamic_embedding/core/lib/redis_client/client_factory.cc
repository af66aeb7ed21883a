#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_factory.h"

#include <string_view>
#include <utility>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/breaker_client.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/cluster_client.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/single_node_client.h"

namespace tfra {
namespace redis_client {
namespace {

// Appends "<length>:<bytes>" so no two field lists encode alike.
void Put(std::string* key, std::string_view bytes) {
  *key += std::to_string(bytes.size());
  *key += ':';
  key->append(bytes.data(), bytes.size());
}

void Put(std::string* key, int64_t value) { Put(key, std::to_string(value)); }

void PutTls(std::string* key, const TlsOptions& t) {
  Put(key, t.enabled ? 1 : 0);
  Put(key, t.ca_file);
  Put(key, t.cert_file);
  Put(key, t.key_file);
  Put(key, t.server_name);
}

void PutConnection(std::string* key, const ConnectionOptions& c) {
  Put(key, c.user);
  Put(key, c.password);
  Put(key, c.db);
  Put(key, c.connect_timeout.count());
  Put(key, c.socket_timeout.count());
  Put(key, c.keep_alive ? 1 : 0);
  PutTls(key, c.tls);
}

void PutSentinel(std::string* key, const SentinelOptions& s) {
  Put(key, s.master_name);
  Put(key, s.user);
  Put(key, s.password);
  Put(key, s.connect_timeout.count());
  Put(key, s.socket_timeout.count());
  Put(key, s.max_rounds);
  Put(key, s.round_interval.count());
  PutTls(key, s.tls);
}

// "cluster_enabled:<digit>" from INFO cluster text.
Result<bool> ClusterEnabled(std::string_view info) {
  constexpr std::string_view kField = "cluster_enabled:";
  const size_t at = info.find(kField);
  if (at == std::string_view::npos || at + kField.size() >= info.size()) {
    return Status(ErrorCode::kProtocol, "INFO cluster lacks cluster_enabled");
  }
  return info[at + kField.size()] == '1';
}

}  // namespace

Result<std::unique_ptr<RedisClient>> CreateClient(
    const ClientOptions& options) {
  TFRA_REDIS_RETURN_IF_ERROR(ValidateOptions(options));
  std::unique_ptr<RedisClient> client;
  if (options.mode == Mode::kCluster) {
    client = std::make_unique<ClusterClient>(options);
  } else {
    client = SingleNodeClient::Create(options);
  }
  if (options.breaker.failures == 0) return client;
  std::string describe = std::string(ModeName(options.mode)) + " at";
  for (const Endpoint& endpoint : options.endpoints) {
    describe += " " + endpoint.ToString();
  }
  return std::unique_ptr<RedisClient>(std::make_unique<BreakerClient>(
      std::move(client), options.breaker, describe));
}

Status CheckDeployment(RedisClient& client) {
  const bool want_cluster = client.mode() == Mode::kCluster;
  return client.ForEachMaster([want_cluster,
                               &client](NodeSession& node) -> Status {
    Result<Reply> reply = node.Run(Info("cluster"));
    if (!reply.ok()) return reply.status();
    Result<std::string_view> text = reply->AsString();
    if (!text.ok()) return text.status();
    Result<bool> enabled = ClusterEnabled(*text);
    if (!enabled.ok()) return enabled.status();
    if (*enabled != want_cluster) {
      return Status(ErrorCode::kInvalidArgument,
                    std::string("configured for ") + ModeName(client.mode()) +
                        " mode, but the server has cluster support " +
                        (*enabled ? "enabled" : "disabled"));
    }
    return Status::Ok();
  });
}

std::string RegistryKey(const ClientOptions& options) {
  std::string key;
  Put(&key, static_cast<int64_t>(options.mode));
  Put(&key, static_cast<int64_t>(options.endpoints.size()));
  for (const Endpoint& endpoint : options.endpoints) {
    Put(&key, endpoint.host);
    Put(&key, endpoint.port);
  }
  PutConnection(&key, options.connection);
  Put(&key, options.pool.size);
  Put(&key, options.pool.wait_timeout.count());
  Put(&key, options.pool.connection_lifetime.count());
  PutSentinel(&key, options.sentinel);
  Put(&key, options.cluster.max_attempts);
  Put(&key, options.cluster.min_backoff.count());
  Put(&key, options.cluster.max_backoff.count());
  Put(&key, options.read_from_replicas ? 1 : 0);
  Put(&key, options.durable_writes.replicas);
  Put(&key, options.durable_writes.timeout.count());
  Put(&key, options.breaker.failures);
  Put(&key, options.breaker.cooldown.count());
  return key;
}

ClientRegistry& ClientRegistry::Global() {
  static ClientRegistry registry;
  return registry;
}

Result<std::shared_ptr<RedisClient>> ClientRegistry::GetOrCreate(
    const ClientOptions& options) {
  const std::string key = RegistryKey(options);
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = clients_.begin(); it != clients_.end();) {
    it = it->second.expired() ? clients_.erase(it) : std::next(it);
  }
  if (std::shared_ptr<RedisClient> live = clients_[key].lock()) return live;
  Result<std::unique_ptr<RedisClient>> created = CreateClient(options);
  if (!created.ok()) {
    clients_.erase(key);
    return created.status();
  }
  std::shared_ptr<RedisClient> client = std::move(created).value();
  clients_[key] = client;
  return client;
}

size_t ClientRegistry::live_clients() {
  std::lock_guard<std::mutex> lock(mu_);
  size_t live = 0;
  for (const auto& entry : clients_) live += entry.second.expired() ? 0 : 1;
  return live;
}

}  // namespace redis_client
}  // namespace tfra

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/options.h"

#include <tuple>

namespace tfra {
namespace redis_client {
namespace {

Status Invalid(const std::string& field, const std::string& why) {
  return Status(ErrorCode::kInvalidArgument, field + " " + why);
}

Status CheckNonNegative(const char* field, std::chrono::milliseconds value) {
  if (value.count() < 0) return Invalid(field, "must not be negative");
  return Status::Ok();
}

Status ValidateEndpoints(const ClientOptions& options) {
  if (options.endpoints.empty()) {
    return Invalid("endpoints", "must name at least one host:port");
  }
  if (options.mode == Mode::kStandalone && options.endpoints.size() != 1) {
    return Invalid("endpoints", "must hold exactly one server in " +
                                    std::string(ModeName(options.mode)) +
                                    " mode, got " +
                                    std::to_string(options.endpoints.size()));
  }
  for (const Endpoint& endpoint : options.endpoints) {
    if (endpoint.host.empty()) return Invalid("endpoints", "has an empty host");
    if (endpoint.port <= 0 || endpoint.port > 65535) {
      return Invalid("endpoints", "port " + std::to_string(endpoint.port) +
                                      " is outside 1..65535");
    }
  }
  return Status::Ok();
}

Status ValidateTimeouts(const ClientOptions& options) {
  TFRA_REDIS_RETURN_IF_ERROR(CheckNonNegative(
      "connection.connect_timeout", options.connection.connect_timeout));
  TFRA_REDIS_RETURN_IF_ERROR(CheckNonNegative(
      "connection.socket_timeout", options.connection.socket_timeout));
  TFRA_REDIS_RETURN_IF_ERROR(
      CheckNonNegative("pool.wait_timeout", options.pool.wait_timeout));
  TFRA_REDIS_RETURN_IF_ERROR(CheckNonNegative(
      "sentinel.connect_timeout", options.sentinel.connect_timeout));
  TFRA_REDIS_RETURN_IF_ERROR(CheckNonNegative("sentinel.socket_timeout",
                                              options.sentinel.socket_timeout));
  TFRA_REDIS_RETURN_IF_ERROR(CheckNonNegative("sentinel.round_interval",
                                              options.sentinel.round_interval));
  TFRA_REDIS_RETURN_IF_ERROR(
      CheckNonNegative("cluster.min_backoff", options.cluster.min_backoff));
  TFRA_REDIS_RETURN_IF_ERROR(
      CheckNonNegative("cluster.max_backoff", options.cluster.max_backoff));
  return CheckNonNegative("pool.connection_lifetime",
                          options.pool.connection_lifetime);
}

Status ValidateDurableWrites(const ClientOptions& options) {
  const DurableWriteOptions& durable = options.durable_writes;
  if (durable.replicas < 0) {
    return Invalid("durable_writes.replicas", "must be >= 0");
  }
  if (durable.replicas == 0) return Status::Ok();
  if (durable.timeout.count() <= 0) {
    return Invalid("durable_writes.timeout",
                   "must be > 0 when replicas must acknowledge writes");
  }
  const std::chrono::milliseconds socket = options.connection.socket_timeout;
  if (socket.count() > 0 && durable.timeout >= socket) {
    return Invalid("durable_writes.timeout",
                   "(" + std::to_string(durable.timeout.count()) +
                       " ms) must be shorter than connection.socket_timeout (" +
                       std::to_string(socket.count()) +
                       " ms): the reply to WAIT comes after that long");
  }
  return Status::Ok();
}

}  // namespace

std::string Endpoint::ToString() const {
  return host + ":" + std::to_string(port);
}

bool Endpoint::operator==(const Endpoint& other) const {
  return port == other.port && host == other.host;
}

bool Endpoint::operator<(const Endpoint& other) const {
  return std::tie(host, port) < std::tie(other.host, other.port);
}

Status ValidateOptions(const ClientOptions& options) {
  if (options.mode != Mode::kCluster && options.mode != Mode::kSentinel &&
      options.mode != Mode::kStandalone) {
    return Invalid("mode", "must be cluster, sentinel or standalone");
  }
  TFRA_REDIS_RETURN_IF_ERROR(ValidateEndpoints(options));
  TFRA_REDIS_RETURN_IF_ERROR(ValidateTimeouts(options));
  if (options.connection.db < 0)
    return Invalid("connection.db", "must be >= 0");
  if (options.mode == Mode::kCluster && options.connection.db != 0) {
    return Invalid("connection.db", "must be 0 in cluster mode");
  }
  if (options.pool.size < 1) return Invalid("pool.size", "must be >= 1");
  if (options.sentinel.max_rounds < 1) {
    return Invalid("sentinel.max_rounds", "must be >= 1");
  }
  if (options.mode == Mode::kSentinel && options.sentinel.master_name.empty()) {
    return Invalid("sentinel.master_name", "must not be empty");
  }
  if (options.cluster.max_attempts < 1) {
    return Invalid("cluster.max_attempts", "must be >= 1");
  }
  for (const TlsOptions* tls :
       {&options.connection.tls, &options.sentinel.tls}) {
    if (tls->cert_file.empty() != tls->key_file.empty()) {
      return Invalid("tls.cert_file", "and tls.key_file go together");
    }
  }
  TFRA_REDIS_RETURN_IF_ERROR(ValidateDurableWrites(options));
  if (options.breaker.failures < 0) {
    return Invalid("breaker.failures", "must be >= 0");
  }
  if (options.breaker.failures > 0 && options.breaker.cooldown.count() <= 0) {
    return Invalid("breaker.cooldown", "must be > 0 when the breaker is on");
  }
  return Status::Ok();
}

}  // namespace redis_client
}  // namespace tfra

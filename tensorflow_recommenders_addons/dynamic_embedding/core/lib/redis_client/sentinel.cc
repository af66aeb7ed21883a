#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/sentinel.h"

#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <thread>

namespace tfra {
namespace redis_client {
namespace {

ConnectionOptions SentinelConnectionOptions(const SentinelOptions& options) {
  ConnectionOptions connection;
  connection.user = options.user;
  connection.password = options.password;
  connection.connect_timeout = options.connect_timeout;
  connection.socket_timeout = options.socket_timeout;
  connection.tls = options.tls;
  return connection;
}

// Runs SENTINEL <query> <master name> on each Sentinel in turn until `parse`
// accepts a reply. Transport errors already name the Sentinel; reply errors
// get it added.
template <typename T>
Result<T> AskSentinels(const std::vector<Endpoint>& sentinels,
                       const SentinelOptions& options, std::string_view query,
                       const std::function<Result<T>(const Reply&)>& parse) {
  const ConnectionOptions connection_options =
      SentinelConnectionOptions(options);
  const Command command{"SENTINEL", query, options.master_name};
  StatusList errors;
  for (const Endpoint& sentinel : sentinels) {
    auto connection = Connection::Open(sentinel, connection_options);
    Result<Reply> reply = connection.ok() ? (*connection)->Run(command)
                                          : Result<Reply>(connection.status());
    if (!reply.ok()) {
      errors.Add(reply.status());
      continue;
    }
    Result<T> parsed = parse(*reply);
    if (parsed.ok()) return parsed;
    errors.Add(parsed.status().WithContext(sentinel.ToString()));
  }
  return errors.Combine("no Sentinel answered SENTINEL " + std::string(query) +
                        " for master set '" + options.master_name + "'");
}

Result<Endpoint> ParseAddress(std::string_view host, std::string_view port) {
  int port_number = 0;
  for (char c : port) {
    if (c < '0' || c > '9' || port_number > 65535) {
      return Status(ErrorCode::kProtocol, "bad port in Sentinel reply");
    }
    port_number = port_number * 10 + (c - '0');
  }
  if (host.empty() || port_number <= 0 || port_number > 65535) {
    return Status(ErrorCode::kProtocol, "bad address in Sentinel reply");
  }
  return Endpoint{std::string(host), port_number};
}

Result<Endpoint> ParseMasterReply(const Reply& reply) {
  TFRA_REDIS_RETURN_IF_ERROR(reply.ToStatus());
  if (reply.is_nil()) {
    return Status(ErrorCode::kUnavailable, "Sentinel does not know the master");
  }
  Result<size_t> size = reply.ArraySize();
  if (!size.ok()) return size.status();
  if (*size != 2) return Status(ErrorCode::kProtocol, "expected [host, port]");
  Result<std::string_view> host = reply.element(0).AsString();
  Result<std::string_view> port = reply.element(1).AsString();
  if (!host.ok()) return host.status();
  if (!port.ok()) return port.status();
  return ParseAddress(*host, *port);
}

// The value of `field` in a flat [field, value, field, value, ...] array.
std::string_view FieldOf(const ReplyView& entry, std::string_view field) {
  Result<size_t> size = entry.ArraySize();
  for (size_t i = 0; size.ok() && i + 1 < *size; i += 2) {
    if (entry.element(i).text() == field) return entry.element(i + 1).text();
  }
  return std::string_view();
}

bool ReplicaIsHealthy(const ReplyView& entry) {
  const std::string_view flags = FieldOf(entry, "flags");
  for (std::string_view bad : {"s_down", "o_down", "disconnected"}) {
    if (flags.find(bad) != std::string_view::npos) return false;
  }
  return FieldOf(entry, "master-link-status") == "ok";
}

Result<std::vector<Endpoint>> ParseReplicasReply(const Reply& reply) {
  TFRA_REDIS_RETURN_IF_ERROR(reply.ToStatus());
  Result<size_t> size = reply.ArraySize();
  if (!size.ok()) return size.status();
  std::vector<Endpoint> replicas;
  for (size_t i = 0; i < *size; ++i) {
    const ReplyView entry = reply.element(i);
    if (!ReplicaIsHealthy(entry)) continue;
    Result<Endpoint> address =
        ParseAddress(FieldOf(entry, "ip"), FieldOf(entry, "port"));
    if (address.ok()) replicas.push_back(std::move(address).value());
  }
  return replicas;
}

Result<Endpoint> ResolveNode(const std::vector<Endpoint>& sentinels,
                             const SentinelOptions& options, NodeRole role) {
  if (role == NodeRole::kMaster) return QueryMasterAddress(sentinels, options);
  Result<std::vector<Endpoint>> replicas =
      QueryReplicaAddresses(sentinels, options);
  if (!replicas.ok()) return replicas.status();
  if (replicas->empty()) {
    return Status(ErrorCode::kUnavailable,
                  "Sentinels report no healthy replica of master set '" +
                      options.master_name + "'");
  }
  std::minstd_rand random(std::random_device{}());
  return (*replicas)[random() % replicas->size()];
}

}  // namespace

Result<Endpoint> QueryMasterAddress(const std::vector<Endpoint>& sentinels,
                                    const SentinelOptions& options) {
  return AskSentinels<Endpoint>(sentinels, options, "get-master-addr-by-name",
                                ParseMasterReply);
}

Result<std::vector<Endpoint>> QueryReplicaAddresses(
    const std::vector<Endpoint>& sentinels, const SentinelOptions& options) {
  return AskSentinels<std::vector<Endpoint>>(sentinels, options, "replicas",
                                             ParseReplicasReply);
}

namespace {

// The first element of `connection`'s ROLE reply.
Result<std::string> RoleOf(Connection& connection) {
  Result<Reply> reply = connection.Run(Role());
  if (!reply.ok()) return reply.status();
  TFRA_REDIS_RETURN_IF_ERROR(reply->ToStatus());
  Result<std::string_view> role = reply->element(0).AsString();
  if (!role.ok()) return role.status().WithContext("ROLE");
  return std::string(*role);
}

}  // namespace

Status CheckRole(Connection& connection, NodeRole role) {
  Result<std::string> actual = RoleOf(connection);
  if (!actual.ok()) return actual.status();
  const std::string_view wanted =
      role == NodeRole::kMaster ? "master" : "slave";
  if (*actual != wanted) {
    connection.MarkBroken();
    return Status(ErrorCode::kUnavailable,
                  connection.endpoint().ToString() + " has role '" + *actual +
                      "', expected '" + std::string(wanted) +
                      "' (failover in progress?)");
  }
  return Status::Ok();
}

Result<std::string> ProbeRole(const Endpoint& endpoint,
                              const ConnectionOptions& options) {
  auto connection = Connection::Open(endpoint, options);
  if (!connection.ok()) return connection.status();
  return RoleOf(**connection);
}

namespace {

// One round: resolve, connect, check the role.
Result<std::unique_ptr<Connection>> ConnectOnce(
    const std::vector<Endpoint>& sentinels, const SentinelOptions& options,
    NodeRole role, const ConnectionOptions& connection_options) {
  Result<Endpoint> node = ResolveNode(sentinels, options, role);
  if (!node.ok()) return node.status();
  auto connection = Connection::Open(*node, connection_options);
  if (!connection.ok()) return connection.status();
  TFRA_REDIS_RETURN_IF_ERROR(CheckRole(**connection, role));
  return connection;
}

}  // namespace

Result<std::unique_ptr<Connection>> ConnectThroughSentinels(
    const std::vector<Endpoint>& sentinels, const SentinelOptions& options,
    NodeRole role, const ConnectionOptions& connection_options) {
  Status last_error;
  int round = 0;
  while (round < options.max_rounds) {
    ++round;
    if (round > 1) std::this_thread::sleep_for(options.round_interval);
    auto connection = ConnectOnce(sentinels, options, role, connection_options);
    if (connection.ok()) return connection;
    last_error = connection.status();
    if (last_error.code() == ErrorCode::kAuth) break;  // rounds cannot fix it
  }
  return last_error.WithContext(
      "no " + std::string(role == NodeRole::kMaster ? "master" : "replica") +
      " of master set '" + options.master_name + "' reachable after " +
      std::to_string(round) + " Sentinel round(s)");
}

}  // namespace redis_client
}  // namespace tfra

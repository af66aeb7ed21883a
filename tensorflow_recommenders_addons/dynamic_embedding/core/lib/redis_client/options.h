// Every setting of the Redis client layer, with its unit, default and the
// meaning of 0. The defaults equal TFRA 0.8's JSON defaults, so the table
// configuration can take them from here instead of restating them.
// Plain value types: copy freely; not synchronised.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_OPTIONS_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_OPTIONS_H_

#include <chrono>
#include <string>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/mode.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/status.h"

namespace tfra {
namespace redis_client {

// A TCP address. Only host names and literal IPs; no Unix sockets.
struct Endpoint {
  std::string host;
  int port = 0;

  std::string ToString() const;  // "host:port"
  bool operator==(const Endpoint& other) const;
  bool operator!=(const Endpoint& other) const { return !(*this == other); }
  bool operator<(const Endpoint& other) const;
};

// TLS on a connection (JSON: redis_tls, redis_tls_ca_file,
// redis_tls_cert_file, redis_tls_key_file, redis_tls_server_name); see
// tls_channel.h.
struct TlsOptions {
  bool enabled = false;
  // PEM CA certificates that verify servers; empty: the system's CA paths.
  std::string ca_file;
  // PEM client certificate and its key, for servers that ask for one; both
  // or neither.
  std::string cert_file;
  std::string key_file;
  // The name server certificates must carry (also sent as SNI); empty: the
  // host of the address connected to.
  std::string server_name;
};

// How one data connection is opened (JSON: redis_user, redis_password,
// redis_db, redis_connect_timeout, redis_socket_timeout,
// redis_connect_keep_alive, redis_tls*).
struct ConnectionOptions {
  // ACL user. Empty or "default" sends the one-argument AUTH (works on Redis
  // before 6 too); any other name sends AUTH <user> <password>.
  std::string user = "default";
  // Empty means no AUTH at all (unless `user` names an ACL user). Never
  // printed in any message.
  std::string password;
  // Database index selected after connecting; 0 sends no SELECT. Cluster
  // nodes only have db 0.
  int db = 0;
  // Limit for establishing the TCP connection; 0 means the OS default.
  std::chrono::milliseconds connect_timeout{1000};
  // Limit for each blocking send or receive; 0 means wait forever.
  std::chrono::milliseconds socket_timeout{1000};
  // Enables TCP keep-alive probes on the socket.
  bool keep_alive = false;
  TlsOptions tls;
};

// A bounded pool of connections to one endpoint (JSON: redis_conn_pool_size,
// redis_wait_timeout, redis_connection_lifetime).
struct PoolOptions {
  // Most connections open at once; must be >= 1.
  int size = 20;
  // Longest wait for a free connection when all `size` are leased; 0 means
  // wait forever.
  std::chrono::milliseconds wait_timeout{100000000};
  // A connection older than this is closed instead of reused; 0 means
  // connections never age out. (JSON gives minutes; 100 min.)
  std::chrono::milliseconds connection_lifetime{std::chrono::minutes(100)};
};

// Asking Sentinels where the master (or a replica) is (JSON:
// redis_master_name, redis_sentinel_user, redis_sentinel_password,
// redis_sentinel_connect_timeout, redis_sentinel_socket_timeout).
struct SentinelOptions {
  std::string master_name = "master";
  // Same AUTH rules as ConnectionOptions::user/password, for Sentinels.
  std::string user = "default";
  std::string password;
  std::chrono::milliseconds connect_timeout{1000};  // 0: OS default
  std::chrono::milliseconds socket_timeout{1000};   // 0: wait forever
  // Rounds over all Sentinels before giving up on finding a node whose ROLE
  // matches (a failover in progress answers with the old master); >= 1.
  int max_rounds = 3;
  // Pause between two rounds.
  std::chrono::milliseconds round_interval{100};
  // TLS to the Sentinels (the table config uses one TLS setting for all).
  TlsOptions tls;
};

// Routing and retries in cluster mode.
struct ClusterOptions {
  // Attempts of one command batch, including the first; MOVED, ASK, TRYAGAIN,
  // CLUSTERDOWN and transport errors all consume attempts; >= 1.
  int max_attempts = 12;
  // Backoff before attempt n (n >= 2) is min(max_backoff, min_backoff *
  // 2^(n-2)); redirections with a known target (MOVED, ASK) retry at once,
  // unless a command was redirected more than twice in a row (nodes that
  // disagree while a slot moves).
  std::chrono::milliseconds min_backoff{10};
  std::chrono::milliseconds max_backoff{1000};
};

// Durable writes (JSON: redis_write_replicas, redis_write_replicas_timeout):
// every pipeline of writes ends with WAIT on its connection, and a write
// returns only when `replicas` replicas acknowledged it (replica_ack.h).
struct DurableWriteOptions {
  // Replicas that must acknowledge each write batch; 0 turns WAIT off.
  int replicas = 0;
  // Longest wait for them; must be > 0 when replicas > 0, and shorter than
  // a non-zero ConnectionOptions::socket_timeout (WAIT's reply would come
  // after the read gave up).
  std::chrono::milliseconds timeout{1000};
};

// A circuit breaker in front of the client (JSON:
// redis_circuit_breaker_failures, redis_circuit_breaker_cooldown): after
// `failures` calls in a row fail because Redis cannot be reached, calls fail
// at once for `cooldown`; then one call probes, and its success closes the
// circuit (circuit_breaker.h).
struct BreakerOptions {
  // Failed calls in a row that open the circuit; 0 turns the breaker off.
  int failures = 0;
  // How long an open circuit fails calls before a probe; > 0 when on.
  std::chrono::milliseconds cooldown{1000};
};

// Everything a client needs; the key of the process-wide client registry.
struct ClientOptions {
  Mode mode = Mode::kSentinel;
  // Standalone: the server (exactly one). Sentinel: the Sentinels. Cluster:
  // seed nodes. JSON: redis_host_ip + redis_host_port, paired by index.
  std::vector<Endpoint> endpoints = {{"127.0.0.1", 6379}};
  ConnectionOptions connection;
  PoolOptions pool;
  SentinelOptions sentinel;
  ClusterOptions cluster;
  DurableWriteOptions durable_writes;
  BreakerOptions breaker;
  // Reads (Access::kRead) go to a replica: Sentinel picks a replica the
  // Sentinels report healthy; Cluster reads the slot's replica after
  // READONLY. Ignored in standalone mode (JSON: redis_read_access_slave).
  bool read_from_replicas = false;
};

// Rejects settings that cannot work (no endpoints, a port out of range, a
// pool of size 0, a negative timeout, ...), naming the offending field.
Status ValidateOptions(const ClientOptions& options);

}  // namespace redis_client
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_OPTIONS_H_

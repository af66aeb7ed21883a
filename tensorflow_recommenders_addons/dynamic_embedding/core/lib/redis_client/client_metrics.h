// The Redis client's counters, per process (every client and connection
// adds to the same ones), in the registry of core/lib/metrics. Connections
// count commands, bytes and transport failures; the cluster router counts
// resends and redirections; the circuit breaker its rejections.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_CLIENT_METRICS_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_CLIENT_METRICS_H_

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/metrics/metrics.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/status.h"

namespace tfra {
namespace redis_client {

// Pointers into MetricsRegistry::Global(), looked up once; never null.
struct ClientMetrics {
  metrics::Counter* commands;            // commands written to a connection
  metrics::Counter* bytes_sent;          // bytes written to sockets
  metrics::Counter* bytes_received;      // bytes read from sockets
  metrics::Counter* connections_opened;  // connections set up (handshake done)
  metrics::Counter* resends;    // commands sent again: lost reply, TRYAGAIN
  metrics::Counter* moved;      // MOVED redirections followed
  metrics::Counter* ask;        // ASK redirections followed
  metrics::Counter* breaker_rejections;  // calls failed fast, circuit open
  metrics::Counter* breaker_opens;       // times a circuit opened

  // The process's client metrics.
  static const ClientMetrics& Get();

  // Failures by kind (io, timeout, closed, protocol, outcome_unknown, ...):
  // tfra_redis_client_errors_total{kind=ErrorCodeName(code)}. For a code
  // other than kOk.
  metrics::Counter* errors(ErrorCode code) const;
};

}  // namespace redis_client
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_CLIENT_METRICS_H_

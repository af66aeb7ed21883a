#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_metrics.h"

#include <array>

namespace tfra {
namespace redis_client {
namespace {

constexpr int kErrorCodes = static_cast<int>(ErrorCode::kNotReplicated) + 1;

metrics::Counter* ProcessCounter(const char* name, const char* help) {
  return metrics::MetricsRegistry::Global().GetCounter(name, {}, help);
}

std::array<metrics::Counter*, kErrorCodes> ErrorCounters() {
  std::array<metrics::Counter*, kErrorCodes> counters;
  // Not a failure: counted nowhere anyone reads.
  static metrics::Counter unused;
  counters[0] = &unused;
  for (int code = 1; code < kErrorCodes; ++code) {
    counters[code] = metrics::MetricsRegistry::Global().GetCounter(
        "tfra_redis_client_errors_total",
        {{"kind", ErrorCodeName(static_cast<ErrorCode>(code))}},
        "Failures of Redis connections and calls, by kind (io, timeout, "
        "closed, protocol, outcome_unknown, circuit breaker: unavailable).");
  }
  return counters;
}

}  // namespace

const ClientMetrics& ClientMetrics::Get() {
  static const ClientMetrics kMetrics{
      ProcessCounter("tfra_redis_client_commands_total",
                     "Commands written to Redis connections."),
      ProcessCounter("tfra_redis_client_sent_bytes_total",
                     "Bytes written to Redis connections."),
      ProcessCounter("tfra_redis_client_received_bytes_total",
                     "Bytes read from Redis connections."),
      ProcessCounter("tfra_redis_client_connections_opened_total",
                     "Redis connections opened (handshake done)."),
      ProcessCounter("tfra_redis_client_resends_total",
                     "Commands sent again after a lost reply that was safe "
                     "to repeat, or a TRYAGAIN/CLUSTERDOWN reply."),
      ProcessCounter("tfra_redis_client_moved_total",
                     "Cluster MOVED redirections followed."),
      ProcessCounter("tfra_redis_client_ask_total",
                     "Cluster ASK redirections followed."),
      ProcessCounter("tfra_redis_client_breaker_rejections_total",
                     "Calls failed at once because a circuit breaker was "
                     "open."),
      ProcessCounter("tfra_redis_client_breaker_opens_total",
                     "Times a circuit breaker opened."),
  };
  return kMetrics;
}

metrics::Counter* ClientMetrics::errors(ErrorCode code) const {
  static const std::array<metrics::Counter*, kErrorCodes> kCounters =
      ErrorCounters();
  const int index = static_cast<int>(code);
  return kCounters[index >= 0 && index < kErrorCodes ? index : 0];
}

}  // namespace redis_client
}  // namespace tfra

// A circuit breaker (BreakerOptions): after `failures` calls in a row fail
// because Redis cannot be reached, the circuit opens and calls fail at once,
// without touching the network, for `cooldown`. Then one call is let
// through as a probe (the others still fail at once); its success closes the
// circuit, its failure opens it for another cooldown. So a dead Redis costs
// one fast failure per call instead of a full timeout per request.
//
// Only outages count: transport failures (I/O, timeouts, closed
// connections, lost replies), no reachable node, and transient server
// states (LOADING, TRYAGAIN, ...). Any other outcome, error replies
// included, proves the server answered and closes the circuit.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_CIRCUIT_BREAKER_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_CIRCUIT_BREAKER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/options.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/status.h"

namespace tfra {
namespace redis_client {

// Thread-safe and lock-free. A closed circuit costs one atomic load per
// call, and a store only after a failure.
class CircuitBreaker {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // `describe` names what the breaker guards, for its error message.
  CircuitBreaker(const BreakerOptions& options, std::string describe,
                 Clock clock = std::chrono::steady_clock::now);

  // Whether a call may go ahead: OK (with *probe set when it is the probe
  // of an open circuit), or kUnavailable saying the circuit is open.
  Status Admit(bool* probe);
  // The outcome of an admitted call.
  void Report(const Status& outcome, bool probe);

  bool open() const { return open_until_ns_.load() != kClosed; }

  // True for the failures that count (see the file comment).
  static bool IsOutage(const Status& status);

 private:
  static constexpr int64_t kClosed = 0;

  int64_t NowNs() const;
  void Open();

  const BreakerOptions options_;
  const std::string describe_;
  const Clock clock_;
  std::atomic<int> failures_{0};                // outages in a row
  std::atomic<int64_t> open_until_ns_{kClosed};  // clock_ time, in ns
  std::atomic<bool> probing_{false};            // a probe is under way
};

}  // namespace redis_client
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_CIRCUIT_BREAKER_H_

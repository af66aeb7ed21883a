#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/circuit_breaker.h"

#include <utility>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_metrics.h"

namespace tfra {
namespace redis_client {

CircuitBreaker::CircuitBreaker(const BreakerOptions& options,
                               std::string describe, Clock clock)
    : options_(options), describe_(std::move(describe)), clock_(std::move(clock)) {}

bool CircuitBreaker::IsOutage(const Status& status) {
  switch (status.code()) {
    case ErrorCode::kIo:
    case ErrorCode::kTimeout:
    case ErrorCode::kClosed:
    case ErrorCode::kNoNode:
    case ErrorCode::kUnavailable:
    case ErrorCode::kOutcomeUnknown:
      return true;
    default:
      return false;
  }
}

int64_t CircuitBreaker::NowNs() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             clock_().time_since_epoch())
      .count();
}

Status CircuitBreaker::Admit(bool* probe) {
  *probe = false;
  const int64_t open_until = open_until_ns_.load();
  if (open_until == kClosed) return Status::Ok();
  const int64_t now = NowNs();
  if (now >= open_until) {
    bool idle = false;
    if (probing_.compare_exchange_strong(idle, true)) {
      *probe = true;
      return Status::Ok();
    }
  }
  ClientMetrics::Get().breaker_rejections->Add();
  const int64_t wait_ms = now >= open_until ? 0 : (open_until - now) / 1000000;
  return Status(ErrorCode::kUnavailable,
                "circuit breaker open for " + describe_ + ": " +
                    std::to_string(options_.failures) +
                    " call(s) in a row found Redis unreachable; calls fail at "
                    "once until a probe succeeds (next probe in " +
                    std::to_string(wait_ms) + " ms)");
}

void CircuitBreaker::Open() {
  open_until_ns_.store(
      NowNs() + std::chrono::duration_cast<std::chrono::nanoseconds>(
                    options_.cooldown)
                    .count());
  ClientMetrics::Get().breaker_opens->Add();
}

void CircuitBreaker::Report(const Status& outcome, bool probe) {
  if (!IsOutage(outcome)) {
    if (failures_.load() != 0) failures_.store(0);
    if (open_until_ns_.load() != kClosed) open_until_ns_.store(kClosed);
    if (probe) probing_.store(false);
    return;
  }
  if (probe) {
    Open();
    probing_.store(false);
    return;
  }
  if (failures_.fetch_add(1) + 1 >= options_.failures &&
      open_until_ns_.load() == kClosed) {
    Open();
  }
}

}  // namespace redis_client
}  // namespace tfra

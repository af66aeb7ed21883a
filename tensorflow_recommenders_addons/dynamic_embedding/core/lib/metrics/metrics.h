// Counters and latency histograms for the Redis client and the table logic,
// and the process-wide registry that names them (TF-free, no dependencies).
//
// Recording is lock-free: a Counter is one relaxed atomic add, a histogram
// sample two, so the hot paths (every command sent, every op of a table)
// can afford them. Looking a metric up in the registry takes a lock and
// allocates: owners do it once (when a client or a table is made) and keep
// the pointer, which stays valid as long as the process (the registry never
// forgets a metric, so a table's counters keep counting across re-opens and
// read as totals since the process started, as Prometheus expects).
//
// The registry is the second sanctioned process-wide object (with the client
// registry): counters per process are what it is for.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_METRICS_METRICS_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_METRICS_METRICS_H_

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tfra {
namespace metrics {

// Label name and value pairs, e.g. {{"table", "test:emb"}, {"op", "find"}}.
using Labels = std::vector<std::pair<std::string, std::string>>;

// A monotonic count. Thread-safe.
class Counter {
 public:
  void Add(int64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Durations in fixed buckets (upper bounds kLatencyBoundsUs, then one for
// everything longer), with their count and sum. Thread-safe.
class LatencyHistogram {
 public:
  // Upper bounds of the buckets in microseconds, 50 us to 10 s: a lookup
  // served from memory lands in the first buckets, a timeout in the last.
  static constexpr std::array<int64_t, 17> kLatencyBoundsUs = {
      50,     100,    250,     500,     1000,    2500,    5000,
      10000,  25000,  50000,   100000,  250000,  500000,  1000000,
      2500000, 5000000, 10000000};
  static constexpr size_t kBuckets = kLatencyBoundsUs.size() + 1;

  void Record(std::chrono::nanoseconds duration);

  struct Snapshot {
    std::array<int64_t, kBuckets> counts{};  // per bucket, not cumulative
    int64_t count = 0;
    int64_t sum_us = 0;
  };
  Snapshot Read() const;

 private:
  std::array<std::atomic<int64_t>, kBuckets> counts_{};
  std::atomic<int64_t> sum_us_{0};
};

// Every metric of the process, by name and labels. Thread-safe.
class MetricsRegistry {
 public:
  static MetricsRegistry& Global();

  // The metric `name` with `labels`, made on first use; never null, valid
  // for the registry's lifetime. `help` describes every metric of that name
  // (the first non-empty one is kept).
  Counter* GetCounter(std::string_view name, const Labels& labels,
                      std::string_view help);
  LatencyHistogram* GetHistogram(std::string_view name, const Labels& labels,
                                 std::string_view help);

  // Every metric as JSON:
  //   {"counters": [{"name": N, "labels": {..}, "value": V}, ...],
  //    "histograms": [{"name": N, "labels": {..}, "bounds_us": [..],
  //                    "counts": [..], "count": C, "sum_us": S}, ...],
  //    "help": {N: text, ...}}
  // sorted by name, then labels. Each metric is read atomically, the set
  // of them not: a snapshot taken under load mixes nearby instants.
  std::string SnapshotJson() const;

 private:
  using Key = std::pair<std::string, Labels>;

  mutable std::mutex mu_;
  std::map<Key, std::unique_ptr<Counter>> counters_;             // guarded by mu_
  std::map<Key, std::unique_ptr<LatencyHistogram>> histograms_;  // guarded by mu_
  std::map<std::string, std::string> help_;                      // guarded by mu_
};

}  // namespace metrics
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_METRICS_METRICS_H_

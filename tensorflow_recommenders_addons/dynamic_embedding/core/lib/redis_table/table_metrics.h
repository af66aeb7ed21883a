// A Redis table's metrics, labelled with the table (<model_tag>:<embedding
// name>, so every shard of a variable and every re-open of a table adds to
// the same series) in the registry of core/lib/metrics:
//   tfra_redis_table_calls_total{table, op}        ops run
//   tfra_redis_table_keys_total{table, op}         keys they carried
//   tfra_redis_table_latency_seconds{table, op}    their durations
//   tfra_redis_table_errors_total{table, op, kind} failed ops by status code
//   tfra_redis_table_misses_total{table}           looked-up keys not stored
//   tfra_redis_table_degraded_rows_total{table}    looked-up keys answered
//       with defaults because Redis could not be read (default_values)
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_TABLE_METRICS_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_TABLE_METRICS_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <string>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/metrics/metrics.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/table_status.h"

namespace tfra {
namespace redis_table {

enum class TableOp { kFind, kInsert, kAccum, kRemove, kClear, kSize, kExport };

// "find", "insert", ...: the op label.
const char* TableOpName(TableOp op);

// Thread-safe; recording is lock-free except for the first error of a kind.
class TableMetrics {
 public:
  using Clock = std::chrono::steady_clock;

  explicit TableMetrics(const std::string& table);

  // Records one call of `op` over `keys` keys that began at `start` and
  // ended with `status`; returns `status`.
  Status Record(TableOp op, size_t keys, Clock::time_point start,
                Status status) const;
  void AddMisses(int64_t keys) const { misses_->Add(keys); }
  void AddDegradedRows(int64_t keys) const { degraded_rows_->Add(keys); }

 private:
  static constexpr size_t kOps = static_cast<size_t>(TableOp::kExport) + 1;
  struct OpMetrics {
    metrics::Counter* calls = nullptr;
    metrics::Counter* keys = nullptr;
    metrics::LatencyHistogram* latency = nullptr;
  };

  const std::string table_;
  std::array<OpMetrics, kOps> ops_;
  metrics::Counter* misses_;
  metrics::Counter* degraded_rows_;
};

}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_TABLE_METRICS_H_

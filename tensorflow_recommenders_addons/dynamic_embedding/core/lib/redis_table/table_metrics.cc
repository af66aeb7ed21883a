#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/table_metrics.h"

#include <cctype>
#include <utility>

namespace tfra {
namespace redis_table {
namespace {

metrics::MetricsRegistry& Registry() {
  return metrics::MetricsRegistry::Global();
}

// "UNAVAILABLE" -> "unavailable".
std::string KindOf(StatusCode code) {
  std::string kind = StatusCodeName(code);
  for (char& c : kind) c = static_cast<char>(std::tolower(c));
  return kind;
}

}  // namespace

const char* TableOpName(TableOp op) {
  switch (op) {
    case TableOp::kFind:
      return "find";
    case TableOp::kInsert:
      return "insert";
    case TableOp::kAccum:
      return "accum";
    case TableOp::kRemove:
      return "remove";
    case TableOp::kClear:
      return "clear";
    case TableOp::kSize:
      return "size";
    case TableOp::kExport:
      return "export";
  }
  return "unknown";
}

TableMetrics::TableMetrics(const std::string& table) : table_(table) {
  for (size_t i = 0; i < kOps; ++i) {
    const metrics::Labels labels = {
        {"table", table}, {"op", TableOpName(static_cast<TableOp>(i))}};
    ops_[i].calls = Registry().GetCounter(
        "tfra_redis_table_calls_total", labels, "Operations run on a table.");
    ops_[i].keys = Registry().GetCounter("tfra_redis_table_keys_total",
                                         labels,
                                         "Keys the operations carried.");
    ops_[i].latency = Registry().GetHistogram(
        "tfra_redis_table_latency_seconds", labels,
        "Duration of the operations, errors included.");
  }
  misses_ = Registry().GetCounter(
      "tfra_redis_table_misses_total", {{"table", table}},
      "Looked-up keys that are not stored (the lookup returned defaults).");
  degraded_rows_ = Registry().GetCounter(
      "tfra_redis_table_degraded_rows_total", {{"table", table}},
      "Looked-up keys answered with defaults because Redis could not be read "
      "(redis_read_failure_policy \"default_values\").");
}

Status TableMetrics::Record(TableOp op, size_t keys, Clock::time_point start,
                            Status status) const {
  const OpMetrics& metrics = ops_[static_cast<size_t>(op)];
  metrics.calls->Add();
  metrics.keys->Add(static_cast<int64_t>(keys));
  metrics.latency->Record(Clock::now() - start);
  if (!status.ok()) {
    // Errors are rare: looking the counter up on the spot keeps every kind
    // that never happened out of the metrics.
    Registry()
        .GetCounter("tfra_redis_table_errors_total",
                    {{"table", table_},
                     {"op", TableOpName(op)},
                     {"kind", KindOf(status.code())}},
                    "Failed table operations by status code: unavailable, "
                    "unknown (a write that may have been applied), "
                    "invalid_argument, ...")
        ->Add();
  }
  return status;
}

}  // namespace redis_table
}  // namespace tfra

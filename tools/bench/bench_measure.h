// The timing loop and JSON output shared by raw_hash_bench and store_bench.
#ifndef TOOLS_BENCH_BENCH_MEASURE_H_
#define TOOLS_BENCH_BENCH_MEASURE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tools/bench/bench_options.h"

namespace tfra {
namespace bench {

// Runs batch `index`, adding the keys it found absent to `*misses`; returns
// "" or an error.
using BatchRunner = std::function<std::string(int64_t index, int64_t* misses)>;

struct Measurement {
  std::vector<double> latencies_ms;  // one per timed batch
  double seconds = 0;                // wall time of the timed batches
  double cpu_seconds = 0;            // this process's CPU time meanwhile
  int64_t misses = 0;                // absent keys seen by the timed batches
};

// options.warm_batches untimed batches, then timed batches until the stop rule of
// BenchOptions says enough. Stops at the first error and returns it.
std::string Measure(const BenchOptions& options, const BatchRunner& run,
                    Measurement* out);

// Nearest-rank percentile (fraction in (0, 1]) of a non-empty sorted vector.
double Percentile(const std::vector<double>& sorted, double fraction);

// One JSON line on stdout: tool, op, strategy, sizes, keys_per_s,
// p50_ms, p99_ms, cpu_us_per_key, nil (absent keys).
void PrintMeasurement(const std::string& tool, const BenchOptions& options,
                      const std::string& strategy, Measurement measurement);

}  // namespace bench
}  // namespace tfra

#endif  // TOOLS_BENCH_BENCH_MEASURE_H_

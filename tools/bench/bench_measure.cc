#include "tools/bench/bench_measure.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <utility>

namespace tfra {
namespace bench {
namespace {

double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec * 1e-6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

bool Enough(const BenchOptions& options, int64_t batches, double seconds) {
  return (batches >= options.min_batches && seconds >= options.min_seconds) ||
         (batches >= 3 && seconds >= options.max_seconds) ||
         batches >= options.max_batches;
}

}  // namespace

std::string Measure(const BenchOptions& options, const BatchRunner& run,
                    Measurement* out) {
  using Clock = std::chrono::steady_clock;
  int64_t index = 0;
  int64_t warmup_misses = 0;
  for (; index < options.warm_batches; ++index) {
    std::string warmup_error = run(index, &warmup_misses);
    if (!warmup_error.empty()) return warmup_error;
  }
  const Clock::time_point start = Clock::now();
  const double cpu_start = ProcessCpuSeconds();
  while (true) {
    const Clock::time_point before = Clock::now();
    std::string error = run(index++, &out->misses);
    if (!error.empty()) return error;
    const Clock::time_point after = Clock::now();
    out->latencies_ms.push_back(
        std::chrono::duration<double, std::milli>(after - before).count());
    out->seconds = std::chrono::duration<double>(after - start).count();
    if (Enough(options, static_cast<int64_t>(out->latencies_ms.size()),
               out->seconds)) {
      break;
    }
  }
  out->cpu_seconds = ProcessCpuSeconds() - cpu_start;
  return "";
}

double Percentile(const std::vector<double>& sorted, double fraction) {
  const size_t rank = static_cast<size_t>(std::ceil(fraction * sorted.size()));
  return sorted[std::min(sorted.size(), std::max<size_t>(rank, 1)) - 1];
}

void PrintMeasurement(const std::string& tool, const BenchOptions& o,
                      const std::string& strategy, Measurement m) {
  std::sort(m.latencies_ms.begin(), m.latencies_ms.end());
  const double batches = static_cast<double>(m.latencies_ms.size());
  const double keys = batches * static_cast<double>(o.batch);
  std::printf(
      "{\"tool\": \"%s\", \"op\": \"%s\", \"strategy\": \"%s\", "
      "\"dim\": %lld, \"batch\": %lld, \"keys\": %lld, \"batches\": %.0f, "
      "\"seconds\": %.6f, \"keys_per_s\": %.1f, \"p50_ms\": %.4f, "
      "\"p99_ms\": %.4f, \"cpu_us_per_key\": %.4f, \"nil\": %lld}\n",
      tool.c_str(), o.op.c_str(), strategy.c_str(),
      static_cast<long long>(o.dim), static_cast<long long>(o.batch),
      static_cast<long long>(o.keys), batches, m.seconds, keys / m.seconds,
      Percentile(m.latencies_ms, 0.50), Percentile(m.latencies_ms, 0.99),
      m.cpu_seconds * 1e6 / keys, static_cast<long long>(m.misses));
  std::fflush(stdout);
}

}  // namespace bench
}  // namespace tfra

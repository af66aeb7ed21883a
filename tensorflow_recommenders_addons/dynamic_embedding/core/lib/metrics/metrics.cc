#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/metrics/metrics.h"

#include <algorithm>
#include <cstdio>

namespace tfra {
namespace metrics {
namespace {

// `text` as a JSON string literal; bytes outside printable ASCII as \u00XX.
void AppendJsonString(std::string_view text, std::string* out) {
  out->push_back('"');
  for (const char c : text) {
    const unsigned char byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (byte < 0x20 || byte >= 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\u%04x", byte);
      out->append(escaped);
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

void AppendNameAndLabels(const std::pair<std::string, Labels>& key,
                         std::string* out) {
  out->append("{\"name\": ");
  AppendJsonString(key.first, out);
  out->append(", \"labels\": {");
  for (size_t i = 0; i < key.second.size(); ++i) {
    if (i > 0) out->append(", ");
    AppendJsonString(key.second[i].first, out);
    out->append(": ");
    AppendJsonString(key.second[i].second, out);
  }
  out->append("}");
}

template <typename T>
void AppendIntegers(const T& values, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out->append(", ");
    out->append(std::to_string(values[i]));
  }
  out->push_back(']');
}

template <typename Metric>
Metric* GetOrMake(std::map<std::pair<std::string, Labels>,
                           std::unique_ptr<Metric>>* metrics,
                  std::string_view name, const Labels& labels) {
  auto [slot, made] =
      metrics->try_emplace(std::make_pair(std::string(name), labels));
  if (made) slot->second = std::make_unique<Metric>();
  return slot->second.get();
}

}  // namespace

constexpr std::array<int64_t, 17> LatencyHistogram::kLatencyBoundsUs;

void LatencyHistogram::Record(std::chrono::nanoseconds duration) {
  const int64_t us =
      std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::microseconds>(
                               duration)
                               .count());
  const size_t bucket = static_cast<size_t>(
      std::lower_bound(kLatencyBoundsUs.begin(), kLatencyBoundsUs.end(), us) -
      kLatencyBoundsUs.begin());
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_us_.fetch_add(us, std::memory_order_relaxed);
}

LatencyHistogram::Snapshot LatencyHistogram::Read() const {
  Snapshot snapshot;
  for (size_t i = 0; i < kBuckets; ++i) {
    snapshot.counts[i] = counts_[i].load(std::memory_order_relaxed);
    snapshot.count += snapshot.counts[i];
  }
  snapshot.sum_us = sum_us_.load(std::memory_order_relaxed);
  return snapshot;
}

MetricsRegistry& MetricsRegistry::Global() {
  // Never destroyed: metrics may be recorded from threads that outlive
  // static destruction at exit.
  static MetricsRegistry* const registry = new MetricsRegistry();
  return *registry;
}

Counter* MetricsRegistry::GetCounter(std::string_view name,
                                     const Labels& labels,
                                     std::string_view help) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!help.empty()) help_.try_emplace(std::string(name), help);
  return GetOrMake(&counters_, name, labels);
}

LatencyHistogram* MetricsRegistry::GetHistogram(std::string_view name,
                                                const Labels& labels,
                                                std::string_view help) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!help.empty()) help_.try_emplace(std::string(name), help);
  return GetOrMake(&histograms_, name, labels);
}

std::string MetricsRegistry::SnapshotJson() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out = "{\"counters\": [";
  bool first = true;
  for (const auto& [key, counter] : counters_) {
    if (!first) out.append(", ");
    first = false;
    AppendNameAndLabels(key, &out);
    out.append(", \"value\": " + std::to_string(counter->value()) + "}");
  }
  out.append("], \"histograms\": [");
  first = true;
  for (const auto& [key, histogram] : histograms_) {
    if (!first) out.append(", ");
    first = false;
    const LatencyHistogram::Snapshot read = histogram->Read();
    AppendNameAndLabels(key, &out);
    out.append(", \"bounds_us\": ");
    AppendIntegers(LatencyHistogram::kLatencyBoundsUs, &out);
    out.append(", \"counts\": ");
    AppendIntegers(read.counts, &out);
    out.append(", \"count\": " + std::to_string(read.count) +
               ", \"sum_us\": " + std::to_string(read.sum_us) + "}");
  }
  out.append("], \"help\": {");
  first = true;
  for (const auto& [name, text] : help_) {
    if (!first) out.append(", ");
    first = false;
    AppendJsonString(name, &out);
    out.append(": ");
    AppendJsonString(text, &out);
  }
  out.append("}}");
  return out;
}

}  // namespace metrics
}  // namespace tfra

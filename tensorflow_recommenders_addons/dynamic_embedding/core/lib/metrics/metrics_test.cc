#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/metrics/metrics.h"

#include <json-parser/json.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace tfra {
namespace metrics {
namespace {

using std::chrono::microseconds;

TEST(CounterTest, AddsFromManyThreads) {
  Counter counter;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&counter] {
      for (int i = 0; i < 10000; ++i) counter.Add();
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(counter.value(), 40000);
}

TEST(LatencyHistogramTest, PutsEachSampleInTheFirstBucketThatHoldsIt) {
  LatencyHistogram histogram;
  histogram.Record(microseconds(0));        // bucket 0 (<= 50 us)
  histogram.Record(microseconds(50));       // bucket 0
  histogram.Record(microseconds(51));       // bucket 1 (<= 100 us)
  histogram.Record(microseconds(1000000));  // <= 1 s: bucket 13
  histogram.Record(std::chrono::seconds(60));  // past 10 s: the last
  const LatencyHistogram::Snapshot read = histogram.Read();
  EXPECT_EQ(read.counts[0], 2);
  EXPECT_EQ(read.counts[1], 1);
  EXPECT_EQ(read.counts[13], 1);
  EXPECT_EQ(read.counts[LatencyHistogram::kBuckets - 1], 1);
  EXPECT_EQ(read.count, 5);
  EXPECT_EQ(read.sum_us, 0 + 50 + 51 + 1000000 + 60000000);
}

TEST(MetricsRegistryTest, SameNameAndLabelsGiveTheSameMetric) {
  MetricsRegistry registry;
  Counter* a = registry.GetCounter("calls", {{"op", "find"}}, "Calls.");
  Counter* b = registry.GetCounter("calls", {{"op", "find"}}, "");
  Counter* c = registry.GetCounter("calls", {{"op", "insert"}}, "");
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(registry.GetHistogram("latency", {}, ""),
            registry.GetHistogram("latency", {{"op", "find"}}, ""));
}

struct JsonDeleter {
  void operator()(json_value* value) const { json_value_free(value); }
};

const json_value* Member(const json_value& object, const char* name) {
  for (unsigned i = 0; i < object.u.object.length; ++i) {
    if (std::strcmp(object.u.object.values[i].name, name) == 0) {
      return object.u.object.values[i].value;
    }
  }
  return nullptr;
}

TEST(MetricsRegistryTest, SnapshotIsJsonWithEveryMetricHelpAndEscapedLabels) {
  MetricsRegistry registry;
  registry.GetCounter("tfra_calls_total", {{"table", "a\"b\\c\n"}}, "Calls.")
      ->Add(3);
  registry.GetHistogram("tfra_latency", {{"op", "find"}}, "Latency.")
      ->Record(microseconds(70));
  const std::string text = registry.SnapshotJson();
  std::unique_ptr<json_value, JsonDeleter> root(
      json_parse(text.data(), text.size()));
  ASSERT_NE(root, nullptr) << text;
  const json_value* counters = Member(*root, "counters");
  ASSERT_NE(counters, nullptr);
  ASSERT_EQ(counters->u.array.length, 1u);
  const json_value& counter = *counters->u.array.values[0];
  EXPECT_EQ(Member(counter, "value")->u.integer, 3);
  const json_value* table = Member(*Member(counter, "labels"), "table");
  EXPECT_EQ(std::string(table->u.string.ptr, table->u.string.length),
            "a\"b\\c\n");
  const json_value* histograms = Member(*root, "histograms");
  ASSERT_EQ(histograms->u.array.length, 1u);
  const json_value& histogram = *histograms->u.array.values[0];
  EXPECT_EQ(Member(histogram, "count")->u.integer, 1);
  EXPECT_EQ(Member(histogram, "counts")->u.array.values[1]->u.integer, 1);
  EXPECT_EQ(Member(histogram, "bounds_us")->u.array.length,
            LatencyHistogram::kLatencyBoundsUs.size());
  EXPECT_NE(Member(*Member(*root, "help"), "tfra_latency"), nullptr);
}

}  // namespace
}  // namespace metrics
}  // namespace tfra

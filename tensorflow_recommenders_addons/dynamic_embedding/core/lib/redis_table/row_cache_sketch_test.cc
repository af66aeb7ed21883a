#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/row_cache_sketch.h"

#include <cstdint>
#include <random>

#include "gtest/gtest.h"

namespace tfra {
namespace redis_table {
namespace {

uint64_t Mixed(uint64_t key) {
  uint64_t h = (key + 1) * 0xBF58476D1CE4E5B9ull;
  return h ^ (h >> 31);
}

TEST(FrequencySketchTest, CountsUpToTheMaximumAndNeverUnderEstimates) {
  FrequencySketch sketch(4096, size_t{1} << 30);  // never halves here
  for (int n = 0; n < 20; ++n) sketch.Add(Mixed(7));
  for (uint64_t key = 100; key < 400; ++key) {
    for (uint64_t n = 0; n < key % 5; ++n) sketch.Add(Mixed(key));
  }
  EXPECT_EQ(sketch.Estimate(Mixed(7)), FrequencySketch::kMaxCount);
  int exact = 0;
  for (uint64_t key = 100; key < 400; ++key) {
    const int estimate = sketch.Estimate(Mixed(key));
    EXPECT_GE(estimate, static_cast<int>(key % 5)) << key;
    if (estimate == static_cast<int>(key % 5)) ++exact;
  }
  // 300 keys in 512 counters per row: collisions are rare.
  EXPECT_GT(exact, 250);
}

TEST(FrequencySketchTest, HalvesEverythingOnceTheSampleIsCounted) {
  FrequencySketch sketch(4096, 100);
  for (int n = 0; n < 12; ++n) sketch.Add(Mixed(1));
  for (int n = 0; n < 4; ++n) sketch.Add(Mixed(2));
  EXPECT_EQ(sketch.Estimate(Mixed(1)), 12);
  std::mt19937_64 random(3);
  // 84 more counts reach the sample of 100: every counter is halved.
  for (int n = 0; n < 84; ++n) sketch.Add(random() | (uint64_t{1} << 63));
  EXPECT_LE(sketch.Estimate(Mixed(1)), 7);
  EXPECT_GE(sketch.Estimate(Mixed(1)), 6);
  EXPECT_GE(sketch.Estimate(Mixed(2)), 2);
  EXPECT_LE(sketch.Estimate(Mixed(2)), 3);
}

TEST(FrequencySketchTest, TakesAtMostItsBytesAndAtLeastOneBlock) {
  EXPECT_EQ(FrequencySketch(0, 10).bytes(), FrequencySketch::kBlockBytes);
  EXPECT_EQ(FrequencySketch(1000, 10).bytes(), 512u);
  EXPECT_EQ(FrequencySketch(1024, 10).bytes(), 1024u);
}

}  // namespace
}  // namespace redis_table
}  // namespace tfra
